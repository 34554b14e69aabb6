"""A generated order log in the shape of the UCI Online Retail file, for machines without
the real data: same columns, same kinds of rows (cancellations, postage, guests, stock
adjustments, several descriptions per SKU), deterministic for a given seed."""

import csv
import datetime as dt
import random
from pathlib import Path

COLUMNS = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
COUNTRIES = ["United Kingdom"] * 9 + ["Germany", "France", "EIRE", "Spain", "Netherlands", "Belgium", "Switzerland"]
ADJECTIVES = ["WHITE", "RED", "VINTAGE", "PINK", "BLUE", "RETROSPOT", "HEART", "FLORAL", "GREEN", "JUMBO"]
NOUNS = [
    "T-LIGHT HOLDER",
    "LANTERN",
    "LUNCH BAG",
    "MUG",
    "CAKE TIN",
    "BUNTING",
    "NOTEBOOK",
    "CUSHION COVER",
    "DOORSTOP",
    "CHRISTMAS DECORATION",
    "PHOTO FRAME",
    "TEA SET",
]


def write_sample_order_log(
    path: Path, *, invoices: int = 2_000, customers: int = 300, skus: int = 400, seed: int = 2010
) -> Path:
    rng = random.Random(seed)
    catalogue = []
    for index in range(skus):
        code = f"{20000 + index * 7:05d}{rng.choice(['', '', 'A', 'B'])}"
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
        catalogue.append((code, name, round(rng.uniform(0.4, 12.0), 2)))
    # Popularity is skewed, as in real shops.
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(skus)]
    shoppers = [(str(12346 + i * 3), rng.choice(COUNTRIES)) for i in range(customers)]
    # Each shopper has a taste: a handful of neighbouring products they keep coming back to,
    # so that personal recommendations have something to find, as in a real shop.
    tastes = {}
    for customer, _ in shoppers:
        start = rng.randrange(skus)
        tastes[customer] = [catalogue[(start + offset) % skus] for offset in range(30)]
    moment = dt.datetime(2010, 12, 1, 8, 26)
    rows = []
    purchases: dict[str, list] = {}
    for number in range(invoices):
        moment += dt.timedelta(minutes=rng.randint(5, 250))
        invoice = str(536365 + number)
        stamp = moment.strftime("%Y-%m-%d %H:%M:%S")
        guest = rng.random() < 0.1
        customer, country = ("", "United Kingdom") if guest else rng.choice(shoppers)
        roll = rng.random()
        if roll < 0.02:
            code, name, _ = rng.choice(catalogue)
            rows.append(
                [
                    invoice,
                    code,
                    rng.choice(["damaged", "lost", "?"]),
                    str(-rng.randint(1, 20)),
                    stamp,
                    "0.0",
                    "",
                    "United Kingdom",
                ]
            )
            continue
        if roll < 0.06 and purchases.get(customer):
            code, name, price, quantity = rng.choice(purchases[customer])
            rows.append([f"C{invoice}", code, name, str(-quantity), stamp, f"{price}", f"{customer}.0", country])
            continue
        size = rng.randint(1, 25)
        picks = rng.choices(catalogue, weights=weights, k=size)
        if customer:
            picks = [rng.choice(tastes[customer]) if rng.random() < 0.8 else pick for pick in picks]
        for code, name, price in picks:
            quantity = rng.choice([1, 2, 3, 4, 6, 12, 24])
            if moment.month >= 6 and rng.random() < 0.1:
                name = name.replace("HOLDER", "HOLDER NEW")  # a renamed product
            rows.append(
                [invoice, code, name, str(quantity), stamp, f"{price}", f"{customer}.0" if customer else "", country]
            )
            if customer:
                purchases.setdefault(customer, []).append((code, name, price, quantity))
        if country != "United Kingdom" and not guest:
            rows.append([invoice, "POST", "POSTAGE", "1", stamp, "18.0", f"{customer}.0", country])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path
