from django.http import JsonResponse

CONSTANT = {"status": "ok", "items": []}


def constant_json(request):
    """The benchmark's peer: the cheapest JSON view this stack can serve (bench/widget_load.py)."""
    return JsonResponse(CONSTANT)
