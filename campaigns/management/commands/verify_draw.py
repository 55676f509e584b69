"""Re-runs a campaign's draw from the published data alone: no database, no network.

    manage.py verify_draw --participants list.txt --seed SEED --winners 3 --commitment SEED_HASH \\
        [--digest LIST_SHA256] [--expect-winners winners.txt]

Prints the winners in the order drawn and whether the seed matches the commitment published before the draw,
whether the list matches its published digest and whether the winners match the published ones. Exits 0
when everything given matches, 1 on a mismatch, 2 on unreadable input.
"""

from __future__ import annotations

import re

from django.core.management.base import BaseCommand, CommandError

from campaigns import draw

SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
BAD_INPUT = 2


def _read(path: str, what: str) -> str:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except FileNotFoundError:
        raise CommandError(f"{what} file {path!r} does not exist.", returncode=BAD_INPUT) from None
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"cannot read the {what} file {path!r}: {error}. Give the published text file "
                           f"(UTF-8, one uid a line).", returncode=BAD_INPUT) from None


def _uids(text: str, path: str, what: str) -> list[str]:
    try:
        return draw.participants_parse(text)
    except ValueError as error:
        raise CommandError(f"{what} file {path!r}, {error}.", returncode=BAD_INPUT) from None


class Command(BaseCommand):
    help = "Re-run a campaign's draw from the published participant list and seed, and check it."
    requires_system_checks: list = []  # reads no settings-dependent part: runs anywhere the code is
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--participants", required=True, metavar="FILE",
                            help="the published list of eligible uids, one a line")
        parser.add_argument("--seed", required=True, help="the seed revealed after the draw")
        parser.add_argument("--winners", required=True, type=int, metavar="N", help="how many winners were drawn")
        parser.add_argument("--commitment", required=True, metavar="HASH",
                            help="the seed's SHA-256 published before the draw")
        parser.add_argument("--digest", default="", metavar="D", help="the published SHA-256 of the list")
        parser.add_argument("--expect-winners", default="", metavar="FILE",
                            help="the published winners' uids, one a line, in the order drawn")

    def handle(self, *args, participants, seed, winners, commitment, digest, expect_winners, **options):
        if winners < 1:
            raise CommandError("--winners must be 1 or more.", returncode=BAD_INPUT)
        seed = seed.strip()
        if not seed:
            raise CommandError("--seed is empty: give the seed revealed after the draw.", returncode=BAD_INPUT)
        for name, value in (("--commitment", commitment), ("--digest", digest)):
            if value and not SHA256.match(value.strip()):
                raise CommandError(f"{name} must be a SHA-256 in hex (64 characters 0-9, a-f); got {value[:80]!r}.",
                                   returncode=BAD_INPUT)
        text = _read(participants, "participants")
        uids = _uids(text, participants, "participants")
        if not uids:
            raise CommandError(f"participants file {participants!r} holds no uid.", returncode=BAD_INPUT)
        published = None
        if expect_winners:
            published = _uids(_read(expect_winners, "winners"), expect_winners, "winners")
        result = draw.verify(participants=text, seed=seed, count=winners, commitment=commitment,
                             list_digest=digest, published_winners=published)
        out = self.stdout
        out.write(f"participants: {len(set(uids))}")
        out.write("winners, in the order drawn:")
        for rank, uid in enumerate(result.winners, start=1):
            out.write(f"  {rank}. {uid}")

        def verdict(value: bool | None) -> str:
            return "not checked" if value is None else ("MATCHES" if value else "DOES NOT MATCH")

        out.write(f"seed vs commitment: {verdict(result.seed_matches)}")
        out.write(f"list vs digest: {verdict(result.list_matches)}")
        out.write(f"winners vs published: {verdict(result.matches)}")
        if not result.ok:
            raise CommandError("the draw does NOT verify: see the lines above.", returncode=1)
        out.write("verified: the published data gives the published result.")
