from django.contrib import admin

from apps.catalogue.models import Category, Product, ProductName
from apps.core.admin_export import CsvExportMixin


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "created_at"]
    search_fields = ["name"]


class ProductNameInline(admin.TabularInline):
    model = ProductName
    extra = 0
    can_delete = False
    fields = ["name", "first_seen_at", "last_seen_at"]
    readonly_fields = fields
    verbose_name_plural = "names over time"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(CsvExportMixin, admin.ModelAdmin):
    list_display = ["sku", "name", "kind", "price", "currency", "is_active", "stock_on_hand", "updated_at"]
    list_filter = ["kind", "is_active", "category"]
    search_fields = ["sku", "name"]
    ordering = ["sku"]
    readonly_fields = ["name_seen_at", "price_seen_at", "created_at", "updated_at"]
    inlines = [ProductNameInline]
    list_per_page = 100
    csv_fields = ("sku", "name", "kind", "price", "currency", "is_active", "stock_on_hand", "category__name")
