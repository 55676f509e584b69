"""Fault injection: what the admin endpoint sets, and the decision for each API request.

Kinds: ``error`` (a 5xx with 10001/10003/10009), ``slow`` (answer after a delay), ``pending`` (a write is
stored but hidden for a while, and the answer is 20032), ``drop`` (a write is stored, then the connection is
cut before any answer), ``rate_limit`` (a rate-limit code, and that bucket counts as spent for the hour),
``code`` (any error code once, e.g. the app-level 10006, 10013, 10014 and 21321), ``blackhole`` (no answer at
all: the connection is held open without a byte until the client gives up, what Weibo does to an app or IP that
over-polled; ``blackhole`` lists the IPs so treated, or ``"*"`` for the whole app, until it is cleared)."""

from __future__ import annotations

import ipaddress
import random
from collections import deque
from dataclasses import dataclass, field

from .errors import PLATFORM_FAULT_CODES

KINDS = ("error", "slow", "pending", "drop", "rate_limit", "code", "blackhole")
RATE_LIMIT_CODES = (10022, 10023, 10024)
DEFAULT_SLOW_SECONDS = 5.0  # long enough to trip a client's usual short timeout
BLACKHOLE_HOLD_SECONDS = 600.0  # a black-holed request is held this long at most (a client without a timeout)
BLACKHOLE_ALL = "*"  # in ``blackhole``: every caller, i.e. the app itself
RATES = ("error_rate", "slow_rate", "pending_rate", "drop_rate")


@dataclass
class Fault:
    kind: str
    code: int | None = None
    seconds: float | None = None


@dataclass
class Faults:
    error_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = DEFAULT_SLOW_SECONDS
    pending_rate: float = 0.0
    pending_seconds: float | None = None  # None: the sandbox configuration's pending_seconds
    drop_rate: float = 0.0
    paths: list[str] = field(default_factory=list)
    blackhole: list[str] = field(default_factory=list)  # client IPs that get no answer, or "*" for all
    once: deque[dict] = field(default_factory=deque)

    def describe(self) -> dict:
        return {
            "error_rate": self.error_rate,
            "slow_rate": self.slow_rate,
            "slow_seconds": self.slow_seconds,
            "pending_rate": self.pending_rate,
            "pending_seconds": self.pending_seconds,
            "drop_rate": self.drop_rate,
            "paths": list(self.paths),
            "blackhole": list(self.blackhole),
            "once": list(self.once),
        }

    def update(self, body: dict) -> None:
        """Merge ``body`` in (fields given replace theirs; ``once`` entries are appended). Raises ValueError
        saying what is wrong, having changed nothing."""
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        known = {*RATES, "slow_seconds", "pending_seconds", "paths", "blackhole", "once"}
        unknown = set(body) - known
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}; known: {sorted(known)}")
        changes: dict = {}
        for name in RATES:
            if name in body:
                changes[name] = _number(body[name], name, 0.0, 1.0)
        for name in ("slow_seconds", "pending_seconds"):
            if name in body:
                changes[name] = _number(body[name], name, 0.0, 600.0)
        if "paths" in body:
            paths = body["paths"]
            if not isinstance(paths, list) or not all(isinstance(p, str) and p.startswith("/") for p in paths):
                raise ValueError("paths must be a list of paths like /2/statuses/share.json")
            changes["paths"] = list(paths)
        if "blackhole" in body:
            holes = body["blackhole"]
            if not isinstance(holes, list) or not all(isinstance(h, str) and _ip_or_all(h) for h in holes):
                raise ValueError(f'blackhole must be a list of client IP addresses, or ["{BLACKHOLE_ALL}"] for the '
                                 "whole app")
            changes["blackhole"] = list(holes)
        if not isinstance(body.get("once", []), list):
            raise ValueError("once must be a list")
        once = [_once_entry(entry) for entry in body.get("once", [])]
        for name, value in changes.items():
            setattr(self, name, value)
        self.once.extend(once)

    def decide(self, path: str, rng: random.Random, ip: str = "") -> Fault | None:
        """The fault for this request, if any: a black-holed caller gets nothing; then the first matching
        ``once`` entry is consumed; then the rates, drawn from the seeded RNG."""
        if BLACKHOLE_ALL in self.blackhole or (ip and ip in self.blackhole):
            return Fault("blackhole")
        for entry in self.once:
            if entry.get("path") in (None, path):
                self.once.remove(entry)
                return Fault(entry["kind"], entry.get("code"), entry.get("seconds"))
        if self.paths and path not in self.paths:
            return None
        for kind, rate in (
            ("error", self.error_rate),
            ("drop", self.drop_rate),
            ("pending", self.pending_rate),
            ("slow", self.slow_rate),
        ):
            if rate and rng.random() < rate:
                return Fault(kind, rng.choice(PLATFORM_FAULT_CODES) if kind == "error" else None)
        return None


def _number(value: object, name: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo:g} and {hi:g}, got {value!r}")
    return float(value)


def _ip_or_all(value: str) -> bool:
    if value == BLACKHOLE_ALL:
        return True
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _once_entry(entry: object) -> dict:
    if not isinstance(entry, dict):
        raise ValueError(f"a once entry must be an object, got {entry!r}")
    kind = entry.get("kind")
    if kind not in KINDS:
        raise ValueError(f"once kind must be one of {', '.join(KINDS)}, got {kind!r}")
    extra = set(entry) - {"kind", "path", "code", "seconds"}
    if extra:
        raise ValueError(f"unknown once fields {sorted(extra)}")
    out: dict = {"kind": kind}
    if entry.get("path") is not None:
        if not isinstance(entry["path"], str) or not entry["path"].startswith("/"):
            raise ValueError(f"once path must be a path like /2/statuses/share.json, got {entry['path']!r}")
        out["path"] = entry["path"]
    code = entry.get("code")
    if kind in ("rate_limit", "code"):
        if isinstance(code, bool) or not isinstance(code, int):
            raise ValueError(f"a {kind} entry needs an integer code")
        if kind == "rate_limit" and code not in RATE_LIMIT_CODES:
            raise ValueError(f"rate_limit code must be one of {RATE_LIMIT_CODES}, got {code}")
        out["code"] = code
    elif kind == "error":
        if code is not None and code not in PLATFORM_FAULT_CODES:
            raise ValueError(f"error code must be one of {PLATFORM_FAULT_CODES}, got {code}")
        out["code"] = code if code is not None else PLATFORM_FAULT_CODES[0]
    if "seconds" in entry:
        out["seconds"] = _number(entry["seconds"], "seconds", 0.0, 600.0)
    return out
