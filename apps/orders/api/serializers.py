from decimal import Decimal

from rest_framework import serializers

from apps.catalogue.models import Product
from apps.customers.models import Customer
from apps.orders.importing.rows import PRICE_LIMIT, QUANTITY_LIMIT
from apps.orders.invoice_kinds import CANCELLATION, kind_of_invoice
from apps.orders.models import ImportBatch, Order, OrderLine
from apps.orders.progress import import_progress_get

# One request's work stays bounded: an order sent through the API holds at most this many
# lines (the largest invoice of the UCI log has 1,114).
MAX_ORDER_LINES = 2_000


def _max_length(model, field_name: str) -> int:
    return model._meta.get_field(field_name).max_length


class OrderLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    amount = serializers.DecimalField(max_digits=16, decimal_places=3, read_only=True)

    class Meta:
        model = OrderLine
        fields = ["line_number", "sku", "quantity", "unit_price", "amount", "kind", "is_duplicate", "note", "cancels"]


class OrderSerializer(serializers.ModelSerializer):
    # A guest order has no customer: null, as the schema says.
    customer = serializers.CharField(source="customer.external_id", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "source",
            "invoice_no",
            "kind",
            "status",
            "placed_at",
            "customer",
            "country",
            "currency",
            "total_amount",
            "line_count",
            "import_batch",
            "created_at",
        ]


class OrderDetailSerializer(OrderSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "lines"]


class NewOrderLineSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=_max_length(Product, "sku"))
    quantity = serializers.IntegerField(min_value=-QUANTITY_LIMIT, max_value=QUANTITY_LIMIT)
    unit_price = serializers.DecimalField(
        max_digits=12, decimal_places=3, min_value=Decimal("0"), max_value=PRICE_LIMIT - Decimal("0.001")
    )

    def validate_quantity(self, value):
        if value == 0:
            raise serializers.ValidationError("Must not be zero.")
        return value


class OrderCreateSerializer(serializers.Serializer):
    source = serializers.CharField(max_length=_max_length(Order, "source"), default="api")
    invoice_no = serializers.CharField(max_length=_max_length(Order, "invoice_no"))
    placed_at = serializers.DateTimeField()
    customer = serializers.CharField(
        max_length=_max_length(Customer, "external_id"), required=False, allow_blank=True, default=""
    )
    country = serializers.CharField(
        max_length=min(_max_length(Order, "country"), _max_length(Customer, "country")),
        required=False,
        allow_blank=True,
        default="",
    )
    # The count is checked before any line is validated.
    lines = NewOrderLineSerializer(many=True, allow_empty=False, max_length=MAX_ORDER_LINES)

    def validate_lines(self, lines):
        skus = {line["sku"] for line in lines}
        known = set(Product.objects.filter(sku__in=skus).values_list("sku", flat=True))
        # Keyed by line index, the way DRF reports errors of nested lines.
        errors = {
            str(index): {"sku": [f"Unknown SKU {line['sku']!r}."]}
            for index, line in enumerate(lines)
            if line["sku"] not in known
        }
        if errors:
            raise serializers.ValidationError(errors)
        return lines

    def validate(self, attrs):
        if Order.objects.filter(source=attrs["source"], invoice_no=attrs["invoice_no"]).exists():
            raise serializers.ValidationError(
                {"invoice_no": [f"An order {attrs['invoice_no']!r} already exists for source {attrs['source']!r}."]}
            )
        negative = [line for line in attrs["lines"] if line["quantity"] < 0]
        is_cancellation = kind_of_invoice(attrs["invoice_no"]) == CANCELLATION
        if is_cancellation and len(negative) != len(attrs["lines"]):
            raise serializers.ValidationError(
                {"lines": ["A cancellation (invoice starting with C) takes negative quantities only."]}
            )
        if not is_cancellation and negative:
            raise serializers.ValidationError(
                {"lines": ["Negative quantities belong in a cancellation (invoice starting with C)."]}
            )
        return attrs


class ImportBatchListSerializer(serializers.ModelSerializer):
    """A batch in a list: without its rejected rows (up to a thousand), which only the
    batch's own page carries, so that a page of batches stays small."""

    progress = serializers.SerializerMethodField()

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "source",
            "file_name",
            "file_sha256",
            "status",
            "started_via",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
            *ImportBatch.COUNTERS,
            "failure",
            "progress",
        ]

    def get_progress(self, batch) -> dict | None:
        if batch.status == ImportBatch.Status.SUCCEEDED:
            return {"percent": 100, "message": "Done"}
        return import_progress_get(batch_id=batch.pk)


class ImportBatchSerializer(ImportBatchListSerializer):
    """A batch with the first rejected rows (rows_rejected counts them all)."""

    class Meta(ImportBatchListSerializer.Meta):
        fields = [*ImportBatchListSerializer.Meta.fields, "errors"]


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="Order log: CSV, gzipped CSV or XLSX with the UCI Online Retail columns.")
    source = serializers.CharField(max_length=_max_length(ImportBatch, "source"), default="online_retail")
