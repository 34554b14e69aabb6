from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from apps.core.admin_export import CsvExportMixin
from apps.orders.models import ImportBatch, Order, OrderLine
from apps.orders.progress import import_progress_get
from apps.orders.services import import_batch_create, import_batches_expire_stale, import_upload_store
from apps.orders.tasks import import_batch_task


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fk_name = "order"
    extra = 0
    can_delete = False
    fields = ["line_number", "product", "quantity", "unit_price", "amount", "kind", "is_duplicate", "note", "cancels"]
    readonly_fields = fields
    ordering = ["line_number"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(CsvExportMixin, admin.ModelAdmin):
    list_display = ["invoice_no", "placed_at", "customer", "country", "kind", "status", "line_count", "total_amount"]
    list_filter = ["kind", "status", "source", "country"]
    search_fields = ["invoice_no", "customer__external_id"]
    date_hierarchy = "placed_at"
    list_select_related = ["customer"]
    readonly_fields = ["import_batch", "created_at", "line_count", "total_amount"]
    raw_id_fields = ["customer"]
    inlines = [OrderLineInline]
    show_full_result_count = False
    csv_fields = (
        "invoice_no",
        "placed_at",
        "customer__external_id",
        "country",
        "kind",
        "status",
        "line_count",
        "total_amount",
        "currency",
    )


class ImportUploadForm(forms.Form):
    file = forms.FileField(help_text="CSV, gzipped CSV or XLSX with the UCI Online Retail columns.")
    source = forms.CharField(max_length=32, initial="online_retail")


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "file_name",
        "status",
        "progress",
        "started_via",
        "started_by",
        "created_at",
        "duration_seconds",
        "rows_read",
        "rows_imported",
        "rows_rejected",
        "orders_created",
    ]
    list_filter = ["status", "started_via", "source"]
    search_fields = ["file_name", "file_sha256"]
    exclude = ["errors"]
    readonly_fields = [f.name for f in ImportBatch._meta.fields if f.name != "errors"] + ["progress", "rejected_rows"]

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="progress")
    def progress(self, batch):
        if batch.status == ImportBatch.Status.SUCCEEDED:
            return "100%"
        state = import_progress_get(batch_id=batch.pk) if batch.status == ImportBatch.Status.RUNNING else None
        if state:
            return format_html("{}% – {}", state["percent"], state["message"])
        return batch.get_status_display()

    @admin.display(description="rejected rows")
    def rejected_rows(self, batch):
        if not batch.errors:
            return "none"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((e["line"], e["field"], e["reason"]) for e in batch.errors),
        )
        more = ""
        if batch.rows_rejected > len(batch.errors):
            more = format_html("<p>… and {} more.</p>", batch.rows_rejected - len(batch.errors))
        return format_html(
            "<table><thead><tr><th>line</th><th>field</th><th>reason</th></tr></thead><tbody>{}</tbody></table>{}",
            rows,
            more,
        )

    def add_view(self, request, form_url="", extra_context=None):
        """The "add" page of a batch is the upload of an order log."""
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            path = import_upload_store(uploaded_file=upload)
            batch = import_batch_create(
                path=path,
                file_name=upload.name,
                source=form.cleaned_data["source"],
                via=ImportBatch.Via.ADMIN,
                user=request.user,
            )
            import_batch_task.delay_on_commit(batch.pk)  # runs on a worker once the batch is committed
            messages.info(request, f"Import of {upload.name} queued as batch {batch.pk}.")
            return redirect(reverse("admin:orders_importbatch_change", args=[batch.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import an order log",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/orders/importbatch/upload.html", context)

    # A batch whose importer died is shown failed, not running.
    def changelist_view(self, request, extra_context=None):
        import_batches_expire_stale()
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        import_batches_expire_stale()
        batch = self.get_object(request, object_id)
        running = batch is not None and batch.status in (ImportBatch.Status.QUEUED, ImportBatch.Status.RUNNING)
        extra_context = {**(extra_context or {}), "auto_refresh": running}
        return super().change_view(request, object_id, form_url, extra_context)
