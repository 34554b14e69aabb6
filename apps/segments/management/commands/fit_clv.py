"""`fit_clv`: fit the CLV models on a summary table or a purchase log, score them on a holdout, and
write per-customer forecasts. Bad input ends in a CommandError that names the file, column or line."""

import csv
import gzip
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
from django.core.management.base import BaseCommand, CommandError

from apps.segments.ml.bgnbd import BgNbd
from apps.segments.ml.clv import ClvModel, clv_predictive_check, customer_value_table
from apps.segments.ml.clv_summary import purchase_days, summary_from_purchase_days
from apps.segments.ml.gamma_gamma import GammaGamma

DEFAULT_HORIZON_DAYS = 90
ID_COLUMNS = ("customer_id", "ID", "id")
OUTPUT_COLUMNS = ["customer_id", "predicted_purchases", "probability_alive", "predicted_value"]
COMPACT_DATE = re.compile(r"^\d{8}$")


class Command(BaseCommand):
    help = (
        "Fit the customer-lifetime-value models. --summary CSV: fit BG/NBD (and Gamma-Gamma when there is a "
        "monetary_value column) on a frequency,recency,T table and print the parameters. --transactions FILE: "
        "build that table from a purchase log up to --calibration-end (inclusive), choose and fit the product "
        "model, and with --holdout-end score it against BG/NBD and a naive rate on the purchases after it. "
        "Files: comma, tab or whitespace separated (sniffed from the first line), optionally gzipped; "
        "--no-header --columns a,b,c names the columns of a headerless file, e.g. the CDNOW log: "
        "--no-header --columns master,customer,date,cds,value --customer-col customer --date-col date "
        "--value-col value. Dates: ISO 8601 or YYYYMMDD, or give --date-format."
    )

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--summary", metavar="CSV", help="frequency, recency, T [, monetary_value] per customer")
        source.add_argument("--transactions", metavar="FILE", help="one line per purchase (several may share a day)")
        parser.add_argument("--customer-col", default="customer_id")
        parser.add_argument("--date-col", default="placed_at")
        parser.add_argument("--value-col", help="spend per line (needed for predicted_value)")
        parser.add_argument("--calibration-end", metavar="DATE", help="last day the models see (inclusive)")
        parser.add_argument("--holdout-end", metavar="DATE", help="score forecasts on (calibration-end, holdout-end]")
        parser.add_argument(
            "--time-unit-days", type=float, default=7.0, help="model time unit in days (default 7: weeks)"
        )
        parser.add_argument("--date-format", help="strftime format of the dates, when neither ISO nor YYYYMMDD")
        parser.add_argument("--no-header", action="store_true", help="the file has no header line; see --columns")
        parser.add_argument("--columns", help="comma-separated column names for a file without a header")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--output",
            metavar="CSV",
            help="write customer_id,predicted_purchases,probability_alive,predicted_value over the holdout "
            f"(or {DEFAULT_HORIZON_DAYS} days without one)",
        )

    def handle(self, *args, **options):
        if options["time_unit_days"] <= 0:
            raise CommandError("--time-unit-days must be positive")
        if options["no_header"] and not options["columns"]:
            raise CommandError("--no-header needs --columns to name the columns")
        if options["summary"]:
            result, table = self._from_summary(options)
        else:
            result, table = self._from_transactions(options)
        if options["output"] and table is not None:
            table[OUTPUT_COLUMNS].to_csv(options["output"], index=False)
            result["output"] = {"path": options["output"], "rows": len(table), "horizon": result["horizon"]}
        if options["json"]:
            self.stdout.write(json.dumps(result, default=str))
        else:
            self._print(result)

    # summary mode

    def _from_summary(self, options):
        frame = _read_table(options["summary"], no_header=options["no_header"], columns=options["columns"])
        _require_columns(options["summary"], frame, ["frequency", "recency", "T"])
        names = ["frequency", "recency", "T"] + (["monetary_value"] if "monetary_value" in frame.columns else [])
        line_offset = 1 if options["no_header"] else 2
        summary = pd.DataFrame({name: _numbers(frame[name], name, line_offset) for name in names})
        id_column = next((name for name in ID_COLUMNS if name in frame.columns), None)
        summary.insert(0, "customer_id", frame[id_column].to_numpy() if id_column else np.arange(1, len(frame) + 1))
        bad = (summary["frequency"] < 0) | (summary["recency"] < 0) | (summary["recency"] > summary["T"])
        if bad.any():
            line = int(np.flatnonzero(bad.to_numpy())[0]) + line_offset
            raise CommandError(f"line {line}: need frequency >= 0 and 0 <= recency <= T")
        if summary.empty or not (summary["frequency"] > 0).any():
            raise CommandError(f"{options['summary']}: no customer with a repeat purchase: nothing to fit")
        purchases = BgNbd().fit(summary["frequency"], summary["recency"], summary["T"])
        result = {
            "mode": "summary",
            "customers": len(summary),
            "time_unit_days": options["time_unit_days"],
            "horizon": DEFAULT_HORIZON_DAYS / options["time_unit_days"],
            "bgnbd": _fitted(purchases),
        }
        if "monetary_value" in summary:
            try:
                spend = GammaGamma().fit(summary["frequency"], summary["monetary_value"])
            except ValueError as exc:
                result["gamma_gamma"] = {"skipped": str(exc)}
            else:
                result["gamma_gamma"] = {**_fitted(spend), "population_mean": round(spend.population_mean_, 4)}
        table = None
        if options["output"]:
            model = ClvModel(time_unit_days=options["time_unit_days"]).fit_summary(summary)
            table = customer_value_table(summary, horizon=result["horizon"], model=model)
        return result, table

    # transactions mode

    def _from_transactions(self, options):
        if not options["calibration_end"]:
            raise CommandError("--transactions needs --calibration-end")
        calibration_end = _date_option("--calibration-end", options["calibration_end"])
        holdout_end = _date_option("--holdout-end", options["holdout_end"]) if options["holdout_end"] else None
        if holdout_end is not None and holdout_end <= calibration_end:
            raise CommandError("--holdout-end must be after --calibration-end")
        path = options["transactions"]
        frame = _read_table(path, no_header=options["no_header"], columns=options["columns"])
        wanted = [options["customer_col"], options["date_col"]] + (
            [options["value_col"]] if options["value_col"] else []
        )
        _require_columns(path, frame, wanted)
        line_offset = 1 if options["no_header"] else 2
        transactions = pd.DataFrame(
            {
                "customer_id": frame[options["customer_col"]].to_numpy(),
                "placed_at": _dates(
                    frame[options["date_col"]], options["date_col"], line_offset, options["date_format"]
                ),
            }
        )
        if options["value_col"]:
            transactions["value"] = _numbers(frame[options["value_col"]], options["value_col"], line_offset)
        value_col = "value" if options["value_col"] else None
        unit = options["time_unit_days"]
        model = ClvModel(time_unit_days=unit)
        try:
            if holdout_end is not None:
                result = clv_predictive_check(
                    transactions,
                    customer_col="customer_id",
                    date_col="placed_at",
                    value_col=value_col,
                    calibration_end=calibration_end,
                    holdout_end=holdout_end,
                    time_unit_days=unit,
                    model=model,
                )
                summary = model.summary_
            else:
                days = purchase_days(
                    transactions, customer_col="customer_id", date_col="placed_at", value_col=value_col
                )
                summary = summary_from_purchase_days(days, calibration_end=calibration_end, time_unit_days=unit)
                if summary.empty:
                    raise ValueError("no purchases on or before the calibration end")
                model.fit(days, calibration_end=calibration_end)
                result = {
                    "calibration_end": calibration_end.date().isoformat(),
                    "time_unit_days": unit,
                    "horizon": DEFAULT_HORIZON_DAYS / unit,
                    "customers": len(summary),
                    "selection": {
                        "selected": model.selected_,
                        "reason": model.selection_reason_,
                        "origins": model.validation_origins_,
                        "validation": model.validation_,
                    },
                    "params": model.params_,
                    "fit_seconds": round(model.fit_seconds_, 3),
                }
        except ValueError as exc:
            raise CommandError(f"{path}: {exc}") from None
        result["mode"] = "transactions"
        table = customer_value_table(summary, horizon=result["horizon"], model=model) if options["output"] else None
        return result, table

    # printing

    def _print(self, result: dict) -> None:
        unit = "weeks" if result["time_unit_days"] == 7 else f"x {result['time_unit_days']:g} days"
        if result["mode"] == "summary":
            self.stdout.write(f"{result['customers']:,} customers (time unit: {unit}).")
            self._print_fit("BG/NBD", result["bgnbd"])
            if "gamma_gamma" in result:
                self._print_fit("Gamma-Gamma", result["gamma_gamma"])
        else:
            selection = result["selection"]
            self.stdout.write(
                f"Calibration to {result['calibration_end']}: {result['customers']:,} customers (time unit: {unit})."
            )
            self.stdout.write(f"Product model: {selection['selected']} ({selection['reason']}).")
            for name, scores in selection["validation"].items():
                self.stdout.write(
                    f"  validation {name:18} ratio {scores['ratio']}"
                    f"  RMSE {scores['rmse']:.4f}  MAE {scores['mae']:.4f}"
                )
            if "models" in result:
                self.stdout.write(
                    f"Holdout to {result['holdout_end']} ({result['horizon']:g} {unit}):"
                    f"  {'model':20} {'predicted':>10} {'actual':>8} {'ratio':>7} {'RMSE':>7} {'MAE':>7}"
                )
                for name, scores in result["models"].items():
                    label = f"{name} ({scores['model']})" if name == "product" else name
                    self.stdout.write(
                        f"  {label:20} {scores['predicted_total']:10.1f} {scores['actual_total']:8.0f}"
                        f" {scores['ratio'] if scores['ratio'] is not None else float('nan'):7.3f}"
                        f" {scores['rmse']:7.4f} {scores['mae']:7.4f}   fit {scores['fit_seconds']:.2f} s"
                    )
                params = result["models"]["product"]["params"]
            else:
                params = result["params"]
            self.stdout.write(f"Parameters: {json.dumps(params)}")
        if "output" in result:
            self.stdout.write(f"Wrote {result['output']['rows']:,} customers to {result['output']['path']}.")

    def _print_fit(self, label: str, fitted: dict) -> None:
        if "skipped" in fitted:
            self.stdout.write(f"{label}: skipped ({fitted['skipped']})")
            return
        params = "  ".join(f"{name} {value:.4f}" for name, value in fitted["params"].items())
        self.stdout.write(
            f"{label}: {params}  log-likelihood {fitted['log_likelihood']:.3f}  ({fitted['fit_seconds']:.2f} s)"
        )


def _fitted(model) -> dict:
    return {
        "params": {name: round(value, 6) for name, value in model.params_.items()},
        "log_likelihood": round(model.log_likelihood_, 4),
        "fit_seconds": round(model.fit_seconds_, 3),
    }


def _read_table(path, *, no_header: bool, columns: str | None) -> pd.DataFrame:
    if not Path(path).is_file():
        raise CommandError(f"{path}: no such file")
    try:
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            first_line = handle.readline()
        separator = "," if "," in first_line else "\t" if "\t" in first_line else r"\s+"
        names = [name.strip() for name in columns.split(",")] if columns else None
        frame = pd.read_csv(
            path,
            sep=separator,
            header=None if no_header else "infer",
            names=names if no_header else None,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            engine="python" if separator == r"\s+" else "c",
            quoting=csv.QUOTE_MINIMAL,
        )
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise CommandError(f"{path}: cannot be read ({exc})") from None
    frame.columns = [str(name).strip() for name in frame.columns]
    return frame


def _require_columns(path, frame: pd.DataFrame, wanted: list[str]) -> None:
    missing = [name for name in wanted if name not in frame.columns]
    if missing:
        raise CommandError(f"{path}: missing column {', '.join(missing)} (found: {', '.join(frame.columns)})")


def _numbers(values: pd.Series, column: str, line_offset: int) -> pd.Series:
    numbers = pd.to_numeric(values.str.strip(), errors="coerce")
    bad = numbers.isna() | ~np.isfinite(numbers)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise CommandError(f"line {row + line_offset}: {column} {values.iloc[row]!r} is not a number")
    return numbers.astype(float).reset_index(drop=True)


def _dates(values: pd.Series, column: str, line_offset: int, date_format: str | None) -> pd.Series:
    text = values.str.strip()
    if date_format:
        dates = pd.to_datetime(text, format=date_format, errors="coerce")
    elif len(text) and text.str.match(COMPACT_DATE).all():
        dates = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    else:
        dates = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    bad = dates.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise CommandError(f"line {row + line_offset}: cannot read the date {values.iloc[row]!r} in {column}")
    return dates.reset_index(drop=True)


def _date_option(option: str, value: str) -> pd.Timestamp:
    moment = pd.to_datetime(
        value.strip(), format="%Y%m%d" if COMPACT_DATE.match(value.strip()) else None, errors="coerce"
    )
    if pd.isna(moment):
        raise CommandError(f"{option}: cannot read the date {value!r}")
    return pd.Timestamp(moment)
