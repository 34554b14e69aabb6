"""POST /api/v1/pricing/quote and /redeem as the storefront and integrations call them."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.promotions.models import Coupon, Promotion, RedeemedOrder, Redemption
from apps.promotions.services import coupons_generate

QUOTE = "/api/v1/pricing/quote"
REDEEM = "/api/v1/pricing/redeem"


@pytest.fixture
def post(client, api_keys):
    def call(url, body, key="write"):
        return client.post(url, body, content_type="application/json", HTTP_X_API_KEY=api_keys[key])

    return call


def test_quote_prices_the_basket_with_live_promotions_only(shop, make_promotion, post):
    kitchen = make_promotion(name="Kitchen 25%", value=Decimal("25"), scope="categories", categories=[shop["home"]])
    make_promotion(name="Paused", value=Decimal("50"), status=Promotion.Status.PAUSED)
    make_promotion(
        name="Over",
        value=Decimal("50"),
        ends_at=timezone.now() - datetime.timedelta(hours=1),
        starts_at=timezone.now() - datetime.timedelta(days=2),
    )
    make_promotion(name="Later", value=Decimal("50"), starts_at=timezone.now() + datetime.timedelta(days=1))

    response = post(QUOTE, {"lines": [{"sku": "MUG", "quantity": 3}, {"sku": "POSTER", "quantity": 1}]}, key="read")

    assert response.status_code == 200
    body = response.json()
    assert [(line["sku"], line["subtotal"], line["discount"], line["total"]) for line in body["lines"]] == [
        ("MUG", "12.00", "3.00", "9.00"),
        ("POSTER", "7.99", "0.00", "7.99"),
    ]
    assert [(p["promotion"], p["discount"], p["lines"]) for p in body["promotions"]] == [
        (kitchen.pk, "3.00", {"0": "3.00"})
    ]
    assert (body["subtotal"], body["discount"], body["total"]) == ("19.99", "3.00", "16.99")


def test_coupon_holders_need_their_code_and_bad_codes_name_the_field(shop, make_promotion, post):
    promotion = make_promotion(eligibility="coupon_holders", kind="amount_off", value=Decimal("1.00"))
    Coupon.objects.create(promotion=promotion, code="SAVE1")
    Coupon.objects.create(promotion=promotion, code="OLD", expires_at=timezone.now() - datetime.timedelta(days=1))
    basket = {"lines": [{"sku": "MUG", "quantity": 2}]}

    assert post(QUOTE, basket).json()["total"] == "8.00"
    assert post(QUOTE, {**basket, "codes": ["save1"]}).json()["total"] == "6.00"
    bad = post(QUOTE, {**basket, "codes": ["NOPE", "OLD"]})
    assert bad.status_code == 400
    assert bad.json() == {
        "codes": [
            "Unknown code 'NOPE'.",
            f"Code 'OLD' expired on {timezone.now() - datetime.timedelta(days=1):%Y-%m-%d}.",
        ]
    }


def test_unknown_sku_and_bad_quantity_are_refused_naming_the_line(shop, post):
    response = post(QUOTE, {"lines": [{"sku": "MUG", "quantity": 1}, {"sku": "NOPE", "quantity": 1}]})
    assert response.status_code == 400
    assert response.json() == {"lines": {"1": {"sku": ["Unknown SKU 'NOPE'."]}}}
    zero = post(QUOTE, {"lines": [{"sku": "MUG", "quantity": 0}]})
    assert zero.status_code == 400
    assert zero.json() == {"lines": {"0": {"quantity": ["Ensure this value is greater than or equal to 1."]}}}


def test_eligibility_new_customers_segments_and_per_customer_limit(shop, make_promotion, post):
    make_promotion(name="Welcome", eligibility="new_customers", kind="amount_off", value=Decimal("1.00"))
    basket = {"lines": [{"sku": "MUG", "quantity": 1}]}
    assert post(QUOTE, {**basket, "customer": "C1"}).json()["total"] == "4.00"  # has ordered
    assert post(QUOTE, {**basket, "customer": "C2"}).json()["total"] == "3.00"  # never ordered
    assert post(QUOTE, {**basket, "customer": "NEW-99"}).json()["total"] == "3.00"  # not seen yet
    assert post(QUOTE, basket).json()["total"] == "4.00"  # a guest is not known to be new


def test_per_customer_limit_counts_redemptions(shop, make_promotion, post):
    make_promotion(name="Once each", kind="amount_off", value=Decimal("1.00"), per_customer_limit=1)
    basket = {"lines": [{"sku": "MUG", "quantity": 1}], "customer": "C1"}
    assert post(REDEEM, {**basket, "order_reference": "A-1"}).json()["total"] == "3.00"
    assert post(QUOTE, basket).json()["total"] == "4.00"
    assert post(QUOTE, {**basket, "customer": "C2"}).json()["total"] == "3.00"


def test_redeem_records_once_and_moves_the_counters(shop, make_promotion, post):
    promotion = make_promotion(kind="amount_off", value=Decimal("1.00"), budget=Decimal("100"))
    code = coupons_generate(promotion=promotion, count=1, max_uses=5)[0]
    body = {"order_reference": "ORD-7", "lines": [{"sku": "MUG", "quantity": 2}], "codes": [code], "customer": "C1"}

    first = post(REDEEM, body)
    again = post(REDEEM, body)

    assert (first.status_code, first.json()["replayed"], first.json()["total"]) == (201, False, "6.00")
    assert (again.status_code, again.json()["replayed"], again.json()["total"]) == (200, True, "6.00")
    promotion.refresh_from_db()
    assert (promotion.discount_spent, promotion.redemptions_count) == (Decimal("2.00"), 1)
    assert Coupon.objects.get(code=code).uses == 1
    assert list(Redemption.objects.values_list("amount", "customer_key")) == [(Decimal("2.00"), "online_retail:C1")]


def test_redeem_refuses_a_reused_reference_and_changed_prices_recording_nothing(shop, make_promotion, post):
    make_promotion(kind="amount_off", value=Decimal("1.00"))
    post(REDEEM, {"order_reference": "ORD-1", "lines": [{"sku": "MUG", "quantity": 1}]})

    reused = post(REDEEM, {"order_reference": "ORD-1", "lines": [{"sku": "JUG", "quantity": 1}]})
    changed = post(
        REDEEM, {"order_reference": "ORD-2", "lines": [{"sku": "MUG", "quantity": 1}], "expected_total": "4.00"}
    )

    assert reused.status_code == 409 and "order_reference" in reused.json()
    assert changed.status_code == 409 and changed.json() == {
        "expected_total": ["The order now totals 3.00, not 4.00: quote it again."]
    }
    assert list(RedeemedOrder.objects.values_list("order_reference", flat=True)) == ["ORD-1"]
    assert Redemption.objects.count() == 1


def test_read_only_keys_may_quote_but_not_redeem(shop, post):
    basket = {"lines": [{"sku": "MUG", "quantity": 1}]}
    assert post(QUOTE, basket, key="read").status_code == 200
    assert post(REDEEM, {**basket, "order_reference": "X"}, key="read").status_code == 403


def test_control_group_shoppers_do_not_get_the_offer(shop, make_promotion, post):
    from apps.customers.models import Customer
    from apps.promotions.experiment import in_control_group

    promotion = make_promotion(kind="amount_off", value=Decimal("1.00"), holdout_percent=Decimal("50"))
    ids = [f"H{i}" for i in range(40)]
    Customer.objects.bulk_create([Customer(external_id=i) for i in ids])
    totals = {i: post(QUOTE, {"lines": [{"sku": "MUG", "quantity": 1}], "customer": i}).json()["total"] for i in ids}
    held_out = {
        i for i in ids if in_control_group(promotion_id=promotion.pk, customer_key=f"online_retail:{i}", percent=50)
    }
    assert 0 < len(held_out) < 40
    assert {i for i, total in totals.items() if total == "4.00"} == held_out


def test_segment_promotions_reach_the_saved_segment_of_the_active_run(shop, make_promotion, post):
    from apps.core.models import TrainingRun
    from apps.customers.models import Customer
    from apps.segments.models import CustomerSegment, SavedSegment

    run = TrainingRun.objects.create(kind="segments", status="succeeded", is_active=True)
    for external_id, segment in (("C1", "champions"), ("C2", "at_risk")):
        CustomerSegment.objects.create(
            run=run,
            customer=Customer.objects.get(external_id=external_id),
            recency_days=1,
            frequency=1,
            monetary=1,
            r=5,
            f=5,
            m=5,
            segment=segment,
        )
    at_risk = SavedSegment.objects.create(name="Win back", rfm_segments=["at_risk"])
    make_promotion(eligibility="segment", saved_segment=at_risk, kind="amount_off", value=Decimal("1.00"))
    basket = {"lines": [{"sku": "MUG", "quantity": 1}]}

    assert post(QUOTE, {**basket, "customer": "C2"}).json()["total"] == "3.00"
    assert post(QUOTE, {**basket, "customer": "C1"}).json()["total"] == "4.00"
    assert post(QUOTE, basket).json()["total"] == "4.00"
