"""Store a campaign log for targeting: a CSV file (gzipped or not) of customers, the offer each got
(or the control) and the outcome, or the experiment of a past promotion with a control group."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.promotions.campaign_logs import (
    CampaignLogError,
    campaign_log_from_promotion,
    campaign_log_import,
    read_log_file,
)
from apps.promotions.models import Promotion


class Command(BaseCommand):
    help = "Import a campaign log (file or past promotion) that the targeting models learn from."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="CSV file, plain or gzipped")
        parser.add_argument("--name", help="Name of the log (default: the file name)")
        parser.add_argument("--treatment-col", help="Column naming the offer each customer got")
        parser.add_argument("--control", help="Value of the treatment column for the control group")
        parser.add_argument("--outcome-col", help="Column of the outcome (0/1 or an amount)")
        parser.add_argument("--customer-col", default="", help="Column of the customer id, if the log has one")
        parser.add_argument("--promotion", type=int, help="Build the log from this past promotion instead of a file")

    def handle(self, *args, **options):
        try:
            if options["promotion"] is not None:
                log = self._from_promotion(options["promotion"])
            else:
                log = self._from_file(options)
        except CampaignLogError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Campaign log {log.pk} {log.name!r}: {log.rows:,} rows, control {log.control!r}, "
                f"offers {', '.join(log.arms)}; train targeting with: manage.py retrain targeting"
            )
        )

    def _from_promotion(self, promotion_id):
        promotion = Promotion.objects.filter(pk=promotion_id).first()
        if promotion is None:
            raise CommandError(f"--promotion: no promotion {promotion_id}")
        return campaign_log_from_promotion(promotion=promotion)

    def _from_file(self, options):
        if not options["file"]:
            raise CommandError("Give a file, or --promotion ID")
        missing = [
            f"--{name.replace('_', '-')}" for name in ("treatment_col", "control", "outcome_col") if not options[name]
        ]
        if missing:
            raise CommandError(f"A file needs {', '.join(missing)}")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        return campaign_log_import(
            frame=read_log_file(path),
            name=options["name"] or path.name,
            treatment_col=options["treatment_col"],
            control=options["control"],
            outcome_col=options["outcome_col"],
            customer_col=options["customer_col"],
            file_name=path.name,
        )
