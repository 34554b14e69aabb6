"""Promotions through /api/v1/promotions/: every bad definition is a 400 naming the field and
saves nothing; status moves as staff expect; coupons are generated unique."""

import pytest

from apps.promotions.models import Coupon, Promotion

URL = "/api/v1/promotions/"
VALID = {
    "name": "Spring",
    "kind": "percent_off",
    "value": "10",
    "starts_at": "2026-03-01T00:00:00Z",
    "ends_at": "2026-03-31T00:00:00Z",
}


@pytest.fixture
def post(client, api_keys):
    def call(url, body=None):
        return client.post(url, body or {}, content_type="application/json", HTTP_X_API_KEY=api_keys["write"])

    return call


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"value": "-5"}, "value", "A discount cannot be negative."),
        ({"value": "120"}, "value", "A percentage cannot exceed 100."),
        ({"ends_at": "2026-02-01T00:00:00Z"}, "ends_at", "The end must come after the start."),
        (
            {"kind": "buy_x_get_y", "value": "100", "get_quantity": 1},
            "buy_quantity",
            "Buy X get Y needs X (at least 1).",
        ),
        ({"kind": "free_gift"}, "gift_product", "A free gift promotion needs the gift product."),
        ({"scope": "products"}, "products", "Choose the products the promotion covers."),
        ({"eligibility": "segment"}, "saved_segment", "Choose the saved segment the promotion is for."),
        ({"holdout_percent": "95"}, "holdout_percent", "Ensure this value is less than or equal to 90."),
    ],
)
def test_bad_definitions_are_400_naming_the_field(shop, post, change, field, message):
    response = post(URL, {**VALID, **change})
    assert response.status_code == 400
    assert response.json()[field] == [message]
    assert Promotion.objects.count() == 0


def test_overlapping_exclusive_promotions_of_equal_priority_are_refused(shop, post):
    first = post(URL, {**VALID, "exclusive": True, "scope": "categories", "categories": [shop["kitchen"].pk]})
    assert first.status_code == 201
    clash = post(URL, {**VALID, "name": "Mugs", "exclusive": True, "scope": "products", "products": ["MUG"]})
    assert clash.status_code == 400
    assert clash.json()["priority"][0].startswith(f"Exclusive promotion 'Spring' (id {first.json()['id']})")
    elsewhere = post(URL, {**VALID, "name": "Posters", "exclusive": True, "scope": "products", "products": ["POSTER"]})
    assert elsewhere.status_code == 201


def test_status_moves_draft_active_paused_stopped(shop, post):
    promotion = post(URL, VALID).json()
    detail = f"{URL}{promotion['id']}/"
    assert promotion["status"] == "draft"
    assert post(detail + "activate/").json()["status"] == "active"
    assert post(detail + "pause/").json()["status"] == "paused"
    assert post(detail + "resume/").json()["status"] == "active"
    assert post(detail + "stop/").json()["status"] == "stopped"
    again = post(detail + "resume/")
    assert again.status_code == 409
    assert again.json() == {"status": ["a stopped promotion cannot resume"]}


def test_coupons_are_generated_unique_with_prefix_and_uses(shop, post):
    promotion = post(URL, {**VALID, "eligibility": "coupon_holders"}).json()
    response = post(f"{URL}{promotion['id']}/coupons/", {"count": 200, "max_uses": 3, "prefix": "spring-"})
    assert response.status_code == 201
    codes = [c["code"] for c in response.json()]
    assert len(set(codes)) == 200
    assert all(code.startswith("SPRING-") and len(code) == 17 for code in codes)
    assert set(Coupon.objects.values_list("max_uses", flat=True)) == {3}
    assert post(f"{URL}{promotion['id']}/coupons/", {"count": 0}).status_code == 400
