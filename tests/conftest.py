import csv
import gzip
from pathlib import Path

import pytest
from django.conf import settings

from apps.core.models import IntegrationKey

HEADER = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]


@pytest.fixture
def write_order_log(tmp_path):
    """Write rows (lists of 8 strings, or raw bytes lines) under the UCI header; returns the path."""

    def write(rows, *, name="orders.csv", header=HEADER, compress=False):
        path = tmp_path / name
        lines = [",".join(header).encode() + b"\n"] if header else []
        for row in rows:
            if isinstance(row, bytes):
                lines.append(row + b"\n")
            else:
                text = _csv_line(row)
                lines.append(text.encode("utf-8"))
        data = b"".join(lines)
        path.write_bytes(gzip.compress(data) if compress else data)
        return path

    return write


def _csv_line(row) -> str:
    import io

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(row)
    return buffer.getvalue()


@pytest.fixture
def real_order_log() -> Path:
    path = Path(settings.RETAILHUB_SAMPLE_DATA) / "online_retail" / "online_retail.csv.gz"
    if not path.exists():
        pytest.skip(f"real data not found at {path} (set RETAILHUB_SAMPLE_DATA)")
    return path


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user("staff", password="staff-pass-123", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def api_keys(db):
    _, read_key = IntegrationKey.objects.create_key(name="reader", scope=IntegrationKey.Scope.READ)
    _, write_key = IntegrationKey.objects.create_key(name="writer", scope=IntegrationKey.Scope.READ_WRITE)
    return {"read": read_key, "write": write_key}


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with an empty cache (active-run ids, catalogue version, rate-limit counters)."""
    from django.core.cache import cache

    cache.clear()
    yield
