import json

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from apps.orders.models import ImportBatch
from apps.orders.services import order_log_import


class Command(BaseCommand):
    help = "Import a retail order log (CSV, gzipped CSV or the UCI XLSX) into orders, products and customers."

    def add_arguments(self, parser):
        parser.add_argument("path", help="order log file")
        parser.add_argument("--source", default="online_retail", help="source system the ids belong to")
        parser.add_argument("--encoding", default="utf-8", help="text encoding of a CSV file (e.g. latin-1)")
        parser.add_argument("--json", action="store_true", help="print the batch summary as one JSON object")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, path, source, encoding, json: bool, no_progress: bool, **options):
        bar = tqdm(
            total=100,
            desc="import",
            disable=no_progress,
            file=self.stderr._out,
            bar_format="{percentage:3.0f}%|{bar:30}| {desc}",
        )

        def progress(percent: int, message: str) -> None:
            bar.set_description_str(message, refresh=False)
            bar.update(percent - bar.n)

        try:
            batch = order_log_import(path=path, source=source, encoding=encoding, progress=progress)
        finally:
            bar.close()
        summary = batch_summary(batch)
        if json:
            self.stdout.write(_dumps(summary))
        else:
            self._print_summary(summary)
        if batch.status != ImportBatch.Status.SUCCEEDED:
            raise CommandError(batch.failure)

    def _print_summary(self, summary: dict) -> None:
        if summary["status"] != ImportBatch.Status.SUCCEEDED:
            return
        self.stdout.write(
            f"Imported {summary['rows_imported']:,} of {summary['rows_read']:,} rows in "
            f"{summary['duration_seconds']:.1f} s: {summary['orders_created']:,} orders, "
            f"{summary['customers_created']:,} customers, {summary['products_created']:,} products; "
            f"{summary['rows_already_present']:,} rows of invoices already stored, "
            f"{summary['duplicate_rows']:,} duplicate rows flagged, "
            f"{summary['cancellations_linked']:,} cancellation lines linked."
        )
        if summary["rows_rejected"]:
            self.stdout.write(self.style.WARNING(f"{summary['rows_rejected']:,} rows rejected:"))
            for error in summary["errors"][:50]:
                self.stdout.write(f"  line {error['line']}: {error['field']}: {error['reason']}")


def batch_summary(batch: ImportBatch) -> dict:
    return {
        "batch_id": batch.pk,
        "status": batch.status,
        "file": batch.file_name,
        "sha256": batch.file_sha256,
        **{name: getattr(batch, name) for name in (*ImportBatch.COUNTERS, "duration_seconds")},
        "errors": batch.errors,
        "failure": batch.failure,
    }


def _dumps(summary: dict) -> str:
    return json.dumps(summary, default=str)
