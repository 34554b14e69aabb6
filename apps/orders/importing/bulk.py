"""Bulk writes for the importer: COPY on PostgreSQL, executemany elsewhere (the SQLite demo).

Rows are inserted with ids reserved up front, so lines can point at the orders of
the same chunk without a round trip per order.
"""

import threading

from django.db import connection


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


class TableWriter:
    """Appends rows to one table. On PostgreSQL a write may run in the background: the
    server ingests one chunk while Python parses the next. The caller must call
    `wait()` before using the database connection again."""

    def __init__(self, model, columns: tuple[str, ...], format_row=None):
        self.table = connection.ops.quote_name(model._meta.db_table)
        self.columns = columns
        self.format_row = format_row or (lambda row: "\t".join(map(_copy_text, row)) + "\n")
        self._pending: threading.Thread | None = None
        self._failure: BaseException | None = None
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        if connection.vendor == "postgresql":
            self.copy_sql = f"COPY {self.table} ({names}) FROM STDIN"
        else:
            self.insert_sql = f"INSERT INTO {self.table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"

    def write(self, rows: list[tuple], *, background: bool = False) -> None:
        self.wait()
        if not rows:
            return
        if connection.vendor != "postgresql":
            with connection.cursor() as cursor:
                cursor.executemany(self.insert_sql, rows)
            return
        text = "".join(map(self.format_row, rows))
        if not background:
            with connection.cursor() as cursor, cursor.copy(self.copy_sql) as copy:
                copy.write(text)
            return
        # The thread uses the same psycopg connection, inside the same transaction;
        # Django's wrapper is thread-bound, so it goes to the driver's connection directly.
        raw = connection.connection

        def copy_in_background():
            try:
                with raw.cursor() as cursor, cursor.copy(self.copy_sql) as copy:
                    copy.write(text)
            except BaseException as exc:  # re-raised in the importing thread by wait()
                self._failure = exc

        self._pending = threading.Thread(target=copy_in_background, name="import-copy", daemon=True)
        self._pending.start()

    def wait(self) -> None:
        if self._pending is not None:
            self._pending.join()
            self._pending = None
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure


class IdReserver:
    """Hands out ids for new rows of `model` before they are written. On PostgreSQL they
    come from the table's sequence; elsewhere (SQLite, whose import transaction holds the
    write lock) they continue from MAX(id) and from what was already handed out."""

    def __init__(self, model):
        self.table = model._meta.db_table
        self._next: int | None = None

    def reserve(self, count: int) -> list[int]:
        if count == 0:
            return []
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [self.table, count],
                )
                return [row[0] for row in cursor.fetchall()]
            if self._next is None:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {connection.ops.quote_name(self.table)}")
                (self._next,) = cursor.fetchone()
        ids = list(range(self._next, self._next + count))
        self._next += count
        return ids


def update_rows(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """UPDATE model SET columns... WHERE id = last item, for each row; one round trip per batch."""
    if not rows:
        return
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(c)} = %s" for c in columns)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE id = %s", rows)


def db_datetime(value):
    """An aware datetime as the bulk writers must pass it (SQLite stores naive UTC text)."""
    if value is None or connection.vendor == "postgresql":
        return value
    return connection.ops.adapt_datetimefield_value(value)


def analyze(*models) -> None:
    """Refresh planner statistics after a large load inside the same transaction, so the
    follow-up queries (cancellation linking) do not plan against the empty tables."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models))
