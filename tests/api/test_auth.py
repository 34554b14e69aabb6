"""Nobody reads or writes without a staff session or an integration key of the right scope."""

import pytest

from apps.core.models import IntegrationKey

ENDPOINTS = [
    "/api/v1/products/",
    "/api/v1/categories/",
    "/api/v1/customers/",
    "/api/v1/orders/",
    "/api/v1/import-batches/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ENDPOINTS)
def test_anonymous_callers_get_no_data(client, url):
    response = client.get(url)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ENDPOINTS)
def test_read_key_and_staff_session_can_list(client, staff_client, api_keys, url):
    assert client.get(url, HTTP_X_API_KEY=api_keys["read"]).status_code == 200
    assert staff_client.get(url).status_code == 200


@pytest.mark.django_db
def test_wrong_revoked_and_non_staff_callers_are_refused(client, api_keys, django_user_model):
    wrong = client.get("/api/v1/orders/", HTTP_X_API_KEY="nope.nope")
    assert (wrong.status_code, wrong.json()) == (401, {"detail": "Invalid or revoked API key."})
    IntegrationKey.objects.filter(name="reader").update(revoked=True)
    assert client.get("/api/v1/orders/", HTTP_X_API_KEY=api_keys["read"]).status_code == 401
    shopper = django_user_model.objects.create_user("shopper", password="x-pass-123456")
    client.force_login(shopper)
    assert client.get("/api/v1/orders/").status_code == 403


@pytest.mark.django_db
def test_read_key_cannot_write_and_read_write_key_can(client, api_keys):
    payload = {"sku": "90001", "name": "NEW LANTERN", "price": "4.50"}

    refused = client.post(
        "/api/v1/products/", payload, content_type="application/json", HTTP_X_API_KEY=api_keys["read"]
    )
    created = client.post(
        "/api/v1/products/", payload, content_type="application/json", HTTP_X_API_KEY=api_keys["write"]
    )

    assert refused.status_code == 403
    assert refused.json() == {"detail": "This API key is read-only."}
    assert created.status_code == 201
    assert created.json()["sku"] == "90001"


@pytest.mark.django_db
def test_keys_are_stored_hashed(api_keys):
    stored = IntegrationKey.objects.get(name="writer")
    assert api_keys["write"] not in stored.hashed_key
    assert stored.hashed_key.startswith("sha512$$")
    assert stored.scope == "read_write"
