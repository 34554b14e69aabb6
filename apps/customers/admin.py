import json

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from apps.core.admin_export import CsvExportMixin
from apps.customers.models import Customer
from apps.customers.privacy import customer_data_export, customer_erase, customer_reference
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
    actions = ["export_personal_data", "erase_personal_data"]

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

    # --- privacy (apps.customers.privacy) -------------------------------------------------------
    @admin.action(description="Export the selected customers' personal data (JSON)", permissions=["view"])
    def export_personal_data(self, request, queryset):
        customers = list(queryset.order_by("source", "external_id"))
        by = f"admin user {request.user.get_username()}"
        exports = [customer_data_export(customer, by=by) for customer in customers]
        for customer in customers:
            _log(request, customer.pk, customer_reference(customer), CHANGE, "Exported the customer's personal data.")
        # One customer: their document; several: a list of documents, in the list's order.
        body = json.dumps(exports[0] if len(exports) == 1 else exports, indent=2, ensure_ascii=False)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        # No external id in the file name: downloads folders and proxy logs keep names.
        response["Content-Disposition"] = f'attachment; filename="customer-data-{timezone.now():%Y%m%d-%H%M%S}.json"'
        return response

    @admin.action(description="Erase the selected customers' personal data…", permissions=["erase"])
    def erase_personal_data(self, request, queryset):
        """First a confirmation page listing the customers; its "Yes" posts back with post=yes."""
        customers = list(queryset.order_by("source", "external_id"))
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Erase personal data: are you sure?",
                "opts": self.model._meta,
                "customers": customers,
                "action": "erase_personal_data",
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            }
            request.current_app = self.admin_site.name
            return TemplateResponse(request, "admin/customers/customer/erase_confirmation.html", context)
        by = f"admin user {request.user.get_username()}"
        with transaction.atomic():
            for customer in customers:
                pk, reference = customer.pk, customer_reference(customer)  # the row is gone afterwards
                summary = customer_erase(customer, by=by)
                changes = "; ".join(f"{what}: {count}" for what, count in summary.items())
                _log(request, pk, reference, DELETION, f"Erased the customer's personal data. {changes}")
        self.message_user(request, f"Erased {len(customers)} customer(s).", messages.SUCCESS)
        return None

    def has_erase_permission(self, request):
        return request.user.has_perm(f"{self.opts.app_label}.erase_customer")


def _log(request, pk: int, reference: str, flag: int, message: str) -> None:
    """Admin history of a privacy action, naming the customer by reference, never by external id."""
    LogEntry.objects.create(
        user_id=request.user.pk,
        content_type=ContentType.objects.get_for_model(Customer),
        object_id=str(pk),
        object_repr=reference,
        action_flag=flag,
        change_message=message,
    )
