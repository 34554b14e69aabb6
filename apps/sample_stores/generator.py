"""A synthetic order log in the UCI Online Retail format, at any size, for testing at scale.
Pure numpy and pandas, no Django; vectorised, so 20 million lines take minutes, written in
chunks so memory stays bounded.

The structure mimics what real shops show and what the models feed on:
- long-tail popularity: product weights follow a Zipf law (exponent POPULARITY_EXPONENT);
- customers of very different activity: order counts drawn from a lognormal;
- tastes: each product belongs to a theme (its name's noun says which), each customer prefers
  one theme; a share of their lines comes from it;
- repeat buying: each customer has a few staple products they re-buy (`repeat_rate` of lines);
- baskets of several lines, guests without a customer id, postage lines for abroad;
- seasonality: more orders towards November, fewer at weekends, within opening hours;
- cancellations ("C" invoices reversing a line of the customer's earlier order) and stock
  adjustments (negative quantities at price 0 without a customer).
Deterministic for a given seed.
"""

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from apps.sample_stores.sample_order_log import ADJECTIVES as SAMPLE_ADJECTIVES
from apps.sample_stores.sample_order_log import NOUNS as SAMPLE_NOUNS

COLUMNS = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
COUNTRIES = ["United Kingdom", "Germany", "France", "EIRE", "Spain", "Netherlands", "Belgium", "Switzerland"]
COUNTRY_WEIGHTS = [0.82, 0.04, 0.04, 0.03, 0.02, 0.02, 0.02, 0.01]
# The demo's sample store's words, and a few more for a larger catalogue's themes.
ADJECTIVES = [*SAMPLE_ADJECTIVES, "SMALL"]
NOUNS = [*SAMPLE_NOUNS, "WALL CLOCK", "JAM JAR", "GIFT WRAP", "CANDLE"]
QUANTITIES = np.array([1, 2, 3, 4, 6, 12, 24])
QUANTITY_WEIGHTS = np.array([0.25, 0.2, 0.1, 0.1, 0.15, 0.15, 0.05])
# November is the busiest month of a gift shop's year; months from December of the first year.
MONTH_WEIGHTS = np.array([0.8, 0.7, 0.6, 0.8, 0.7, 0.8, 0.8, 0.8, 0.9, 1.2, 1.3, 1.6, 0.9])
WEEKDAY_WEIGHTS = np.array([1.0, 1.1, 1.1, 1.2, 0.9, 0.2, 0.6])
POPULARITY_EXPONENT = 0.9
LINES_PER_ORDER = 12.0
GUEST_SHARE = 0.1
CANCELLATION_SHARE = 0.02
ADJUSTMENT_SHARE = 0.005
TASTE_SHARE = 0.4
STAPLES_PER_CUSTOMER = 5
CHUNK_ORDERS = 100_000
# Sales lines, plus the cancellations, adjustments and postage lines that come with them.
EXPECTED_LINES_PER_ORDER = LINES_PER_ORDER * (1 + CANCELLATION_SHARE * (1 - GUEST_SHARE) + ADJUSTMENT_SHARE) + (
    1 - GUEST_SHARE
) * (1 - COUNTRY_WEIGHTS[0])


@dataclass(frozen=True)
class StoreShape:
    customers: int
    products: int
    lines: int
    repeat_rate: float = 0.3
    seed: int = 2010
    start: str = "2010-12-01"
    days: int = 374  # the UCI log runs from 2010-12-01 to 2011-12-09


def write_store(path: Path, shape: StoreShape, *, progress: Callable[[int], None] | None = None) -> dict:
    """Write the log to `path` (gzip when it ends in .gz). Returns counts of what was written.
    `progress` is called with the number of orders written after each chunk."""
    _check(shape)
    rng = np.random.default_rng(shape.seed)
    catalogue = _catalogue(shape, rng)
    people = _customers(shape, catalogue, rng)
    orders = max(1, round(shape.lines / EXPECTED_LINES_PER_ORDER))
    order_customer = rng.choice(shape.customers, size=orders, p=people.activity)
    order_customer[rng.random(orders) < GUEST_SHARE] = -1
    order_time = _order_times(shape, orders, rng)
    sizes = rng.poisson(LINES_PER_ORDER - 1, size=orders) + 1
    counts = {"lines": 0, "orders": orders, "cancellations": 0, "adjustments": 0}
    # Cancellations and adjustments are numbered after the sales, as in a till's sequence.
    next_number = [FIRST_INVOICE + orders]
    path.parent.mkdir(parents=True, exist_ok=True)
    with _open(path) as out:
        out.write(",".join(COLUMNS) + "\n")
        for start in range(0, orders, CHUNK_ORDERS):
            stop = min(orders, start + CHUNK_ORDERS)
            sales = _sales(
                shape,
                rng,
                catalogue,
                people,
                order_customer[start:stop],
                order_time[start:stop],
                sizes[start:stop],
                first_order=start,
            )
            cancellations = _cancellations(rng, sales, next_number)
            adjustments = _adjustments(rng, catalogue, sales, next_number)
            frame = pd.concat([sales, cancellations, adjustments], ignore_index=True)
            frame[COLUMNS].to_csv(out, header=False, index=False)
            counts["lines"] += len(frame)
            counts["cancellations"] += len(cancellations)
            counts["adjustments"] += len(adjustments)
            if progress:
                progress(stop - start)
    return counts


FIRST_INVOICE = 536365


def _open(path: Path):
    if path.suffix == ".gz":
        # Level 3: most of level 9's size at a fraction of its time on millions of lines.
        return gzip.open(path, "wt", newline="", encoding="utf-8", compresslevel=3)
    return path.open("w", newline="", encoding="utf-8")


def _check(shape: StoreShape) -> None:
    for name in ("customers", "products", "lines"):
        if getattr(shape, name) < 1:
            raise ValueError(f"{name} must be at least 1")
    if not 0 <= shape.repeat_rate <= 1 - TASTE_SHARE:
        raise ValueError(f"repeat_rate must be between 0 and {1 - TASTE_SHARE:g}")


@dataclass
class _Catalogue:
    codes: np.ndarray  # str
    names: np.ndarray  # str
    prices: np.ndarray  # str, two decimals
    popularity: np.ndarray  # sums to 1
    theme_start: np.ndarray  # first product index of each theme (products are ordered by theme)
    theme_size: np.ndarray


@dataclass
class _Customers:
    ids: np.ndarray  # str, "12346.0" as in the UCI file
    countries: np.ndarray  # str
    activity: np.ndarray  # sums to 1
    theme: np.ndarray  # favourite theme
    staples: np.ndarray  # customers x STAPLES_PER_CUSTOMER product indices


def _catalogue(shape: StoreShape, rng) -> _Catalogue:
    products = shape.products
    themes = max(1, min(len(NOUNS) * len(ADJECTIVES), products // 25))
    theme_of = np.sort(rng.integers(0, themes, size=products))
    theme_start = np.searchsorted(theme_of, np.arange(themes))
    theme_size = np.diff(np.append(theme_start, products))
    numbers = np.arange(products)
    # Five digits, then a letter suffix once the digits run out: merchandise codes as in the UCI log.
    suffixes = np.array(["", "A", "B", "C", "D", "E", "F", "G", "H", "J", "K", "L", "M", "N", "P", "R", "S", "T"])
    codes = np.char.add((10000 + numbers % 90000).astype(str), suffixes[np.minimum(numbers // 90000, 17)])
    # A product's noun and first adjective say its theme, so names carry the taste structure too.
    nouns = np.array(NOUNS)[theme_of % len(NOUNS)]
    first = np.array(ADJECTIVES)[(theme_of // len(NOUNS)) % len(ADJECTIVES)]
    second = np.array(ADJECTIVES)[rng.integers(0, len(ADJECTIVES), size=products)]
    names = np.char.add(np.char.add(first, " "), np.char.add(np.char.add(second, " "), nouns))
    prices = np.exp(rng.normal(0.9, 0.8, size=products)).clip(0.1, 500)
    # Popularity ranks are shuffled across themes, so every theme has its hits and its tail.
    ranks = rng.permutation(products)
    weights = 1.0 / (ranks + 1.0) ** POPULARITY_EXPONENT
    price_text = np.char.mod("%.2f", prices)
    return _Catalogue(codes, names, price_text, weights / weights.sum(), theme_start, theme_size)


def _customers(shape: StoreShape, catalogue: _Catalogue, rng) -> _Customers:
    n = shape.customers
    theme = rng.integers(0, len(catalogue.theme_start), size=n)
    staples = _theme_picks(catalogue, np.repeat(theme, STAPLES_PER_CUSTOMER), rng).reshape(n, STAPLES_PER_CUSTOMER)
    activity = np.exp(rng.normal(0.0, 1.2, size=n))
    return _Customers(
        ids=np.char.add((12346 + np.arange(n)).astype(str), ".0"),
        countries=np.array(COUNTRIES)[rng.choice(len(COUNTRIES), size=n, p=COUNTRY_WEIGHTS)],
        activity=activity / activity.sum(),
        theme=theme,
        staples=staples,
    )


def _theme_picks(catalogue: _Catalogue, themes: np.ndarray, rng) -> np.ndarray:
    """One product per entry of `themes`, skewed towards the theme's first products."""
    offsets = np.floor(catalogue.theme_size[themes] * rng.random(len(themes)) ** 2).astype(np.int64)
    return catalogue.theme_start[themes] + offsets


def _order_times(shape: StoreShape, orders: int, rng) -> np.ndarray:
    """Sorted order times: days weighted by month and weekday, minutes within 08:00-20:00."""
    days = pd.date_range(shape.start, periods=shape.days, freq="D")
    month_index = (days.year - days[0].year) * 12 + days.month - days[0].month
    weights = MONTH_WEIGHTS[np.minimum(month_index, len(MONTH_WEIGHTS) - 1)] * WEEKDAY_WEIGHTS[days.day_of_week]
    day = rng.choice(len(days), size=orders, p=weights / weights.sum())
    minute = rng.integers(8 * 60, 20 * 60, size=orders)
    stamps = days.values[day] + minute.astype("timedelta64[m]")
    return np.sort(stamps)


def _sales(shape, rng, catalogue, people, customer, placed_at, sizes, *, first_order: int) -> pd.DataFrame:
    order = np.repeat(np.arange(len(customer)), sizes)
    who = customer[order]
    known = who >= 0
    safe = np.where(known, who, 0)
    products = rng.choice(len(catalogue.codes), size=len(order), p=catalogue.popularity)
    draw = rng.random(len(order))
    staple = known & (draw < shape.repeat_rate)
    taste = known & ~staple & (draw < shape.repeat_rate + TASTE_SHARE)
    products[staple] = people.staples[safe[staple], rng.integers(0, STAPLES_PER_CUSTOMER, size=staple.sum())]
    products[taste] = _theme_picks(catalogue, people.theme[safe[taste]], rng)
    invoice = (FIRST_INVOICE + first_order + np.arange(len(customer))).astype(str)
    stamp = pd.DatetimeIndex(placed_at).strftime("%Y-%m-%d %H:%M:%S").to_numpy()
    country = np.where(customer >= 0, people.countries[np.maximum(customer, 0)], COUNTRIES[0])
    lines = pd.DataFrame(
        {
            "InvoiceNo": invoice[order],
            "StockCode": catalogue.codes[products],
            "Description": catalogue.names[products],
            "Quantity": QUANTITIES[rng.choice(len(QUANTITIES), size=len(order), p=QUANTITY_WEIGHTS)],
            "InvoiceDate": stamp[order],
            "UnitPrice": catalogue.prices[products],
            "CustomerID": np.where(known, people.ids[safe], ""),
            "Country": country[order],
        }
    )
    # Orders shipped abroad carry a postage line, as in the UCI log.
    abroad = np.flatnonzero((customer >= 0) & (country != COUNTRIES[0]))
    postage = pd.DataFrame(
        {
            "InvoiceNo": invoice[abroad],
            "StockCode": "POST",
            "Description": "POSTAGE",
            "Quantity": 1,
            "InvoiceDate": stamp[abroad],
            "UnitPrice": "18.00",
            "CustomerID": people.ids[customer[abroad]],
            "Country": country[abroad],
        }
    )
    return pd.concat([lines, postage], ignore_index=True)


def _cancellations(rng, sales: pd.DataFrame, next_number: list[int]) -> pd.DataFrame:
    """A share of customers' lines cancelled, each on an invoice of its own, stamped as the order."""
    candidates = np.flatnonzero((sales["CustomerID"] != "").to_numpy() & (sales["StockCode"] != "POST").to_numpy())
    picked = candidates[rng.random(len(candidates)) < CANCELLATION_SHARE]
    cancelled = sales.iloc[picked].copy()
    cancelled["InvoiceNo"] = "C" + _numbers(next_number, len(cancelled))
    cancelled["Quantity"] = -cancelled["Quantity"]
    return cancelled


def _adjustments(rng, catalogue: _Catalogue, sales: pd.DataFrame, next_number: list[int]) -> pd.DataFrame:
    """Stock written off (damaged, lost): negative quantities at price 0, no customer."""
    count = int(rng.binomial(len(sales), ADJUSTMENT_SHARE))
    products = rng.integers(0, len(catalogue.codes), size=count)
    return pd.DataFrame(
        {
            "InvoiceNo": _numbers(next_number, count),
            "StockCode": catalogue.codes[products],
            "Description": np.array(["damaged", "lost", "?", "check"])[rng.integers(0, 4, size=count)],
            "Quantity": -rng.integers(1, 25, size=count),
            "InvoiceDate": sales["InvoiceDate"].to_numpy()[rng.integers(0, len(sales), size=count)],
            "UnitPrice": "0.0",
            "CustomerID": "",
            "Country": COUNTRIES[0],
        }
    )


def _numbers(next_number: list[int], count: int) -> np.ndarray:
    numbers = (next_number[0] + np.arange(count)).astype(str)
    next_number[0] += count
    return numbers
