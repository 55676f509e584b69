"""Keyset pagination cursors: "the next page starts below (time, id)", as an opaque string. A page then costs
the same at the millionth row as at the first (no OFFSET), and a row added meanwhile never shifts a page."""

from __future__ import annotations

import re
from datetime import UTC, datetime

CURSOR_PATTERN = r"^([0-9]{1,20})\.([0-9]{1,20})$"  # microseconds since the epoch, then the row's id
CURSOR = re.compile(CURSOR_PATTERN)
# An order whose time may be empty (the inbox by deadline: items without one come last) also needs a cursor that
# stands among those rows: "-" for the time, then the row's id.
NO_TIME = "-"
NULLABLE_CURSOR_PATTERN = r"^([0-9]{1,20}|-)\.([0-9]{1,20})$"


def keyset_encode(at: datetime, pk: int) -> str:
    return f"{int(at.timestamp() * 1_000_000)}.{pk}"


def keyset_decode(value: str) -> tuple[datetime, int] | None:
    """The (time, id) a cursor names; None for anything that is not one of ours."""
    match = CURSOR.fullmatch(value or "")
    if not match:
        return None
    try:
        at = datetime.fromtimestamp(int(match.group(1)) / 1_000_000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return at, int(match.group(2))


def keyset_encode_nullable(at: datetime | None, pk: int) -> str:
    return f"{NO_TIME}.{pk}" if at is None else keyset_encode(at, pk)


def keyset_decode_nullable(value: str) -> tuple[datetime | None, int] | None:
    """The (time or None, id) a nullable cursor names; None for anything that is not one of ours."""
    if (value or "").startswith(f"{NO_TIME}."):
        rest = value[len(NO_TIME) + 1:]
        return (None, int(rest)) if rest.isascii() and rest.isdigit() and len(rest) <= 18 else None
    return keyset_decode(value)
