"""The demo works without the real data, and the default beat schedule names real tasks."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from apps.core.models import IntegrationKey
from apps.orders.models import ImportBatch, Order
from retailhub.celery import app


@pytest.mark.django_db(transaction=True)
def test_demo_setup_falls_back_to_a_generated_store(tmp_path, settings, capsys):
    settings.RETAILHUB_SAMPLE_DATA = tmp_path / "absent"
    settings.VAR_DIR = tmp_path

    call_command("demo_setup")

    out = capsys.readouterr().out
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.rows_rejected, batch.file_name) == ("succeeded", 0, "sample_online_retail.csv")
    assert Order.objects.filter(kind=Order.Kind.CANCELLATION).exists()
    assert Order.objects.filter(customer__isnull=True).exists()
    assert Order.objects.filter(kind=Order.Kind.STOCK_ADJUSTMENT).exists()
    password = out.split("Staff login:  demo / ")[1].split()[0]
    assert get_user_model().objects.get(username="demo").check_password(password)
    api_key = out.split("API key:      ")[1].split()[0]
    assert IntegrationKey.objects.get_from_key(api_key).scope == IntegrationKey.Scope.READ_WRITE


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert scheduled == {
        "core.retrain_all",
        "core.expire_stale_training_runs",
        "orders.expire_stale_import_batches",
    }
    assert scheduled <= set(app.tasks)
