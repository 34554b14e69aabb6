"""A sample storefront, as a retailer's shop would embed the widget: its server signs the
shopper's id, its pages carry one script tag and a few containers."""

from django.conf import settings
from django.db.models import Count
from django.shortcuts import get_object_or_404, render

from apps.catalogue.models import Product
from apps.customers.models import Customer
from apps.recommendations.tokens import shopper_token_for


def _demo_shopper(request) -> Customer | None:
    """The signed-in shopper of this demo shop: ?customer=ID, else its most loyal customer."""
    wanted = request.GET.get("customer")
    customers = Customer.objects.all()
    if wanted:
        return customers.filter(external_id=wanted).first()
    return customers.annotate(n=Count("orders")).order_by("-n", "id").first()


def home(request):
    shopper = _demo_shopper(request)
    featured = Product.objects.sellable().annotate(n=Count("order_lines")).order_by("-n", "id").first()
    return render(request, "storefront/home.html", _context(request, shopper, featured))


def product(request, sku):
    shopper = _demo_shopper(request)
    return render(request, "storefront/home.html", _context(request, shopper, get_object_or_404(Product, sku=sku)))


def _context(request, shopper, featured):
    return {
        "shopper": shopper,
        "token": shopper_token_for(shopper.external_id) if shopper else "",
        "featured": featured,
        "api_base": request.build_absolute_uri("/api/widget/v1/"),
        "currency": settings.STORE_CURRENCY,
    }
