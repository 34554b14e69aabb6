from django.db.models import Count, DecimalField, Max, Min, Q, Sum, Value
from django.db.models.functions import Coalesce

from apps.customers.models import Customer
from apps.orders.models import Order


def customers_with_lifetime_totals():
    """Customers annotated with their sales count, net spend (sales minus cancellations)
    and first and last order times."""
    return Customer.objects.annotate(
        order_count=Count("orders", filter=Q(orders__kind=Order.Kind.SALE)),
        net_spend=Coalesce(
            Sum("orders__total_amount"), Value(0), output_field=DecimalField(max_digits=16, decimal_places=3)
        ),
        first_order_at=Min("orders__placed_at"),
        last_order_at=Max("orders__placed_at"),
    )
