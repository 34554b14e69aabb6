from django.db.models import Count

from apps.core.training.selectors import active_run_id
from apps.segments.models import CustomerRfm

KIND = "segments"


def customer_rfm_current():
    """RFM rows of the active segments run only: a run still writing is never seen."""
    return CustomerRfm.objects.filter(run_id=active_run_id(kind=KIND))


def segment_sizes() -> dict[str, int]:
    rows = customer_rfm_current().values("segment").annotate(customers=Count("id"))
    return {row["segment"]: row["customers"] for row in rows}
