"""`customer_export EXTERNAL_ID [--source S] [--output FILE]`: everything the store holds about one
customer, as JSON on standard output or in a file (see apps.customers.privacy)."""

import getpass
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.customers.privacy import CustomerLookupError, customer_data_export, customer_for_external_id


class Command(BaseCommand):
    help = "Export everything held about one customer (orders, segments, lifetime value, recommendations, promotions)."

    def add_arguments(self, parser):
        parser.add_argument("external_id", help="the customer's id in the source system")
        parser.add_argument("--source", default="", help="the customer's source; needed when several have the id")
        parser.add_argument("--output", metavar="FILE", help="write the JSON here instead of standard output")

    def handle(self, *args, external_id, source, output, **options):
        try:
            customer = customer_for_external_id(external_id=external_id, source=source)
        except CustomerLookupError as error:
            raise CommandError(str(error)) from None
        data = customer_data_export(customer, by=f"command line ({getpass.getuser()})")
        text = json.dumps(data, indent=2, ensure_ascii=False)
        if output:
            Path(output).write_text(text + "\n", encoding="utf-8")
            self.stderr.write(f"Wrote {output}")
        else:
            self.stdout.write(text)
