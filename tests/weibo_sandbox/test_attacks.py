"""The harder bot attacks: each variant takes one tell of the plain bot_attack away (timer, one pasted line, new
fan-less accounts, a post of its own), and the stealth one takes all of them."""

# ruff: noqa: S311 - seeded test traffic so that a run replays exactly; nothing here is secret

from __future__ import annotations

import random
import re
import statistics
import unicodedata
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from rapidfuzz import fuzz

from weibo_sandbox import corpus, traffic

from .weibo import BRAND, Account, all_reposts, gaps_cv, parse_time, run


@pytest.fixture
def brand(fresh_sandbox):
    return Account(fresh_sandbox, BRAND)


def stamps(items: list[dict]) -> list[float]:
    return sorted(parse_time(item["created_at"]).timestamp() for item in items)


def words(text: str) -> str:
    """Letters and digits only: no emoticons, emoji, punctuation or spaces."""
    text = re.sub(r"\[[^\[\]]{1,10}\]", "", text.split("//@", 1)[0])
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def bots_of(reposts: list[dict], summary: dict) -> list[dict]:
    first, last = summary["bot_uids"]
    return [r for r in reposts if first <= r["user"]["id"] <= last]


def test_jittered_gaps_are_irregular(brand, fresh_sandbox):
    summary = run(fresh_sandbox, "bot_attack_jittered", size=120)
    assert (summary["events"], summary["gap_median_seconds"], summary["gap_sigma"]) == (121, 3.0, 1.0)
    reposts = all_reposts(brand, summary["root"])
    assert len(reposts) == 120
    gaps = [b - a for a, b in pairwise(stamps(reposts))]
    assert len(set(gaps)) >= 10  # the plain attack has exactly one gap, 3 s
    assert gaps_cv(stamps(reposts)) > 0.8  # plain: 0
    assert 1.0 <= statistics.median(gaps) <= 6.0
    assert len({r["text"] for r in reposts}) == 1  # only the timing changed
    assert all(r["user"]["followers_count"] == 0 for r in reposts)


def test_paraphrased_texts_differ_but_say_the_same(brand, fresh_sandbox):
    summary = run(fresh_sandbox, "bot_attack_paraphrased", size=100)
    reposts = all_reposts(brand, summary["root"])
    texts = [r["text"] for r in reposts]
    assert len(texts) == 100
    assert len(set(texts)) >= 90  # nearly every bot has its own wording
    normalised = [words(t) for t in texts]
    assert max(normalised.count(w) for w in set(normalised)) <= 20  # no one wording covers a quarter
    original = words(summary["copied"])
    assert all(fuzz.ratio(w, original) >= 75 for w in normalised)  # light edits of one message
    assert gaps_cv(stamps(reposts)) < 0.2  # only the text changed


def test_paraphrase_is_seeded_and_light():
    line = corpus.text("bot_copy", random.Random(5))
    first = [traffic.paraphrase(line, random.Random(9)) for _ in range(2)]
    assert first[0] == first[1]  # the same seed, the same wording
    rng = random.Random(9)
    many = [traffic.paraphrase(line, rng) for _ in range(50)]
    assert len(set(many)) >= 45 and line not in many  # every one edited
    assert all(fuzz.ratio(words(m), words(line)) >= 75 for m in many)


def test_aged_accounts_have_followers_and_history(brand, fresh_sandbox):
    summary = run(fresh_sandbox, "bot_attack_aged", size=60)
    reposts = all_reposts(brand, summary["root"])
    assert len(reposts) == 60
    now = datetime.now(UTC)
    for repost in reposts:
        user = repost["user"]
        age = now - parse_time(user["created_at"])
        assert timedelta(days=89) < age < timedelta(days=901)  # plain bots: under 10 days
        assert user["followers_count"] >= 8 and user["statuses_count"] >= 30  # plain bots: 0 followers
        assert "default_avatar" not in user["profile_image_url"]
    assert statistics.median(r["user"]["followers_count"] for r in reposts) >= 20
    assert len({r["text"] for r in reposts}) == 1 and gaps_cv(stamps(reposts)) < 0.2


def test_in_cascade_mixes_bots_into_a_replayed_cascade(brand, fresh_sandbox):
    summary = run(fresh_sandbox, "bot_attack_in_cascade", size=40)
    assert summary["source"] == "synthetic" and summary["bot_reposts"] == 40
    root = brand.ok(brand.get("statuses/show", id=summary["root"]))
    reposts = all_reposts(brand, summary["root"])
    bots = bots_of(reposts, summary)
    organic = [r for r in reposts if r not in bots]
    assert len(bots) == 40 and len(organic) == summary["organic_reposts"] >= 120
    assert root["user"]["id"] not in {b["user"]["id"] for b in bots}
    first, last = stamps(bots)[0], stamps(bots)[-1]
    organic_times = stamps(organic)
    assert organic_times[0] < first  # the cascade was already going ...
    assert any(first < t < last for t in organic_times)  # ... goes on among the bots ...
    assert organic_times[-1] > last  # ... and after them
    assert all("@鲜牧乳业" in b["text"] for b in bots)


def test_stealth_attack_inside_a_real_cascade(sandbox_with_data):
    account = Account(sandbox_with_data, BRAND)
    summary = run(sandbox_with_data, "bot_attack_stealth", size=60)
    assert summary["source"] == "ced" and summary["organic_reposts"] >= 100
    reposts = all_reposts(account, summary["root"])
    bots = bots_of(reposts, summary)
    organic = [r for r in reposts if r not in bots]
    assert len(bots) == 60 and len(organic) == summary["organic_reposts"]
    times = stamps(bots)
    assert any(times[0] < t < times[-1] for t in stamps(organic))
    assert len({b - a for a, b in pairwise(times)}) >= 10
    assert len({b["text"] for b in bots}) >= 50
    now = datetime.now(UTC)
    assert all(now - parse_time(b["user"]["created_at"]) > timedelta(days=89) for b in bots)
    assert all(b["user"]["followers_count"] >= 8 for b in bots)
