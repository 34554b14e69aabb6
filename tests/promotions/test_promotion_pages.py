"""Marketing staff's promotion pages: the results page with its charts and buttons, coupon
generation downloading the codes, and the form refusing a bad definition."""

import datetime
from decimal import Decimal

from django.utils import timezone

from apps.promotions.models import Coupon, Promotion


def test_results_page_draws_charts_and_moves_status(staff_client, shop, make_promotion):
    promotion = make_promotion(budget=Decimal("50"), holdout_percent=Decimal("20"), kind="amount_off", value="1")
    staff_client.post(
        "/api/v1/pricing/redeem",
        {"order_reference": "R1", "lines": [{"sku": "MUG", "quantity": 2}]},
        content_type="application/json",
    )

    page = staff_client.get(f"/admin/promotions/promotion/{promotion.pk}/results/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<title>Redemptions per day</title>" in html
    assert "<title>Discount given against budget</title>" in html
    assert "2.00 of a 50.00 budget" in html

    paused = staff_client.post(f"/admin/promotions/promotion/{promotion.pk}/status/pause/", follow=True)
    assert paused.status_code == 200
    promotion.refresh_from_db()
    assert promotion.status == Promotion.Status.PAUSED


def test_coupon_generation_downloads_the_codes(staff_client, make_promotion, shop):
    promotion = make_promotion(eligibility="coupon_holders")
    response = staff_client.post(
        f"/admin/promotions/promotion/{promotion.pk}/coupons/", {"count": 5, "max_uses": 2, "prefix": "vip"}
    )
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "code,max_uses,expires_at"
    assert sorted(line.split(",")[0] for line in lines[1:]) == sorted(Coupon.objects.values_list("code", flat=True))
    assert len(lines) == 6 and all(line.startswith("VIP") for line in lines[1:])


def test_the_form_refuses_an_end_before_the_start(staff_client, shop):
    start = timezone.now()
    response = staff_client.post(
        "/admin/promotions/promotion/add/",
        {
            "name": "Backwards",
            "status": "draft",
            "kind": "percent_off",
            "value": "10",
            "min_spend": "0",
            "buy_quantity": "0",
            "get_quantity": "0",
            "scope": "everything",
            "eligibility": "everyone",
            "holdout_percent": "0",
            "starts_at_0": start.strftime("%Y-%m-%d"),
            "starts_at_1": "10:00:00",
            "ends_at_0": (start - datetime.timedelta(days=1)).strftime("%Y-%m-%d"),
            "ends_at_1": "10:00:00",
            "priority": "0",
        },
    )
    assert response.status_code == 200
    assert "The end must come after the start." in response.content.decode()
    assert not Promotion.objects.exists()
