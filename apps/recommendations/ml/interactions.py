"""Purchase events as a sparse customer x product matrix, with the index maps back to ids."""

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import sparse


@dataclass
class Interactions:
    matrix: sparse.csr_matrix  # customers x products, number of distinct orders with the product
    customers: np.ndarray  # row -> customer id
    products: np.ndarray  # column -> product id
    last_bought: sparse.csr_matrix  # days before `as_of` of the latest purchase, +1 (0 = never)
    countries: np.ndarray  # row -> the customer's latest country
    # (row, col, placed_at, order) of every event, for the sequence model's baskets
    events: pd.DataFrame = field(default=None, repr=False)
    # column -> mean unit price paid (amount over quantity), where the events carry them
    unit_prices: np.ndarray | None = None

    @classmethod
    def from_events(cls, events: pd.DataFrame, *, as_of, max_products: int | None = None) -> "Interactions":
        """events: customer_id, product_id, order_id, placed_at, country (quantity and amount
        optional). With `max_products`, only the head of the catalogue: the products with most
        distinct buyers (ties to the lower id); the tail is left to the content and popularity lists."""
        if max_products is not None and events["product_id"].nunique() > max_products:
            events = events[events["product_id"].isin(catalogue_head(events, max_products))]
        customers = np.array(sorted(events["customer_id"].unique()))
        products = np.array(sorted(events["product_id"].unique()))
        rows = np.searchsorted(customers, events["customer_id"].to_numpy())
        cols = np.searchsorted(products, events["product_id"].to_numpy())
        pairs = pd.DataFrame(
            {"row": rows, "col": cols, "order": events["order_id"].to_numpy(), "at": events["placed_at"].to_numpy()}
        )
        grouped = pairs.groupby(["row", "col"])
        counts = grouped["order"].nunique()
        latest = grouped["at"].max()
        index_rows = counts.index.get_level_values(0).to_numpy()
        index_cols = counts.index.get_level_values(1).to_numpy()
        shape = (len(customers), len(products))
        matrix = sparse.csr_matrix((counts.to_numpy().astype(np.float32), (index_rows, index_cols)), shape=shape)
        age_days = (pd.Timestamp(as_of) - pd.to_datetime(latest.to_numpy(), utc=True)).days.to_numpy()
        last_bought = sparse.csr_matrix(((age_days + 1).astype(np.float32), (index_rows, index_cols)), shape=shape)
        latest_country = events.sort_values("placed_at").groupby("customer_id")["country"].last()
        unit_prices = None
        if {"amount", "quantity"} <= set(events.columns):
            totals = pd.DataFrame(
                {"col": cols, "amount": events["amount"].to_numpy(), "quantity": events["quantity"].to_numpy()}
            )
            summed = totals.groupby("col")[["amount", "quantity"]].sum()
            unit_prices = (summed["amount"] / summed["quantity"]).reindex(range(len(products))).to_numpy()
        countries = latest_country.reindex(customers).to_numpy()
        return cls(matrix, customers, products, last_bought, countries, pairs, unit_prices)

    @cached_property
    def orders_per_customer(self) -> np.ndarray:
        """Row -> the number of distinct orders."""
        counts = self.events.groupby("row")["order"].nunique()
        return counts.reindex(range(len(self.customers)), fill_value=0).to_numpy()

    @cached_property
    def baskets(self) -> list[list[np.ndarray]]:
        """Row -> the customer's baskets in time order, each the sorted columns bought together."""
        baskets: list[list[np.ndarray]] = [[] for _ in self.customers]
        ordered = self.events.sort_values(["row", "at", "order"], kind="stable")
        for (row, _order), group in ordered.groupby(["row", "order"], sort=False):
            baskets[row].append(np.unique(group["col"].to_numpy()))
        return baskets

    def rows_for(self, customer_ids) -> np.ndarray:
        """Row of each customer, -1 for a customer with no history (cold start)."""
        positions = np.searchsorted(self.customers, customer_ids)
        positions = np.clip(positions, 0, len(self.customers) - 1)
        known = self.customers[positions] == np.asarray(customer_ids)
        return np.where(known, positions, -1)

    @property
    def binary(self) -> sparse.csr_matrix:
        bought = self.matrix.copy()
        bought.data[:] = 1.0
        return bought


def catalogue_head(events: pd.DataFrame, size: int) -> np.ndarray:
    """The `size` products with most distinct buyers, ties to the lower product id."""
    buyers = events.groupby("product_id")["customer_id"].nunique()
    ranked = buyers.reset_index().sort_values(["customer_id", "product_id"], ascending=[False, True])
    return ranked["product_id"].to_numpy()[:size]
