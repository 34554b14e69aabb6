"""JSON from outside (API bodies, the widget's beacon), checked before anything reads it.

Python's decoder recurses once per nesting level, so a body of a few thousand "[" raises
RecursionError, and a string holding NUL ("\\u0000") cannot be stored by PostgreSQL: both used
to end as server errors. Nothing we accept nests deeper than a handful of levels."""

import json

MAX_JSON_DEPTH = 32
TOO_DEEP = f"JSON nested deeper than {MAX_JSON_DEPTH} levels is not accepted."
HAS_NUL = "JSON text holding a NUL character (\\u0000) is not accepted."


class JsonInputError(ValueError):
    pass


def json_loads_checked(text: str | bytes):
    """The decoded document; JsonInputError, saying what is wrong, for malformed JSON,
    nesting deeper than MAX_JSON_DEPTH or a NUL in any key or string."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise JsonInputError(TOO_DEEP) from None
    except ValueError as exc:
        raise JsonInputError(f"Malformed JSON: {exc}") from None
    json_value_check(value)
    return value


def json_value_check(value) -> None:
    """Raise JsonInputError if a decoded document nests too deep or holds a NUL. Walked with
    a stack, not recursion, so the check itself cannot overflow."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list) and depth > MAX_JSON_DEPTH:
            raise JsonInputError(TOO_DEEP)
        if isinstance(item, dict):
            if any("\x00" in key for key in item):
                raise JsonInputError(HAS_NUL)
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)
        elif isinstance(item, str) and "\x00" in item:
            raise JsonInputError(HAS_NUL)
