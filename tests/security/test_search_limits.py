"""?search= on the API's lists holds at most 10 terms and 200 characters; more is a 400 naming
the parameter, before any query runs."""

from decimal import Decimal

import pytest

from apps.catalogue.models import Product

SEARCHED = ["/api/v1/products/", "/api/v1/categories/", "/api/v1/customers/", "/api/v1/orders/", "/api/v1/promotions/"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", SEARCHED)
def test_too_many_terms_are_refused(staff_client, url, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # the session and its user: no search query
        response = staff_client.get(url, {"search": " ".join(f"term{n}" for n in range(3000))})

    assert (response.status_code, response.json()) == (400, {"search": ["At most 200 characters."]})
    eleven = staff_client.get(url, {"search": "a b c d e f g h i j k"})
    assert (eleven.status_code, eleven.json()) == (400, {"search": ["At most 10 search terms."]})


@pytest.mark.django_db
def test_searches_within_the_limits_still_work(staff_client):
    Product.objects.create(sku="85123A", name="WHITE HANGING HEART T-LIGHT HOLDER", price=Decimal("2.55"))
    Product.objects.create(sku="71053", name="WHITE METAL LANTERN", price=Decimal("3.39"))

    ten_terms = staff_client.get("/api/v1/products/", {"search": "white hanging heart t-light holder a b c d e"})
    two_terms = staff_client.get("/api/v1/products/", {"search": "white, lantern"})
    longest = staff_client.get("/api/v1/products/", {"search": "x" * 200})

    assert (ten_terms.status_code, ten_terms.json()["count"]) == (200, 0)
    assert [product["sku"] for product in two_terms.json()["results"]] == ["71053"]
    assert (longest.status_code, longest.json()["count"]) == (200, 0)


@pytest.mark.django_db
def test_lists_without_search_ignore_the_parameter(staff_client):
    assert staff_client.get("/api/v1/import-batches/", {"search": "x " * 500}).status_code == 200
