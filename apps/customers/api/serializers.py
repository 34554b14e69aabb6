from rest_framework import serializers

from apps.customers.models import Customer


class CustomerSerializer(serializers.ModelSerializer):
    order_count = serializers.IntegerField(read_only=True)
    net_spend = serializers.DecimalField(max_digits=16, decimal_places=3, read_only=True)
    # None for a customer without orders (the aggregates of no rows).
    first_order_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_order_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "source",
            "external_id",
            "country",
            "created_at",
            "order_count",
            "net_spend",
            "first_order_at",
            "last_order_at",
        ]
