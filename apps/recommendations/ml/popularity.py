"""Popularity baselines: the products most customers bought in a recent window, overall
and per country. Pure pandas, no Django."""

import numpy as np
import pandas as pd

from apps.recommendations.ml.metrics import hit_rate_at_k, ndcg_at_k


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
        if group["customer_id"].nunique() >= min_customers:
            lists[country] = most_bought(group, limit=limit)
    return lists


def evaluate_lists(lists_for: dict[int, list[int]], truth_for: dict[int, set], *, k: int = 10) -> dict:
    """Average NDCG@k and HitRate@k over the customers in truth_for."""
    customers = list(truth_for)
    if not customers:
        return {"customers": 0, f"ndcg@{k}": 0.0, f"hit_rate@{k}": 0.0}
    ndcg = np.mean([ndcg_at_k(lists_for[c], truth_for[c], k) for c in customers])
    hits = np.mean([hit_rate_at_k(lists_for[c], truth_for[c], k) for c in customers])
    return {"customers": len(customers), f"ndcg@{k}": round(float(ndcg), 4), f"hit_rate@{k}": round(float(hits), 4)}
