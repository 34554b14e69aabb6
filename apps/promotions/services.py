"""Writes of the promotions app: recording a placed order's redemptions, generating coupons, and
moving a promotion through its life (draft, active, paused, stopped).

Caps hold under concurrency because a redemption prices the order again inside its transaction,
after locking the coupons it names and the live promotions (both in id order, so two redemptions
never wait on each other in a cycle): the budget left, the redemptions left and each coupon's uses
are read after the locks, and the counters move with the rows still locked."""

import hashlib
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F

from apps.promotions.models import Coupon, Promotion, PromotionEvent, RedeemedOrder, Redemption
from apps.promotions.selectors import PricingError, RequestedLine, pricing_quote

# No 0/O, 1/I/L: codes are read off screens and typed by hand.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
MAX_COUPONS_PER_CALL = 100_000


@dataclass(frozen=True)
class RecordedRedemption:
    order: RedeemedOrder
    replayed: bool


def redemptions_record(
    *,
    order_reference: str,
    lines: list[RequestedLine],
    customer: str = "",
    customer_source: str = "",
    codes: list[str] = (),
    shipping: Decimal = Decimal("0"),
    expected_total: Decimal | None = None,
) -> RecordedRedemption:
    """Record the promotions of a placed order, once. The same order again returns what was recorded;
    the same reference with another basket is refused. Nothing is recorded when any part fails."""
    digest = _request_digest(lines, customer, customer_source, codes, shipping)
    recorded = _already_recorded(order_reference, digest)
    if recorded is not None:
        return recorded
    try:
        with transaction.atomic():
            normalized = sorted({code.strip().upper() for code in codes if code.strip()})
            list(Coupon.objects.select_for_update().filter(code__in=normalized).order_by("pk"))
            basket = pricing_quote(
                lines=lines,
                customer=customer,
                customer_source=customer_source,
                codes=codes,
                shipping=shipping,
                lock=True,
            )
            quote = basket.quote
            if expected_total is not None and quote.total != expected_total:
                raise PricingError(
                    {"expected_total": [f"The order now totals {quote.total}, not {expected_total}: quote it again."]}
                )
            order = RedeemedOrder.objects.create(
                order_reference=order_reference,
                customer=basket.shopper.customer,
                customer_key=basket.shopper.key,
                request_digest=digest,
                subtotal=quote.subtotal,
                discount=quote.discount + quote.shipping_discount,
                total=quote.total,
                quote=quote_as_dict(quote),
            )
            coupons = {coupon.promotion_id: coupon for coupon in basket.coupons}
            for applied in quote.applied:
                coupon = coupons.get(applied.promotion_id)
                Redemption.objects.create(
                    order=order,
                    promotion_id=applied.promotion_id,
                    coupon=coupon,
                    customer=basket.shopper.customer,
                    customer_key=basket.shopper.key,
                    amount=applied.saving,
                )
                Promotion.objects.filter(pk=applied.promotion_id).update(
                    discount_spent=F("discount_spent") + applied.saving,
                    redemptions_count=F("redemptions_count") + 1,
                )
                if coupon is not None:
                    Coupon.objects.filter(pk=coupon.pk).update(uses=F("uses") + 1)
    except IntegrityError:
        # The same order recorded by a concurrent request first: answer as a replay.
        recorded = _already_recorded(order_reference, digest)
        if recorded is None:
            raise
        return recorded
    return RecordedRedemption(order=order, replayed=False)


def _already_recorded(order_reference: str, digest: str) -> RecordedRedemption | None:
    order = RedeemedOrder.objects.filter(order_reference=order_reference).first()
    if order is None:
        return None
    if order.request_digest != digest:
        raise PricingError(
            {"order_reference": [f"Order {order_reference!r} was already recorded with a different basket."]}
        )
    return RecordedRedemption(order=order, replayed=True)


def _request_digest(lines, customer, customer_source, codes, shipping) -> str:
    canonical = {
        "lines": sorted([line.sku, line.quantity] for line in lines),
        "customer": [customer_source, customer],
        "codes": sorted({code.strip().upper() for code in codes if code.strip()}),
        "shipping": str(Decimal(shipping).normalize()),
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def quote_as_dict(quote) -> dict:
    """The quote as JSON-safe primitives (money as strings): the API's answer and the stored record."""
    return {
        "lines": [
            {
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "subtotal": str(line.subtotal),
                "discount": str(line.discount),
                "total": str(line.total),
            }
            for line in quote.lines
        ],
        "promotions": [
            {
                "promotion": applied.promotion_id,
                "name": applied.name,
                "kind": str(applied.kind),
                "coupon": applied.coupon_code or None,
                "discount": str(applied.discount),
                "shipping_discount": str(applied.shipping_discount),
                "gift": applied.gift_sku or None,
                "gift_value": str(applied.gift_value),
                "lines": {str(index): str(amount) for index, amount in sorted(applied.line_discounts.items())},
            }
            for applied in quote.applied
        ],
        "gifts": list(quote.gifts),
        "subtotal": str(quote.subtotal),
        "discount": str(quote.discount),
        "shipping": str(quote.shipping),
        "shipping_discount": str(quote.shipping_discount),
        "total": str(quote.total),
    }


def coupons_generate(
    *, promotion: Promotion, count: int, max_uses: int = 1, expires_at=None, prefix: str = ""
) -> list[str]:
    """`count` new unique codes for the promotion (prefix + 10 random characters)."""
    if not 1 <= count <= MAX_COUPONS_PER_CALL:
        raise ValueError(f"count: give 1 to {MAX_COUPONS_PER_CALL:,} codes at a time")
    if max_uses < 1:
        raise ValueError("max_uses: a coupon needs at least one use")
    prefix = prefix.strip().upper()
    if len(prefix) + CODE_LENGTH > Coupon._meta.get_field("code").max_length:
        raise ValueError("prefix: too long for a code")
    created: list[str] = []
    while len(created) < count:
        wanted = {prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))}
        while len(wanted) < count - len(created):
            wanted.add(prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))
        wanted -= set(Coupon.objects.filter(code__in=wanted).values_list("code", flat=True))
        try:
            with transaction.atomic():
                Coupon.objects.bulk_create(
                    Coupon(promotion=promotion, code=code, max_uses=max_uses, expires_at=expires_at) for code in wanted
                )
        except IntegrityError:
            continue  # a code made elsewhere at the same moment: draw again
        created.extend(sorted(wanted))
    return created


# action -> (statuses it applies to, the status it leads to)
TRANSITIONS = {
    "activate": ({Promotion.Status.DRAFT}, Promotion.Status.ACTIVE),
    "pause": ({Promotion.Status.ACTIVE}, Promotion.Status.PAUSED),
    "resume": ({Promotion.Status.PAUSED}, Promotion.Status.ACTIVE),
    "stop": ({Promotion.Status.DRAFT, Promotion.Status.ACTIVE, Promotion.Status.PAUSED}, Promotion.Status.STOPPED),
}


def promotion_change_status(*, promotion: Promotion, action: str) -> Promotion:
    """Pause, resume, stop or activate. Stopping is final; a conditional UPDATE keeps two staff
    clicking at once from both succeeding on a stale status."""
    if action not in TRANSITIONS:
        raise ValueError(f"action: one of {', '.join(TRANSITIONS)}")
    allowed, target = TRANSITIONS[action]
    changed = Promotion.objects.filter(pk=promotion.pk, status__in=allowed).update(status=target)
    if not changed:
        promotion.refresh_from_db(fields=["status"])
        raise ValueError(f"status: a {promotion.get_status_display().lower()} promotion cannot {action}")
    promotion.refresh_from_db()
    return promotion


def promotion_events_record(*, promotion: Promotion, events: list[dict]) -> int:
    """Store what a channel reports (impressions, clicks), all or none."""
    from django.utils import timezone

    now = timezone.now()
    rows = [
        PromotionEvent(
            promotion=promotion,
            kind=event["kind"],
            channel=event["channel"],
            customer_key=f"{event.get('customer_source') or 'api'}:{event['customer']}"
            if event.get("customer")
            else "",
            occurred_at=event.get("occurred_at") or now,
        )
        for event in events
    ]
    PromotionEvent.objects.bulk_create(rows)
    return len(rows)
