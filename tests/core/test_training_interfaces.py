"""How staff, scripts and integrations drive training: command, API, admin, device setting."""

import json

import pytest
from django.core.management import CommandError, call_command

from apps.core.models import TrainingRun
from apps.core.training.device import torch_device
from apps.segments.models import CustomerSegment


@pytest.mark.django_db(transaction=True)
def test_retrain_command_trains_in_process_and_prints_json(store, artifacts, capsys):
    call_command("retrain", "segments", "--sync", "--json", "--no-progress")

    printed = json.loads(capsys.readouterr().out)
    run = TrainingRun.objects.get()
    assert (printed["id"], printed["status"], printed["is_active"]) == (run.pk, "succeeded", True)
    assert printed["metrics"]["customers"] == CustomerSegment.objects.filter(run=run).count()
    assert printed["duration_seconds"] == run.duration_seconds > 0
    assert run.trigger == "cli"


@pytest.mark.django_db(transaction=True)
def test_retrain_all_covers_every_kind_with_a_trainer(store, artifacts, capsys):
    call_command("retrain", "all", "--sync", "--json", "--no-progress")

    printed = json.loads(capsys.readouterr().out)
    assert [(r["kind"], r["status"]) for r in printed] == [
        ("forecasts", "succeeded"),
        ("recommendations", "succeeded"),
        ("segments", "succeeded"),
        # No campaign log in the store: a run that explains itself and stays inactive.
        ("targeting", "succeeded"),
    ]


@pytest.mark.django_db
def test_retrain_command_names_the_kinds_it_knows():
    with pytest.raises(
        CommandError,
        match="No trainer for 'promotions'; kinds with a trainer: forecasts, recommendations, segments, targeting",
    ):
        call_command("retrain", "promotions", "--sync")
    with pytest.raises(CommandError, match="--cutoff 'yesterday' is not an ISO datetime"):
        call_command("retrain", "segments", "--cutoff", "yesterday")


@pytest.mark.django_db(transaction=True)
def test_api_triggers_joins_and_reads_runs(store, artifacts, client, api_keys):
    read, write = api_keys["read"], api_keys["write"]
    assert (
        client.post(
            "/api/v1/training-runs/", {"kind": "segments"}, content_type="application/json", HTTP_X_API_KEY=read
        ).status_code
        == 403
    )

    response = client.post(
        "/api/v1/training-runs/", {"kind": "segments"}, content_type="application/json", HTTP_X_API_KEY=write
    )

    assert response.status_code == 202
    body = response.json()
    # Tasks run eagerly in this test: the run has finished by the time the response is built.
    assert (body["status"], body["trigger"], body["joined"], body["is_active"]) == ("succeeded", "api", False, True)
    listed = client.get("/api/v1/training-runs/?kind=segments", HTTP_X_API_KEY=read).json()
    assert [r["id"] for r in listed["results"]] == [body["id"]]
    assert client.get(f"/api/v1/training-runs/{body['id']}/", HTTP_X_API_KEY=read).json()["metrics"] == body["metrics"]
    bad = client.post(
        "/api/v1/training-runs/", {"kind": "weather"}, content_type="application/json", HTTP_X_API_KEY=write
    )
    assert (bad.status_code, bad.json()) == (
        400,
        {"kind": ["No trainer for 'weather'; one of: forecasts, recommendations, segments, targeting."]},
    )


@pytest.mark.django_db(transaction=True)
def test_admin_retrain_now_activate_and_cancel(store, artifacts, staff_client):
    page = staff_client.get("/admin/core/trainingrun/").content.decode()
    assert "Retrain segments now" in page and "Retrain recommendations now" in page

    response = staff_client.post("/admin/core/trainingrun/retrain/segments/")
    staff_client.post("/admin/core/trainingrun/retrain/segments/")

    assert response.status_code == 302
    first, second = TrainingRun.objects.order_by("id")
    assert (first.trigger, first.requested_by.username, second.is_active) == ("staff", "staff", True)
    staff_client.post("/admin/core/trainingrun/", {"action": "activate_run", "_selected_action": [first.pk]})
    first.refresh_from_db()
    assert first.is_active
    queued = TrainingRun.objects.create(kind="recommendations", cutoff_key="2011-01-01")
    staff_client.post("/admin/core/trainingrun/", {"action": "cancel_runs", "_selected_action": [queued.pk]})
    queued.refresh_from_db()
    assert queued.status == "cancelled"
    detail = staff_client.get(f"/admin/core/trainingrun/{second.pk}/change/").content.decode()
    assert "segment_counts" in detail


def test_torch_device_setting(settings):
    assert torch_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="must be auto, cpu or cuda"):
        torch_device("tpu")
    settings.TRAINING_TORCH_DEVICE = "auto"
    try:
        import torch
    except ImportError:
        assert torch_device() == "cpu"
    else:
        assert torch_device() == ("cuda" if torch.cuda.is_available() else "cpu")
