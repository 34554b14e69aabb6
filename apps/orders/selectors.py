"""Reads of order history as plain data for the model kinds (pandas frames, no ORM objects)."""

import pandas as pd
from django.db import connection
from pandas.api.types import union_categoricals

from apps.catalogue.models import Product
from apps.orders.models import Order, OrderLine

PURCHASE_COLUMNS = ["customer_id", "order_id", "product_id", "placed_at", "quantity", "amount", "country"]


def purchase_events(*, before=None, since=None) -> pd.DataFrame:
    """Purchases as models should see them: sale lines of known customers, quantity and
    price above zero, merchandise only, exact duplicate rows left out."""
    return _merchandise_lines(
        kinds=[OrderLine.Kind.SALE],
        quantity_condition="l.quantity > 0",
        columns=PURCHASE_COLUMNS,
        before=before,
        since=since,
    )


CUSTOMER_LINE_COLUMNS = ["customer_id", "order_id", "product_id", "placed_at", "quantity", "amount"]


def customer_order_lines(*, before=None) -> pd.DataFrame:
    """Every merchandise sale and cancellation line of known customers, signed as logged
    (cancellations and returns negative), exact duplicates left out: what customer
    segmentation nets per customer. Quantity-zero and unpriced lines are skipped."""
    return _merchandise_lines(
        kinds=[OrderLine.Kind.SALE, OrderLine.Kind.CANCELLATION],
        quantity_condition="l.quantity <> 0",
        columns=CUSTOMER_LINE_COLUMNS,
        before=before,
    )


SALE_COLUMNS = ["product_id", "placed_at", "quantity"]


def merchandise_sales(*, before=None, product_id: int | None = None) -> pd.DataFrame:
    """Units sold: every merchandise sale line, guests' included (demand is demand, whoever
    bought), exact duplicates left out. Cancelled and returned units are not subtracted:
    a return does not un-sell the week's demand."""
    return _merchandise_lines(
        kinds=[OrderLine.Kind.SALE],
        quantity_condition="l.quantity > 0",
        columns=SALE_COLUMNS,
        before=before,
        known_customers=False,
        product_id=product_id,
    )


# SELECT expression of each column the readers above may ask for.
_LINE_EXPRESSIONS = {
    "customer_id": "o.customer_id",
    "order_id": "o.id",
    "product_id": "l.product_id",
    "placed_at": "o.placed_at",
    "quantity": "l.quantity",
    "amount": "l.quantity * l.unit_price",
    "country": "o.country",
}


def _merchandise_lines(
    *,
    kinds,
    quantity_condition: str,
    columns,
    before=None,
    since=None,
    known_customers: bool = True,
    product_id: int | None = None,
) -> pd.DataFrame:
    """Priced, non-duplicate merchandise lines (of known customers unless told otherwise),
    of the given line kinds, in order-log order, as a frame with `columns`."""
    line_table, order_table = OrderLine._meta.db_table, Order._meta.db_table
    product_table = Product._meta.db_table
    conditions = [
        "o.customer_id IS NOT NULL" if known_customers else "1 = 1",
        f"l.kind IN ({', '.join(['%s'] * len(kinds))})",
        quantity_condition,
        "l.unit_price > 0",
        "l.is_duplicate = %s",
        "p.kind = %s",
    ]
    params: list = [*kinds, False, Product.Kind.MERCHANDISE]
    # Raw SQL: datetimes as the backend stores them (naive UTC text on SQLite).
    adapt = connection.ops.adapt_datetimefield_value
    if before is not None:
        conditions.append("o.placed_at < %s")
        params.append(adapt(before))
    if since is not None:
        conditions.append("o.placed_at >= %s")
        params.append(adapt(since))
    if product_id is not None:
        conditions.append("l.product_id = %s")
        params.append(product_id)
    sql = f"""
        SELECT {", ".join(_LINE_EXPRESSIONS[name] for name in columns)}
        FROM {line_table} l JOIN {order_table} o ON o.id = l.order_id JOIN {product_table} p ON p.id = l.product_id
        WHERE {" AND ".join(conditions)}
        ORDER BY o.placed_at, o.id, l.line_number
    """
    # Fetched a chunk at a time into typed columns: twenty million lines as Python tuples would
    # take several gigabytes, as numpy columns a few hundred megabytes.
    chunks = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH_CHUNK):
            chunks.append(_typed(pd.DataFrame(rows, columns=columns)))
    if not chunks:
        return _typed(pd.DataFrame([], columns=columns))
    if "country" in columns:
        countries = union_categoricals([chunk.pop("country") for chunk in chunks])
        frame = pd.concat(chunks, ignore_index=True)
        frame.insert(columns.index("country"), "country", countries)
        return frame
    return pd.concat(chunks, ignore_index=True)


FETCH_CHUNK = 200_000


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame["placed_at"] = pd.to_datetime(frame["placed_at"], utc=True)
    if "amount" in frame:
        frame["amount"] = frame["amount"].astype(float)
    if "country" in frame:
        frame["country"] = frame["country"].astype("category")
    return frame
