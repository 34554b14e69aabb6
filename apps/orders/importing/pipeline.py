"""Stream an opened order log into the database inside the caller's transaction.

Rows are parsed and written in chunks: new products, customers and orders of a
chunk are created first (they are few), then its lines go in with one bulk write.
An invoice already stored before this import is skipped whole, which makes a
re-import of the same file a no-op. Names, prices and countries take the value
of the latest row seen, so an older file never overwrites a newer one.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.catalogue.models import Product, ProductName
from apps.catalogue.stock_codes import kind_of_stock_code
from apps.customers.models import Customer
from apps.orders.importing.bulk import (
    IdReserver,
    TableWriter,
    analyze,
    db_datetime,
    update_rows,
)
from apps.orders.importing.errors import RowError
from apps.orders.importing.readers import OrderLog
from apps.orders.importing.rows import ParsedRow, RowParser, RowProblem
from apps.orders.invoice_kinds import (
    CANCELLATION,
    SALE,
    STOCK_ADJUSTMENT,
    kind_of_invoice,
    kind_of_line,
    kind_of_order,
)
from apps.orders.models import ImportBatch, Order, OrderLine

CHUNK_ROWS = 20_000
# The batch keeps this many rejected rows in full; the count covers them all.
ERROR_SAMPLE_LIMIT = 1_000

Progress = Callable[[int, str], None]

LINE_COLUMNS = ("order_id", "line_number", "product_id", "quantity", "unit_price", "kind", "is_duplicate", "note")
ORDER_COLUMNS = (
    "id",
    "source",
    "invoice_no",
    "kind",
    "status",
    "placed_at",
    "customer_id",
    "country",
    "currency",
    "total_amount",
    "line_count",
    "import_batch_id",
    "created_at",
)
# Above this many new lines, planner statistics are refreshed before the follow-up queries.
ANALYZE_AFTER_LINES = 10_000

NAME_BEARING_KINDS = {SALE, CANCELLATION}


def column_max_lengths() -> dict[str, int]:
    """The longest text each column may hold, as the fields that store it are defined: a
    longer value rejects its row instead of failing the whole import at the database."""

    def longest(*fields) -> int:
        return min(model._meta.get_field(name).max_length for model, name in fields)

    return {
        "InvoiceNo": longest((Order, "invoice_no")),
        "StockCode": longest((Product, "sku")),
        # A description becomes a product name, a name-history entry or a line's note.
        "Description": longest((Product, "name"), (ProductName, "name"), (OrderLine, "note")),
        "CustomerID": longest((Customer, "external_id")),
        "Country": longest((Order, "country"), (Customer, "country")),
    }


@dataclass
class _NewOrder:
    """An order created by this import. It is written after its last line, with totals."""

    order_id: int
    first_row: ParsedRow
    invoice_kind: str
    lines_written: int = 0
    total: Decimal = Decimal(0)
    only_stock_adjustments: bool = True
    seen_rows: set = field(default_factory=set)


@dataclass
class ImportSummary:
    rows_read: int = 0
    rows_imported: int = 0
    rows_rejected: int = 0
    rows_already_present: int = 0
    duplicate_rows: int = 0
    orders_created: int = 0
    customers_created: int = 0
    products_created: int = 0
    cancellations_linked: int = 0
    errors: list[RowError] = field(default_factory=list)

    def reject(self, error: RowError) -> None:
        self.rows_rejected += 1
        if len(self.errors) < ERROR_SAMPLE_LIMIT:
            self.errors.append(error)


class OrderLogImport:
    def __init__(self, *, log: OrderLog, batch: ImportBatch, progress: Progress | None = None):
        self.log = log
        self.batch = batch
        self.source = batch.source
        self.progress = progress or (lambda percent, message: None)
        self.parser = RowParser(log.columns, settings.TIME_ZONE, column_max_lengths())
        self.line_writer = TableWriter(OrderLine, LINE_COLUMNS, format_row=_line_copy_row)
        self.order_writer = TableWriter(Order, ORDER_COLUMNS)
        self.order_ids = IdReserver(Order)
        self.summary = ImportSummary()
        self.product_ids: dict[str, int] = {}
        self.customer_ids: dict[str, int] = {}
        # invoice -> its order being written, or None if it was stored before this import
        self.orders: dict[str, _NewOrder | None] = {}
        # (sku, name) -> [first seen, last seen]; sku -> (seen at, price); customer -> (seen at, country)
        self.name_history: dict[tuple[str, str], list] = {}
        self.latest_price: dict[str, tuple] = {}
        self.latest_country: dict[str, tuple] = {}

    # --- the whole run -------------------------------------------------------------
    def run(self) -> ImportSummary:
        self._lock_source()
        try:
            self._read_all_rows()
        finally:
            self.line_writer.wait()  # never leave a COPY running past the import
        self._write_orders()
        self.progress(90, "Linking cancellations")
        self._link_cancellations()
        self.progress(95, "Updating product names, prices and customer countries")
        self._update_products()
        self._update_customers()
        self.progress(100, "Done")
        return self.summary

    def _read_all_rows(self) -> None:
        chunk: list[tuple[ParsedRow, int]] = []
        parse = self.parser.parse
        summary = self.summary
        for line, row in self.log.rows:
            summary.rows_read += 1
            if isinstance(row, RowError):
                summary.reject(row)
                continue
            try:
                # Exact duplicates are judged on the row as written, before any cleaning.
                chunk.append((parse(row), hash(tuple(row))))
            except RowProblem as problem:
                summary.reject(RowError(line, problem.field, problem.reason))
                continue
            if len(chunk) >= CHUNK_ROWS:
                self._write_chunk(chunk)
                chunk = []
        self._write_chunk(chunk)

    def _lock_source(self) -> None:
        # Two imports of one source at once would race to create the same invoices.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"import:{self.source}"])

    # --- one chunk -----------------------------------------------------------------
    def _write_chunk(self, chunk: list[tuple[ParsedRow, int]]) -> None:
        self.line_writer.wait()  # the previous chunk's lines must be in before we query again
        if not chunk:
            return
        self._resolve_products({row.sku for row, _ in chunk})
        self._resolve_customers({row.customer_id for row, _ in chunk if row.customer_id})
        self._resolve_orders([row for row, _ in chunk])

        summary = self.summary
        orders, product_ids = self.orders, self.product_ids
        name_history, latest_price = self.name_history, self.latest_price
        latest_country = self.latest_country
        lines = []
        for row, fingerprint in chunk:
            order = orders[row.invoice_no]
            if order is None:
                summary.rows_already_present += 1
                continue
            kind = kind_of_line(order.invoice_kind, row.quantity, row.unit_price, bool(row.customer_id))
            order.total += row.quantity * row.unit_price
            if kind != STOCK_ADJUSTMENT:
                order.only_stock_adjustments = False
            duplicate = fingerprint in order.seen_rows
            if duplicate:
                summary.duplicate_rows += 1
            else:
                order.seen_rows.add(fingerprint)
            order.lines_written += 1
            placed_at = row.placed_at
            note = ""
            if kind in NAME_BEARING_KINDS:
                if row.description:
                    seen = name_history.get((row.sku, row.description))
                    if seen is None:
                        name_history[(row.sku, row.description)] = [placed_at, placed_at]
                    elif placed_at > seen[1]:
                        seen[1] = placed_at
                    elif placed_at < seen[0]:
                        seen[0] = placed_at
                if kind == SALE and row.unit_price > 0:
                    previous = latest_price.get(row.sku)
                    if previous is None or placed_at >= previous[0]:
                        latest_price[row.sku] = (placed_at, row.unit_price)
            elif kind == STOCK_ADJUSTMENT:
                note = row.description
            if row.customer_id:
                previous = latest_country.get(row.customer_id)
                if previous is None or placed_at >= previous[0]:
                    latest_country[row.customer_id] = (placed_at, row.country)
            lines.append(
                (
                    order.order_id,
                    order.lines_written,
                    product_ids[row.sku],
                    row.quantity,
                    row.unit_price,
                    kind,
                    duplicate,
                    note,
                )
            )
        self.line_writer.write(lines, background=True)
        summary.rows_imported += len(lines)
        read, size = self.log.bytes_read(), self.log.size or 1
        self.progress(min(89, int(90 * read / size)), f"{summary.rows_read:,} rows read")

    def _resolve_products(self, skus: set[str]) -> None:
        missing = skus - self.product_ids.keys()
        if not missing:
            return
        for sku, pk in Product.objects.filter(sku__in=missing).values_list("sku", "id"):
            self.product_ids[sku] = pk
        new = [Product(sku=sku, kind=kind_of_stock_code(sku)) for sku in sorted(missing - self.product_ids.keys())]
        for product in Product.objects.bulk_create(new, batch_size=1000):
            self.product_ids[product.sku] = product.pk
        self.summary.products_created += len(new)

    def _resolve_customers(self, external_ids: set[str]) -> None:
        missing = external_ids - self.customer_ids.keys()
        if not missing:
            return
        existing = Customer.objects.filter(source=self.source, external_id__in=missing)
        for external_id, pk in existing.values_list("external_id", "id"):
            self.customer_ids[external_id] = pk
        new = [
            Customer(source=self.source, external_id=external_id)
            for external_id in sorted(missing - self.customer_ids.keys())
        ]
        for customer in Customer.objects.bulk_create(new, batch_size=1000):
            self.customer_ids[customer.external_id] = customer.pk
        self.summary.customers_created += len(new)

    def _resolve_orders(self, chunk: list[ParsedRow]) -> None:
        first_rows: dict[str, ParsedRow] = {}
        for row in chunk:
            if row.invoice_no not in self.orders and row.invoice_no not in first_rows:
                first_rows[row.invoice_no] = row
        if not first_rows:
            return
        stored = Order.objects.filter(source=self.source, invoice_no__in=list(first_rows))
        for invoice_no in stored.values_list("invoice_no", flat=True):
            self.orders[invoice_no] = None
            del first_rows[invoice_no]
        ids = self.order_ids.reserve(len(first_rows))
        for order_id, (invoice_no, row) in zip(ids, first_rows.items(), strict=True):
            self.orders[invoice_no] = _NewOrder(order_id, row, kind_of_invoice(invoice_no))
        self.summary.orders_created += len(ids)

    # --- after the last chunk ------------------------------------------------------
    def _write_orders(self) -> None:
        """Write the new orders, now that their totals and line counts are known. Lines
        already point at them: the foreign keys are checked at commit."""
        now = db_datetime(timezone.now())
        rows = []
        for invoice_no, order in self.orders.items():
            if order is None:
                continue
            row = order.first_row
            kind = kind_of_order(order.invoice_kind, only_stock_adjustments=order.only_stock_adjustments)
            rows.append(
                (
                    order.order_id,
                    self.source,
                    invoice_no,
                    kind,
                    Order.Status.PLACED.value,
                    db_datetime(row.placed_at),
                    self.customer_ids[row.customer_id] if row.customer_id else None,
                    row.country,
                    settings.STORE_CURRENCY,
                    order.total,
                    order.lines_written,
                    self.batch.pk,
                    now,
                )
            )
        self.order_writer.write(rows)

    def _link_cancellations(self) -> None:
        if self.summary.rows_imported > ANALYZE_AFTER_LINES:
            analyze(Order, OrderLine)
        self.summary.cancellations_linked = link_cancellations(batch_id=self.batch.pk)

    def _update_products(self) -> None:
        latest_name: dict[str, tuple] = {}
        for (sku, name), (_first, last) in self.name_history.items():
            current = latest_name.get(sku)
            if current is None or last > current[0]:
                latest_name[sku] = (last, name)
        skus = latest_name.keys() | self.latest_price.keys()
        now = db_datetime(timezone.now())
        changed = []
        stored = Product.objects.filter(sku__in=skus).values_list(
            "id", "sku", "name", "name_seen_at", "price", "price_seen_at"
        )
        for pk, sku, name, name_seen_at, price, price_seen_at in stored:
            newer_name = latest_name.get(sku)
            if newer_name and (name_seen_at is None or newer_name[0] >= name_seen_at):
                name_seen_at, name = newer_name
            newer_price = self.latest_price.get(sku)
            if newer_price and (price_seen_at is None or newer_price[0] >= price_seen_at):
                price_seen_at, price = newer_price
            changed.append((name, db_datetime(name_seen_at), price, db_datetime(price_seen_at), now, pk))
        update_rows(Product, ("name", "name_seen_at", "price", "price_seen_at", "updated_at"), changed)
        self._update_name_history()

    def _update_name_history(self) -> None:
        product_ids = self.product_ids
        touched = {product_ids[sku] for sku, _ in self.name_history}
        existing = {
            (product_id, name): (pk, first, last)
            for pk, product_id, name, first, last in ProductName.objects.filter(product_id__in=touched).values_list(
                "id", "product_id", "name", "first_seen_at", "last_seen_at"
            )
        }
        new, changed = [], []
        for (sku, name), (first, last) in self.name_history.items():
            stored = existing.get((product_ids[sku], name))
            if stored is None:
                new.append(ProductName(product_id=product_ids[sku], name=name, first_seen_at=first, last_seen_at=last))
            elif first < stored[1] or last > stored[2]:
                changed.append((db_datetime(min(first, stored[1])), db_datetime(max(last, stored[2])), stored[0]))
        ProductName.objects.bulk_create(new, batch_size=1000)
        update_rows(ProductName, ("first_seen_at", "last_seen_at"), changed)

    def _update_customers(self) -> None:
        changed = []
        stored = Customer.objects.filter(source=self.source, external_id__in=list(self.latest_country)).values_list(
            "id", "external_id", "country", "country_seen_at"
        )
        for pk, external_id, country, country_seen_at in stored:
            seen_at, newer_country = self.latest_country[external_id]
            if (
                country_seen_at is None
                or seen_at > country_seen_at
                or (seen_at == country_seen_at and newer_country != country)
            ):
                changed.append((newer_country, db_datetime(seen_at), pk))
        update_rows(Customer, ("country", "country_seen_at"), changed)


def _line_copy_row(line: tuple) -> str:
    order_id, number, product_id, quantity, price, kind, duplicate, note = line
    if note:
        note = note.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return f"{order_id}\t{number}\t{product_id}\t{quantity}\t{price}\t{kind}\t{'t' if duplicate else 'f'}\t{note}\n"


def link_cancellations(*, batch_id: int | None = None, customer_id: int | None = None) -> int:
    """Point each unlinked cancellation line of the batch's customers (or of one customer)
    at the customer's latest earlier purchase of the same product, and mark those sales
    (partly) cancelled. Returns the number of cancellation lines linked."""
    order_table = Order._meta.db_table
    line_table = OrderLine._meta.db_table
    if customer_id is not None:
        customers, scope = "%s", customer_id
    else:
        customers, scope = f"SELECT customer_id FROM {order_table} WHERE import_batch_id = %s", batch_id
    touched_cancellations = f"""
        SELECT id FROM {order_table} WHERE kind = %s AND customer_id IN ({customers})"""
    count_linked = f"""
        SELECT COUNT(*) FROM {line_table}
        WHERE cancels_id IS NOT NULL AND order_id IN ({touched_cancellations})"""
    touched_params = [Order.Kind.CANCELLATION, scope]
    with connection.cursor() as cursor:
        cursor.execute(count_linked, touched_params)
        (linked_before,) = cursor.fetchone()
        cursor.execute(
            f"""
            UPDATE {line_table} SET cancels_id = (
                SELECT pl.id FROM {line_table} pl JOIN {order_table} po ON po.id = pl.order_id
                JOIN {order_table} co ON co.id = {line_table}.order_id
                WHERE pl.product_id = {line_table}.product_id AND pl.kind = %s AND pl.quantity > 0
                  AND po.customer_id = co.customer_id AND po.placed_at <= co.placed_at
                ORDER BY po.placed_at DESC, pl.id DESC LIMIT 1)
            WHERE kind = %s AND cancels_id IS NULL AND order_id IN ({touched_cancellations})
            """,
            [SALE, CANCELLATION, *touched_params],
        )
        cursor.execute(count_linked, touched_params)
        (linked_after,) = cursor.fetchone()
        # A sale is cancelled when every line's quantity is taken back, partly when some is.
        cursor.execute(
            f"""
            UPDATE {order_table} SET status = CASE WHEN NOT EXISTS (
                    SELECT 1 FROM {line_table} l WHERE l.order_id = {order_table}.id AND l.quantity > COALESCE(
                        (SELECT -SUM(c.quantity) FROM {line_table} c WHERE c.cancels_id = l.id), 0))
                THEN %s ELSE %s END
            WHERE kind = %s AND id IN (
                SELECT pl.order_id FROM {line_table} pl JOIN {line_table} cl ON cl.cancels_id = pl.id)
            """,
            [Order.Status.CANCELLED, Order.Status.PARTLY_CANCELLED, Order.Kind.SALE],
        )
    return linked_after - linked_before
