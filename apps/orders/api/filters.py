import django_filters

from apps.orders.models import Order


class OrderFilter(django_filters.FilterSet):
    placed_after = django_filters.IsoDateTimeFilter(field_name="placed_at", lookup_expr="gte")
    placed_before = django_filters.IsoDateTimeFilter(field_name="placed_at", lookup_expr="lt")
    customer = django_filters.CharFilter(field_name="customer__external_id")

    class Meta:
        model = Order
        fields = ["source", "invoice_no", "kind", "status", "country", "import_batch"]
