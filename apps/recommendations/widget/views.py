"""The storefront widget's endpoints: plain, cached Django views (the hot path), public for
"also bought" and "trending", a signed shopper token for "for you". Browsers reach them
from the configured storefront origins only (CORS)."""

import json

from django.core import signing
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from apps.catalogue.models import Product
from apps.core.json_input import JsonInputError, json_loads_checked
from apps.core.models import TrainingRun
from apps.core.rate_limit import rate_limited
from apps.recommendations import selectors
from apps.recommendations.models import WidgetEvent
from apps.recommendations.tokens import BadToken, customer_from_token
from apps.recommendations.widget.impressions import Impression, impression_read, impression_sign

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
    # The widget sends the impression id back with its events: proof that this list was served.
    impression = impression_sign(list_name=list_name, run_id=run_id, skus=[item["sku"] for item in items])
    body = f'{{"list":"{list_name}","run":{json.dumps(run_id)},"impression":"{impression}","items":{encoded}}}'
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
    """{"session": "...", "events": [{"type": "impression"|"click", "sku": "...", "impression": "..."}]}

    Each event presents the impression id of the list it happened on and names a product of that
    list; the list and the run are the ones the id was signed for. One bad event refuses the batch
    (400, nothing recorded), so a forged batch cannot slip its valid-looking part in."""
    try:
        payload = json_loads_checked(request.body or b"{}")
        batch = payload["events"][:MAX_EVENTS]
        session = str(payload.get("session", ""))[:64]
    except JsonInputError as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    except (KeyError, TypeError):
        return JsonResponse(
            {"detail": 'Expected {"session": ..., "events": [{"type", "sku", "impression"}]}'}, status=400
        )
    accepted = []
    for index, event in enumerate(batch):
        try:
            accepted.append((event, _served_list_of(event)))
        except _RefusedEvent as exc:
            return JsonResponse({"detail": f"Event {index}: {exc}"}, status=400)
    products = dict(Product.objects.filter(sku__in={event["sku"] for event, _ in accepted}).values_list("sku", "id"))
    claimed_runs = {impression.run_id for _, impression in accepted} - {None}
    runs = set(TrainingRun.objects.filter(pk__in=claimed_runs).values_list("id", flat=True))
    rows = [
        WidgetEvent(
            run_id=impression.run_id if impression.run_id in runs else None,
            list_name=impression.list_name,
            kind=event["type"],
            product_id=products[event["sku"]],
            session=session,
        )
        for event, impression in accepted
        if event["sku"] in products  # served, then deleted from the catalogue: nothing left to count
    ]
    WidgetEvent.objects.bulk_create(rows)
    return JsonResponse({"recorded": len(rows)}, status=202)


class _RefusedEvent(ValueError):
    pass


def _served_list_of(event) -> Impression:
    """The served list the event's impression id names, if the event is well formed and its
    product is in that list; _RefusedEvent saying why not otherwise."""
    if not isinstance(event, dict):
        raise _RefusedEvent("an event is an object.")
    if event.get("type") not in WidgetEvent.Kind.values:
        raise _RefusedEvent(f"type must be one of {', '.join(WidgetEvent.Kind.values)}.")
    try:
        impression = impression_read(event.get("impression"))
    except signing.SignatureExpired:
        raise _RefusedEvent("the impression id has expired.") from None
    except signing.BadSignature:
        raise _RefusedEvent("a valid impression id of a served list is required.") from None
    sku = event.get("sku")
    if not isinstance(sku, str) or sku not in impression.skus:
        raise _RefusedEvent(f"product {str(sku)[:64]!r} was not in the list this impression id names.")
    return impression
