"""Loader for the CED rumour cascades (Song et al., arXiv:1811.04175): organic Weibo repost traffic that the
attack detector is calibrated against, and that tests and benches replay. No database, no Django needed when a
path is given. The files are research-use data that stay beside the repository (../shared/data), never in it.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from itertools import groupby
from pathlib import Path

from sentiment.propagation import Repost

ALL_MIN = "propagation/ced/reposts_all_min.csv.gz"  # cascade_idx, uid, ts_unix, is_direct; 1,275,180 rows
SAMPLE400 = "propagation/ced/reposts_sample400.jsonl.gz"  # 400 whole cascades with mid, parent, text
SAMPLE_LINE_RE = re.compile(
    r'^\{"cascade_idx": (\d+), "cascade": "[^"\\]*", "label": "[^"\\]*", "mid": "([^"\\]*)", '
    r'"parent": "([^"\\]*)", "uid": "([^"\\]*)", "date": "([^"\\]*)", "n_kids": \d+, "text": "((?:[^"\\]|\\.)*)"\}\s*$'
)
CED_TZ = timezone(timedelta(hours=8))  # the sample's "date" is Beijing time: it matches ts_unix at UTC+8


def default_root() -> Path:
    """The shared data folder beside the checkout: ``settings.BASE_DIR.parent / "shared" / "data"``."""
    from django.conf import settings

    return Path(settings.BASE_DIR).parent / "shared" / "data"


def _require(path: Path) -> Path:
    """A missing data file is an error that names the file, never an empty replay that passes."""
    if not path.is_file():
        raise FileNotFoundError(f"CED data file not found: {path}")
    return path


def load_cascades(root: Path, *, limit: int | None = None) -> Iterator[tuple[str, list[Repost]]]:
    """Every CED cascade as ``(cascade_idx, reposts)`` in file order, reposts in file order (not sorted).
    Rows without a timestamp (74 of them) are skipped. There is no text, name or account info: ``screen_name``
    is the uid and ``mid`` is ``"<cascade>:<row>"``; ``is_direct`` is dropped because the parent of an indirect
    repost is not in this file. The file is grouped by cascade, so one cascade is in memory at a time."""
    path = _require(Path(root) / ALL_MIN)
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        next(rows)  # header
        for count, (cascade, group) in enumerate(groupby(rows, key=lambda row: row[0])):
            if limit is not None and count >= limit:
                return
            reposts = [
                Repost(f"{cascade}:{n}", uid, uid, float(ts))
                for n, (_, uid, ts, _direct) in enumerate(group)
                if ts
            ]
            yield cascade, reposts


def load_sample(root: Path, *, limit: int | None = None) -> Iterator[tuple[str, list[Repost]]]:
    """The 400 sample cascades as ``(cascade_idx, reposts)``, with mid, explicit parent (None = a repost of the
    root) and the repost's own remark as text (the sample carries no ``//@`` chain). Times are the Beijing-time
    "date" (``2013-02-22 05:27:30``) turned into unix seconds; the 7 rows dated without a year are skipped."""
    path = _require(Path(root) / SAMPLE400)
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        records = (_sample_record(line) for line in handle)
        for count, (cascade, group) in enumerate(groupby(records, key=lambda r: r["cascade_idx"])):
            if limit is not None and count >= limit:
                return
            reposts = [_sample_repost(r) for r in group]
            yield str(cascade), [r for r in reposts if r is not None]


def _sample_record(line: str) -> dict:
    """One sample line. The file is written with a fixed key order, so a regex reads it about 5x faster than
    ``json.loads`` (which costs ~40 us a line here); anything that does not match goes through json."""
    match = SAMPLE_LINE_RE.match(line)
    if match is None:
        return json.loads(line)
    cascade, mid, parent, uid, date, text = match.groups()
    if "\\" in text:
        text = json.loads(f'"{text}"')
    return {"cascade_idx": int(cascade), "mid": mid, "parent": parent, "uid": uid, "date": date, "text": text}


def _sample_repost(record: dict) -> Repost | None:
    """None for the 7 rows dated like ``03月23日 19:24``: without a year their time is unknown."""
    try:
        at = datetime.fromisoformat(record["date"]).replace(tzinfo=CED_TZ).timestamp()
    except ValueError:
        return None
    return Repost(
        mid=record["mid"],
        uid=record["uid"],
        screen_name=record["uid"],
        at=at,
        text=record.get("text") or "",
        parent_mid=record.get("parent") or None,
    )


def load_columns(root: Path, *, limit: int | None = None) -> Iterator[tuple[str, list[float], list[str]]]:
    """``load_cascades`` as plain columns ``(cascade_idx, times, uids)``: a Repost object costs about 6 us on this
    machine kind, which is most of the load time of 1.3M rows; a replay that needs only times and uids skips it."""
    path = _require(Path(root) / ALL_MIN)
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        next(rows)  # header
        for count, (cascade, group) in enumerate(groupby(rows, key=lambda row: row[0])):
            if limit is not None and count >= limit:
                return
            kept = [(float(ts), uid) for _, uid, ts, _direct in group if ts]
            yield cascade, [t for t, _ in kept], [u for _, u in kept]
