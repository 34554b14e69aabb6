from rest_framework import mixins, viewsets

from apps.catalogue.api.filters import ProductFilter
from apps.catalogue.api.serializers import CategorySerializer, ProductSerializer
from apps.catalogue.models import Category, Product


class CategoryViewSet(viewsets.ModelViewSet):
    queryset = Category.objects.all()
    serializer_class = CategorySerializer
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]
    filterset_fields = ["parent"]
    http_method_names = ["get", "post", "patch", "head", "options"]


class ProductViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The catalogue. Integrations keep names, prices, stock and the active flag current;
    products are never deleted because orders refer to them (deactivate instead)."""

    queryset = Product.objects.all()
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    search_fields = ["sku", "name"]
    ordering_fields = ["sku", "name", "price", "created_at", "updated_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]
