from django.urls import path
from rest_framework.routers import DefaultRouter

from apps.catalogue.api.views import CategoryViewSet, ProductViewSet
from apps.core.api.views import TrainingRunViewSet
from apps.customers.api.views import CustomerViewSet
from apps.forecasts.api.views import (
    CategoryForecastViewSet,
    ForecastModelViewSet,
    ProductForecastViewSet,
    ReorderListView,
)
from apps.orders.api.views import ImportBatchViewSet, OrderViewSet
from apps.promotions.api.views import PromotionViewSet, QuoteView, RedeemView
from apps.recommendations.api.views import CustomerRecommendationsView, SimilarProductsView
from apps.segments.api.views import (
    CustomerSegmentViewSet,
    SavedSegmentViewSet,
    SegmentMovementView,
    SegmentProfilesView,
)

router = DefaultRouter()
router.register("categories", CategoryViewSet)
router.register("products", ProductViewSet)
router.register("customers", CustomerViewSet)
router.register("orders", OrderViewSet)
router.register("import-batches", ImportBatchViewSet)
router.register("training-runs", TrainingRunViewSet)
router.register("customer-segments", CustomerSegmentViewSet, basename="customer-segment")
router.register("saved-segments", SavedSegmentViewSet)
router.register("forecasts/products", ProductForecastViewSet, basename="product-forecast")
router.register("forecasts/categories", CategoryForecastViewSet, basename="category-forecast")
router.register("promotions", PromotionViewSet)
router.register("forecasts/models", ForecastModelViewSet, basename="forecast-model")

urlpatterns = [
    path(
        "recommendations/customers/<str:external_id>/",
        CustomerRecommendationsView.as_view(),
        name="customer-recommendations",
    ),
    path("recommendations/products/<str:sku>/similar/", SimilarProductsView.as_view(), name="similar-products"),
    path("segments/", SegmentProfilesView.as_view(), name="segment-profiles"),
    path("segments/movement/", SegmentMovementView.as_view(), name="segment-movement"),
    path("pricing/quote", QuoteView.as_view(), name="pricing-quote"),
    path("pricing/redeem", RedeemView.as_view(), name="pricing-redeem"),
    path("forecasts/reorder/", ReorderListView.as_view(), name="reorder-list"),
    *router.urls,
]
