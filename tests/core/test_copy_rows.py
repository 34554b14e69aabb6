"""rows_copy writes what bulk_create would: COPY on PostgreSQL, bulk_create elsewhere."""

import pytest
from django.db import connection

from apps.catalogue.models import Product
from apps.core.copy_rows import rows_copy
from apps.core.models import TrainingRun
from apps.customers.models import Customer
from apps.recommendations.models import CustomerRecommendation

FIELDS = ["run", "customer", "rank", "product", "score", "reason", "because_of"]


def stored():
    return list(
        CustomerRecommendation.objects.order_by("customer_id", "rank").values_list(
            "customer_id", "rank", "product_id", "score", "reason", "because_of_id"
        )
    )


@pytest.fixture
def rows():
    run = TrainingRun.objects.create(kind="recommendations")
    alice = Customer.objects.create(source="shop", external_id="alice")
    bob = Customer.objects.create(source="shop", external_id="bob")
    mug, tin = Product.objects.create(sku="10001"), Product.objects.create(sku="10002")
    return [
        (run.pk, alice.pk, 1, mug.pk, 0.5, "bought_before", None),
        (run.pk, alice.pk, 2, tin.pk, 0.25, "because_you_bought", mug.pk),
        (run.pk, bob.pk, 1, tin.pk, 1e-6, "popular", None),
    ]


def expected(rows):
    return [row[1:] for row in rows]


@pytest.mark.django_db
def test_copy_on_postgresql_stores_every_value_and_null(rows):
    assert connection.vendor == "postgresql"

    rows_copy(CustomerRecommendation, FIELDS, iter(rows))

    assert stored() == expected(rows)


@pytest.mark.django_db
def test_other_databases_get_the_same_rows_through_bulk_create(rows, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")

    rows_copy(CustomerRecommendation, FIELDS, iter(rows))

    assert stored() == expected(rows)
