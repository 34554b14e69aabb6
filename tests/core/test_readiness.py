"""/readyz: /healthz's dependencies, and an active run of every model kind."""

import pytest

from apps.core.models import TrainingRun
from apps.core.training.registry import trainer_kinds


@pytest.mark.django_db(transaction=True)  # the checks run on their own connections
def test_readyz_waits_for_an_active_run_of_every_kind(client):
    kinds = trainer_kinds()
    for kind in kinds[1:]:
        TrainingRun.objects.create(kind=kind, status="succeeded", is_active=True)

    response = client.get("/readyz", HTTP_ACCEPT="application/json")

    assert response.status_code == 500
    assert response.json()["ActiveModels"] == f"Unavailable: No active run: {kinds[0]}"
    assert response.json()["Database(alias='default')"] == "OK"

    TrainingRun.objects.create(kind=kinds[0], status="succeeded", is_active=True)
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
