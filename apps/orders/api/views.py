from django.db import IntegrityError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from apps.orders.api.filters import OrderFilter
from apps.orders.api.serializers import (
    ImportBatchListSerializer,
    ImportBatchSerializer,
    ImportUploadSerializer,
    OrderCreateSerializer,
    OrderDetailSerializer,
    OrderSerializer,
)
from apps.orders.models import ImportBatch, Order
from apps.orders.services import import_batch_create, import_batches_expire_stale, import_upload_store, order_create
from apps.orders.tasks import import_batch_task


class OrderViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Order.objects.select_related("customer")
    filterset_class = OrderFilter
    search_fields = ["invoice_no", "customer__external_id"]
    ordering_fields = ["placed_at", "total_amount", "invoice_no", "line_count"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("lines__product")
        return queryset

    def get_serializer_class(self):
        return {"retrieve": OrderDetailSerializer, "create": OrderCreateSerializer}.get(self.action, OrderSerializer)

    @extend_schema(request=OrderCreateSerializer, responses={201: OrderDetailSerializer})
    def create(self, request, *args, **kwargs):
        serializer = OrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            order = order_create(
                source=data["source"],
                invoice_no=data["invoice_no"],
                placed_at=data["placed_at"],
                customer_external_id=data["customer"],
                country=data["country"],
                lines=data["lines"],
            )
        except IntegrityError:  # the same invoice posted twice at once: the second loses the race
            message = f"An order {data['invoice_no']!r} already exists for source {data['source']!r}."
            raise ValidationError({"invoice_no": [message]}) from None
        return Response(OrderDetailSerializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ImportUploadSerializer, responses={202: ImportBatchSerializer})
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def bulk_import(self, request):
        """Bulk ingest an order log file. The import runs on a worker; poll the returned batch."""
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        path = import_upload_store(uploaded_file=upload.validated_data["file"])
        batch = import_batch_create(
            path=path,
            file_name=upload.validated_data["file"].name,
            source=upload.validated_data["source"],
            via=ImportBatch.Via.API,
            user=request.user,
        )
        import_batch_task.delay_on_commit(batch.pk)  # runs on a worker once the batch is committed
        batch.refresh_from_db()
        headers = {"Location": f"/api/v1/import-batches/{batch.pk}/"}
        return Response(ImportBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED, headers=headers)


class ImportBatchViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = ImportBatch.objects.all()
    filterset_fields = ["status", "source", "started_via"]
    ordering_fields = ["created_at", "finished_at"]

    # A batch whose importer died is shown failed, not running.
    def list(self, request, *args, **kwargs):
        import_batches_expire_stale()
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        import_batches_expire_stale()
        return super().retrieve(request, *args, **kwargs)

    def get_serializer_class(self):
        return ImportBatchListSerializer if self.action == "list" else ImportBatchSerializer
