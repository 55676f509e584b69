"""The draw as anyone re-runs it: pure functions, no database."""

from __future__ import annotations

import hashlib

import pytest

from campaigns import draw

SEED = "ab" * 32


def test_the_commitment_is_the_seeds_sha256_and_a_new_seed_is_256_bits():
    assert draw.seed_commitment(SEED) == hashlib.sha256(SEED.encode()).hexdigest()
    seed = draw.seed_new()
    assert len(seed) == 64 and int(seed, 16) >= 0 and seed != draw.seed_new()


def test_winners_do_not_depend_on_the_order_or_repeats_of_the_list():
    uids = [str(1_000_000 + n) for n in range(500)]
    first = draw.winners(uids, SEED, 5)
    assert len(first) == 5 and len(set(first)) == 5
    assert draw.winners(list(reversed(uids)) + uids[:50], SEED, 5) == first
    # The smallest keys, in order: computed here the long way.
    assert first == sorted(uids, key=lambda uid: hashlib.sha256(f"{SEED}:{uid}".encode()).hexdigest())[:5]
    assert draw.winners(uids, "cd" * 32, 5) != first  # another seed, other winners


def test_removing_someone_changes_no_one_elses_chance():
    uids = [str(n) for n in range(10_000, 10_300)]
    first = draw.winners(uids, SEED, 3)
    loser = next(uid for uid in uids if uid not in first)
    assert draw.winners([u for u in uids if u != loser], SEED, 3) == first


def test_the_published_list_is_sorted_as_numbers_one_per_line():
    assert draw.participants_text(["30", "4", " 200 ", "4", ""]) == "4\n30\n200\n"
    assert draw.participants_parse("4\n\n 30 \n200\n") == ["4", "30", "200"]


def test_a_bad_line_in_a_list_says_which():
    with pytest.raises(ValueError, match="line 2: 'abc' is not a Weibo uid"):
        draw.participants_parse("12\nabc\n")


def test_verify_checks_the_seed_the_list_and_the_winners():
    uids = [str(n) for n in range(5000, 5100)]
    text = draw.participants_text(uids)
    published = draw.winners(uids, SEED, 3)
    good = draw.verify(participants=text, seed=SEED, count=3, commitment=draw.seed_commitment(SEED),
                       list_digest=draw.digest(text), published_winners=published)
    assert good.ok and good.winners == published and good.seed_matches and good.list_matches and good.matches
    wrong_seed = draw.verify(participants=text, seed="cd" * 32, count=3, commitment=draw.seed_commitment(SEED))
    assert not wrong_seed.seed_matches and not wrong_seed.ok
    edited = draw.verify(participants=text + "9999999\n", seed=SEED, count=3,
                         commitment=draw.seed_commitment(SEED), list_digest=draw.digest(text),
                         published_winners=published)
    assert edited.list_matches is False and not edited.ok
    other_winners = draw.verify(participants=text, seed=SEED, count=3, commitment=draw.seed_commitment(SEED),
                                published_winners=list(reversed(published)))
    assert other_winners.matches is False and not other_winners.ok
