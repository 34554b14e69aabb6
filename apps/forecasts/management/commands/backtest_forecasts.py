"""`backtest_forecasts`: hold out the last periods of a sales history, forecast them with
every model and with the product's per-series selection, and report MASE, WAPE and
seconds. On the database's orders by default, or on any long-format sales file."""

import json
import time
from pathlib import Path

import pandas as pd
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from apps.core.training.device import torch_device
from apps.forecasts.ml.evaluation import NotEnoughHistory, evaluate_holdout, forecast_rows
from apps.forecasts.ml.panel import PanelError, panel_from_long, select_series
from apps.orders.selectors import merchandise_sales


class Command(BaseCommand):
    help = (
        "Backtest the forecasting models on held-out periods. Without --csv: weekly units per merchandise product "
        "from the database's orders. With --csv FILE: any long-format sales file (one row per series and date; "
        "rows of the same series and period are summed, missing periods are zero, negative totals count as zero). "
        "--json prints per-model MASE (mean, median), WAPE and seconds; --output writes the selected forecasts "
        "of the held-out periods as series_id,period_start,forecast,lower_80,upper_80,lower_95,upper_95."
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", metavar="FILE", help="long-format sales file (optionally gzipped)")
        parser.add_argument("--id-col", default="series_id")
        parser.add_argument("--date-col", default="period_start")
        parser.add_argument("--value-col", default="quantity")
        parser.add_argument("--freq", choices=["W", "D"], default="W", help="weeks or days (default W)")
        parser.add_argument("--horizon", type=int, default=8, help="periods held out and forecast (default 8)")
        parser.add_argument(
            "--season-length", type=int, help="periods per season (default 52 for W, 7 for D; 0 for none)"
        )
        parser.add_argument("--origins", type=int, default=3, help="backtest origins for model selection")
        parser.add_argument(
            "--min-nonzero", type=int, default=1, help="keep series that sold in at least this many periods"
        )
        parser.add_argument("--no-lstm", action="store_true", help="leave the LSTM out (faster)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--output", metavar="CSV", help="write the selected forecasts of the held-out periods")

    def handle(self, *args, **options):
        if options["horizon"] < 1:
            raise CommandError("--horizon must be at least 1")
        if options["origins"] < 1:
            raise CommandError("--origins must be at least 1")
        panel = self._panel(options)
        panel = select_series(panel, min_nonzero_periods=options["min_nonzero"])
        if not len(panel):
            raise CommandError(f"No series sold in at least {options['min_nonzero']} periods.")
        season = options["season_length"]
        season = {"W": 52, "D": 7}[options["freq"]] if season is None else (season or None)
        steps = tqdm(total=None, desc="Fitting", unit=" fits", disable=options["json"], file=self.stderr)
        started = time.perf_counter()
        try:
            evaluation = evaluate_holdout(
                panel,
                horizon=options["horizon"],
                season_length=season,
                origins=options["origins"],
                lstm=not options["no_lstm"],
                device=torch_device(),
                on_model=lambda name, origin: (steps.set_postfix_str(name), steps.update()),
            )
        except NotEnoughHistory as error:
            raise CommandError(str(error)) from None
        finally:
            steps.close()
        report = {
            "series": len(panel),
            "periods": len(panel.periods),
            "first_period": panel.periods[0].date().isoformat(),
            "test_periods": [
                evaluation.test_periods[0].date().isoformat(),
                evaluation.test_periods[-1].date().isoformat(),
            ],
            "horizon": options["horizon"],
            "negative_periods_set_to_zero": panel.notes.get("negative_periods_set_to_zero", 0),
            "models": evaluation.models,
            "selected": evaluation.selected,
            "seconds": round(time.perf_counter() - started, 3),
        }
        if options["output"]:
            forecast_rows(evaluation, panel.series_ids).to_csv(options["output"], index=False)
        if options["json"]:
            self.stdout.write(json.dumps(report))
            return
        self._print_table(report)

    def _panel(self, options):
        try:
            if options["csv"]:
                path = Path(options["csv"])
                if not path.exists():
                    raise CommandError(f"{path}: no such file")
                try:
                    frame = pd.read_csv(path, dtype={options["id_col"]: str})
                except pd.errors.EmptyDataError:
                    raise CommandError(f"{path}: the file is empty") from None
                except (pd.errors.ParserError, UnicodeDecodeError, EOFError, OSError) as error:
                    raise CommandError(f"{path}: not a readable CSV file ({error})") from None
                return panel_from_long(
                    frame,
                    id_col=options["id_col"],
                    date_col=options["date_col"],
                    value_col=options["value_col"],
                    freq=options["freq"],
                )
            sales = merchandise_sales()
            if sales.empty:
                raise CommandError("The database holds no merchandise sales; import an order log first.")
            return panel_from_long(sales, id_col="product_id", date_col="placed_at", value_col="quantity", freq="W")
        except PanelError as error:
            raise CommandError(str(error)) from None

    def _print_table(self, report):
        self.stdout.write(
            f"{report['series']:,} series, {report['periods']} periods; held out {report['test_periods'][0]} "
            f"to {report['test_periods'][1]}."
        )
        self.stdout.write(f"{'model':<16}{'series':>8}{'MASE mean':>11}{'median':>9}{'WAPE':>8}{'seconds':>9}")
        rows = {**report["models"], "SELECTED": report["selected"]}
        for name, row in rows.items():
            self.stdout.write(
                f"{name:<16}{row['series']:>8}{_fmt(row['mase_mean']):>11}{_fmt(row['mase_median']):>9}"
                f"{_fmt(row['wape']):>8}{row['seconds']:>9.1f}"
            )
        selected = report["selected"]
        self.stdout.write(
            f"Selected mix: {selected['mix']}; interval coverage 80%: {selected['coverage_80']:.0%}, "
            f"95%: {selected['coverage_95']:.0%}."
        )


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"
