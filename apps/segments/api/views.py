"""Segments for integrations and promotions: profiles of the active run, every customer's
scores (filterable, also by saved segment), movement between runs, saved segments."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.training.selectors import active_run_id
from apps.segments import selectors
from apps.segments.api.serializers import CustomerSegmentSerializer, SavedSegmentSerializer
from apps.segments.ml.rfm import SEGMENTS
from apps.segments.models import CustomerSegment, SavedSegment

PROFILE = inline_serializer(
    "SegmentProfile",
    {
        "segment": serializers.CharField(),
        "label": serializers.CharField(),
        "customers": serializers.IntegerField(),
        "customer_share": serializers.FloatField(),
        "revenue": serializers.DecimalField(max_digits=20, decimal_places=3),
        "revenue_share": serializers.FloatField(),
        "mean_r": serializers.FloatField(),
        "mean_f": serializers.FloatField(),
        "mean_m": serializers.FloatField(),
        "mean_predicted_value": serializers.DecimalField(max_digits=16, decimal_places=2),
        "mean_probability_alive": serializers.FloatField(),
    },
)
CLUSTER = inline_serializer(
    "SegmentClusterProfile",
    {
        "number": serializers.IntegerField(),
        "name": serializers.CharField(),
        "description": serializers.CharField(),
        "customers": serializers.IntegerField(),
        "customer_share": serializers.FloatField(),
        "revenue": serializers.DecimalField(max_digits=20, decimal_places=3),
        "profile": serializers.DictField(child=serializers.FloatField()),
    },
)
PROFILES = inline_serializer(
    "SegmentProfiles",
    {
        "run": serializers.IntegerField(allow_null=True),
        "segments": PROFILE.__class__(many=True),
        "clusters": CLUSTER.__class__(many=True),
    },
)
MOVEMENT = inline_serializer(
    "SegmentMovement",
    {
        "from_run": serializers.IntegerField(),
        "to_run": serializers.IntegerField(),
        "segments": serializers.ListField(child=serializers.CharField()),
        "matrix": serializers.ListField(child=serializers.ListField(child=serializers.IntegerField())),
        "arrived": serializers.DictField(child=serializers.IntegerField()),
        "gone": serializers.DictField(child=serializers.IntegerField()),
    },
)
PROFILE_FIELDS = (
    "segment",
    "label",
    "customers",
    "customer_share",
    "revenue",
    "revenue_share",
    "mean_r",
    "mean_f",
    "mean_m",
    "mean_predicted_value",
    "mean_probability_alive",
)


class SegmentProfilesView(APIView):
    @extend_schema(responses={200: PROFILES})
    def get(self, request):
        run_id = active_run_id(kind=selectors.KIND)
        if run_id is None:
            return Response({"run": None, "segments": [], "clusters": []})
        segments = [
            {field: row[field] for field in PROFILE_FIELDS} for row in selectors.segment_profiles(run_id=run_id)
        ]
        return Response({"run": run_id, "segments": segments, "clusters": selectors.cluster_profiles(run_id=run_id)})


class SegmentMovementView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("from_run", int, description="the earlier run (default: the one before the active run)"),
            OpenApiParameter("to_run", int, description="the later run (default: the active run)"),
        ],
        responses={200: MOVEMENT},
    )
    def get(self, request):
        to_run = _run_parameter(request, "to_run") or active_run_id(kind=selectors.KIND)
        if to_run is None:
            raise NotFound("No segments run is active yet.")
        from_run = _run_parameter(request, "from_run") or selectors.previous_run_id(run_id=to_run)
        if from_run is None:
            raise NotFound("Movement needs two kept segments runs; there is only one.")
        return Response(selectors.segment_movement(from_run_id=from_run, to_run_id=to_run))


def _run_parameter(request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    kept = {run.pk for run in selectors.comparable_runs()}
    try:
        run_id = int(value)
    except ValueError:
        raise ValidationError({name: ["A training run id (a whole number)."]}) from None
    if run_id not in kept:
        raise ValidationError({name: [f"Run {run_id} is not a succeeded segments run whose results are kept."]})
    return run_id


class CustomerSegmentFilter(filters.FilterSet):
    customer = filters.CharFilter(field_name="customer__external_id", help_text="the customer's external id")
    source = filters.CharFilter(field_name="customer__source")
    segment = filters.MultipleChoiceFilter(choices=[(name, name) for name in SEGMENTS])
    cluster = filters.NumberFilter()
    min_predicted_value = filters.NumberFilter(field_name="predicted_value", lookup_expr="gte")
    min_probability_alive = filters.NumberFilter(field_name="probability_alive", lookup_expr="gte")
    max_probability_alive = filters.NumberFilter(field_name="probability_alive", lookup_expr="lte")


class CustomerSegmentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every customer's scores in the active segments run."""

    serializer_class = CustomerSegmentSerializer
    filterset_class = CustomerSegmentFilter
    search_fields = ["customer__external_id"]
    ordering_fields = ["predicted_value", "probability_alive", "monetary", "recency_days", "frequency"]
    ordering = ["customer_id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no database read
            return CustomerSegment.objects.none()
        return selectors.customer_segments_current().select_related("customer")


class SavedSegmentViewSet(viewsets.ModelViewSet):
    """Named audiences (RFM segments, clusters, value thresholds) that promotions target."""

    queryset = SavedSegment.objects.all()
    serializer_class = SavedSegmentSerializer
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]

    def perform_create(self, serializer):
        user = self.request.user if self.request.user.is_authenticated else None
        serializer.save(created_by=user)

    @extend_schema(responses={200: CustomerSegmentSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def members(self, request, pk=None):
        """The customers the segment selects in the active run."""
        rows = selectors.saved_segment_members(self.get_object()).select_related("customer").order_by("customer_id")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(CustomerSegmentSerializer(page, many=True).data)
