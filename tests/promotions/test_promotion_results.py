"""A promotion's experiment read back: treatment against control on conversion and revenue per
customer, redemptions by day, click-through from reported events."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.customers.models import Customer
from apps.orders.models import Order
from apps.promotions.experiment import in_control_group


@pytest.fixture
def experiment(shop, make_promotion):
    start = timezone.now() - datetime.timedelta(days=10)
    promotion = make_promotion(starts_at=start, holdout_percent=Decimal("50"))
    customers = Customer.objects.bulk_create([Customer(external_id=f"E{i}") for i in range(60)])
    before = start - datetime.timedelta(days=30)
    for customer in customers:
        Order.objects.create(invoice_no=f"old-{customer.external_id}", placed_at=before, customer=customer)
    # Every third customer buys during the promotion, for 10.00 or 30.00.
    for i, customer in enumerate(customers[::3]):
        Order.objects.create(
            invoice_no=f"new-{customer.external_id}",
            placed_at=start + datetime.timedelta(days=1),
            customer=customer,
            total_amount=Decimal("10.00") if i % 2 else Decimal("30.00"),
        )
    return promotion


def test_results_compare_treatment_and_control(staff_client, experiment):
    body = staff_client.get(f"/api/v1/promotions/{experiment.pk}/results/").json()

    people = Customer.objects.filter(orders__isnull=False).distinct()
    spend = {c.external_id: 0.0 for c in people}
    for order in Order.objects.filter(invoice_no__startswith="new-").select_related("customer"):
        spend[order.customer.external_id] = float(order.total_amount)
    control = {
        k for k in spend if in_control_group(promotion_id=experiment.pk, customer_key=f"online_retail:{k}", percent=50)
    }
    treated = set(spend) - control
    assert (body["treatment_size"], body["control_size"]) == (len(treated), len(control))
    conversion = body["conversion"]
    assert conversion["treatment"] == pytest.approx(sum(spend[k] > 0 for k in treated) / len(treated))
    assert conversion["control"] == pytest.approx(sum(spend[k] > 0 for k in control) / len(control))
    assert conversion["low"] < conversion["difference"] < conversion["high"]
    assert body["revenue_per_customer"]["control"] == pytest.approx(sum(spend[k] for k in control) / len(control))


def test_events_give_click_through_and_redemptions_by_day(staff_client, experiment):
    url = f"/api/v1/promotions/{experiment.pk}/"
    events = [{"kind": "impression", "channel": "email"}] * 8 + [{"kind": "click", "channel": "email"}] * 2
    assert staff_client.post(url + "events/", {"events": events}, content_type="application/json").status_code == 201
    bad = staff_client.post(
        url + "events/", {"events": [{"kind": "open", "channel": "email"}]}, content_type="application/json"
    )
    assert bad.status_code == 400 and "kind" in bad.json()["events"]["0"]
    staff_client.post(
        "/api/v1/pricing/redeem",
        {"order_reference": "R1", "lines": [{"sku": "MUG", "quantity": 1}]},
        content_type="application/json",
    )

    body = staff_client.get(url + "results/").json()

    assert body["channels"] == [{"channel": "email", "impressions": 8, "clicks": 2, "ctr": 0.25}]
    assert body["redemptions"] == 1 and body["cvr"] == 0.5
    assert body["daily"] == [{"day": timezone.localdate().isoformat(), "redemptions": 1, "amount": "0.40"}]
