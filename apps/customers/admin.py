from django.contrib import admin

from apps.core.admin_export import CsvExportMixin
from apps.customers.models import Customer
from apps.customers.selectors import customers_with_lifetime_totals
from apps.orders.models import Order


class CustomerOrderInline(admin.TabularInline):
    model = Order
    extra = 0
    can_delete = False
    fields = ["invoice_no", "placed_at", "kind", "status", "line_count", "total_amount", "country"]
    readonly_fields = fields
    ordering = ["-placed_at"]
    show_change_link = True
    verbose_name_plural = "orders"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(CsvExportMixin, admin.ModelAdmin):
    list_display = ["external_id", "source", "country", "order_count", "net_spend", "first_order_at", "last_order_at"]
    list_filter = ["source", "country"]
    search_fields = ["external_id"]
    readonly_fields = ["order_count", "net_spend", "first_order_at", "last_order_at", "created_at", "country_seen_at"]
    inlines = [CustomerOrderInline]
    csv_fields = ("external_id", "source", "country", "order_count", "net_spend", "first_order_at", "last_order_at")

    def get_queryset(self, request):
        return customers_with_lifetime_totals()

    @admin.display(description="sales", ordering="order_count")
    def order_count(self, obj):
        return obj.order_count

    @admin.display(description="lifetime net spend", ordering="net_spend")
    def net_spend(self, obj):
        return obj.net_spend

    @admin.display(description="first order", ordering="first_order_at")
    def first_order_at(self, obj):
        return obj.first_order_at

    @admin.display(description="last order", ordering="last_order_at")
    def last_order_at(self, obj):
        return obj.last_order_at
