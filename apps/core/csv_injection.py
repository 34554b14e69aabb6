"""Spreadsheet formula injection: a CSV cell such as `=HYPERLINK(...)` or `+cmd|...` is run as
a formula when staff open an export in Excel or LibreOffice, and product names, customer ids and
coupon prefixes come from outside. OWASP's guidance: prefix a single quote to any text cell that
starts with = + - @, a tab or a carriage return, so the spreadsheet shows it as text.

Numbers stay numbers: a value of a numeric type, or text that is nothing but a number ("-3.5"),
cannot hold a formula, and quoting it would turn a numeric column into text."""

import re
from decimal import Decimal

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise_formula(value):
    """The cell to write for `value`: unchanged unless it is text a spreadsheet would run."""
    if value is None or isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text
