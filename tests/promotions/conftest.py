import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.catalogue.models import Category, Product
from apps.customers.models import Customer
from apps.promotions.models import Promotion


@pytest.fixture
def shop(db):
    """A tiny shop: mugs under kitchen, a poster, a gift card, two customers (one has ordered)."""
    from apps.orders.models import Order

    home = Category.objects.create(name="Home")
    kitchen = Category.objects.create(name="Kitchen", parent=home)
    Product.objects.create(sku="MUG", name="Mug", price=Decimal("4.00"), category=kitchen)
    Product.objects.create(sku="JUG", name="Jug", price=Decimal("12.50"), category=kitchen)
    Product.objects.create(sku="POSTER", name="Poster", price=Decimal("7.99"))
    Product.objects.create(sku="BAG", name="Tote bag", price=Decimal("3.00"))
    regular = Customer.objects.create(external_id="C1", source="online_retail")
    Customer.objects.create(external_id="C2", source="online_retail")
    Order.objects.create(invoice_no="1", placed_at=timezone.now() - datetime.timedelta(days=30), customer=regular)
    return {"home": home, "kitchen": kitchen}


@pytest.fixture
def make_promotion(db):
    def make(*, products=(), categories=(), **fields):
        defaults = {
            "name": "Promo",
            "kind": Promotion.Kind.PERCENT_OFF,
            "value": Decimal("10"),
            "starts_at": timezone.now() - datetime.timedelta(days=1),
            "status": Promotion.Status.ACTIVE,
        }
        promotion = Promotion.objects.create(**{**defaults, **fields})
        if products:
            promotion.products.set(Product.objects.filter(sku__in=products))
        if categories:
            promotion.categories.set(categories)
        return promotion

    return make


@pytest.fixture
def artifacts(tmp_path, settings):
    settings.TRAINING_ARTIFACT_DIR = tmp_path / "artifacts"
    return settings.TRAINING_ARTIFACT_DIR
