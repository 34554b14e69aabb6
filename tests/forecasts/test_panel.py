import numpy as np
import pandas as pd
import pytest

from apps.forecasts.ml.panel import PanelError, panel_from_long, select_series


def long(rows):
    return pd.DataFrame(rows, columns=["series_id", "period_start", "quantity"])


def test_weeks_start_on_monday_and_missing_weeks_are_zero():
    panel = panel_from_long(
        long(
            [
                ("A", "2024-01-03 10:00", 2),  # Wednesday of the week of 1 January
                ("A", "2024-01-05 09:00", 3),
                ("A", "2024-01-17 12:00", 1),  # two weeks later: the week between is zero
                ("B", "2024-01-08 08:00", 4),
            ]
        )
    )
    assert [period.date().isoformat() for period in panel.periods] == ["2024-01-01", "2024-01-08", "2024-01-15"]
    assert panel.series_ids.tolist() == ["A", "B"]
    assert panel.values.tolist() == [[5, 0, 1], [0, 4, 0]]


def test_a_weekly_export_keeps_its_own_week_start():
    panel = panel_from_long(long([("A", "2024-01-07", 1), ("A", "2024-01-21", 2)]))  # Sundays
    assert [period.date().isoformat() for period in panel.periods] == ["2024-01-07", "2024-01-14", "2024-01-21"]
    assert panel.values.tolist() == [[1, 0, 2]]


def test_daily_periods_and_net_negative_periods_count_as_zero():
    panel = panel_from_long(
        long([("A", "2024-03-01", 5), ("A", "2024-03-02", -2), ("A", "2024-03-02", 1), ("A", "2024-03-03", 4)]),
        freq="D",
    )
    assert panel.values.tolist() == [[5, 0, 4]]
    assert panel.notes["negative_periods_set_to_zero"] == 1


def test_select_series_keeps_those_selling_often_enough():
    panel = panel_from_long(long([("A", "2024-01-01", 1), ("A", "2024-01-08", 1), ("B", "2024-01-08", 9)]))
    assert select_series(panel, min_nonzero_periods=2).series_ids.tolist() == ["A"]


@pytest.mark.parametrize(
    ("rows", "columns", "message"),
    [
        ([("A", "2024-01-01", 1), ("A", "yesterday", 2)], None, "period_start on line 3 is not a date: 'yesterday'"),
        ([("A", "2024-01-01", "two")], None, "quantity on line 2 is not a number: 'two'"),
        ([(None, "2024-01-01", 1)], None, "series_id is empty on line 2"),
        ([("A", "2024-01-01", 1)], ["sku", "period_start", "quantity"], "column 'series_id' is missing"),
    ],
)
def test_bad_input_names_the_column_and_line(rows, columns, message):
    frame = pd.DataFrame(rows, columns=columns or ["series_id", "period_start", "quantity"])
    with pytest.raises(PanelError, match=message):
        panel_from_long(frame)


def test_an_unknown_frequency_is_refused():
    with pytest.raises(PanelError, match="freq must be one of W, D, not 'M'"):
        panel_from_long(long([("A", "2024-01-01", 1)]), freq="M")


def test_values_are_floats_without_nan():
    panel = panel_from_long(long([("A", "2024-01-01", 1), ("B", "2024-02-05", 2)]))
    assert panel.values.dtype == np.float64 and np.isfinite(panel.values).all()


def test_local_times_fall_in_their_local_week_and_the_panel_runs_to_its_end():
    # 00:30 on Monday 1 July in London is 23:30 on Sunday in UTC: the week of 1 July.
    sales = pd.DataFrame(
        {
            "series_id": ["A"],
            "period_start": pd.to_datetime(["2024-06-30 23:30"]).tz_localize("UTC").tz_convert("Europe/London"),
            "quantity": [3],
        }
    )
    panel = panel_from_long(sales, end="2024-07-22", week_start=0)
    assert [period.date().isoformat() for period in panel.periods] == ["2024-07-01", "2024-07-08", "2024-07-15"]
    assert panel.values.tolist() == [[3, 0, 0]]


def test_dates_written_as_numbers_are_dates():
    panel = panel_from_long(long([("A", 20240105, 1), ("A", 20240119, 2)]))  # two Fridays, a week apart
    assert [period.date().isoformat() for period in panel.periods] == ["2024-01-05", "2024-01-12", "2024-01-19"]
    assert panel.values.tolist() == [[1, 0, 2]]
