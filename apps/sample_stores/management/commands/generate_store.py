from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from apps.sample_stores.generator import StoreShape, write_store


class Command(BaseCommand):
    help = (
        "Write a synthetic order log in the UCI Online Retail format (long-tail popularity, repeat buyers, "
        "baskets, seasonality, cancellations), to test RetailHub at any size; import it with import_orders."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, required=True)
        parser.add_argument("--products", type=int, required=True)
        parser.add_argument("--lines", type=int, required=True, help="about this many lines are written")
        parser.add_argument("--repeat-rate", type=float, default=0.3, help="share of lines re-buying a staple")
        parser.add_argument("--seed", type=int, default=2010)
        parser.add_argument("--output", default="var/generated/store.csv.gz", help="CSV path; .gz compresses")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, customers, products, lines, repeat_rate, seed, output, no_progress, **options):
        shape = StoreShape(customers=customers, products=products, lines=lines, repeat_rate=repeat_rate, seed=seed)
        path = Path(output)
        bar = tqdm(desc="orders", unit=" orders", disable=no_progress, file=self.stderr._out)
        try:
            counts = write_store(path, shape, progress=bar.update)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()
        self.stdout.write(
            f"Wrote {counts['lines']:,} lines ({counts['orders']:,} orders, {counts['cancellations']:,} cancellation "
            f"lines, {counts['adjustments']:,} stock adjustments) to {path}"
        )
