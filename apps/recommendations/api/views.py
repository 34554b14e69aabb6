"""Recommendations for integrations (API key or staff): any customer's list by id."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.recommendations import selectors

CARD = inline_serializer(
    "RecommendationCard",
    {
        "sku": serializers.CharField(),
        "name": serializers.CharField(),
        "price": serializers.CharField(),
        "currency": serializers.CharField(),
        "url": serializers.CharField(),
        "image": serializers.CharField(allow_null=True),
        "reason": serializers.CharField(),
        "because_of": serializers.CharField(allow_null=True),
    },
)
LIST = inline_serializer(
    "RecommendationList",
    {
        "list": serializers.CharField(),
        "run": serializers.IntegerField(allow_null=True),
        "items": CARD.__class__(many=True),
    },
)
LIMIT = OpenApiParameter("limit", int, description="how many products (1-50, default 10)")


def _limit(request) -> int:
    try:
        return max(1, min(50, int(request.query_params.get("limit", 10))))
    except ValueError:
        return 10


class CustomerRecommendationsView(APIView):
    @extend_schema(parameters=[LIMIT], responses={200: LIST})
    def get(self, request, external_id):
        run_id, items = selectors.for_customer(external_id=external_id, limit=_limit(request))
        return Response({"list": "for_you", "run": run_id, "items": items})


class SimilarProductsView(APIView):
    @extend_schema(parameters=[LIMIT], responses={200: LIST})
    def get(self, request, sku):
        run_id, items = selectors.also_bought(sku=sku, limit=_limit(request))
        return Response({"list": "also_bought", "run": run_id, "items": items})
