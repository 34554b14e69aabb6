import pytest

from apps.core.models import TrainingRun
from apps.core.training.services import training_run_execute, training_run_request
from apps.orders.services import order_log_import
from apps.sample_stores.sample_order_log import write_sample_order_log


@pytest.fixture
def trained_store(tmp_path, transactional_db, settings):
    """A generated store with an active recommendations run."""
    settings.TRAINING_ARTIFACT_DIR = tmp_path / "artifacts"
    order_log_import(path=write_sample_order_log(tmp_path / "store.csv", invoices=1500, customers=100, skus=150))
    run, _ = training_run_request(kind="recommendations", trigger=TrainingRun.Trigger.STAFF, enqueue=False)
    run = training_run_execute(run_id=run.pk)
    assert run.status == "succeeded" and run.is_active, run.gate_reason
    return run
