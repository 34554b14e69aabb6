"""Recommendations fitted to the store: repurchase learned, not assumed (where nobody re-buys the
served lists hold no bought-before product; where customers re-buy weekly they do), and a
per-customer protocol where the last weeks hold too few customers to decide."""

import numpy as np
import pandas as pd

from apps.recommendations.ml.interactions import Interactions
from apps.recommendations.ml.lists import customer_lists
from apps.recommendations.ml.recommenders import ItemKNN
from apps.recommendations.ml.selection import select_and_test, served_family

START = pd.Timestamp("2024-01-01", tz="UTC")
WEEKS = 12


def store(*, rebuy: bool, customers: int = 150, products: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for customer in range(customers):
        favourites = rng.choice(products, 2, replace=False)
        walk = rng.permutation(products)
        for week in range(WEEKS):
            day = START + pd.Timedelta(days=7 * week + int(rng.integers(0, 7)))
            if rebuy:
                rows += [(customer, int(p), day) for p in favourites]
            else:
                # Products follow a shared order, so what comes next is learnable, and none comes twice.
                rows.append((customer, int((walk[0] + week) % products), day))
    events = pd.DataFrame(rows, columns=["customer_id", "product_id", "placed_at"]).assign(country="")
    events["order_id"] = events.groupby(["customer_id", "placed_at"]).ngroup()
    return events.sort_values("placed_at", kind="stable").reset_index(drop=True)


def served_lists(events):
    as_of = events["placed_at"].max() + pd.Timedelta(seconds=1)
    split_at = (as_of - pd.Timedelta(days=21)).normalize()
    results = select_and_test(events, valid_start=split_at - pd.Timedelta(days=21), split_at=split_at, until=as_of)
    served = served_family(results)
    data = Interactions.from_events(events, as_of=as_of)
    model = served.chosen.build().fit(data)
    similarity = ItemKNN("jaccard").fit(data).sim
    bought = events.groupby("customer_id")["product_id"].agg(set)
    lists = dict(customer_lists(model, data, length=5, similarity=similarity, new_only=served.new_only))
    repeated = sum(product in bought[c] for c, entries in lists.items() for product, *_ in entries)
    return served, repeated, sum(len(entries) for entries in lists.values())


def test_where_nobody_rebuys_lists_hold_new_products_only():
    served, repeated, shown = served_lists(store(rebuy=False))

    assert served.new_only is True
    assert shown > 0 and repeated == 0


def test_where_customers_rebuy_weekly_their_products_come_back():
    served, repeated, shown = served_lists(store(rebuy=True))

    assert served.new_only is False
    assert repeated > shown / 3


def test_too_few_customers_in_the_last_weeks_switch_to_the_per_customer_protocol():
    from apps.recommendations.ml.protocol import MIN_TEST_CUSTOMERS, per_customer_split

    def protocol(events):
        as_of = events["placed_at"].max() + pd.Timedelta(seconds=1)
        split_at = (as_of - pd.Timedelta(days=21)).normalize()
        return select_and_test(
            events, valid_start=split_at - pd.Timedelta(days=21), split_at=split_at, until=as_of
        ).protocol

    assert protocol(store(rebuy=True, customers=MIN_TEST_CUSTOMERS - 50)) == "per_customer"
    assert protocol(store(rebuy=True, customers=MIN_TEST_CUSTOMERS + 10)) == "weeks"

    # Per customer: 12 orders each -> the latest ceil(12 x 0.2) = 3 held out; one order -> all in training.
    events = store(rebuy=False, customers=3)
    single = pd.DataFrame(
        {"customer_id": [99], "product_id": [1], "placed_at": [START], "country": [""], "order_id": [999]}
    )
    split = per_customer_split(pd.concat([events, single], ignore_index=True))
    assert split.test.groupby("customer_id").size().to_dict() == {0: 3, 1: 3, 2: 3}
    latest = events.groupby("customer_id")["placed_at"].apply(lambda t: set(t.nlargest(3)))
    assert all(set(group["placed_at"]) == latest[c] for c, group in split.test.groupby("customer_id"))
    assert 99 in set(split.train["customer_id"]) and split.customers == [0, 1, 2]
