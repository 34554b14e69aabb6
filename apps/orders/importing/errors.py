from dataclasses import dataclass

# A stored reason is cut to this many characters, so that the batch's sample of rejected
# rows (pipeline.ERROR_SAMPLE_LIMIT of them) stays a few hundred kilobytes at most.
REASON_MAX_CHARS = 300


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unknown format, missing columns, not text,
    a line far too long). Raised before anything is written, or mid-file inside the
    import's transaction, which then rolls back: nothing of the file is kept."""


@dataclass(frozen=True, slots=True)
class RowError:
    """One rejected row: its line number in the file, the field at fault and why."""

    line: int
    field: str
    reason: str

    def as_dict(self) -> dict:
        return {"line": self.line, "field": self.field, "reason": printable(self.reason, limit=REASON_MAX_CHARS)}


def printable(text: str, *, limit: int | None = None) -> str:
    """TEXT as it can be stored and printed anywhere. Bytes that did not decode (the
    readers keep them as lone surrogates) are spelled as escapes, \\xff, and so is NUL,
    which PostgreSQL text cannot hold. Past `limit` characters, the rest is counted, not kept."""
    if not text.isascii() or "\x00" in text:
        try:
            data = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a surrogate no decoder made: spell it as it is
            data = text.encode("utf-8", "backslashreplace")
        text = data.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")
    if limit is not None and len(text) > limit:
        text = f"{text[:limit]}… ({len(text) - limit:,} more characters)"
    return text
