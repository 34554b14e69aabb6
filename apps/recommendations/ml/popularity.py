"""Popularity baselines: the products most customers bought in a recent window, overall
and per country. Pure pandas, no Django."""

import numpy as np
import pandas as pd


def most_bought(events: pd.DataFrame, *, limit: int) -> list[tuple[int, int]]:
    """(product_id, distinct customers) by distinct customers, then product id; top `limit`."""
    if events.empty:
        return []
    buyers = events.groupby("product_id")["customer_id"].nunique()
    ranked = sorted(buyers.items(), key=lambda item: (-item[1], item[0]))
    return [(int(product), int(count)) for product, count in ranked[:limit]]


def most_bought_by_country(events: pd.DataFrame, *, limit: int, min_customers: int) -> dict[str, list]:
    """Per country with at least `min_customers` buyers; other countries use the global list."""
    lists = {}
    for country, group in events.groupby("country", sort=True):
        # "" names the overall list; customers without a country belong to it, not to a country.
        if country and group["customer_id"].nunique() >= min_customers:
            lists[country] = most_bought(group, limit=limit)
    return lists


def trending(events: pd.DataFrame, *, as_of, half_life_days: float = 14.0, limit: int = 50) -> list[tuple[int, float]]:
    """Products by recently decayed buyers: each customer's latest purchase of a product
    counts 2^(-age/half_life). (product_id, score), best first, ties by product id."""
    if events.empty:
        return []
    latest = events.groupby(["product_id", "customer_id"])["placed_at"].max()
    age_days = (pd.Timestamp(as_of) - latest).dt.total_seconds() / 86400.0
    scores = np.exp2(-age_days.clip(lower=0) / half_life_days).groupby(level="product_id").sum()
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [(int(product), round(float(score), 6)) for product, score in ranked[:limit]]
