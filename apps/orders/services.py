"""Writes to orders: importing order logs and creating orders from the API."""

import hashlib
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.catalogue.models import Product
from apps.catalogue.signals import catalogue_changed
from apps.customers.models import Customer
from apps.orders.batch_liveness import batch_lock, interrupted_batches
from apps.orders.importing.errors import ImportFileError, printable
from apps.orders.importing.pipeline import OrderLogImport, link_cancellations
from apps.orders.importing.readers import open_order_log
from apps.orders.invoice_kinds import CANCELLATION, STOCK_ADJUSTMENT, kind_of_invoice, kind_of_line, kind_of_order
from apps.orders.models import ImportBatch, Order, OrderLine
from apps.orders.progress import import_progress_set

UPLOAD_DIR = "imports"
# A stored upload is named by a random id and the end of its original name, in safe
# characters, so that any upload name fits the file system (the batch keeps the original).
STORED_NAME_TAIL_CHARS = 100
# A failure is one message. A longer one (a header of thousands of names, a database error
# quoting its data) is cut, so that a batch, and a list of them, stays small.
FAILURE_MAX_CHARS = 2_000
INTERRUPTED_FAILURE = (
    "Interrupted: the import stopped before finishing (its process or its database connection was lost). "
    "Nothing of the file was kept; import it again."
)


def import_upload_store(*, uploaded_file) -> Path:
    """Save an uploaded order log under MEDIA_ROOT/imports/ and return its path."""
    directory = Path(settings.MEDIA_ROOT) / UPLOAD_DIR
    directory.mkdir(parents=True, exist_ok=True)
    tail = re.sub(r"[^A-Za-z0-9._-]", "_", Path(uploaded_file.name).name)[-STORED_NAME_TAIL_CHARS:]
    path = directory / f"{uuid.uuid4().hex}-{tail}"
    with path.open("wb") as out:
        for piece in uploaded_file.chunks():
            out.write(piece)
    return path


def import_batch_create(
    *, path: str | Path, file_name: str = "", source: str = "online_retail", via: str = ImportBatch.Via.CLI, user=None
) -> ImportBatch:
    path = Path(path)
    name_limit = ImportBatch._meta.get_field("file_name").max_length
    return ImportBatch.objects.create(
        source=source,
        file_name=printable(file_name or path.name)[:name_limit],
        # A path with bytes that are not UTF-8 is recorded readably; the command line,
        # which has the path itself, reads the file by that (see import_batch_run).
        stored_path=printable(str(path)),
        started_via=via,
        started_by=user if user is not None and user.is_authenticated else None,
    )


def import_batch_run(
    *,
    batch_id: int,
    encoding: str = "utf-8",
    progress: Callable[[int, str], None] | None = None,
    path: str | Path | None = None,
) -> ImportBatch:
    """Import the batch's file (at `path` when the caller has it, else at its stored path).
    Everything it writes commits together or not at all; rejected rows are recorded on
    the batch and the valid rows land."""
    # A batch whose importer died (this one's, if this is its task delivered again after a
    # lost worker) is shown failed rather than running.
    import_batches_expire_stale()
    with batch_lock(batch_id) as free:  # held until the outcome is recorded: see batch_liveness
        claimed = free and ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.QUEUED).update(
            status=ImportBatch.Status.RUNNING, started_at=timezone.now()
        )
        batch = ImportBatch.objects.get(pk=batch_id)
        if not claimed:
            return batch  # another worker has it, or it already ran
        return _import(batch, path=Path(path or batch.stored_path), encoding=encoding, progress=progress)


def _import(
    batch: ImportBatch, *, path: Path, encoding: str, progress: Callable[[int, str], None] | None
) -> ImportBatch:
    batch_id = batch.pk

    def report(percent: int, message: str) -> None:
        import_progress_set(batch_id=batch_id, percent=percent, message=message)
        if progress:
            progress(percent, message)

    started = time.monotonic()
    try:
        log = open_order_log(path, encoding=encoding, name=batch.file_name)
        batch.file_sha256 = _sha256(path)
        with transaction.atomic():
            summary = OrderLogImport(log=log, batch=batch, progress=report).run()
            for name in ImportBatch.COUNTERS:
                setattr(batch, name, getattr(summary, name))
            batch.errors = [error.as_dict() for error in summary.errors]
            _finish(batch, ImportBatch.Status.SUCCEEDED, started)
        catalogue_changed()  # names and prices may have moved: storefront caches start afresh
        # The commit itself (deferred foreign-key checks) is part of the import's time.
        batch.duration_seconds = round(time.monotonic() - started, 3)
        ImportBatch.objects.filter(pk=batch.pk).update(duration_seconds=batch.duration_seconds)
    except ImportFileError as exc:
        batch.failure = str(exc)
        _finish(batch, ImportBatch.Status.FAILED, started)
    except Exception as exc:
        batch.failure = f"{type(exc).__name__}: {exc}"
        _finish(batch, ImportBatch.Status.FAILED, started)
        raise
    return batch


def _finish(batch: ImportBatch, status: str, started: float) -> None:
    batch.failure = printable(batch.failure, limit=FAILURE_MAX_CHARS)
    batch.status = status
    batch.finished_at = timezone.now()
    batch.duration_seconds = round(time.monotonic() - started, 3)
    if status == ImportBatch.Status.FAILED:
        # Whatever the failed attempt counted was rolled back with its rows.
        batch.rows_imported = batch.orders_created = batch.customers_created = 0
        batch.products_created = batch.cancellations_linked = 0
    batch.save()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def order_log_import(
    *,
    path: str | Path,
    source: str = "online_retail",
    encoding: str = "utf-8",
    via: str = ImportBatch.Via.CLI,
    user=None,
    progress: Callable[[int, str], None] | None = None,
) -> ImportBatch:
    """Import a file on this process (the command line)."""
    batch = import_batch_create(path=path, source=source, via=via, user=user)
    return import_batch_run(batch_id=batch.pk, encoding=encoding, progress=progress, path=path)


def import_batches_expire_stale() -> int:
    """Mark running batches that no process is importing any more (see batch_liveness) as
    failed: interrupted. Their writes were rolled back with their connection."""
    return interrupted_batches().update(
        status=ImportBatch.Status.FAILED, failure=INTERRUPTED_FAILURE, finished_at=timezone.now()
    )


@transaction.atomic
def order_create(
    *,
    source: str,
    invoice_no: str,
    placed_at,
    country: str = "",
    customer_external_id: str = "",
    lines: list[dict],
    import_batch=None,
) -> Order:
    """Create one order with its lines. `lines` items: sku, quantity, unit_price.
    Unknown SKUs and a reused invoice number are refused by the caller's validation."""
    customer = None
    if customer_external_id:
        customer, created = Customer.objects.get_or_create(
            source=source,
            external_id=customer_external_id,
            defaults={"country": country, "country_seen_at": placed_at},
        )
        if not created and (customer.country_seen_at is None or placed_at >= customer.country_seen_at):
            customer.country, customer.country_seen_at = country, placed_at
            customer.save(update_fields=["country", "country_seen_at"])
    invoice_kind = kind_of_invoice(invoice_no)
    line_kinds = [
        kind_of_line(invoice_kind, line["quantity"], line["unit_price"], customer is not None) for line in lines
    ]
    kind = kind_of_order(invoice_kind, only_stock_adjustments=all(k == STOCK_ADJUSTMENT for k in line_kinds))
    order = Order.objects.create(
        source=source,
        invoice_no=invoice_no,
        kind=kind,
        placed_at=placed_at,
        customer=customer,
        country=country,
        import_batch=import_batch,
    )
    products = {p.sku: p for p in Product.objects.filter(sku__in=[line["sku"] for line in lines])}
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            line_number=number,
            product=products[line["sku"]],
            quantity=line["quantity"],
            unit_price=line["unit_price"],
            kind=line_kind,
        )
        for number, (line, line_kind) in enumerate(zip(lines, line_kinds, strict=True), start=1)
    )
    order.line_count = len(lines)
    order.total_amount = sum((line["quantity"] * line["unit_price"] for line in lines), 0)
    order.save(update_fields=["line_count", "total_amount"])
    if kind == CANCELLATION and customer is not None:
        link_cancellations(customer_id=customer.pk)
    return order
