"""A customer's rights over their data: everything the store holds about one customer as JSON
(`customer_data_export`), and erasure (`customer_erase`).

Where a customer is held. By foreign key: orders, segment scores (RFM, cluster and lifetime value
per run), "for you" recommendations, owned coupons, recorded redemptions and their orders. By
"source:external id" key: redemptions, promotion events (impressions and clicks a channel
reported), uplift scores and the rows of campaign logs with a customer column. Uplift scores and
campaign logs can come from an imported file whose customer column carries the bare external id;
that id is matched too, but only while no other source has a customer with the same id.

What erasure does, and why:
- Orders and their lines stay, detached from the customer: they become guest orders. Revenue,
  product demand, forecasts and every per-line total are sums over lines, so none changes; per-
  customer analytics (segments, recommendations) no longer see the person at their next run.
- Segment scores, recommendations and uplift scores are deleted: they describe the person and
  nothing else; the next run would recompute them without the person anyway.
- Redemptions, recorded orders, promotion events and campaign-log rows stay (a promotion's spent
  budget, redemption count, click-through and experiment depend on them) with the customer link
  removed and the key replaced by one random "erased:<token>" per erasure: counts of distinct
  customers stay right and nothing leads back to the person.
- Owned coupons lose their owner and expire now: a coupon without an owner would be open to
  anyone, and a used one cannot be deleted (its redemptions point at it).
- The Customer row is deleted, and earlier admin history entries about it lose the external id.

A later import of an order log holding the erased customer's invoices skips those invoices (they
are stored already, as guest orders), so the orders do not come back linked to anyone. The
importer does create customers for every id of a chunk before it skips stored invoices, so the
external id can reappear as a customer with no orders; a new invoice of the same id is a new
customer relationship, as with any new id.

Logs (the `retailhub.privacy` logger, and the admin history for admin actions) name the customer
by a keyed hash of "source:external id", never by the id itself: customer ids are short numbers,
so a plain hash could be reversed by trying them all."""

import logging
import secrets
from decimal import Decimal

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from django.utils.crypto import salted_hmac

from apps.catalogue.signals import catalogue_changed
from apps.customers.models import Customer
from apps.orders.models import Order, OrderLine
from apps.promotions.models import (
    CampaignLog,
    CampaignLogRow,
    Coupon,
    CustomerUplift,
    PromotionEvent,
    RedeemedOrder,
    Redemption,
)
from apps.recommendations.models import CustomerRecommendation
from apps.segments.models import CustomerSegment

logger = logging.getLogger("retailhub.privacy")

ERASED_KEY_PREFIX = "erased:"


class CustomerLookupError(ValueError):
    pass


def customer_for_external_id(*, external_id: str, source: str = "") -> Customer:
    """The one customer with this external id (in `source`, when given)."""
    matches = Customer.objects.filter(external_id=external_id)
    if source:
        matches = matches.filter(source=source)
    found = list(matches.order_by("source"))
    if not found:
        where = f" in source {source}" if source else ""
        raise CustomerLookupError(f"No customer with external id {external_id}{where}")
    if len(found) > 1:
        sources = ", ".join(customer.source for customer in found)
        raise CustomerLookupError(
            f"Customer {external_id} exists in several sources ({sources}): name one with --source"
        )
    return found[0]


def customer_reference(customer: Customer) -> str:
    """What logs call the customer: a keyed hash of their key, stable across calls."""
    return "customer#" + salted_hmac("retailhub.privacy", customer_key(customer)).hexdigest()[:16]


def customer_key(customer: Customer) -> str:
    """The "source:external id" key promotions store for a shopper."""
    return f"{customer.source}:{customer.external_id}"


def _keys(customer: Customer) -> list[str]:
    """Keys of the customer in tables filled from files: the bare id only while it is unambiguous."""
    keys = [customer_key(customer)]
    if not Customer.objects.filter(external_id=customer.external_id).exclude(pk=customer.pk).exists():
        keys.append(customer.external_id)
    return keys


def _campaign_rows(keys: list[str]):
    """(log, rows of the customer) for every campaign log with a customer column."""
    for log in CampaignLog.objects.exclude(customer_column="").order_by("pk"):
        rows = (
            CampaignLogRow.objects.filter(log=log)
            .annotate(customer_value=KeyTextTransform(log.customer_column, "values"))
            .filter(customer_value__in=keys)
            .order_by("position")
        )
        yield log, rows


def _redemption_filter(customer: Customer) -> Q:
    return Q(customer=customer) | Q(customer_key=customer_key(customer))


def _time(value) -> str | None:
    return None if value is None else value.isoformat()


# --- export ------------------------------------------------------------------------------------
def customer_data_export(customer: Customer, *, by: str) -> dict:
    """Everything held about the customer, as JSON-safe primitives (money as strings, times in
    ISO 8601), each list in a stable order. `by` says who asked, for the log."""
    keys = _keys(customer)
    data = {
        "exported_at": timezone.now().isoformat(),
        "customer": {
            "source": customer.source,
            "external_id": customer.external_id,
            "country": customer.country,
            "country_seen_at": _time(customer.country_seen_at),
            "created_at": _time(customer.created_at),
        },
        "orders": _export_orders(customer),
        "segments": [
            {"run": row.run_id, **{field: _json_number(getattr(row, field)) for field in CustomerSegment.SCORE_FIELDS}}
            for row in CustomerSegment.objects.filter(customer=customer).order_by("run_id")
        ],
        "recommendations": [
            {
                "run": row.run_id,
                "rank": row.rank,
                "sku": row.product.sku,
                "name": row.product.name,
                "score": row.score,
                "reason": row.reason,
                "because_of": row.because_of.sku if row.because_of else None,
            }
            for row in CustomerRecommendation.objects.filter(customer=customer)
            .select_related("product", "because_of")
            .order_by("run_id", "rank")
        ],
        "coupons": [
            {
                "code": coupon.code,
                "promotion": coupon.promotion.name,
                "uses": coupon.uses,
                "max_uses": coupon.max_uses,
                "expires_at": _time(coupon.expires_at),
            }
            for coupon in Coupon.objects.filter(customer=customer).select_related("promotion").order_by("code")
        ],
        "redeemed_orders": [
            {
                "order_reference": order.order_reference,
                "subtotal": str(order.subtotal),
                "discount": str(order.discount),
                "total": str(order.total),
                "quote": order.quote,
                "created_at": _time(order.created_at),
            }
            for order in RedeemedOrder.objects.filter(_redemption_filter(customer)).order_by("created_at", "pk")
        ],
        "redemptions": [
            {
                "order_reference": row.order.order_reference,
                "promotion": row.promotion.name,
                "coupon": row.coupon.code if row.coupon else None,
                "amount": str(row.amount),
                "redeemed_at": _time(row.redeemed_at),
            }
            for row in Redemption.objects.filter(_redemption_filter(customer))
            .select_related("order", "promotion", "coupon")
            .order_by("redeemed_at", "pk")
        ],
        "promotion_events": [
            {
                "promotion": event.promotion.name,
                "kind": event.kind,
                "channel": event.channel,
                "occurred_at": _time(event.occurred_at),
            }
            for event in PromotionEvent.objects.filter(customer_key=customer_key(customer))
            .select_related("promotion")
            .order_by("occurred_at", "pk")
        ],
        "campaign_logs": [
            {"log": log.name, "position": row.position, "values": row.values}
            for log, rows in _campaign_rows(keys)
            for row in rows
        ],
        "uplift_scores": [
            {"run": row.run_id, "arm": row.arm, "uplift": row.uplift, "planned_offer": row.planned_offer}
            for row in CustomerUplift.objects.filter(customer_key__in=keys).order_by("run_id", "arm", "pk")
        ],
    }
    logger.info("%s: personal data exported by %s", customer_reference(customer), by)
    return data


def _json_number(value):
    # Decimal scores (monetary, predicted value) as strings, like every other amount.
    return str(value) if isinstance(value, Decimal) else value


def _export_orders(customer: Customer) -> list[dict]:
    lines_by_order: dict[int, list[dict]] = {}
    lines = (
        OrderLine.objects.filter(order__customer=customer).select_related("product").order_by("order_id", "line_number")
    )
    for line in lines:
        lines_by_order.setdefault(line.order_id, []).append(
            {
                "line_number": line.line_number,
                "sku": line.product.sku,
                "name": line.product.name,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "kind": line.kind,
                "note": line.note,
            }
        )
    return [
        {
            "source": order.source,
            "invoice_no": order.invoice_no,
            "kind": order.kind,
            "status": order.status,
            "placed_at": _time(order.placed_at),
            "country": order.country,
            "currency": order.currency,
            "total_amount": str(order.total_amount),
            "lines": lines_by_order.get(order.pk, []),
        }
        for order in Order.objects.filter(customer=customer).order_by("placed_at", "pk")
    ]


# --- erasure -----------------------------------------------------------------------------------
def customer_erase(customer: Customer, *, by: str) -> dict[str, int]:
    """Erase the customer as the module docstring says, in one transaction. Returns the rows
    changed per table ("<app>.<model> <what was done>": count)."""
    reference = customer_reference(customer)
    keys = _keys(customer)
    key = customer_key(customer)
    anonymous = ERASED_KEY_PREFIX + secrets.token_hex(8)
    summary: dict[str, int] = {}
    with transaction.atomic():
        # Lock the row first: a concurrent import linking a new order to it waits, then fails on
        # the missing customer instead of leaving an order pointing at a deleted row.
        Customer.objects.select_for_update().get(pk=customer.pk)
        summary["orders.Order detached (now guest orders)"] = Order.objects.filter(customer=customer).update(
            customer=None
        )
        summary["segments.CustomerSegment deleted"] = CustomerSegment.objects.filter(customer=customer).delete()[0]
        summary["recommendations.CustomerRecommendation deleted"] = CustomerRecommendation.objects.filter(
            customer=customer
        ).delete()[0]
        summary["promotions.CustomerUplift deleted"] = CustomerUplift.objects.filter(customer_key__in=keys).delete()[0]
        now = timezone.now()
        owned = Coupon.objects.filter(customer=customer)
        owned.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).update(expires_at=now)
        summary["promotions.Coupon detached and expired"] = owned.update(customer=None)
        summary["promotions.RedeemedOrder anonymised"] = RedeemedOrder.objects.filter(
            _redemption_filter(customer)
        ).update(customer=None, customer_key=anonymous)
        summary["promotions.Redemption anonymised"] = Redemption.objects.filter(_redemption_filter(customer)).update(
            customer=None, customer_key=anonymous
        )
        summary["promotions.PromotionEvent anonymised"] = PromotionEvent.objects.filter(customer_key=key).update(
            customer_key=anonymous
        )
        rows_changed = 0
        for log, rows in _campaign_rows(keys):
            for row in rows:
                row.values = {**row.values, log.customer_column: anonymous}
                row.save(update_fields=["values"])
                rows_changed += 1
        summary["promotions.CampaignLogRow anonymised"] = rows_changed
        summary["admin.LogEntry anonymised"] = LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Customer), object_id=str(customer.pk)
        ).update(object_repr=reference)
        customer.delete()
        summary["customers.Customer deleted"] = 1
        # Storefront processes memoise "for you" lists by external id under the catalogue
        # version; moving it drops the erased customer's list everywhere within seconds.
        transaction.on_commit(catalogue_changed)
    logger.info("%s: erased by %s: %s", reference, by, ", ".join(f"{k}={v}" for k, v in summary.items()))
    return summary
