"""The draw, as anyone can re-run it: pure Python (hashlib only), no database, no Django.

1. **Commit**: before the draw a random seed is made and only its SHA-256 is published on the campaign page
   (``seed_commitment``). Nobody, the team included, can pick the seed afterwards to favour someone.
2. **Draw**: the eligible participants' uids are published (``participants_text``: one uid per line, sorted as
   numbers); each uid gets the key SHA-256(seed + ":" + uid) and the winners are the uids with the smallest
   keys (``winners``). The order of the list does not matter, and adding or removing someone changes no
   other person's key.
3. **Reveal**: the seed is published after the draw. Anyone with the list and the seed checks that the seed
   matches the commitment and gets the same winners (``verify``; ``manage.py verify_draw`` and the public
   verification page run exactly this).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

SEED_BYTES = 32  # 256 bits: not guessable from its hash


def seed_new() -> str:
    return secrets.token_hex(SEED_BYTES)


def seed_commitment(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def _uid_order(uid: str) -> tuple[int, str]:
    return (int(uid), uid) if uid.isdigit() else (2**64, uid)


def participants_text(uids: Iterable[str]) -> str:
    """The published list: one uid per line, sorted as numbers, ending with a newline."""
    unique = sorted({uid.strip() for uid in uids if uid.strip()}, key=_uid_order)
    return "".join(f"{uid}\n" for uid in unique)


def participants_parse(text: str) -> list[str]:
    """The uids of a published list; blank lines and surrounding spaces are ignored. Raises ValueError on a
    line that is not a uid, saying which."""
    uids = []
    for number, line in enumerate(text.splitlines(), start=1):
        uid = line.strip()
        if not uid:
            continue
        if not uid.isdigit() or len(uid) > 20:
            raise ValueError(f"line {number}: {uid[:40]!r} is not a Weibo uid (digits only)")
        uids.append(uid)
    return uids


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def key(seed: str, uid: str) -> str:
    return hashlib.sha256(f"{seed}:{uid}".encode()).hexdigest()


def winners(uids: Iterable[str], seed: str, count: int) -> list[str]:
    """The ``count`` uids with the smallest keys, in the order drawn (duplicates count once)."""
    unique = {uid.strip() for uid in uids if uid.strip()}
    return sorted(unique, key=lambda uid: key(seed, uid))[:max(count, 0)]


@dataclass(frozen=True)
class Verification:
    seed_matches: bool  # the seed hashes to the commitment published before the draw
    list_matches: bool | None  # the list hashes to the published digest (None: no digest given)
    winners: list[str]
    matches: bool | None  # the winners equal the published ones (None: none given)

    @property
    def ok(self) -> bool:
        return self.seed_matches and self.list_matches is not False and self.matches is not False


def verify(*, participants: str, seed: str, count: int, commitment: str, list_digest: str = "",
           published_winners: list[str] | None = None) -> Verification:
    """Re-runs the draw from the published data alone."""
    uids = participants_parse(participants)
    drawn = winners(uids, seed, count)
    return Verification(
        seed_matches=seed_commitment(seed) == commitment.strip().lower(),
        list_matches=(digest(participants_text(uids)) == list_digest.strip().lower()) if list_digest else None,
        winners=drawn,
        matches=(drawn == list(published_winners)) if published_winners is not None else None,
    )
