"""Open an order log and yield its rows as lists of strings with their line numbers.

Formats are recognised by content, not by name: gzip magic, the XLSX (zip)
magic, else plain CSV text. Each physical line is decoded on its own, so one
badly encoded line is reported by number and the rest of the file still loads.
"""

import csv
import datetime as dt
import gzip
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from apps.orders.importing.errors import ImportFileError, RowError

REQUIRED_COLUMNS = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)
# Other spellings of the same columns seen in real exports (UCI "Online Retail II").
COLUMN_ALIASES = {"Invoice": "InvoiceNo", "Price": "UnitPrice", "Customer ID": "CustomerID"}

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_BLOCK_SIZE = 1 << 20
# A quoted field may hold a line break or two; a row spanning more lines is rejected.
MAX_ROW_LINES = 3
# Bytes that failed to decode become lone surrogates (surrogateescape).
_UNDECODABLE = re.compile("[\udc80-\udcff]")

Row = list[str] | RowError


@dataclass
class OrderLog:
    """An opened order log: column positions, a row iterator and read progress."""

    path: Path
    format: str
    columns: dict[str, int]
    rows: Iterator[tuple[int, Row]]
    size: int
    _position: object = field(repr=False, default=None)

    def bytes_read(self) -> int:
        return self._position() if self._position else 0


def open_order_log(path: str | Path, *, encoding: str = "utf-8") -> OrderLog:
    """Open PATH and check its header; raise ImportFileError naming any missing column."""
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    with path.open("rb") as probe:
        magic = probe.read(4)
    size = path.stat().st_size
    if magic.startswith(_ZIP_MAGIC):
        return _open_xlsx(path, size)
    raw = path.open("rb")
    if magic.startswith(_GZIP_MAGIC):
        stream, fmt = gzip.GzipFile(fileobj=raw, mode="rb"), "csv.gz"
    else:
        stream, fmt = raw, "csv"
    lines = _DecodedLines(stream, encoding)
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(f"{path.name}: the file is empty") from None
    except (OSError, EOFError) as exc:
        raise ImportFileError(f"{path.name}: cannot be read ({exc})") from None
    columns = _column_positions(header, path.name)
    return OrderLog(path, fmt, columns, _csv_rows(reader, lines, len(header)), size, raw.tell)


def _column_positions(header: list, file_name: str) -> dict[str, int]:
    # A byte-order mark (Excel's "CSV UTF-8") sticks to the first name: drop it first.
    stripped = [str(h).strip().lstrip("\ufeff") for h in header]
    names = [COLUMN_ALIASES.get(name, name) for name in stripped]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise ImportFileError(
            f"{file_name}: missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (found: {', '.join(n for n in names if n) or 'none'})"
        )
    return {c: names.index(c) for c in REQUIRED_COLUMNS}


class _DecodedLines:
    """Iterate text lines of a binary stream, remembering which lines did not decode."""

    def __init__(self, stream, encoding: str):
        self.stream = stream
        self.encoding = encoding
        self.undecodable: set[int] = set()
        self._lines = self._generate()

    def __iter__(self):
        return self._lines

    def __next__(self):
        return next(self._lines)

    def _generate(self):
        line_no = 0
        pending = b""
        while True:
            block = self.stream.read(_BLOCK_SIZE)
            if not block:
                break
            block = pending + block
            cut = block.rfind(b"\n") + 1
            pending, block = block[cut:], block[:cut]
            if not block:
                continue
            text = block.decode(self.encoding, "surrogateescape")
            lines = io.StringIO(text, newline="").readlines()
            if _UNDECODABLE.search(text):
                for offset, line in enumerate(lines, start=line_no + 1):
                    if _UNDECODABLE.search(line):
                        self.undecodable.add(offset)
            line_no += len(lines)
            yield from lines
        if pending:
            line_no += 1
            text = pending.decode(self.encoding, "surrogateescape")
            if _UNDECODABLE.search(text):
                self.undecodable.add(line_no)
            yield text


def _csv_rows(reader, lines: _DecodedLines, width: int) -> Iterator[tuple[int, Row]]:
    undecodable = lines.undecodable
    previous_end = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a quote never closed runs into the field size limit
            start, previous_end = previous_end + 1, reader.line_num
            yield start, RowError(start, "columns", f"unreadable CSV from line {start} to {previous_end}: {exc}")
            continue
        end = reader.line_num
        start, previous_end = previous_end + 1, end
        if not row:
            continue  # blank line
        if end - start >= MAX_ROW_LINES:
            # Order logs hold one row per line; a long span is a quote left open that
            # swallowed the rows after it.
            yield start, RowError(start, "columns", f"a quoted field runs from line {start} to {end} (unclosed quote?)")
        elif undecodable and any(n in undecodable for n in range(start, end + 1)):
            yield start, RowError(start, "encoding", f"line is not valid {lines.encoding}")
        elif len(row) != width:
            yield start, RowError(start, "columns", f"expected {width} columns, found {len(row)}")
        else:
            yield start, row


def _open_xlsx(path: Path, size: int) -> OrderLog:
    from openpyxl import load_workbook  # only needed for spreadsheets

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged zip
        raise ImportFileError(f"{path.name}: not a readable XLSX workbook ({exc})") from None
    sheet = book.worksheets[0]
    cells = sheet.iter_rows(values_only=True)
    try:
        header = next(cells)
    except StopIteration:
        raise ImportFileError(f"{path.name}: the first sheet is empty") from None
    columns = _column_positions(list(header), path.name)
    total_rows = max((sheet.max_row or 1) - 1, 1)
    state = {"row": 0}

    def rows():
        for line, values in enumerate(cells, start=2):
            state["row"] = line
            if all(v is None for v in values):
                continue
            yield line, [_cell_text(v) for v in values]

    return OrderLog(path, "xlsx", columns, rows(), total_rows, lambda: state["row"])


def _cell_text(value) -> str:
    """Spreadsheet cells as the text a CSV export of them would hold."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return repr(value)
    return str(value)
