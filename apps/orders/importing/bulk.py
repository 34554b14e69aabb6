"""Bulk writes for the importer: COPY on PostgreSQL, executemany elsewhere (the SQLite demo).

Rows are inserted with ids reserved up front, so lines can point at the orders of
the same chunk without a round trip per order.
"""

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
    def __init__(self, model, columns: tuple[str, ...]):
        self.table = connection.ops.quote_name(model._meta.db_table)
        self.columns = columns
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        if connection.vendor == "postgresql":
            self.copy_sql = f"COPY {self.table} ({names}) FROM STDIN"
        else:
            self.insert_sql = f"INSERT INTO {self.table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"

    def write(self, rows: list[tuple]) -> None:
        if not rows:
            return
        if connection.vendor == "postgresql":
            text = "".join("\t".join(map(_copy_text, row)) + "\n" for row in rows)
            with connection.cursor() as cursor, cursor.copy(self.copy_sql) as copy:
                copy.write(text)
        else:
            with connection.cursor() as cursor:
                cursor.executemany(self.insert_sql, rows)


def reserve_ids(model, count: int) -> list[int]:
    """Ids for `count` new rows of `model`. Must run inside the import's transaction,
    which on SQLite holds the write lock, so MAX(id) cannot move under us."""
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
        (highest,) = cursor.fetchone()
        return list(range(highest + 1, highest + 1 + count))


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
