"""Peer benchmarks against the sandbox over real HTTP: a peer's and an own account's day read within budget
(users/show, the business search's ``ids`` filter, the own timeline), a rate limit as a retry time, the CSV import's
row errors with nothing half-imported, and the period figures hand-computed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from positioning import benchmarks
from positioning.benchmarks import benchmark_csv_import, benchmarks_snapshot, day_bounds, peer_create
from positioning.management.commands.weibo_sandbox import connect_through_sandbox
from positioning.models import BenchmarkSnapshot, Measured, PeerAccount, PeerSource
from positioning.selectors import benchmark_table
from weibo_ops.weibo.budget import window_start

pytestmark = [pytest.mark.django_db]

BRAND_UID = "5500000001"  # 鲜牧乳业 on the sandbox
PEER_UID = "5600000001"  # 澜山乳业: a peer brand the sandbox serves with 60 days of public posts
OTHER_PEER_UID = "5600000002"  # 禾露牧场


@pytest.fixture
def connected(demo, weibo):
    account = demo.accounts["鲜牧乳业"]
    connect_through_sandbox(account, uid=BRAND_UID, app_url="http://testserver")
    account.refresh_from_db()
    return account


@pytest.fixture
def peer(demo):
    return peer_create(brand=demo.brand, weibo_uid=PEER_UID, name="澜山乳业", by=demo.people["manager"])


def calls_made(box) -> int:
    return len(box.admin("GET", "/_sandbox/requests?limit=100000"))


def raw_day(box, uid: str, day: date, *, keyword: str) -> tuple[int, int, float | None]:
    """Followers, posts and interactions per post of ``uid`` on ``day``, from the raw JSON of the sandbox."""
    token = box.authorize(BRAND_UID)
    headers = {"Authorization": f"OAuth2 {token}"}
    user = box.http.get("/2/users/show.json", params={"uid": uid}, headers=headers).json()
    start, end = day_bounds(day)
    found = box.http.get("/c.api.weibo.com/2/search/statuses/limited.json", headers=headers, params={
        "q": keyword, "ids": uid, "starttime": int(start.timestamp()), "endtime": int(end.timestamp()) - 1,
        "count": 50}).json()["statuses"]
    assert found, "the sandbox's peer posts every day"
    interactions = sum(s["reposts_count"] + s["comments_count"] + s["attitudes_count"] for s in found)
    return user["followers_count"], len(found), interactions / len(found)


def raw_own_day(box, day: date) -> tuple[int, int, float | None]:
    token = box.authorize(BRAND_UID)
    headers = {"Authorization": f"OAuth2 {token}"}
    user = box.http.get("/2/users/show.json", params={"uid": BRAND_UID}, headers=headers).json()
    timeline = box.http.get("/2/statuses/user_timeline.json", params={"count": 100}, headers=headers).json()
    start, end = day_bounds(day)
    from weibo_ops.weibo.types import parse_created_at
    found = [s for s in timeline["statuses"] if start <= parse_created_at(s["created_at"]) < end]
    per_post = (sum(s["reposts_count"] + s["comments_count"] + s["attitudes_count"] for s in found) / len(found)
                if found else None)
    return user["followers_count"], len(found), per_post


def test_a_peers_day_is_read_through_users_show_and_the_business_search_ids_filter(connected, peer, weibo):
    day = timezone.localdate() - timedelta(days=3)
    run = benchmarks_snapshot(day=day)
    snap = BenchmarkSnapshot.objects.get(peer=peer, day=day)
    followers, posts, per_post = raw_day(weibo, PEER_UID, day, keyword="澜山乳业")
    assert (snap.followers, snap.posts, snap.measured) == (followers, posts, Measured.SEARCH)
    assert snap.interactions_per_post == pytest.approx(per_post)
    own = BenchmarkSnapshot.objects.get(account=connected, day=day)
    assert (own.followers, own.posts, own.measured) == (*raw_own_day(weibo, day)[:2], Measured.TIMELINE)
    assert own.interactions_per_post == pytest.approx(raw_own_day(weibo, day)[2])
    assert run.taken == 2 and run.retry_at is None
    # Run again: every subject has the day, nothing is read twice.
    calls = calls_made(weibo)
    assert benchmarks_snapshot(day=day).taken == 0
    assert calls_made(weibo) == calls
    assert BenchmarkSnapshot.objects.count() == 2


def test_without_the_business_api_posts_come_from_the_post_count_and_interactions_stay_unknown(
        connected, peer, weibo, settings):
    settings.BENCHMARK_BUSINESS_SEARCH = False
    day = timezone.localdate() - timedelta(days=1)
    BenchmarkSnapshot.objects.create(peer=peer, day=day - timedelta(days=1), followers=1, statuses_count=10,
                                     posts=1, measured=Measured.PROFILE)
    benchmarks_snapshot(day=day)
    snap = BenchmarkSnapshot.objects.get(peer=peer, day=day)
    token = weibo.authorize(BRAND_UID)
    user = weibo.http.get("/2/users/show.json", params={"uid": PEER_UID},
                          headers={"Authorization": f"OAuth2 {token}"}).json()
    assert (snap.measured, snap.posts, snap.interactions_per_post) == (
        Measured.PROFILE, user["statuses_count"] - 10, None)


def test_the_budget_reserve_is_never_spent(connected, peer, weibo, monkeypatch):
    monkeypatch.setattr(benchmarks, "_reserve", lambda: 10_000)
    before = calls_made(weibo)
    run = benchmarks_snapshot(day=timezone.localdate() - timedelta(days=1))
    assert run.taken == 0 and not BenchmarkSnapshot.objects.exists()
    assert len(run.skipped) == 2  # the own account, then the peer (no account with calls to spare)
    assert calls_made(weibo) == before  # not one call


def test_a_rate_limit_is_the_peers_retry_time_never_a_crash(connected, peer, weibo):
    day = timezone.localdate() - timedelta(days=1)
    BenchmarkSnapshot.objects.create(account=connected, day=day, followers=1, posts=0, measured=Measured.TIMELINE)
    weibo.admin("POST", "/_sandbox/faults", {
        "once": [{"kind": "rate_limit", "code": 10023, "path": "/2/users/show.json"}]})
    before = timezone.now()
    run = benchmarks_snapshot(day=day)
    peer.refresh_from_db()
    assert run.taken == 0 and run.retry_at == window_start(before) + timedelta(hours=1)
    assert peer.retry_at == run.retry_at and peer.problem
    assert not BenchmarkSnapshot.objects.filter(peer=peer).exists()
    assert benchmarks_snapshot(day=day).taken == 0  # not due before its retry time
    PeerAccount.objects.filter(pk=peer.pk).update(retry_at=timezone.now())
    # The account's budget is blocked by Weibo's word until the hour ends: nothing is read now either.
    assert benchmarks_snapshot(day=day).taken == 0


@pytest.mark.usefixtures("english")
def test_csv_import_refuses_every_bad_row_and_stores_nothing(demo, peer):
    other = peer_create(brand=demo.brand, weibo_uid=OTHER_PEER_UID, name="禾露牧场", source=PeerSource.CSV,
                        by=demo.people["manager"])
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    text = ("uid,day,followers,posts,interactions_per_post\n"
            f"{OTHER_PEER_UID},2026-11-01,64000,2,35.5\n"
            "999,2026-11-01,1,1,1\n"
            f"{OTHER_PEER_UID},2026-13-01,1,1,1\n"
            f"{OTHER_PEER_UID},{future},1,1,1\n"
            f"{OTHER_PEER_UID},2026-11-02,many,1,1\n"
            f"{OTHER_PEER_UID},2026-11-03,1,-2,1\n"
            f"{OTHER_PEER_UID},2026-11-01,64000,2,35.5\n")
    with pytest.raises(ValidationError) as refused:
        benchmark_csv_import(brand=demo.brand, text=text, by=demo.people["manager"])
    assert refused.value.messages == [
        "Line 3: uid “999” is not a peer of 鲜牧乳业; add the peer first.",
        "Line 4: day must be a date like 2026-11-30, got “2026-13-01”.",
        f"Line 5: {future} has not ended yet; import finished days only.",
        "Line 6: followers must be a number, got “many”.",
        "Line 7: posts must be zero or more.",
        f"Line 8: {OTHER_PEER_UID} on 2026-11-01 appears twice; keep one row.",
    ]
    assert not BenchmarkSnapshot.objects.exists()
    with pytest.raises(ValidationError) as header:
        benchmark_csv_import(brand=demo.brand, text="uid,day,followers\n1,2,3\n", by=None)
    assert header.value.messages == ["The first line must name the columns "
                                     "uid,day,followers,posts,interactions_per_post; missing: posts, "
                                     "interactions_per_post."]
    done = benchmark_csv_import(brand=demo.brand, by=None, text=(
        "uid,day,followers,posts,interactions_per_post\n"
        f"{OTHER_PEER_UID},2026-11-01,64000,2,35.5\n{OTHER_PEER_UID},2026-11-02,64100,3,20\n"))
    assert (done.created, done.updated) == (2, 0)
    snap = BenchmarkSnapshot.objects.get(peer=other, day=date(2026, 11, 2))
    assert (snap.followers, snap.posts, snap.interactions_per_post, snap.measured) == (64100, 3, 20.0, Measured.CSV)


@pytest.mark.usefixtures("english")
def test_peer_create_refuses_a_bad_uid_and_an_own_account(demo):
    with pytest.raises(ValidationError) as bad:
        peer_create(brand=demo.brand, weibo_uid="lanshan", name="澜山", by=None)
    assert "weibo_uid" in bad.value.message_dict
    account = demo.accounts["鲜牧乳业"]
    account.weibo_uid = BRAND_UID
    account.save(update_fields=["weibo_uid"])
    with pytest.raises(ValidationError) as own:
        peer_create(brand=demo.brand, weibo_uid=BRAND_UID, name="鲜牧", by=None)
    assert own.value.message_dict == {"weibo_uid": ["This uid is one of the brand's own accounts, not a peer."]}


def test_period_figures_are_hand_computed_and_the_best_peer_is_marked(demo, peer):
    other = peer_create(brand=demo.brand, weibo_uid=OTHER_PEER_UID, name="禾露牧场", by=None)
    account = demo.accounts["鲜牧乳业"]
    d = date(2026, 11, 10)
    rows = [  # (subject, day, followers, posts, interactions per post)
        (peer, d - timedelta(days=1), 1000, 5, 99.0),  # the day before the period: only its followers count
        (peer, d, 1010, 2, 10.0), (peer, d + timedelta(days=1), 1030, 4, 25.0), (peer, d + timedelta(days=2), 1050,
                                                                                  None, None),
        (other, d, 500, 1, 100.0), (other, d + timedelta(days=2), 560, 1, 40.0),
        (account, d, 300, 3, 5.0), (account, d + timedelta(days=1), 310, 1, None),
    ]
    for subject, day, followers, posts, ipp in rows:
        key = {"peer": subject} if isinstance(subject, PeerAccount) else {"account": subject}
        BenchmarkSnapshot.objects.create(**key, day=day, followers=followers, posts=posts,
                                         interactions_per_post=ipp, measured=Measured.CSV)
    table = {r.name: r for r in benchmark_table(brand=demo.brand, start=d, end=d + timedelta(days=2))}
    lanshan, helu, own = table["澜山乳业"], table["禾露牧场"], table["鲜牧乳业"]
    # 澜山: 1050 followers; gained 1050 − 1000 (the day before); (2 + 4) / 2 days with a count = 3 posts a day;
    # (2 × 10 + 4 × 25) / (2 + 4) = 120 / 6 = 20 interactions per post.
    assert (lanshan.followers, lanshan.followers_gained, lanshan.posts_per_day, lanshan.interactions_per_post) == (
        1050, 50, 3.0, 20.0)
    # 禾露: no day before: gained 560 − 500 = 60; (1 + 1) / 2 = 1; (100 + 40) / 2 = 70.
    assert (helu.followers, helu.followers_gained, helu.posts_per_day, helu.interactions_per_post) == (
        560, 60, 1.0, 70.0)
    # Own: 310, +10, (3 + 1) / 2 = 2, interactions only where known: 3 × 5 / 3 = 5.
    assert (own.followers, own.followers_gained, own.posts_per_day, own.interactions_per_post) == (310, 10, 2.0, 5.0)
    assert lanshan.best == {"followers", "posts_per_day"} and helu.best == {"followers_gained",
                                                                             "interactions_per_post"}
    assert own.best == set()  # the best peer is a peer
    assert table["鲜牧客服"].days == 0 and table["鲜牧客服"].followers is None


def test_the_hourly_beat_task_reads_yesterday_once(connected, peer, weibo, settings):
    from positioning import tasks

    assert settings.CELERY_BEAT_SCHEDULE["positioning-benchmarks"]["task"] == tasks.BENCHMARKS_TASK
    assert tasks.benchmarks_snapshot() == 2  # the connected own account and the peer
    assert tasks.benchmarks_snapshot() == 0
    assert set(BenchmarkSnapshot.objects.values_list("day", flat=True)) == {benchmarks.yesterday()}
