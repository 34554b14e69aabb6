"""What kind of line a stock code stands for.

Retail order logs mix goods with postage, fees, discounts and manual entries.
Analytics and models must count only merchandise, so every product carries a kind.
Merchandise codes in the UCI Online Retail log are five digits plus an optional
letter suffix (85123A); everything else is a service code.
"""

import re

MERCHANDISE_CODE = re.compile(r"^\d{5}[A-Za-z]{0,3}$")

# Service codes seen in real order logs, by the kind of charge they are.
SERVICE_CODE_KINDS = {
    "POST": "postage",
    "DOT": "postage",
    "C2": "postage",
    "BANK CHARGES": "fee",
    "AMAZONFEE": "fee",
    "CRUK": "fee",
    "PADS": "fee",
    "D": "discount",
    "M": "manual",
    "S": "sample",
    "B": "adjustment",
}


def kind_of_stock_code(code: str) -> str:
    """Return the product kind for a stock code: "merchandise" or a service kind."""
    if MERCHANDISE_CODE.match(code):
        return "merchandise"
    upper = code.upper()
    if upper in SERVICE_CODE_KINDS:
        return SERVICE_CODE_KINDS[upper]
    if upper.startswith("GIFT_"):
        return "gift_voucher"
    return "other"
