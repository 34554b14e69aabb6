from rest_framework import viewsets

from apps.customers.api.serializers import CustomerSerializer
from apps.customers.selectors import customers_with_lifetime_totals


class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    """Customers with lifetime totals. Customers are created by orders and imports."""

    queryset = customers_with_lifetime_totals()
    serializer_class = CustomerSerializer
    filterset_fields = ["source", "external_id", "country"]
    search_fields = ["external_id"]
    ordering_fields = ["external_id", "country", "created_at", "order_count", "net_spend", "last_order_at"]
    ordering = ["id"]
