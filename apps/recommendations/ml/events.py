"""Interactions from any retailer's export: a CSV with user, item and time columns."""

from collections.abc import Callable

import pandas as pd


class InteractionsFileError(ValueError):
    pass


def events_from_csv(path, *, user_col: str, item_col: str, time_col: str) -> pd.DataFrame:
    """Read an interactions file into the frame the recommenders use. Each row is one
    purchase; rows of the same user and time form one order. Ids may be any strings."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InteractionsFileError(f"{path}: cannot be read ({exc})") from None
    missing = [c for c in (user_col, item_col, time_col) if c not in frame.columns]
    if missing:
        raise InteractionsFileError(f"{path}: missing column {', '.join(missing)} (found: {', '.join(frame.columns)})")
    placed_at = pd.to_datetime(frame[time_col], utc=True, errors="coerce", format="mixed")
    bad = placed_at.isna() | (frame[user_col] == "") | (frame[item_col] == "")
    if bad.all():
        raise InteractionsFileError(f"{path}: no row has a user, an item and a readable {time_col}")
    frame, placed_at = frame[~bad], placed_at[~bad]
    users = frame[user_col].astype("category")
    items = frame[item_col].astype("category")
    events = pd.DataFrame(
        {
            "customer_id": users.cat.codes.astype(int).to_numpy(),
            "product_id": items.cat.codes.astype(int).to_numpy(),
            "placed_at": placed_at.to_numpy(),
            "country": "",
        }
    )
    events["order_id"] = events.groupby(["customer_id", "placed_at"]).ngroup()
    return events.sort_values("placed_at", kind="stable").reset_index(drop=True)


def events_from_order_log(path, *, is_merchandise: Callable[[str], bool]) -> tuple[pd.DataFrame, dict[int, str]]:
    """Purchase events straight from a UCI-style order log, by the protocol's rules: a
    customer, not a cancellation, quantity and price above zero, merchandise codes only
    (`is_merchandise` says which stock codes are, as the catalogue decides); and each product
    id's latest description, for the content-based model. (Not in the frame's `attrs`: pandas
    deep-copies those into every group of a groupby, which made a large store's split crawl.)"""
    log = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str})
    log = log[log["CustomerID"].notna() & ~log["InvoiceNo"].str.startswith("C")]
    log = log[(log["Quantity"] > 0) & (log["UnitPrice"] > 0)]
    merchandise = {code for code in log["StockCode"].unique() if is_merchandise(code)}
    log = log[log["StockCode"].isin(merchandise)]
    products = {code: index for index, code in enumerate(sorted(merchandise))}
    events = pd.DataFrame(
        {
            "customer_id": log["CustomerID"].str.removesuffix(".0").astype(int).to_numpy(),
            "order_id": log["InvoiceNo"].to_numpy(),
            "product_id": log["StockCode"].map(products).to_numpy(),
            "placed_at": pd.to_datetime(log["InvoiceDate"], utc=True).to_numpy(),
            "country": log["Country"].to_numpy(),
            "quantity": log["Quantity"].to_numpy(),
            "amount": (log["Quantity"] * log["UnitPrice"]).to_numpy(),
        }
    )
    # product id -> its latest description, for the content-based model
    latest_names = log.dropna(subset=["Description"]).groupby("StockCode")["Description"].last()
    return events, {products[code]: name.strip() for code, name in latest_names.items()}
