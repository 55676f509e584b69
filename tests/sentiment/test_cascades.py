"""Watched reposts against the sandbox over real HTTP: a bot attack found by the keyword search is watched,
its reposts are read once, its tree is rebuilt and the detector flags it with one attack alert; replayed
organic CED cascades are not flagged; a KOL's cascade is rebuilt through the ``//@`` chains; budgets, rate
limits and leases; and which posts start a watch."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from positioning.management.commands.weibo_sandbox import connect_through_sandbox
from sentiment import cascades, sources
from sentiment.cascades import cascade_poll, cascades_due, cascades_watch
from sentiment.models import Alert, AlertKind, Cascade, Mention, MentionSource, Repost, RuleGroup, Sentiment
from weibo_ops.weibo.budget import window_start
from weibo_ops.weibo.client import WeiboClient
from weibo_sandbox.traffic import BOT_INTERVAL

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]  # embedded: cascade reads stored in transactions

BRAND_UID = "5500000001"  # 鲜牧乳业 on the sandbox
REPOSTS_PATH = "/2/statuses/repost_timeline.json"
BOTS = 120
BOT_SEED = 2024
ORGANIC_SEEDS = (1, 2, 3, 5, 7)  # five different CED cascades, 147-368 reposts


@pytest.fixture
def brand_account(demo, weibo):
    account = demo.accounts["鲜牧乳业"]
    connect_through_sandbox(account, uid=BRAND_UID, app_url="http://testserver")
    return account


@pytest.fixture
def weibo_data(settings, sandbox_with_data):
    """Like ``weibo``, but the sandbox that replays the real CED cascades from ../shared/data."""
    from weibo_ops.weibo.budget import default_budget

    sandbox_with_data.reset()
    settings.WEIBO_API_URL, settings.WEIBO_BIZ_API_URL = sandbox_with_data.url, sandbox_with_data.biz_url
    settings.WEIBO_APP_KEY, settings.WEIBO_APP_SECRET = sandbox_with_data.app_key, sandbox_with_data.app_secret
    settings.WEIBO_SAFE_DOMAIN = sandbox_with_data.safe_domain
    default_budget.cache_clear()
    yield sandbox_with_data
    default_budget.cache_clear()


@pytest.fixture
def reads(monkeypatch):
    """The repost timeline requests the app makes (still sent to the sandbox): their since_id, max_id, count;
    ``reads.after_first`` runs once after the first answer (to inject a fault into the second)."""
    calls: list[dict] = []
    real = WeiboClient.repost_timeline

    def spy(self, status_id, **params):
        calls.append(params)
        page = real(self, status_id, **params)
        if len(calls) == 1 and spy.after_first:
            spy.after_first()
        return page

    spy.after_first = None
    monkeypatch.setattr(WeiboClient, "repost_timeline", spy)
    spy.calls = calls
    return spy


def scenario(box, name: str, **body) -> dict:
    return box.admin("POST", f"/_sandbox/scenarios/{name}", {"account": int(BRAND_UID), "instant": True, **body})


def sandbox_reposts(box, root_id: str) -> list[dict]:
    """Every repost of the root as the sandbox has it, read with a token of its own (newest first)."""
    token, out, max_id = box.authorize(BRAND_UID), [], None
    while True:
        params = {"id": root_id, "count": 200, **({"max_id": max_id} if max_id else {})}
        page = box.http.get(REPOSTS_PATH, params=params, headers={"Authorization": f"OAuth2 {token}"}).json()
        out += page["reposts"]
        if len(page["reposts"]) < 200:
            return out
        max_id = int(page["reposts"][-1]["idstr"]) - 1


def watch(brand, root_id: str, **extra) -> Cascade:
    now = timezone.now()
    return Cascade.objects.create(brand=brand, root_id=root_id, next_poll_at=now, watch_until=now + timedelta(hours=1),
                                  **extra)


def signals(cascade: Cascade) -> dict[str, dict]:
    return {s["code"]: s for s in cascade.signals}


def weibo_time(text: str) -> datetime:
    return datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")


# --- a bot attack, end to end ---------------------------------------------------------------------------------

def test_a_bot_attack_found_by_the_search_is_watched_read_once_and_flagged_with_one_alert(
        demo, brand_account, weibo, reads):
    call_command("seed_demo_monitoring", stdout=io.StringIO())
    root_id = scenario(weibo, "bot_attack", size=BOTS, seed=BOT_SEED)["root"]
    truth = sandbox_reposts(weibo, root_id)
    assert len(truth) == BOTS
    line = truth[0]["text"]
    assert {r["text"] for r in truth} == {line} and "鲜牧" in line  # one pasted line, naming the brand

    # The search finds the bots' reposts (their line names the brand's products): a cascade forming.
    for group in RuleGroup.objects.filter(brand=demo.brand, search_enabled=True):
        assert sources.group_search(group_id=group.pk).skipped == ""
    seen = Mention.objects.filter(brand=demo.brand, root_id=root_id, source=MentionSource.SEARCH)
    assert sum(seen.values_list("copies", flat=True)) >= cascades.SEEN_REPOSTS_TO_WATCH
    cascade = Cascade.objects.get(brand=demo.brand, root_id=root_id)
    assert cascade.next_poll_at <= timezone.now() < cascade.watch_until
    assert cascades_due() == [cascade.pk]

    assert cascade_poll(cascade_id=cascade.pk) is not None
    assert reads.calls == [{"since_id": None, "max_id": None, "count": cascades.REPOSTS_PAGE}]
    cascade.refresh_from_db()
    rows = {r.platform_id: r for r in Repost.objects.filter(cascade=cascade)}
    assert set(rows) == {r["idstr"] for r in truth} and len(rows) == BOTS == cascade.reposts_seen
    for bot in truth:
        row = rows[bot["idstr"]]
        assert (row.uid, row.text, row.followers, row.parent_id) == (bot["user"]["idstr"], line, 0, "")
        assert row.account_created_at == weibo_time(bot["user"]["created_at"])
    assert cascade.since_id == max(rows, key=int)
    assert cascade.stats | {"key_nodes": []} == {"total": BOTS, "direct": BOTS, "second_level": 0, "max_depth": 1,
                                                 "key_nodes": []}
    assert cascade.problem == "" and cascade.lease_until is None and cascade.polled_at is not None
    assert cascade.next_poll_at > timezone.now()

    # Flagged by what attack.py says a timer-driven, pasted, fresh-account army does: regular, copy, young.
    assert cascade.flagged and cascade.attack_score >= 0
    found = signals(cascade)
    assert {code for code, s in found.items() if s["fired"]} == {"regular", "copy", "young"}
    assert found["burst"]["value"] == 1 and not found["burst"]["fired"]  # one repost per second at most
    regular = found["regular"]["evidence"]
    assert found["regular"]["value"] == regular["cv"] == 0.0 and regular["whole_cascade_cv"] == 0.0
    assert set(regular["gaps_seconds"]) == {BOT_INTERVAL} and regular["mean_gap_seconds"] == BOT_INTERVAL
    assert regular["even_per_minute"] == 60 / BOT_INTERVAL and regular["even_minutes"] >= 4
    copy = found["copy"]["evidence"]
    assert copy["text"] == line and (copy["count"], copy["share"], copy["reposts"]) == (BOTS, 1.0, BOTS)
    assert found["young"]["value"] == found["young"]["evidence"]["share"] == 1.0
    # A negative cascade is compared with the brand's other negative cascades: there are none yet.
    assert cascade.negative and found["recurring"]["measured"] and found["recurring"]["value"] == 0.0

    alert = Alert.objects.get(brand=demo.brand, kind=AlertKind.ATTACK)
    assert alert.cascade == cascade and alert.dedupe_key == f"attack:{cascade.pk}" and alert.count == BOTS
    assert alert.evidence["fired"] == ["regular", "copy", "young"]
    assert alert.evidence["signals"] == cascade.signals and alert.evidence["root_id"] == root_id
    assert alert.evidence["score"] == cascade.attack_score

    # Polled again: nothing new is stored, nobody is alerted again.
    Cascade.objects.filter(pk=cascade.pk).update(next_poll_at=timezone.now())
    assert cascade_poll(cascade_id=cascade.pk) is not None
    assert reads.calls[-1] == {"since_id": cascade.since_id, "max_id": None, "count": cascades.REPOSTS_PAGE}
    cascade.refresh_from_db()
    assert Repost.objects.filter(cascade=cascade).count() == BOTS and cascade.flagged
    assert Alert.objects.filter(brand=demo.brand, kind=AlertKind.ATTACK).count() == 1


# --- organic cascades ------------------------------------------------------------------------------------------

def test_replayed_organic_cced_cascades_are_not_flagged(demo, weibo_data):
    connect_through_sandbox(demo.accounts["鲜牧乳业"], uid=BRAND_UID, app_url="http://testserver")
    for seed in ORGANIC_SEEDS:
        run = scenario(weibo_data, "organic_replay", seed=seed)
        assert run["source"] == "ced"
        # The replayed root is about something else: watched directly, and as negative, so that the other
        # replays' reposters are looked for too.
        cascade = watch(demo.brand, run["root"], negative=True)
        cascade_poll(cascade_id=cascade.pk)
        cascade.refresh_from_db()
        assert cascade.problem == "" and cascade.reposts_seen == run["released"] - 1 >= 100, run
        fired = [code for code, s in signals(cascade).items() if s["fired"]]
        assert not cascade.flagged and len(fired) <= 1, (seed, run["cascade"], fired, cascade.signals)
        assert cascade.stats["total"] == cascade.reposts_seen
    assert not Alert.objects.filter(kind=AlertKind.ATTACK).exists()


# --- a KOL's cascade ---------------------------------------------------------------------------------------

def test_a_kol_cascade_is_rebuilt_through_the_repost_chains(demo, brand_account, weibo):
    run = scenario(weibo, "kol_cascade", size=150, seed=7)
    cascade = watch(demo.brand, run["root"], root_author="鲜牧乳业", root_uid=BRAND_UID)
    cascade_poll(cascade_id=cascade.pk)
    cascade.refresh_from_db()
    truth = {r["idstr"]: r for r in sandbox_reposts(weibo, run["root"])}
    rows = {r.platform_id: r for r in Repost.objects.filter(cascade=cascade)}
    assert set(rows) == set(truth)
    stats = cascade.stats
    assert stats["total"] == len(truth) == cascade.reposts_seen
    assert stats["second_level"] > 0 and stats["direct"] + stats["second_level"] == stats["total"]
    assert stats["max_depth"] >= 3
    kol = stats["key_nodes"][0]
    assert kol["uid"] == str(run["kol"]) and kol["screen_name"] == run["kol_screen_name"]
    assert kol["downstream"] == max(k["downstream"] for k in stats["key_nodes"]) > stats["total"] // 2
    kol_mid = kol["mid"]
    # Reposts of reposts carry their parent (the repost they name first in the //@ chain); reposts of the root
    # carry none.
    through_kol = [r for r in rows.values() if r.text.split("//@", 1)[-1].startswith(f"{run['kol_screen_name']}:")
                   and r.text.count("//@") == 1]
    assert through_kol and all(r.parent_id == kol_mid for r in through_kol)
    deeper = [r for r in rows.values() if r.text.count("//@") >= 2]
    assert deeper and all(r.parent_id not in ("", kol_mid) and r.parent_id in rows for r in deeper)
    assert all(r.parent_id == "" for r in rows.values() if "//@" not in r.text)
    assert sum(1 for r in rows.values() if r.parent_id) == stats["second_level"]
    assert not cascade.flagged


# --- budget, faults, leases ------------------------------------------------------------------------------------

def test_a_poll_without_budget_waits_and_asks_nothing(demo, brand_account, weibo, reads, settings):
    root_id = scenario(weibo, "bot_attack", size=30, seed=1)["root"]
    cascade = watch(demo.brand, root_id)
    settings.SENTIMENT_SEARCH_RESERVE_CALLS = settings.WEIBO_RATE_LIMITS["calls"]
    before = timezone.now()
    assert cascade_poll(cascade_id=cascade.pk) is not None
    cascade.refresh_from_db()
    assert reads.calls == [] and not Repost.objects.exists()
    assert cascade.problem and cascade.lease_until is None and cascade.next_poll_at > before
    assert cascade.pk not in cascades_due()


def test_a_rate_limit_on_the_second_page_stores_nothing_and_waits_for_the_budget(demo, brand_account, weibo,
                                                                                   reads):
    root_id = scenario(weibo, "bot_attack", size=250, seed=3)["root"]
    cascade = watch(demo.brand, root_id)
    reads.after_first = lambda: weibo.admin("POST", "/_sandbox/faults", {
        "once": [{"kind": "rate_limit", "code": 10023, "path": REPOSTS_PATH}]})
    before = timezone.now()
    assert cascade_poll(cascade_id=cascade.pk) is not None
    after = timezone.now()
    assert len(reads.calls) == 2 and reads.calls[1]["max_id"]  # the first page was read, the second refused
    cascade.refresh_from_db()
    assert not Repost.objects.exists() and cascade.since_id == "" and cascade.reposts_seen == 0
    assert cascade.next_poll_at in {window_start(t) + timedelta(hours=1) for t in (before, after)}
    assert cascade.problem and cascade.lease_until is None and cascade.checked_at is None
    assert not cascade.flagged and not Alert.objects.exists()


def test_a_cascade_read_over_two_pages_is_stored_whole(demo, brand_account, weibo, reads):
    root_id = scenario(weibo, "bot_attack", size=250, seed=3)["root"]
    cascade = watch(demo.brand, root_id)
    cascade_poll(cascade_id=cascade.pk)
    ids = sorted((r["idstr"] for r in sandbox_reposts(weibo, root_id)), key=int)
    assert [c["max_id"] for c in reads.calls] == [None, str(int(ids[-200]) - 1)]
    assert Repost.objects.filter(cascade=cascade).count() == 250
    cascade.refresh_from_db()
    assert cascade.since_id == ids[-1] and cascade.flagged


def test_a_cascade_bigger_than_one_poll_is_read_over_the_next_polls(demo, brand_account, weibo, reads, monkeypatch):
    monkeypatch.setattr(cascades, "CASCADE_PAGES", 1)
    root_id = scenario(weibo, "bot_attack", size=250, seed=3)["root"]
    ids = sorted((r["idstr"] for r in sandbox_reposts(weibo, root_id)), key=int)
    cascade = watch(demo.brand, root_id)
    cascade_poll(cascade_id=cascade.pk)
    cascade.refresh_from_db()
    assert Repost.objects.filter(cascade=cascade).count() == 200 and cascade.since_id == ""  # the 50 oldest wait
    assert cascade.flagged  # the 200 newest are enough to judge
    scenario(weibo, "bot_attack", size=20, seed=4)  # meanwhile more reposts (of another post) arrive
    cascade_poll(cascade_id=cascade.pk)
    assert reads.calls[1] == {"since_id": None, "max_id": str(int(ids[-200]) - 1), "count": cascades.REPOSTS_PAGE}
    cascade.refresh_from_db()
    assert set(Repost.objects.filter(cascade=cascade).values_list("platform_id", flat=True)) == set(ids)
    assert cascade.since_id == ids[-1] and cascade.reposts_seen == 250
    cascade_poll(cascade_id=cascade.pk)
    assert reads.calls[2] == {"since_id": ids[-1], "max_id": None, "count": cascades.REPOSTS_PAGE}
    assert Repost.objects.filter(cascade=cascade).count() == 250
    assert Alert.objects.filter(kind=AlertKind.ATTACK).count() == 1


def test_a_leased_cascade_is_not_polled_twice_at_once(demo, brand_account, weibo, reads):
    root_id = scenario(weibo, "bot_attack", size=30, seed=1)["root"]
    cascade = watch(demo.brand, root_id, lease_until=timezone.now() + timedelta(minutes=1))
    assert cascade_poll(cascade_id=cascade.pk) is None and reads.calls == []
    Cascade.objects.filter(pk=cascade.pk).update(lease_until=timezone.now() - timedelta(seconds=1))  # its worker died
    assert cascade_poll(cascade_id=cascade.pk) is not None and len(reads.calls) == 1
    assert Repost.objects.filter(cascade=cascade).count() == 30
    assert cascade_poll(cascade_id=999_999) is None


def test_only_due_unleased_watched_cascades_are_due(demo):
    now = timezone.now()
    hour = timedelta(hours=1)

    def make(name, **fields):
        return Cascade.objects.create(brand=demo.brand, root_id=name, **{
            "next_poll_at": now - timedelta(seconds=1), "watch_until": now + hour, **fields}).pk

    due = make("1")
    expired_lease = make("2", lease_until=now - timedelta(seconds=1))
    make("3", next_poll_at=now + timedelta(seconds=1))
    make("4", lease_until=now + timedelta(minutes=1))
    make("5", watch_until=now - timedelta(seconds=1))
    make("6", next_poll_at=None)
    assert set(cascades_due(now=now)) == {due, expired_lease}


# --- which posts are watched -----------------------------------------------------------------------------------

def mention(brand, pid: str, sentiment: str, **fields) -> Mention:
    return Mention.objects.create(brand=brand, source=MentionSource.SEARCH, platform_id=pid, text=f"text {pid}",
                                  text_key=f"key {pid}", posted_at=timezone.now(), sentiment=sentiment, **fields)


def test_a_negative_post_with_reposts_or_an_influential_author_is_watched_and_a_positive_one_is_not(demo, settings):
    least = settings.SENTIMENT_CASCADE_MIN_REPOSTS
    negative = mention(demo.brand, "101", Sentiment.NEGATIVE, reposts=least, author_name="愤怒的顾客")
    few = mention(demo.brand, "102", Sentiment.NEGATIVE, reposts=least - 1)
    loud = mention(demo.brand, "103", Sentiment.NEGATIVE, author_followers=100_000)
    positive = mention(demo.brand, "104", Sentiment.POSITIVE, reposts=10 * least)
    neutral = mention(demo.brand, "105", Sentiment.NEUTRAL, reposts=10 * least)
    comment = mention(demo.brand, "106", Sentiment.NEGATIVE, reposts=least, object_type="comment")
    assert cascades_watch(brand=demo.brand, mentions=[negative, few, loud, positive, neutral, comment]) == 2
    watched = {c.root_id: c for c in Cascade.objects.all()}
    assert set(watched) == {"101", "103"}
    first = watched["101"]
    assert first.negative and first.mention == negative and first.root_text == negative.text
    assert first.root_author == "愤怒的顾客" and first.root_posted_at == negative.posted_at
    assert first.watch_until - first.next_poll_at == timedelta(hours=settings.SENTIMENT_CASCADE_WATCH_HOURS)
    cascades_watch(brand=demo.brand, mentions=[negative])  # seen again: still one cascade
    assert Cascade.objects.count() == 2


def test_reposts_of_one_root_seen_five_times_start_a_watch_of_that_root(demo):
    root = mention(demo.brand, "200", Sentiment.NEUTRAL, author_name="原博主")
    older = mention(demo.brand, "201", Sentiment.NEUTRAL, root_id="200", copies=3)
    under = mention(demo.brand, "202", Sentiment.NEGATIVE, root_id="200", object_type="comment", copies=5)
    assert cascades_watch(brand=demo.brand, mentions=[older, under]) == 0  # 3 reposts seen; comments do not count
    newer = mention(demo.brand, "203", Sentiment.NEUTRAL, root_id="200")
    assert cascades_watch(brand=demo.brand, mentions=[newer]) == 0  # 4
    last = mention(demo.brand, "204", Sentiment.NEGATIVE, root_id="200")
    assert cascades_watch(brand=demo.brand, mentions=[last]) == 1  # 5, copies counted
    cascade = Cascade.objects.get()
    assert cascade.root_id == "200" and cascade.mention == root and cascade.root_author == "原博主"
    assert cascade.negative  # one of the reposts is negative
    # Without the root among the mentions the cascade is still watched, its root known only by id.
    for n in range(5):
        mention(demo.brand, f"31{n}", Sentiment.NEUTRAL, root_id="300")
    assert cascades_watch(brand=demo.brand, mentions=list(Mention.objects.filter(root_id="300"))) == 1
    orphan = Cascade.objects.get(root_id="300")
    assert orphan.mention is None and orphan.root_text == "" and not orphan.negative
    assert cascades_watch(brand=demo.brand, mentions=[last]) == 0  # already watched

