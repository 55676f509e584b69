"""What one sandbox run is configured with: the CLI fills it, the admin endpoint may override parts of it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from . import rules

# The normal tier of the Weibo Open Platform, per user per app per clock hour (and per client IP for "ip";
# "biz" is the business API's own budget, per client IP).
# "daily_calls" is the stricter revision's calls per user per day (WEIBO_API.md: 100); 0 switches it off.
DEFAULT_LIMITS = {"calls": 150, "posts": 30, "comments": 60, "messages": 60, "ip": 10_000, "biz": 50_000,
                  "daily_calls": 0}
LIMIT_KINDS = tuple(DEFAULT_LIMITS)
HOURLY_KINDS = ("calls", "posts", "comments", "messages", "ip")
DEFAULT_TOKEN_LIFETIME = 7 * 24 * 3600  # seconds: what Weibo gives an unaudited app's token


@dataclass
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 8100
    app_key: str = "sandbox-app-key"
    app_secret: str = "sandbox-app-secret"  # noqa: S105 - a public sandbox default, not a secret
    safe_domain: str = "xianmu.example.com"
    push_url: str | None = None
    state_file: Path | None = None
    data_dir: Path | None = None
    traffic_per_minute: float = 0.0
    token_lifetime: int = DEFAULT_TOKEN_LIFETIME
    limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    seed: int = 7
    # Sandbox assumptions, not Weibo facts: Weibo publishes none of these numbers or lists (README, "Sandbox").
    post_burst_limit: int = 5  # posts by one user within post_burst_window before 20016
    post_burst_window: int = 60  # seconds
    near_duplicate_jaccard: float = rules.NEAR_DUPLICATE_JACCARD  # 3-gram overlap from which a post is 20111
    forbidden_words: list[str] = field(default_factory=lambda: list(rules.FORBIDDEN_WORDS))  # 21602
    advertising_words: list[str] = field(default_factory=lambda: list(rules.ADVERTISING))  # 20020
    pending_seconds: float = 2.0  # how long a "pending" (20032) write stays hidden; Weibo says 1-2 minutes

    def copy(self) -> SandboxConfig:
        return dataclasses.replace(self, limits=dict(self.limits), forbidden_words=list(self.forbidden_words),
                                   advertising_words=list(self.advertising_words))

    @property
    def base_url(self) -> str:
        """Where clients reach this sandbox: used for avatar and picture URLs so that nothing points off the machine."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host  # noqa: S104 - a bind-all address is not reachable as such
        return f"http://{host}:{self.port}"

    def public(self) -> dict:
        """The runtime-adjustable part, as the admin endpoint shows it."""
        return {
            "push_url": self.push_url,
            "safe_domain": self.safe_domain,
            "token_lifetime": self.token_lifetime,
            "traffic_per_minute": self.traffic_per_minute,
            "app_key": self.app_key,
            "app_secret": self.app_secret,
            "limits": dict(self.limits),
            "seed": self.seed,
            "data_dir": str(self.data_dir) if self.data_dir else None,
            "state_file": str(self.state_file) if self.state_file else None,
            "post_burst_limit": self.post_burst_limit,
            "post_burst_window": self.post_burst_window,
            "near_duplicate_jaccard": self.near_duplicate_jaccard,
            "forbidden_words": list(self.forbidden_words),
            "advertising_words": list(self.advertising_words),
            "pending_seconds": self.pending_seconds,
        }


def parse_limits(text: str) -> dict[str, int]:
    """``calls=150,posts=30`` -> a full limits dict (unnamed kinds keep their defaults).

    Raises ValueError with a message that names the offending part."""
    limits = dict(DEFAULT_LIMITS)
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep:
            raise ValueError(f"{part!r} is not NAME=NUMBER")
        if name not in DEFAULT_LIMITS:
            raise ValueError(f"unknown limit {name!r}; known: {', '.join(LIMIT_KINDS)}")
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"limit {name} must be a whole number, got {value!r}") from None
        if number < 0:
            raise ValueError(f"limit {name} must not be negative, got {number}")
        limits[name] = number
    return limits
