"""Refuses a request whose path or query string holds a NUL character: no URL of ours needs
one, and PostgreSQL cannot compare text holding it, so it would otherwise reach a query (a
product lookup, a search, a widget list) and end as a server error."""

from django.http import JsonResponse

NUL_IN_URL = "The URL holds a NUL character (%00)."


class RejectNulInUrlMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            return JsonResponse({"detail": NUL_IN_URL}, status=400)
        return self.get_response(request)
