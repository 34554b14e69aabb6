from rest_framework import serializers

from apps.segments.ml.rfm import SEGMENTS
from apps.segments.models import CustomerSegment, SavedSegment


class CustomerSegmentSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.external_id")
    source = serializers.CharField(source="customer.source")

    class Meta:
        model = CustomerSegment
        fields = ["customer", "source", "run", *CustomerSegment.SCORE_FIELDS]


class SavedSegmentSerializer(serializers.ModelSerializer):
    rfm_segments = serializers.ListField(
        child=serializers.ChoiceField(choices=SEGMENTS), required=False, help_text="Any of these RFM segments."
    )
    clusters = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=1000), required=False, help_text="Any of these clusters."
    )
    min_probability_alive = serializers.FloatField(min_value=0, max_value=1, required=False, allow_null=True)
    max_probability_alive = serializers.FloatField(min_value=0, max_value=1, required=False, allow_null=True)
    min_predicted_value = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )

    class Meta:
        model = SavedSegment
        fields = [
            "id",
            "name",
            "description",
            "rfm_segments",
            "clusters",
            "min_predicted_value",
            "min_probability_alive",
            "max_probability_alive",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def validate(self, attrs):
        low = attrs.get("min_probability_alive", getattr(self.instance, "min_probability_alive", None))
        high = attrs.get("max_probability_alive", getattr(self.instance, "max_probability_alive", None))
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"max_probability_alive": ["Must be at least min_probability_alive."]})
        return attrs
