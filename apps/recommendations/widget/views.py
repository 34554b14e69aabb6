"""The storefront widget's endpoints: plain, cached Django views (the hot path), public for
"also bought" and "trending", a signed shopper token for "for you". Browsers reach them
from the configured storefront origins only (CORS)."""

import json

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from apps.catalogue.models import Product
from apps.core.models import TrainingRun
from apps.core.rate_limit import rate_limited
from apps.recommendations import selectors
from apps.recommendations.models import WidgetEvent
from apps.recommendations.tokens import BadToken, customer_from_token

MAX_ITEMS = 24
MAX_EVENTS = 50
LISTS = ("for_you", "also_bought", "trending")


def _limit(request) -> int:
    try:
        return max(1, min(MAX_ITEMS, int(request.GET.get("limit", 8))))
    except ValueError:
        return 8


def _response(list_name: str, run_id, items) -> HttpResponse:
    encoded = items.json if isinstance(items, selectors.CardList) else json.dumps(items, separators=(",", ":"))
    body = f'{{"list":"{list_name}","run":{json.dumps(run_id)},"items":{encoded}}}'
    response = HttpResponse(body, content_type="application/json")
    # "For you" changes with the visit's clicks; public lists may be cached for as long as a
    # web process trusts its own state, so a deactivated product goes within seconds.
    response["Cache-Control"] = "no-store" if list_name == "for_you" else "public, max-age=5"
    return response


@require_GET
@rate_limited("WIDGET_RATE")
def trending(request):
    run_id, items = selectors.trending(limit=_limit(request))
    return _response("trending", run_id, items)


@require_GET
@rate_limited("WIDGET_RATE")
def also_bought(request):
    sku = request.GET.get("product", "").strip()
    if not sku:
        return JsonResponse({"detail": "Give the product's SKU: ?product=85123A"}, status=400)
    run_id, items = selectors.also_bought(sku=sku, limit=_limit(request))
    return _response("also_bought", run_id, items)


@require_GET
@rate_limited("WIDGET_RATE")
def for_you(request):
    token = request.GET.get("token", "")
    if not token:  # an anonymous visitor: the popular list
        run_id, items = selectors.popular(country="", limit=_limit(request))
        return _response("for_you", run_id, items)
    try:
        customer = customer_from_token(token)
    except BadToken as exc:
        return JsonResponse({"detail": f"Invalid shopper token: {exc}."}, status=403)
    # The widget remembers what this visit clicked (sessionStorage) and sends it along:
    # the lift needs no lookup on the server.
    clicked = tuple(sku for sku in request.GET.get("clicked", "").split(",")[: selectors.MAX_CLICKS] if sku)
    run_id, items = selectors.for_customer(external_id=customer, limit=_limit(request), clicked=clicked)
    return _response("for_you", run_id, items)


@csrf_exempt  # a cross-site beacon (navigator.sendBeacon) carries no CSRF token and changes nothing shown
@require_POST
@rate_limited("WIDGET_EVENTS_RATE")
def events(request):
    """{"session": "...", "events": [{"type": "impression"|"click", "list": "...", "sku": "...", "run": 12}]}"""
    try:
        payload = json.loads(request.body or b"{}")
        batch = payload["events"][:MAX_EVENTS]
        session = str(payload.get("session", ""))[:64]
        wanted = {str(event["sku"]) for event in batch}
    except (ValueError, KeyError, TypeError):
        return JsonResponse(
            {"detail": 'Expected {"session": ..., "events": [{"type", "list", "sku", "run"}]}'}, status=400
        )
    products = dict(Product.objects.filter(sku__in=wanted).values_list("sku", "id"))
    claimed_runs = {event.get("run") for event in batch if isinstance(event.get("run"), int)}
    runs = set(TrainingRun.objects.filter(pk__in=claimed_runs).values_list("id", flat=True))
    rows = [
        WidgetEvent(
            run_id=event["run"] if isinstance(event.get("run"), int) and event["run"] in runs else None,
            list_name=event.get("list"),
            kind=event.get("type"),
            product_id=products[str(event["sku"])],
            session=session,
        )
        for event in batch
        if event.get("type") in WidgetEvent.Kind.values and event.get("list") in LISTS and str(event["sku"]) in products
    ]
    WidgetEvent.objects.bulk_create(rows)
    return JsonResponse({"recorded": len(rows)}, status=202)
