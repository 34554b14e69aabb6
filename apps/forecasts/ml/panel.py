"""Sales as a panel: one row per series, one column per period, zero where nothing sold.

Input is a long table (series id, date, quantity), as an order log or a buyer's export
gives it. Periods are weeks starting Monday ("W") or days ("D"); every period between a
panel's first and last is present, so models can rely on regular spacing.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

FREQUENCIES = {"W": "W-MON", "D": "D"}
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


class PanelError(ValueError):
    """The input cannot become a panel; the message names the column or value at fault."""


@dataclass
class Panel:
    series_ids: np.ndarray  # (n,) object or int ids, in row order
    periods: pd.DatetimeIndex  # (T,) period starts
    values: np.ndarray  # (n, T) float64, never negative, never NaN
    freq: str = "W"
    # What the reader changed on the way in, for the run's metrics and the command's report.
    notes: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.series_ids)

    def take(self, rows) -> "Panel":
        return Panel(self.series_ids[rows], self.periods, self.values[rows], self.freq, dict(self.notes))

    def before(self, period_count: int) -> "Panel":
        """The first `period_count` periods: what a forecaster standing at that origin saw."""
        return Panel(self.series_ids, self.periods[:period_count], self.values[:, :period_count], self.freq, self.notes)


def period_start(dates: pd.Series, freq: str, week_start: int = 0) -> pd.Series:
    """The start of the period holding each date: midnight of the week's first day
    (`week_start`, 0 = Monday) for weeks, midnight for days."""
    days = dates.dt.tz_localize(None).dt.normalize() if dates.dt.tz is not None else dates.dt.normalize()
    if freq == "W":
        return days - pd.to_timedelta((days.dt.day_of_week - week_start) % 7, unit="D")
    return days


def weekly_anchor(dates: pd.Series) -> int:
    """The weekday a weekly file's periods start on: the one weekday all its dates share
    (an export of weeks starting Sunday stays on Sundays), Monday otherwise."""
    weekdays = dates.dt.day_of_week.unique()
    exact = (dates.dt.hour == 0).all() and (dates.dt.minute == 0).all()
    return int(weekdays[0]) if len(weekdays) == 1 and exact else 0


def panel_from_long(
    frame: pd.DataFrame,
    *,
    id_col: str = "series_id",
    date_col: str = "period_start",
    value_col: str = "quantity",
    freq: str = "W",
    start=None,
    end=None,
    week_start: int | None = None,
) -> Panel:
    """Sum `value_col` per series and period, from `start` up to (not including) `end`;
    with `end`, the panel runs to the last period before it even if nothing sold then.
    Weeks start on `week_start` (0 = Monday), or on the weekday a file's dates all share.

    Net negative periods (more returned than sold) count as zero demand: a forecast of
    demand is never negative. Dates are parsed as given; a date that is not one is an error
    naming its line."""
    if freq not in FREQUENCIES:
        raise PanelError(f"freq must be one of {', '.join(FREQUENCIES)}, not {freq!r}")
    for column in (id_col, date_col, value_col):
        if column not in frame.columns:
            raise PanelError(f"column {column!r} is missing; the columns are {', '.join(map(str, frame.columns))}")
    dates = _parse_dates(frame[date_col], date_col)
    values = pd.to_numeric(frame[value_col], errors="coerce")
    _refuse_unparsed(frame, dates, date_col, "a date")
    _refuse_unparsed(frame, values, value_col, "a number")
    missing_ids = frame[id_col].isna()
    if missing_ids.any():
        raise PanelError(f"{id_col} is empty on line {_line_of(frame, missing_ids)}")
    if week_start is None:
        week_start = weekly_anchor(dates) if freq == "W" else 0
    long = pd.DataFrame(
        {
            "series": frame[id_col].to_numpy(),
            "period": period_start(dates, freq, week_start),
            "value": values.astype(float),
        }
    )
    if start is not None:
        long = long[long["period"] >= pd.Timestamp(start)]
    if end is not None:
        long = long[long["period"] < pd.Timestamp(end)]
    if long.empty:
        raise PanelError("no rows fall inside the periods asked for")
    table = long.pivot_table(index="series", columns="period", values="value", aggfunc="sum", fill_value=0.0)
    step = f"W-{WEEKDAYS[week_start]}" if freq == "W" else "D"
    first = period_start(pd.Series([pd.Timestamp(start)]), freq, week_start).iloc[0] if start is not None else None
    last = table.columns.max()
    if end is not None:
        last = max(
            last, period_start(pd.Series([pd.Timestamp(end) - pd.Timedelta(microseconds=1)]), freq, week_start).iloc[0]
        )
    periods = pd.date_range(first if first is not None else table.columns.min(), last, freq=step)
    table = table.reindex(columns=periods, fill_value=0.0)
    matrix = table.to_numpy(dtype=np.float64)
    negative = int((matrix < 0).sum())
    return Panel(
        series_ids=table.index.to_numpy(),
        periods=periods,
        values=np.clip(matrix, 0.0, None),
        freq=freq,
        notes={"negative_periods_set_to_zero": negative, "rows": int(len(long))},
    )


def _parse_dates(column: pd.Series, name: str) -> pd.Series:
    """Dates as written, ISO or not, formats mixed; 20240105 read as a date, not a count of
    nanoseconds; unparseable values become NaT and are reported by line."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return column
    if pd.api.types.is_numeric_dtype(column):
        column = column.astype("Int64").astype(str)
    try:
        return pd.to_datetime(column, errors="coerce", format="mixed")
    except (ValueError, TypeError) as error:  # offsets that differ between rows, for one
        raise PanelError(f"{name} cannot be read as dates ({error}); write them in one time zone") from None


def select_series(panel: Panel, *, min_nonzero_periods: int) -> Panel:
    """Series that sold in at least `min_nonzero_periods` periods of the panel."""
    return panel.take(np.flatnonzero((panel.values > 0).sum(axis=1) >= min_nonzero_periods))


def _refuse_unparsed(frame: pd.DataFrame, parsed: pd.Series, column: str, what: str) -> None:
    bad = parsed.isna() & frame[column].notna() | frame[column].isna()
    if bad.any():
        line = _line_of(frame, bad)
        value = frame[column][bad].iloc[0]
        raise PanelError(f"{column} on line {line} is not {what}: {value!r}")


def _line_of(frame: pd.DataFrame, mask: pd.Series) -> int:
    """The file line of the first flagged row (header is line 1)."""
    return int(np.flatnonzero(mask.to_numpy())[0]) + 2
