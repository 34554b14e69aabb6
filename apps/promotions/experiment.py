"""Control groups. A shopper's group is a pure function of the promotion and the shopper, so it is the
same on every quote, in every process and on the results page, with nothing stored per shopper: the
first 64 bits of SHA-256("promotion id:shopper key") read as a position in [0, 100), held out below
the promotion's holdout percent. Changing the percent moves only the shoppers at the boundary."""

import hashlib
from decimal import Decimal

_SCALE = Decimal(2**64)


def position(*, promotion_id: int, customer_key: str) -> Decimal:
    digest = hashlib.sha256(f"{promotion_id}:{customer_key}".encode()).digest()
    return Decimal(int.from_bytes(digest[:8], "big")) * 100 / _SCALE


def in_control_group(*, promotion_id: int, customer_key: str, percent) -> bool:
    if not percent:
        return False
    return position(promotion_id=promotion_id, customer_key=customer_key) < Decimal(percent)
