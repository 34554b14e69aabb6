from rest_framework import serializers

from apps.forecasts.models import CategoryForecast, ProductForecast, ProductForecastModel

BOUND_FIELDS = ("forecast", "lower_80", "upper_80", "lower_95", "upper_95")


class ProductForecastSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)

    class Meta:
        model = ProductForecast
        fields = ("run", "product", "sku", "period_start", "step", *BOUND_FIELDS)


class CategoryForecastSerializer(serializers.ModelSerializer):
    category_name = serializers.SerializerMethodField()

    class Meta:
        model = CategoryForecast
        fields = ("run", "category", "category_name", "period_start", "step", *BOUND_FIELDS)

    def get_category_name(self, obj) -> str:
        return obj.category.name if obj.category_id else "Uncategorised"


class ForecastModelSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    improvement = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = ProductForecastModel
        fields = (
            "run",
            "product",
            "sku",
            "model_name",
            "demand_class",
            "backtest_error",
            "baseline_error",
            "improvement",
            "history_periods",
            "selling_periods",
            "mean_demand",
        )


class ReorderSuggestionSerializer(serializers.Serializer):
    product = serializers.IntegerField(source="product.pk")
    sku = serializers.CharField(source="product.sku")
    name = serializers.CharField(source="product.name")
    stock_on_hand = serializers.IntegerField(source="product.stock_on_hand")
    lead_time_days = serializers.IntegerField()
    review_period_days = serializers.IntegerField()
    service_level = serializers.FloatField()
    lead_time_demand = serializers.FloatField()
    safety_stock = serializers.FloatField()
    reorder_point = serializers.FloatField()
    order_up_to = serializers.FloatField()
    order_quantity = serializers.IntegerField()
    reorder_now = serializers.BooleanField()
    stockout_period = serializers.DateField(allow_null=True)
