"""The OpenAPI schema says what the API does: nullable fields are nullable, the 400 answers of
bodies and filtered lists are documented, and a list the API refuses empty has minItems."""

import pytest
from django.utils import timezone

from apps.core.api.schema import VALIDATION_ERROR


@pytest.fixture
def schema(staff_client):
    response = staff_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


@pytest.mark.django_db
def test_a_customer_without_orders_has_null_order_times(schema, staff_client):
    from apps.customers.models import Customer

    customer = Customer.objects.create(external_id="17850")
    fields = schema["components"]["schemas"]["Customer"]["properties"]

    body = staff_client.get(f"/api/v1/customers/{customer.pk}/").json()

    assert (body["first_order_at"], body["last_order_at"]) == (None, None)
    assert fields["first_order_at"]["nullable"] is True
    assert fields["last_order_at"]["nullable"] is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/products/", "post"),
        ("/api/v1/products/{id}/", "patch"),
        ("/api/v1/products/", "get"),
        ("/api/v1/customers/", "get"),
        ("/api/v1/categories/", "post"),
        ("/api/v1/orders/", "post"),
        ("/api/v1/orders/", "get"),
        ("/api/v1/training-runs/", "post"),
    ],
)
def test_400_answers_are_documented(schema, path, method):
    assert schema["paths"][path][method]["responses"]["400"] == VALIDATION_ERROR


@pytest.mark.django_db
def test_reads_of_one_object_document_no_400(schema):
    assert "400" not in schema["paths"]["/api/v1/products/{id}/"]["get"]["responses"]


@pytest.mark.django_db
def test_an_orders_lines_may_not_be_empty_in_the_schema_as_in_the_api(schema, staff_client):
    lines = schema["components"]["schemas"]["OrderCreateRequest"]["properties"]["lines"]
    order = {"invoice_no": "536999", "placed_at": timezone.now().isoformat(), "lines": []}

    response = staff_client.post("/api/v1/orders/", order, content_type="application/json")

    assert lines["minItems"] == 1
    assert response.status_code == 400
    assert "lines" in response.json()


@pytest.mark.django_db
def test_the_search_limits_are_documented(schema):
    search = next(p for p in schema["paths"]["/api/v1/products/"]["get"]["parameters"] if p["name"] == "search")

    assert search["description"] == (
        "Search terms, separated by spaces or commas; at most 10 terms and 200 characters (400 otherwise)."
    )
