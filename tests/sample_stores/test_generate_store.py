"""`generate_store` writes an order log in the UCI format with a real shop's structure, which the
importer takes as it takes the UCI file."""

import hashlib

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from apps.catalogue.stock_codes import MERCHANDISE_CODE
from apps.sample_stores.generator import COLUMNS, StoreShape, write_store


def generate(tmp_path, name="store.csv", **options):
    path = tmp_path / name
    arguments = {"customers": 60, "products": 80, "lines": 4000, **options}
    call_command("generate_store", "--output", str(path), "--no-progress", *_flags(arguments))
    return path


def _flags(arguments: dict) -> list[str]:
    return [part for key, value in arguments.items() for part in (f"--{key.replace('_', '-')}", str(value))]


def read(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_the_log_has_the_uci_columns_and_kinds_of_rows(tmp_path, capsys):
    log = read(generate(tmp_path))

    assert list(log.columns) == COLUMNS
    assert 3600 <= len(log) <= 4400  # "about L lines"
    assert f"Wrote {len(log):,} lines" in capsys.readouterr().out
    sales = log[~log["InvoiceNo"].str.startswith("C") & (log["UnitPrice"] != "0.0")]
    merchandise = sales[sales["StockCode"] != "POST"]
    assert merchandise["StockCode"].str.fullmatch(MERCHANDISE_CODE.pattern).all()
    assert merchandise["StockCode"].nunique() <= 80
    assert sales.loc[sales["CustomerID"] != "", "CustomerID"].nunique() <= 60
    assert (sales["Quantity"].astype(int) > 0).all()
    # Cancellations reverse a customer's line; adjustments write stock off at price 0 for nobody.
    cancellations = log[log["InvoiceNo"].str.startswith("C")]
    assert len(cancellations) > 0
    assert (cancellations["Quantity"].astype(int) < 0).all() and (cancellations["CustomerID"] != "").all()
    adjustments = log[log["UnitPrice"] == "0.0"]
    assert (adjustments["Quantity"].astype(int) < 0).all() and (adjustments["CustomerID"] == "").all()
    # Postage is charged on orders shipped abroad only.
    postage = log[log["StockCode"] == "POST"]
    assert len(postage) > 0 and (postage["Country"] != "United Kingdom").all()
    # Guests: orders without a customer.
    assert (sales["CustomerID"] == "").any()


def test_popularity_has_a_long_tail_and_staples_are_rebought(tmp_path):
    def shape_of(path):
        log = read(path)
        sales = log[~log["InvoiceNo"].str.startswith("C") & (log["CustomerID"] != "") & (log["StockCode"] != "POST")]
        buyers = sales.groupby("StockCode")["CustomerID"].nunique().sort_values(ascending=False)
        top_tenth_share = buyers.iloc[: len(buyers) // 10].sum() / buyers.sum()
        orders_per_pair = sales.groupby(["CustomerID", "StockCode"])["InvoiceNo"].nunique()
        return top_tenth_share, (orders_per_pair > 1).mean()

    options = {"customers": 300, "products": 1000, "lines": 30000}
    top_share, rebuy_share = shape_of(generate(tmp_path, "rebuy.csv", **options, repeat_rate=0.5))
    _, rebuy_share_without_staples = shape_of(generate(tmp_path, "new.csv", **options, repeat_rate=0.0))

    assert top_share > 0.3  # a tenth of the catalogue, far more than a tenth of the buyers
    assert rebuy_share > rebuy_share_without_staples + 0.1  # measured: 0.40 against 0.26


def test_the_same_seed_writes_the_same_log_and_another_seed_another(tmp_path):
    def digest(path):
        return hashlib.sha256(path.read_bytes()).hexdigest()

    shape = StoreShape(customers=30, products=40, lines=1500)
    write_store(tmp_path / "a.csv", shape)
    write_store(tmp_path / "b.csv", shape)
    write_store(tmp_path / "c.csv", StoreShape(customers=30, products=40, lines=1500, seed=7))

    assert digest(tmp_path / "a.csv") == digest(tmp_path / "b.csv") != digest(tmp_path / "c.csv")


@pytest.mark.django_db
def test_the_importer_takes_a_generated_log_whole(tmp_path):
    from apps.orders.models import ImportBatch, Order

    path = generate(tmp_path, "store.csv.gz", customers=40, products=50, lines=2000)
    log = read(path)

    call_command("import_orders", str(path), "--source", "generated", "--no-progress")

    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.SUCCEEDED
    assert batch.rows_read == len(log)
    assert batch.rows_rejected == 0
    assert Order.objects.count() == log["InvoiceNo"].nunique()


def test_bad_sizes_are_refused_naming_the_option(tmp_path):
    with pytest.raises(CommandError, match="customers must be at least 1"):
        generate(tmp_path, customers=0)
    with pytest.raises(CommandError, match="repeat_rate must be between 0 and 0.6"):
        generate(tmp_path, repeat_rate=0.9)
