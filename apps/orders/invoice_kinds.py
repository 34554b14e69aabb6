"""What kind an order and each of its lines is: one rule for the importer and the API.

The retailer's log says it in the invoice number: C-invoices cancel earlier sales and
A-invoices are accounting adjustments (bad debt written off). Within any other invoice,
a negative quantity, or a free line with no customer, is a stock adjustment ("damaged",
"lost", "found"), and an invoice of nothing but stock adjustments is a stock-adjustment
order rather than a sale.
"""

from decimal import Decimal

from apps.orders.models import Order, OrderLine

# Order.Kind and OrderLine.Kind share these values.
SALE = OrderLine.Kind.SALE.value
CANCELLATION = OrderLine.Kind.CANCELLATION.value
STOCK_ADJUSTMENT = OrderLine.Kind.STOCK_ADJUSTMENT.value
ADJUSTMENT = OrderLine.Kind.ADJUSTMENT.value

_KIND_OF_PREFIX = {"C": CANCELLATION, "c": CANCELLATION, "A": ADJUSTMENT, "a": ADJUSTMENT}


def kind_of_invoice(invoice_no: str) -> str:
    """What the invoice number alone says: cancellation, adjustment, or sale."""
    return _KIND_OF_PREFIX.get(invoice_no[:1], SALE)


def kind_of_line(invoice_kind: str, quantity: int, unit_price: Decimal, has_customer: bool) -> str:
    """The kind of one line of an invoice of `invoice_kind` (see `kind_of_invoice`).
    Positional arguments: the importer calls this once per row."""
    if invoice_kind != SALE:
        return invoice_kind
    if quantity < 0 or (not unit_price and not has_customer):
        return STOCK_ADJUSTMENT
    return SALE


def kind_of_order(invoice_kind: str, *, only_stock_adjustments: bool) -> str:
    if invoice_kind == SALE and only_stock_adjustments:
        return Order.Kind.STOCK_ADJUSTMENT.value
    return invoice_kind
