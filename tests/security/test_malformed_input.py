"""NUL characters and deeply nested JSON are refused with a 400 that names the problem, on the
public widget and on the API, never a server error."""

import json

import pytest

from apps.catalogue.models import Product

NUL_IN_URL = {"detail": "The URL holds a NUL character (%00)."}
TOO_DEEP = "JSON nested deeper than 32 levels is not accepted."
HAS_NUL = "JSON text holding a NUL character (\\u0000) is not accepted."


def nested(depth: int) -> list:
    value = []
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/widget/v1/also-bought?product=%00",
        "/api/widget/v1/for-you?token=%00",
        "/api/widget/v1/for-you?token=x&clicked=85123A,%00",
        "/api/widget/v1/trending?limit=%00",
        "/api/widget/v1/trending?%00=1",
    ],
)
def test_nul_in_widget_query_parameters(client, url):
    response = client.get(url)

    assert (response.status_code, response.json()) == (400, NUL_IN_URL)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/api/v1/products/%00/", "/api/v1/products/?search=%00", "/api/v1/customers/?country=a%00"]
)
def test_nul_in_api_paths_and_queries(staff_client, url):
    response = staff_client.get(url)

    assert (response.status_code, response.json()) == (400, NUL_IN_URL)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ('{"session": "a\\u0000b", "events": []}', HAS_NUL),
        ('{"session": "s", "events": [{"type": "click", "sku": "\\u0000", "impression": "x"}]}', HAS_NUL),
        ('{"session": "s", "events": [{"type\\u0000": "click"}]}', HAS_NUL),
        ('{"events": ' + "[" * 50_000 + "]" * 50_000 + "}", TOO_DEEP),
        (json.dumps({"events": nested(40)}), TOO_DEEP),
    ],
)
def test_nul_and_deep_nesting_in_widget_events(client, body, detail):
    response = client.post("/api/widget/v1/events", body, content_type="text/plain")

    assert (response.status_code, response.json()) == (400, {"detail": detail})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ('{"sku": "90001", "name": "LAMP\\u0000", "price": "1.00"}', HAS_NUL),
        ('{"sku": "90001", "name": "LAMP", "price": "1.00", "x": {"\\u0000": 1}}', HAS_NUL),
        ('{"sku": "90001", "x": ' + "[" * 50_000 + "]" * 50_000 + "}", TOO_DEEP),
        (json.dumps({"sku": "90001", "x": nested(32)}), TOO_DEEP),
    ],
)
def test_nul_and_deep_nesting_in_api_bodies(staff_client, body, detail):
    response = staff_client.post("/api/v1/products/", body, content_type="application/json")

    assert (response.status_code, response.json()) == (400, {"detail": detail})
    assert not Product.objects.exists()


@pytest.mark.django_db
def test_nesting_up_to_the_limit_is_accepted(staff_client):
    # The body object is level 1, so 31 more levels under it make 32.
    body = {"sku": "90001", "name": "LAMP", "price": "1.00", "ignored": nested(31)}

    response = staff_client.post("/api/v1/products/", body, content_type="application/json")

    assert response.status_code == 201
