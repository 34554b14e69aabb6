from dataclasses import dataclass


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unknown format, missing columns).
    Raised before anything is written."""


@dataclass(frozen=True, slots=True)
class RowError:
    """One rejected row: its line number in the file, the field at fault and why."""

    line: int
    field: str
    reason: str

    def as_dict(self) -> dict:
        return {"line": self.line, "field": self.field, "reason": self.reason}
