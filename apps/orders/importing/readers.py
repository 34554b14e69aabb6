"""Open an order log and yield its rows as lists of strings with their line numbers.

Formats are recognised by content, not by name: gzip magic, the XLSX (zip)
magic, else plain CSV text. Each physical line is decoded on its own, so one
badly encoded line is reported by number and the rest of the file still loads.

What is not an order log is refused whole, quickly and in bounded memory, naming
the problem: a first line that is not text in the chosen encoding (the offset of
the first bad byte), UTF-16 or UTF-32 text (refused rather than decoded: Excel's
"Unicode text" export is tab-separated anyway; the message says to save as CSV
UTF-8), a line longer than MAX_LINE_BYTES, a damaged gzip stream, a workbook part
that would expand more than XLSX_MAX_COMPRESSION_RATIO-fold.
"""

import codecs
import csv
import datetime as dt
import gzip
import io
import re
import zipfile
import zlib
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
# Real order-log lines are under 1 KB (the UCI log's longest is 104 bytes). A longer one
# means a file that is not an order log (binary data, or text without line breaks);
# reading on would hold all of it in memory, so the file is refused at that line.
# The same bound applies to the text of a spreadsheet row.
MAX_LINE_BYTES = 64 * 1024
# Workbook parts are XML that compresses about 10:1; a part over 1 MiB that would expand
# more than this is a zip bomb, refused before anything is decompressed.
XLSX_MAX_COMPRESSION_RATIO = 100
_XLSX_RATIO_CHECKED_ABOVE = 1 << 20
# Bytes that failed to decode become lone surrogates (surrogateescape).
_UNDECODABLE = re.compile("[\udc80-\udcff]")
# In the header line, NUL too says "not text".
_NOT_TEXT = re.compile("[\x00\udc80-\udcff]")
# Checked longest first: the UTF-32 little-endian mark begins with the UTF-16 one.
_WIDE_TEXT_MARKS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)

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


def open_order_log(path: str | Path, *, encoding: str = "utf-8", name: str = "") -> OrderLog:
    """Open PATH and check its header; raise ImportFileError naming any missing column.
    Messages call the file `name` (its name as uploaded), by default PATH's own name."""
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    name = name or path.name
    with path.open("rb") as probe:
        magic = probe.read(4)
    size = path.stat().st_size
    if magic.startswith(_ZIP_MAGIC):
        return _open_xlsx(path, size, name)
    _check_encoding(encoding, name)
    raw = path.open("rb")
    if magic.startswith(_GZIP_MAGIC):
        stream, fmt = gzip.GzipFile(fileobj=raw, mode="rb"), "csv.gz"
    else:
        stream, fmt = raw, "csv"
    lines = _DecodedLines(stream, encoding, name)
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(f"{name}: the file is empty") from None
    columns = _column_positions(header, name)
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


def _check_encoding(encoding: str, file_name: str) -> None:
    """Lines are cut at line-feed bytes before decoding, so the encoding must write line
    breaks, commas and quotes as those single ASCII bytes (UTF-8, Latin-1, Windows-1252 do)."""
    try:
        readable = b'\n\r,"'.decode(encoding) == '\n\r,"'
    except LookupError:
        raise ImportFileError(f"{file_name}: unknown text encoding {encoding!r}") from None
    except UnicodeDecodeError:
        readable = False
    if not readable:
        raise ImportFileError(f"{file_name}: the {encoding} encoding is not supported; save the file as UTF-8")


class _DecodedLines:
    """Iterate text lines of a binary stream, remembering which lines did not decode.
    Refuses the file (ImportFileError) when it is not text or a line is too long."""

    def __init__(self, stream, encoding: str, file_name: str):
        self.stream = stream
        self.encoding = encoding
        self.file_name = file_name
        self.undecodable: set[int] = set()
        self._lines_read = 0
        self._bytes_read = 0
        self._lines = self._generate()

    def __iter__(self):
        return self._lines

    def __next__(self):
        return next(self._lines)

    def _generate(self):
        pending = b""  # the start of a line whose end is not read yet: at most MAX_LINE_BYTES
        while True:
            block = self._read()
            if not block and not pending:
                return
            if block:
                block = pending + block
                cut = block.rfind(b"\n") + 1
                pending, block = block[cut:], block[:cut]
            else:  # the last line has no line break
                pending, block = b"", pending
            lines = self._decode(block)
            if len(pending) > MAX_LINE_BYTES:
                self._refuse_long_line(self._lines_read + len(lines) + 1)
            self._lines_read += len(lines)
            yield from lines

    def _read(self) -> bytes:
        try:
            block = self.stream.read(_BLOCK_SIZE)
        except (OSError, EOFError, zlib.error) as exc:  # a damaged or truncated gzip stream
            raise ImportFileError(
                f"{self.file_name}: cannot be read ({exc}) after {self._lines_read:,} lines"
            ) from None
        if self._bytes_read == 0:
            for mark, name in _WIDE_TEXT_MARKS:
                if block.startswith(mark):
                    raise ImportFileError(
                        f"{self.file_name}: the file is {name} text (it starts with a {name} byte-order mark); "
                        "save it as CSV UTF-8 and import it again"
                    )
        self._bytes_read += len(block)
        return block

    def _decode(self, block: bytes) -> list[str]:
        if not block:
            return []
        first_line_no = self._lines_read + 1
        text = block.decode(self.encoding, "surrogateescape")
        lines = io.StringIO(text, newline="").readlines()
        if first_line_no == 1:
            self._refuse_non_text(lines[0])
        # Any line over MAX_LINE_BYTES has over a quarter as many characters: only then count bytes.
        if max(map(len, lines)) > MAX_LINE_BYTES // 4:
            for line_no, line in enumerate(lines, start=first_line_no):
                if len(line.encode(self.encoding, "surrogateescape")) > MAX_LINE_BYTES:
                    self._refuse_long_line(line_no)
        if _UNDECODABLE.search(text):
            for line_no, line in enumerate(lines, start=first_line_no):
                if _UNDECODABLE.search(line):
                    self.undecodable.add(line_no)
        return lines

    def _refuse_non_text(self, header: str) -> None:
        """A header that does not decode (or holds NUL) means the whole file is not text
        in this encoding: refuse it, naming the first bad byte and its offset."""
        found = _NOT_TEXT.search(header)
        if found:
            offset = len(header[: found.start()].encode(self.encoding, "surrogateescape"))
            byte = 0 if found.group() == "\x00" else ord(found.group()) - 0xDC00
            raise ImportFileError(f"{self.file_name}: not {self.encoding} text: byte 0x{byte:02x} at offset {offset}")

    def _refuse_long_line(self, line_no: int) -> None:
        raise ImportFileError(
            f"{self.file_name}: line {line_no:,} is longer than {MAX_LINE_BYTES:,} bytes; "
            "order-log lines are far shorter (is this an order log?)"
        )


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


def _open_xlsx(path: Path, size: int, name: str) -> OrderLog:
    from openpyxl import load_workbook  # only needed for spreadsheets

    _check_xlsx_expansion(path, name)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged zip
        raise ImportFileError(f"{name}: not a readable XLSX workbook ({exc})") from None
    sheet = book.worksheets[0]
    cells = sheet.iter_rows(values_only=True)
    try:
        header = next(cells)
    except StopIteration:
        raise ImportFileError(f"{name}: the first sheet is empty") from None
    columns = _column_positions(list(header), name)
    total_rows = max((sheet.max_row or 1) - 1, 1)
    state = {"row": 0}

    def rows():
        for line, values in enumerate(cells, start=2):
            state["row"] = line
            if all(v is None for v in values):
                continue
            texts = [_cell_text(v) for v in values]
            if sum(map(len, texts)) > MAX_LINE_BYTES:
                raise ImportFileError(
                    f"{name}: row {line:,} holds more than {MAX_LINE_BYTES:,} characters; "
                    "order-log rows are far shorter (is this an order log?)"
                )
            yield line, texts

    return OrderLog(path, "xlsx", columns, rows(), total_rows, lambda: state["row"])


def _check_xlsx_expansion(path: Path, name: str) -> None:
    try:
        parts = zipfile.ZipFile(path).infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError(f"{name}: not a readable XLSX workbook ({exc})") from None
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > _XLSX_RATIO_CHECKED_ABOVE and ratio > XLSX_MAX_COMPRESSION_RATIO:
            raise ImportFileError(
                f"{name}: {part.filename} would expand {ratio:,.0f}-fold to {part.file_size:,} bytes "
                f"(at most {XLSX_MAX_COMPRESSION_RATIO}-fold is read); not an order log"
            )


def _cell_text(value) -> str:
    """Spreadsheet cells as the text a CSV export of them would hold."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return repr(value)
    return str(value)
