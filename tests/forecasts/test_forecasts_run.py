"""A forecasts run on a store written by hand, and what buyers and integrations then read."""

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from apps.catalogue.models import Product
from apps.core.models import TrainingRun
from apps.core.training.services import training_run_execute, training_run_request
from apps.forecasts import selectors
from apps.forecasts.models import CategoryForecast, ForecastChunk, ProductForecast, ProductForecastModel
from apps.orders.services import order_log_import

FIRST_MONDAY = dt.date(2011, 1, 3)
WEEKS = 20  # sales in weeks 0..19; week 19 is cut short by the end of the log
PARAMETERS = {"horizon": 4, "origins": 2, "chunk_series": 1, "lstm": False}


def week_day(week: int, hour: int = 10) -> str:
    return (dt.datetime.combine(FIRST_MONDAY, dt.time(hour)) + dt.timedelta(weeks=week, days=2)).strftime(
        "%Y-%m-%d %H:%M:%S"
    )


@pytest.fixture
def hand_store(write_order_log, db):
    """85001 sells 10 a week to a customer (15 in week 3, a guest bought 5); a cancellation
    of 4 in week 5 does not un-sell the week. 85002 sells 3 every other week. Postage is no
    merchandise."""
    rows = []
    for week in range(WEEKS):
        rows.append([f"5{week:05d}", "85001", "MUG", "10", week_day(week), "2.5", "12346", "United Kingdom"])
        if week % 2 == 0:
            rows.append([f"5{week:05d}", "85002", "JUG", "3", week_day(week), "4.0", "12346", "United Kingdom"])
        rows.append([f"5{week:05d}", "POST", "POSTAGE", "1", week_day(week), "18.0", "12346", "United Kingdom"])
    rows.append(["599001", "85001", "MUG", "5", week_day(3, hour=15), "2.5", "", "United Kingdom"])
    rows.append(["C599002", "85001", "MUG", "-4", week_day(5, hour=16), "2.5", "12346", "United Kingdom"])
    order_log_import(path=write_order_log(rows))
    return {sku: Product.objects.get(sku=sku) for sku in ("85001", "85002")}


@pytest.fixture
def forecasts_run(hand_store, settings, tmp_path):
    settings.TRAINING_ARTIFACT_DIR = tmp_path / "artifacts"
    run, _ = training_run_request(
        kind="forecasts", trigger=TrainingRun.Trigger.STAFF, parameters=PARAMETERS, enqueue=False
    )
    return training_run_execute(run_id=run.pk)


def test_a_run_forecasts_every_product_from_whole_weeks_of_units_sold(forecasts_run, hand_store):
    run = forecasts_run
    assert (run.status, run.is_active, run.gate_passed) == ("succeeded", True, True), run.gate_reason
    assert run.metrics["products"] == 2
    assert (run.metrics["weeks"], run.metrics["first_week"], run.metrics["last_week"]) == (
        19,
        "2011-01-03",
        "2011-05-09",
    )
    assert sum(run.metrics["chunks_by_worker"].values()) == 3  # the gradient-boosted model, two chunks of one
    assert {"model:global_gbm", "model:tsb", "model:naive"} <= set(run.metrics["seconds"])
    mug = hand_store["85001"]
    rows = list(ProductForecast.objects.filter(run=run, product=mug).order_by("step"))
    assert [(row.step, row.period_start.isoformat()) for row in rows] == [
        (1, "2011-05-16"),
        (2, "2011-05-23"),
        (3, "2011-05-30"),
        (4, "2011-06-06"),
    ]
    for row in rows:
        assert 0 <= row.lower_95 <= row.lower_80 <= row.forecast <= row.upper_80 <= row.upper_95
    history = selectors.product_weekly_history(mug.pk, weeks=19)
    assert [value for _, value in history] == [10.0] * 3 + [15.0] + [10.0] * 15
    models = {row.product.sku: row for row in ProductForecastModel.objects.filter(run=run)}
    assert (models["85001"].selling_periods, models["85002"].selling_periods) == (19, 10)
    assert (models["85001"].mean_demand, models["85002"].mean_demand) == (195 / 19, 30 / 19)
    assert not ForecastChunk.objects.filter(run=run).exists()


def test_category_totals_are_the_sums_of_their_products(forecasts_run):
    products = ProductForecast.objects.filter(run=forecasts_run)
    for row in CategoryForecast.objects.filter(run=forecasts_run):
        assert row.category_id is None  # the order log names no categories
        same_week = products.filter(period_start=row.period_start)
        assert row.forecast == pytest.approx(sum(item.forecast for item in same_week))
        assert row.upper_95 >= row.forecast >= row.lower_95 >= 0
    assert CategoryForecast.objects.filter(run=forecasts_run).count() == 4


def test_nothing_to_forecast_is_refused_with_the_reason(db, settings, tmp_path):
    settings.TRAINING_ARTIFACT_DIR = tmp_path / "artifacts"
    run, _ = training_run_request(kind="forecasts", trigger=TrainingRun.Trigger.STAFF, enqueue=False)
    run = training_run_execute(run_id=run.pk)
    assert (run.status, run.is_active, run.gate_reason) == (
        "succeeded",
        False,
        "No merchandise sales before the cutoff: nothing to forecast.",
    )


def test_integrations_read_forecasts_models_and_csv(forecasts_run, hand_store, client, api_keys):
    headers = {"HTTP_X_API_KEY": api_keys["read"]}
    listing = client.get("/api/v1/forecasts/products/", {"sku": "85002"}, **headers).json()
    assert [row["period_start"] for row in listing["results"]] == [
        "2011-05-16",
        "2011-05-23",
        "2011-05-30",
        "2011-06-06",
    ]
    assert {row["run"] for row in listing["results"]} == {forecasts_run.pk}
    assert set(listing["results"][0]) >= {"forecast", "lower_80", "upper_80", "lower_95", "upper_95", "sku"}
    models = client.get("/api/v1/forecasts/models/", {"ordering": "backtest_error"}, **headers).json()["results"]
    assert {row["sku"] for row in models} == {"85001", "85002"}
    categories = client.get("/api/v1/forecasts/categories/", **headers).json()["results"]
    assert [row["category_name"] for row in categories] == ["Uncategorised"] * 4

    export = client.get("/api/v1/forecasts/products/export/", **headers)
    lines = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert export["Content-Type"].startswith("text/csv")
    assert lines[0] == ["sku", "period_start", "step", "forecast", "lower_80", "upper_80", "lower_95", "upper_95"]
    assert [line[:3] for line in lines[1:3]] == [["85001", "2011-05-16", "1"], ["85001", "2011-05-23", "2"]]
    assert len(lines) == 9
    assert client.get("/api/v1/forecasts/products/").status_code in (401, 403)


def test_the_reorder_list_holds_tracked_products_at_or_below_their_reorder_point(
    forecasts_run, hand_store, client, api_keys
):
    Product.objects.filter(sku="85001").update(stock_on_hand=5)
    Product.objects.filter(sku="85002").update(stock_on_hand=100_000)
    headers = {"HTTP_X_API_KEY": api_keys["read"]}

    due = client.get("/api/v1/forecasts/reorder/", **headers).json()
    every = client.get("/api/v1/forecasts/reorder/", {"all": "1"}, **headers).json()

    assert due["run"] == forecasts_run.pk
    assert [row["sku"] for row in due["results"]] == ["85001"]
    mug = due["results"][0]
    assert mug["reorder_now"] is True and mug["order_quantity"] >= 1
    assert mug["order_quantity"] == pytest.approx(mug["order_up_to"] - 5, abs=1)
    assert (mug["lead_time_days"], mug["service_level"], mug["review_period_days"]) == (14, 0.95, 7)
    assert [row["sku"] for row in every["results"]] == ["85001", "85002"]
    assert every["results"][1]["reorder_now"] is False


def test_staff_see_the_chart_accuracy_list_and_reorder_page(forecasts_run, hand_store, staff_client):
    Product.objects.filter(sku="85001").update(stock_on_hand=0)
    mug = hand_store["85001"]

    page = staff_client.get(reverse("admin:forecasts_product", args=[mug.pk]))
    accuracy = staff_client.get(reverse("admin:forecasts_productforecastmodel_changelist"))
    reorder = staff_client.get(reverse("admin:forecasts_reorder"))

    assert page.status_code == 200
    assert "<svg" in page.text and "units sold" in page.text and "95% interval" in page.text
    assert "2011-05-16" in page.text
    assert accuracy.status_code == 200 and "85001" in accuracy.text and "85002" in accuracy.text
    assert reorder.status_code == 200 and "85001" in reorder.text and "2011-05-16" in reorder.text


def write_weekly_csv(path, rows):
    if not rows:
        path.write_text("")
        return path
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "week", "units"])
        writer.writerows(rows)
    return path


def test_backtest_command_on_a_buyers_export_keeps_its_dates(tmp_path):
    sundays = [dt.date(2023, 1, 1) + dt.timedelta(weeks=k) for k in range(30)]
    rows = [("A", day.isoformat(), 5 + (k % 3)) for k, day in enumerate(sundays)]
    rows += [("B", day.isoformat(), 2 * (k % 2)) for k, day in enumerate(sundays)]
    source = write_weekly_csv(tmp_path / "sales.csv", rows)
    output = tmp_path / "forecasts.csv"
    out = io.StringIO()

    call_command(
        "backtest_forecasts",
        "--csv", str(source), "--id-col", "sku", "--date-col", "week", "--value-col", "units",
        "--horizon", "4", "--no-lstm", "--json", "--output", str(output),
        stdout=out,
    )  # fmt: skip

    report = json.loads(out.getvalue())
    assert (report["series"], report["periods"], report["test_periods"]) == (2, 30, ["2023-07-02", "2023-07-23"])
    assert {"naive", "window_average", "croston_sba", "tsb", "global_gbm"} <= set(report["models"])
    for scores in [*report["models"].values(), report["selected"]]:
        assert {"mase_mean", "mase_median", "wape", "seconds"} <= set(scores)
    assert report["models"]["naive"]["series"] == 2
    with open(output) as handle:
        written = list(csv.DictReader(handle))
    assert list(written[0]) == ["series_id", "period_start", "forecast", "lower_80", "upper_80", "lower_95", "upper_95"]
    assert [row["period_start"] for row in written if row["series_id"] == "A"] == [
        day.isoformat() for day in sundays[-4:]
    ]


@pytest.mark.parametrize(
    ("rows", "arguments", "message"),
    [
        ([("A", "2023-01-01", 1)], ["--id-col", "product"], "column 'product' is missing"),
        ([("A", "2023-01-01", 1), ("A", "01/13/2023x", 2)], [], "week on line 3 is not a date"),
        ([("A", "2023-01-01", 1), ("A", "2023-01-08", 2)], ["--horizon", "4"], "2 periods cannot hold out 4"),
        ([], [], "the file is empty"),
    ],
)
def test_backtest_command_names_what_is_wrong_with_a_file(tmp_path, rows, arguments, message):
    source = write_weekly_csv(tmp_path / "sales.csv", rows)
    base = ["--csv", str(source), "--id-col", "sku", "--date-col", "week", "--value-col", "units", "--json"]
    with pytest.raises(CommandError, match=message):
        call_command("backtest_forecasts", *base, *arguments)


def test_weeks_already_past_are_not_counted_as_demand_to_come(forecasts_run, hand_store):
    Product.objects.filter(sku="85001").update(stock_on_hand=15)
    # Today in the forecast's third week: its first two weeks are past.
    assert selectors.reorder_weeks_from(dt.date(2011, 6, 1)) == dt.date(2011, 5, 30)
    assert selectors.reorder_weeks_from(dt.date(2026, 1, 1)) == dt.date(2011, 5, 16)  # all past: its own first week
    later = selectors.reorder_list(only_due=False, today=dt.date(2011, 6, 1))[0]
    weeks = list(ProductForecast.objects.filter(run=forecasts_run, product__sku="85001").order_by("step"))
    expected = weeks[2].forecast + weeks[3].forecast  # 14 days from the week of 30 May
    assert later["lead_time_demand"] == pytest.approx(expected, abs=1e-3)
