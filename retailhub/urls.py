from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.core.health import HealthView, ReadyView
from apps.recommendations import storefront

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("retailhub.api_urls")),
    path("api/widget/v1/", include("apps.recommendations.widget.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", HealthView.as_view(), name="healthz"),
    path("readyz", ReadyView.as_view(), name="readyz"),
]

if settings.STOREFRONT_DEMO:
    # The sample shop signs a token for any shopper it is asked about: a demo, never production.
    urlpatterns += [
        path("storefront/", storefront.home, name="storefront"),
        path("storefront/products/<str:sku>/", storefront.product, name="storefront-product"),
    ]

if settings.BENCHMARK_PEER_VIEW:
    from apps.core.views import constant_json

    urlpatterns.append(path("bench/constant", constant_json))

admin.site.site_header = "RetailHub back-office"
admin.site.site_title = "RetailHub"
admin.site.index_title = "Catalogue, customers and orders"
