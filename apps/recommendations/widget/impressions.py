"""Impression ids: every list the widget serves carries one, signed, naming the list, the run
and the products shown. An event counts only with an impression id and a product it names, so
nobody can report impressions or clicks for a run or a product that was never served.

    impression = django.core.signing.dumps({"l": list, "r": run id or null, "p": [sku, ...]},
                                           salt=SALT, compress=True)

Only this service reads them back, so they are signed with SECRET_KEY, not the storefront's
WIDGET_SIGNING_SECRET. One id can still be replayed until it expires; the events rate limit
bounds how far that moves the figures."""

import time
from dataclasses import dataclass
from functools import lru_cache

from django.core import signing

SALT = "retailhub.widget.impression"
# A page left open overnight may still report its clicks the next morning.
MAX_AGE_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class Impression:
    list_name: str
    run_id: int | None
    skus: frozenset[str]


# The same list is served to every shopper for a while (also bought, trending): its id is signed
# once a minute per process instead of once a request, a tenth of the widget's time.
RESIGN_SECONDS = 60


def impression_sign(*, list_name: str, run_id: int | None, skus: list[str]) -> str:
    return _signed(list_name, run_id, tuple(skus), int(time.time() // RESIGN_SECONDS))


@lru_cache(maxsize=4096)
def _signed(list_name: str, run_id: int | None, skus: tuple[str, ...], _minute: int) -> str:
    return signing.dumps({"l": list_name, "r": run_id, "p": list(skus)}, salt=SALT, compress=True)


def impression_read(value) -> Impression:
    """The served list an impression id names; signing.BadSignature if it is forged, expired or not text."""
    if not isinstance(value, str):
        raise signing.BadSignature("not an impression id")
    payload = signing.loads(value, salt=SALT, max_age=MAX_AGE_SECONDS)
    return Impression(list_name=payload["l"], run_id=payload["r"], skus=frozenset(payload["p"]))
