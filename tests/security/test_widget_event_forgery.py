"""Widget events count only for lists that were served: each list carries a signed impression
id naming its list, run and products, and an event must present one and name a product in it,
else the batch is refused (400) and nothing is recorded."""

import json
import time
from decimal import Decimal
from unittest import mock

import pytest

from apps.catalogue.models import Product
from apps.core.models import TrainingRun
from apps.recommendations.models import PopularProduct, ProductAlsoBought, TrendingProduct, WidgetEvent
from apps.recommendations.widget.impressions import impression_sign


@pytest.fixture
def served(db, client):
    """The trending list of an active run (3 of its 4 products), as the widget received it."""
    run = TrainingRun.objects.create(kind="recommendations", status="succeeded", is_active=True)
    products = [
        Product.objects.create(sku=sku, name=f"LANTERN {rank}", price=Decimal("2.50"))
        for rank, sku in enumerate(["22001", "22002", "22003", "22004"], start=1)
    ]
    for rank, product in enumerate(products, start=1):
        TrendingProduct.objects.create(run=run, rank=rank, product=product, score=1.0 / rank)
        PopularProduct.objects.create(run=run, country="", rank=rank, product=product, customers=10 - rank)
    for rank, other in enumerate(products[1:], start=1):
        ProductAlsoBought.objects.create(run=run, product=products[0], rank=rank, other=other, score=1.0 / rank)
    body = client.get("/api/widget/v1/trending", {"limit": 3}).json()
    assert ([item["sku"] for item in body["items"]], body["run"]) == (["22001", "22002", "22003"], run.pk)
    return body


def post(client, *events):
    return client.post(
        "/api/widget/v1/events", json.dumps({"session": "visit-1", "events": list(events)}), content_type="text/plain"
    )


def test_events_on_a_served_list_are_recorded_with_its_list_and_run(client, served):
    impression = served["impression"]

    response = post(
        client,
        {"type": "impression", "sku": "22001", "impression": impression},
        {"type": "impression", "sku": "22002", "impression": impression},
        {"type": "click", "sku": "22002", "impression": impression},
    )

    assert (response.status_code, response.json()) == (202, {"recorded": 3})
    assert sorted(WidgetEvent.objects.values_list("kind", "list_name", "run_id", "product__sku", "session")) == [
        ("click", "trending", served["run"], "22002", "visit-1"),
        ("impression", "trending", served["run"], "22001", "visit-1"),
        ("impression", "trending", served["run"], "22002", "visit-1"),
    ]


@pytest.mark.parametrize(
    ("event", "detail"),
    [
        ({"type": "click", "sku": "22001"}, "Event 1: a valid impression id of a served list is required."),
        (
            {"type": "click", "sku": "22001", "impression": "eyJsIjoidHJlbmRpbmcifQ:1abc:forged"},
            "Event 1: a valid impression id of a served list is required.",
        ),
        (
            {"type": "click", "sku": "22004", "impression": "SERVED"},
            "Event 1: product '22004' was not in the list this impression id names.",
        ),
        ({"type": "hover", "sku": "22001", "impression": "SERVED"}, "Event 1: type must be one of impression, click."),
        ("click", "Event 1: an event is an object."),
    ],
)
def test_a_forged_event_refuses_the_whole_batch(client, served, event, detail):
    if isinstance(event, dict) and event.get("impression") == "SERVED":
        event = {**event, "impression": served["impression"]}

    response = post(client, {"type": "impression", "sku": "22001", "impression": served["impression"]}, event)

    assert (response.status_code, response.json()) == (400, {"detail": detail})
    assert not WidgetEvent.objects.exists()


def test_an_impression_id_cannot_be_edited_to_claim_another_product(client, served):
    _, timestamp, signature = served["impression"].rsplit(":", 2)
    claimed = impression_sign(list_name="trending", run_id=served["run"], skus=["22004"]).rsplit(":", 2)[0]
    edited = f"{claimed}:{timestamp}:{signature}"  # another payload under the served list's signature

    response = post(client, {"type": "click", "sku": "22004", "impression": edited})

    assert (response.status_code, response.json()) == (
        400,
        {"detail": "Event 0: a valid impression id of a served list is required."},
    )
    assert not WidgetEvent.objects.exists()


def test_an_impression_id_expires_after_a_day(client, served):
    with mock.patch("time.time", return_value=time.time() + 24 * 60 * 60 + 5):
        response = post(client, {"type": "click", "sku": "22001", "impression": served["impression"]})

    assert (response.status_code, response.json()) == (400, {"detail": "Event 0: the impression id has expired."})


@pytest.mark.parametrize(
    ("path", "params", "list_name", "skus"),
    [
        ("for-you", {"limit": 2}, "for_you", ["22001", "22002"]),
        ("also-bought", {"product": "22001", "limit": 2}, "also_bought", ["22002", "22003"]),
    ],
)
def test_every_list_carries_its_impression_id(client, served, path, params, list_name, skus):
    body = client.get(f"/api/widget/v1/{path}", params).json()
    assert [item["sku"] for item in body["items"]] == skus

    response = post(client, *({"type": "impression", "sku": sku, "impression": body["impression"]} for sku in skus))

    assert (response.status_code, response.json()) == (202, {"recorded": 2})
    assert set(WidgetEvent.objects.values_list("list_name", "run_id")) == {(list_name, served["run"])}
