"""Fifty shoppers redeeming at the same moment against PostgreSQL: a coupon's uses and a promotion's
budget and redemption cap are never exceeded, and every request gets an answer."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from apps.promotions.models import Coupon, Promotion, Redemption
from apps.promotions.selectors import PricingError, RequestedLine
from apps.promotions.services import redemptions_record

SHOPPERS = 50

pytestmark = pytest.mark.django_db(transaction=True)


def redeem_all_at_once(*, codes_for):
    barrier = threading.Barrier(SHOPPERS)
    outcomes = [None] * SHOPPERS

    def shopper(index):
        try:
            barrier.wait()
            redemptions_record(
                order_reference=f"ORDER-{index}",
                lines=[RequestedLine(sku="MUG", quantity=1)],
                codes=codes_for(index),
            )
            outcomes[index] = "recorded"
        except PricingError as error:
            outcomes[index] = "refused: " + "".join(error.errors)
        finally:
            connection.close()

    threads = [threading.Thread(target=shopper, args=(i,)) for i in range(SHOPPERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_fifty_redemptions_of_a_ten_use_coupon_use_it_ten_times(shop, make_promotion):
    promotion = make_promotion(eligibility="coupon_holders", kind="amount_off", value=Decimal("1.00"))
    Coupon.objects.create(promotion=promotion, code="TEN", max_uses=10)

    outcomes = redeem_all_at_once(codes_for=lambda i: ["TEN"])

    assert outcomes.count("recorded") == 10
    assert outcomes.count("refused: codes") == 40
    assert Coupon.objects.get(code="TEN").uses == 10
    assert Redemption.objects.filter(promotion=promotion).count() == 10


def test_fifty_redemptions_against_a_nearly_spent_budget_stay_within_it(shop, make_promotion):
    # 3.50 left at 1.00 a mug: three whole discounts and one of 0.50, then nothing.
    promotion = make_promotion(kind="amount_off", value=Decimal("1.00"), budget=Decimal("100"), max_redemptions=45)
    Promotion.objects.filter(pk=promotion.pk).update(discount_spent=Decimal("96.50"))

    outcomes = redeem_all_at_once(codes_for=lambda i: [])

    promotion.refresh_from_db()
    assert outcomes.count("recorded") == SHOPPERS  # orders go through, at full price once the budget is spent
    assert promotion.discount_spent == Decimal("100.00")
    amounts = sorted(Redemption.objects.filter(promotion=promotion).values_list("amount", flat=True))
    assert amounts == [Decimal("0.50"), Decimal("1.00"), Decimal("1.00"), Decimal("1.00")]


def test_fifty_redemptions_against_a_redemption_cap(shop, make_promotion):
    promotion = make_promotion(kind="amount_off", value=Decimal("1.00"), max_redemptions=7)

    redeem_all_at_once(codes_for=lambda i: [])

    promotion.refresh_from_db()
    assert promotion.redemptions_count == 7
    assert Redemption.objects.filter(promotion=promotion).count() == 7
