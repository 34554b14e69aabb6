"""Prepare the demo: the real order log (or a generated one), a staff login and an API key."""

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from apps.core.models import IntegrationKey
from apps.sample_stores.sample_order_log import write_sample_order_log

DEMO_USERNAME = "demo"


class Command(BaseCommand):
    help = "Load the demo data and create the demo staff login (printed on screen)."

    def handle(self, *args, **options):
        real_log = Path(settings.RETAILHUB_SAMPLE_DATA) / "online_retail" / "online_retail.csv.gz"
        if real_log.exists():
            self.stdout.write(f"Importing the real UCI Online Retail log from {real_log}")
            log = real_log
        else:
            log = write_sample_order_log(Path(settings.VAR_DIR) / "sample_online_retail.csv")
            self.stdout.write(f"{real_log} not found: importing a generated store of the same shape ({log})")
        call_command("import_orders", str(log), stdout=self.stdout, stderr=self.stderr)
        from apps.sample_stores.demo_promotions import demo_promotions

        demo_promotions(data_dir=Path(settings.RETAILHUB_SAMPLE_DATA), write=self.stdout.write)

        password = secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        IntegrationKey.objects.filter(name="demo").update(revoked=True)
        _, api_key = IntegrationKey.objects.create_key(name="demo", scope=IntegrationKey.Scope.READ_WRITE)

        self.stdout.write(self.style.SUCCESS("\nDemo ready."))
        self.stdout.write(f"  Staff login:  {DEMO_USERNAME} / {password}")
        self.stdout.write(f"  API key:      {api_key}   (header X-Api-Key, read-write)")
