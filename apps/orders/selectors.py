"""Reads of order history as plain data for the model kinds (pandas frames, no ORM objects)."""

import pandas as pd
from django.db import connection

from apps.catalogue.models import Product
from apps.orders.models import Order, OrderLine

PURCHASE_COLUMNS = ["customer_id", "order_id", "product_id", "placed_at", "quantity", "amount", "country"]


def purchase_events(*, before=None, since=None) -> pd.DataFrame:
    """Purchases as models should see them: sale lines of known customers, quantity and
    price above zero, merchandise only, exact duplicate rows left out."""
    line_table, order_table = OrderLine._meta.db_table, Order._meta.db_table
    product_table = Product._meta.db_table
    conditions = [
        "o.customer_id IS NOT NULL",
        "l.kind = %s",
        "l.quantity > 0",
        "l.unit_price > 0",
        "l.is_duplicate = %s",
        "p.kind = %s",
    ]
    params: list = [OrderLine.Kind.SALE, False, Product.Kind.MERCHANDISE]
    # Raw SQL: datetimes as the backend stores them (naive UTC text on SQLite).
    adapt = connection.ops.adapt_datetimefield_value
    if before is not None:
        conditions.append("o.placed_at < %s")
        params.append(adapt(before))
    if since is not None:
        conditions.append("o.placed_at >= %s")
        params.append(adapt(since))
    sql = f"""
        SELECT o.customer_id, o.id, l.product_id, o.placed_at, l.quantity, l.quantity * l.unit_price, o.country
        FROM {line_table} l JOIN {order_table} o ON o.id = l.order_id JOIN {product_table} p ON p.id = l.product_id
        WHERE {" AND ".join(conditions)}
        ORDER BY o.placed_at, o.id, l.line_number
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    frame = pd.DataFrame(rows, columns=PURCHASE_COLUMNS)
    frame["placed_at"] = pd.to_datetime(frame["placed_at"], utc=True)
    frame["amount"] = frame["amount"].astype(float)
    return frame


CUSTOMER_LINE_COLUMNS = ["customer_id", "order_id", "product_id", "placed_at", "quantity", "amount"]


def customer_order_lines(*, before=None) -> pd.DataFrame:
    """Every merchandise sale and cancellation line of known customers, signed as logged
    (cancellations and returns negative), exact duplicates left out: what customer
    segmentation nets per customer. Quantity-zero and unpriced lines are skipped."""
    line_table, order_table = OrderLine._meta.db_table, Order._meta.db_table
    product_table = Product._meta.db_table
    conditions = [
        "o.customer_id IS NOT NULL",
        "l.kind IN (%s, %s)",
        "l.quantity <> 0",
        "l.unit_price > 0",
        "l.is_duplicate = %s",
        "p.kind = %s",
    ]
    params: list = [OrderLine.Kind.SALE, OrderLine.Kind.CANCELLATION, False, Product.Kind.MERCHANDISE]
    if before is not None:
        conditions.append("o.placed_at < %s")
        params.append(connection.ops.adapt_datetimefield_value(before))
    sql = f"""
        SELECT o.customer_id, o.id, l.product_id, o.placed_at, l.quantity, l.quantity * l.unit_price
        FROM {line_table} l JOIN {order_table} o ON o.id = l.order_id JOIN {product_table} p ON p.id = l.product_id
        WHERE {" AND ".join(conditions)}
        ORDER BY o.placed_at, o.id, l.line_number
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    frame = pd.DataFrame(rows, columns=CUSTOMER_LINE_COLUMNS)
    frame["placed_at"] = pd.to_datetime(frame["placed_at"], utc=True)
    frame["amount"] = frame["amount"].astype(float)
    return frame
