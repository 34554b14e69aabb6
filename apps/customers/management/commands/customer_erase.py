"""`customer_erase EXTERNAL_ID [--source S]`: erase one customer (orders kept as guest orders,
profile-derived rows deleted or anonymised; see apps.customers.privacy) and print what changed."""

import getpass
import sys

from django.core.management.base import BaseCommand, CommandError

from apps.customers.privacy import CustomerLookupError, customer_erase, customer_for_external_id


class Command(BaseCommand):
    help = "Erase one customer's personal data, keeping their orders (as guest orders) and every aggregate total."

    def add_arguments(self, parser):
        parser.add_argument("external_id", help="the customer's id in the source system")
        parser.add_argument("--source", default="", help="the customer's source; needed when several have the id")
        parser.add_argument(
            "--no-input", action="store_false", dest="interactive", help="do not ask for confirmation at a terminal"
        )

    def handle(self, *args, external_id, source, interactive, **options):
        try:
            customer = customer_for_external_id(external_id=external_id, source=source)
        except CustomerLookupError as error:
            raise CommandError(str(error)) from None
        # Erasure cannot be undone: a person at a terminal confirms; scripts (no terminal) do not.
        if interactive and sys.stdin.isatty():
            answer = input(f"Erase customer {external_id} of {customer.source}? This cannot be undone. [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                raise CommandError("Nothing erased.")
        summary = customer_erase(customer, by=f"command line ({getpass.getuser()})")
        self.stdout.write(f"Erased customer {external_id} of {customer.source}:")
        for what, count in summary.items():
            self.stdout.write(f"  {what}: {count}")
