"""Turn one row of strings into typed values, or say which field is wrong and why.

Order logs repeat the same timestamps, prices and customer ids on many lines, so
parsed values are cached by their text: the parse cost is paid once per distinct value.
Text longer than its column holds is rejected here, by field, with the limits the
caller reads from the models, so that one long value costs its row and not the import.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import NamedTuple
from zoneinfo import ZoneInfo

# Prices carry up to 3 decimals in real logs (0.001 for some fees).
PRICE_DECIMALS = 3
# Bounds that keep any order's total inside its column (14 integer digits): a million
# units at ten million each is far beyond a real order line.
PRICE_LIMIT = Decimal(10) ** 7
QUANTITY_LIMIT = 10**6
# Slash dates are month first, as the UCI original writes them (12/1/2010 8:26).
SLASH_DATE_FORMATS = ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%y %H:%M")
# A reason quotes at most this much of the value at fault: a sample of a thousand
# reasons stays small however long the values were.
QUOTED_VALUE_CHARS = 50


class RowProblem(Exception):
    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class ParsedRow(NamedTuple):
    invoice_no: str
    sku: str
    description: str
    quantity: int
    placed_at: dt.datetime
    unit_price: Decimal
    customer_id: str
    country: str


def quoted(text: str) -> str:
    """The value at fault as a reason shows it: repr'd, cut to QUOTED_VALUE_CHARS."""
    return repr(text if len(text) <= QUOTED_VALUE_CHARS else text[:QUOTED_VALUE_CHARS] + "…")


class RowParser:
    def __init__(self, columns: dict[str, int], time_zone: str, max_lengths: dict[str, int]):
        """`max_lengths`: the most characters the InvoiceNo, StockCode, Description,
        CustomerID and Country columns may hold."""
        self.positions = tuple(
            columns[name]
            for name in (
                "InvoiceNo",
                "StockCode",
                "Description",
                "Quantity",
                "InvoiceDate",
                "UnitPrice",
                "CustomerID",
                "Country",
            )
        )
        self.zone = ZoneInfo(time_zone)
        self.max_lengths = max_lengths
        self._max_invoice, self._max_sku, self._max_description, self._max_country = (
            max_lengths[name] for name in ("InvoiceNo", "StockCode", "Description", "Country")
        )
        self._dates: dict[str, dt.datetime] = {}
        self._prices: dict[str, Decimal] = {}
        self._customers: dict[str, str] = {}

    def parse(self, fields: list[str]) -> ParsedRow:
        i_inv, i_sku, i_desc, i_qty, i_date, i_price, i_cust, i_country = self.positions
        invoice_no = fields[i_inv].strip()
        if not invoice_no:
            raise RowProblem("InvoiceNo", "is empty")
        sku = fields[i_sku].strip()
        if not sku:
            raise RowProblem("StockCode", "is empty")
        quantity_text = fields[i_qty]
        try:
            quantity = int(quantity_text)
        except ValueError:
            raise RowProblem("Quantity", f"{quoted(quantity_text)} is not a whole number") from None
        if not -QUANTITY_LIMIT <= quantity <= QUANTITY_LIMIT:
            raise RowProblem("Quantity", f"{quoted(quantity_text)} is out of range (at most {QUANTITY_LIMIT:,} units)")
        date_text = fields[i_date]
        placed_at = self._dates.get(date_text) or self._parse_date(date_text)
        price_text = fields[i_price]
        unit_price = self._prices.get(price_text)
        if unit_price is None:
            unit_price = self._parse_price(price_text)
        customer_text = fields[i_cust]
        customer_id = self._customers.get(customer_text)
        if customer_id is None:
            customer_id = self._parse_customer(customer_text)
        description = fields[i_desc].strip()
        country = fields[i_country].strip()
        if (
            len(invoice_no) > self._max_invoice
            or len(sku) > self._max_sku
            or len(description) > self._max_description
            or len(country) > self._max_country
        ):
            for name, value in (
                ("InvoiceNo", invoice_no),
                ("StockCode", sku),
                ("Description", description),
                ("Country", country),
            ):
                self._check_length(name, value)
        if "\x00" in invoice_no + sku + description + country:  # PostgreSQL text cannot hold NUL
            for name, value in (("InvoiceNo", invoice_no), ("StockCode", sku), ("Description", description)):
                if "\x00" in value:
                    raise RowProblem(name, "contains a NUL character")
            raise RowProblem("Country", "contains a NUL character")
        return ParsedRow(
            invoice_no,
            sku,
            description,
            quantity,
            placed_at,
            unit_price,
            customer_id,
            country,
        )

    def _check_length(self, name: str, value: str) -> None:
        if len(value) > self.max_lengths[name]:
            raise RowProblem(name, f"is longer than {self.max_lengths[name]} characters")

    def _parse_date(self, text: str) -> dt.datetime:
        stripped = text.strip()
        value = None
        try:
            value = dt.datetime.fromisoformat(stripped)
        except ValueError:
            for fmt in SLASH_DATE_FORMATS:
                try:
                    value = dt.datetime.strptime(stripped, fmt)
                    break
                except ValueError:
                    continue
        if value is None:
            raise RowProblem(
                "InvoiceDate",
                f"{quoted(text)} is not a date (expected 2010-12-01 08:26:00 or 12/1/2010 8:26)",
            )
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.zone)
        self._dates[text] = value
        return value

    def _parse_price(self, text: str) -> Decimal:
        try:
            value = Decimal(text.strip())
        except InvalidOperation:
            raise RowProblem("UnitPrice", f"{quoted(text)} is not a number") from None
        if not value.is_finite() or abs(value) >= PRICE_LIMIT:
            raise RowProblem("UnitPrice", f"{quoted(text)} is out of range (below {PRICE_LIMIT:,})")
        rounded = value.quantize(Decimal(1).scaleb(-PRICE_DECIMALS))
        if rounded != value:
            raise RowProblem("UnitPrice", f"{quoted(text)} has more than {PRICE_DECIMALS} decimals")
        self._prices[text] = rounded
        return rounded

    def _parse_customer(self, text: str) -> str:
        """Customer ids as the source system knows them: 17850.0 (a float export) is 17850."""
        value = text.strip()
        if "\x00" in value:
            raise RowProblem("CustomerID", "contains a NUL character")
        if value.endswith(".0") and value[:-2].isdigit():
            value = value[:-2]
        self._check_length("CustomerID", value)
        self._customers[text] = value
        return value
