"""Keyset pagination cursors: "the next page starts below (time, id)", as an opaque string. A page then costs
the same at the millionth row as at the first (no OFFSET), and a row added meanwhile never shifts a page."""

from __future__ import annotations

import re
from datetime import UTC, datetime

CURSOR_PATTERN = r"^([0-9]{1,20})\.([0-9]{1,20})$"  # microseconds since the epoch, then the row's id
CURSOR = re.compile(CURSOR_PATTERN)


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
