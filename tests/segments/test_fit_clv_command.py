"""`fit_clv` on summary tables and purchase logs written in tmp_path; no database."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from tests.segments.test_clv_value import simulated_log

MANAGE = Path(__file__).resolve().parents[2] / "manage.py"


@pytest.fixture
def summary_csv(tmp_path):
    log = simulated_log(300, days=365, seed=4)
    from apps.segments.ml.clv_summary import customer_summary

    summary = customer_summary(log, value_col="amount", calibration_end="2012-12-31")
    path = tmp_path / "summary.csv"
    summary.rename(columns={"customer_id": "ID"}).to_csv(path, index=False)
    return path


@pytest.fixture
def log_csv(tmp_path):
    path = tmp_path / "orders.csv"
    log = simulated_log(300, days=365, seed=5)
    log["placed_at"] = log["placed_at"].dt.strftime("%Y-%m-%d %H:%M")
    log.rename(columns={"customer_id": "shopper", "placed_at": "bought_at", "amount": "total"}).to_csv(
        path, index=False
    )
    return path


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("fit_clv", *args, stdout=out)
    return out.getvalue()


def test_summary_fit_prints_parameters(summary_csv):
    text = run("--summary", str(summary_csv))
    assert "BG/NBD: r " in text and "log-likelihood" in text
    assert "Gamma-Gamma: p " in text

    result = json.loads(run("--summary", str(summary_csv), "--json"))
    assert result["customers"] == 300
    assert set(result["bgnbd"]["params"]) == {"r", "alpha", "a", "b"}
    assert result["bgnbd"]["log_likelihood"] < 0
    assert set(result["gamma_gamma"]["params"]) == {"p", "q", "v"}


def test_summary_without_spend_fits_bgnbd_only(tmp_path):
    path = tmp_path / "rfm.csv"
    path.write_text("frequency,recency,T\n2,30.43,38.86\n1,1.71,38.86\n0,0,38.86\n0,0,38.86\n3,20,30\n")

    result = json.loads(run("--summary", str(path), "--json"))

    assert result["customers"] == 5 and "gamma_gamma" not in result


def test_transactions_with_holdout_score_every_model(log_csv, tmp_path):
    output = tmp_path / "values.csv"
    args = ["--transactions", str(log_csv), "--customer-col", "shopper", "--date-col", "bought_at"]
    args += ["--value-col", "total", "--calibration-end", "2012-08-31", "--holdout-end", "2012-12-31"]

    result = json.loads(run(*args, "--json", "--output", str(output)))

    assert set(result["models"]) == {"product", "bgnbd", "naive"}
    for scores in result["models"].values():
        assert {"predicted_total", "actual_total", "ratio", "rmse", "mae", "fit_seconds", "params"} <= set(scores)
    assert result["horizon"] == pytest.approx(122 / 7)
    values = pd.read_csv(output)
    assert list(values.columns) == ["customer_id", "predicted_purchases", "probability_alive", "predicted_value"]
    assert len(values) == result["customers"] and values.notna().all().all()

    text = run(*args)
    assert "Product model:" in text and "naive" in text and "RMSE" in text


def test_transactions_without_holdout_forecast_ninety_days(log_csv, tmp_path):
    output = tmp_path / "values.csv"
    args = ["--transactions", str(log_csv), "--customer-col", "shopper", "--date-col", "bought_at"]

    result = json.loads(
        run(*args, "--calibration-end", "2012-12-31", "--time-unit-days", "1", "--output", str(output), "--json")
    )

    assert result["horizon"] == 90 and result["selection"]["selected"]
    assert pd.read_csv(output)["predicted_value"].eq(0).all()  # no value column: no spend


def test_headerless_whitespace_log_like_cdnow(tmp_path):
    log = simulated_log(200, days=365, seed=6)
    lines = [
        f" {i:05d} {customer[1:]:>4} {moment:%Y%m%d}  1 {amount:8.2f}"
        for i, (customer, moment, amount) in enumerate(log.itertuples(index=False))
    ]
    path = tmp_path / "cdnow_like.txt"
    path.write_text("\n".join(lines) + "\n")

    result = json.loads(
        run(
            "--transactions",
            str(path),
            "--no-header",
            "--columns",
            "master,customer,date,cds,value",
            "--customer-col",
            "customer",
            "--date-col",
            "date",
            "--value-col",
            "value",
            "--calibration-end",
            "20120831",
            "--holdout-end",
            "2012-12-31",
            "--json",
        )
    )

    assert result["customers"] == 200
    assert result["models"]["bgnbd"]["actual_total"] > 0


@pytest.mark.parametrize(
    "content, args, message",
    [
        (None, [], "no such file"),
        ("shopper,bought_at\nu1,2012-01-01\n", [], "missing column total"),
        (
            "shopper,bought_at,total\nu1,2012-01-01,5\nu1,not a date,5\n",
            [],
            "line 3: cannot read the date 'not a date'",
        ),
        ("shopper,bought_at,total\nu1,2012-01-01,5\nu1,2012-02-01,five\n", [], "line 3: total 'five' is not a number"),
        ("shopper,bought_at,total\nu1,2012-01-01,5\n", ["--calibration-end", "soon"], "--calibration-end: cannot read"),
        ("shopper,bought_at,total\nu1,2013-01-01,5\n", [], "no purchases on or before the calibration end"),
    ],
)
def test_bad_input_is_explained(tmp_path, content, args, message):
    path = tmp_path / "orders.csv"
    if content is not None:
        path.write_text(content)
    base = ["--transactions", str(path), "--customer-col", "shopper", "--date-col", "bought_at", "--value-col", "total"]
    if "--calibration-end" not in args:
        args = [*args, "--calibration-end", "2012-06-30"]

    with pytest.raises(CommandError, match=message):
        run(*base, *args)


def test_bad_summary_rows_are_named(tmp_path):
    path = tmp_path / "summary.csv"
    path.write_text("frequency,recency,T\n1,2,3\n1,5,3\n")
    with pytest.raises(CommandError, match="line 3: need frequency >= 0 and 0 <= recency <= T"):
        run("--summary", str(path))
    path.write_text("frequency,recency\n1,2\n")
    with pytest.raises(CommandError, match="missing column T"):
        run("--summary", str(path))


def test_errors_exit_non_zero_without_a_traceback(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,placed_at\nu1,yesterday-ish\n")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "retailhub.settings.test")}

    done = subprocess.run(
        [sys.executable, str(MANAGE), "fit_clv", "--transactions", str(path), "--calibration-end", "2012-06-30"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )

    assert done.returncode != 0
    assert "line 2: cannot read the date 'yesterday-ish' in placed_at" in done.stderr
    assert "Traceback" not in done.stderr
