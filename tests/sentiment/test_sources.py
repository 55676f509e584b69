"""The commercial keyword search against the sandbox over real HTTP: a group's hits are stored once, its
exclude terms and required context are honoured, the time window moves only with what was stored, a poll
that stops at its page limit leaves a gap the next poll fills, a rate limit pauses the group, and the
hourly budget keeps its reserve."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from positioning.management.commands.weibo_sandbox import connect_through_sandbox
from sentiment import sources
from sentiment.models import Mention, MentionSource, RuleGroup
from sentiment.sources import SEARCH_COUNT, group_search, groups_to_search, search_account
from weibo_ops.weibo.budget import BIZ, account_scope, default_budget, window_start

# embedded: search windows move in the transaction that stores what was found
pytestmark = [pytest.mark.embedded, pytest.mark.django_db]

CS_UID = "5500000002"  # 鲜牧客服 on the sandbox
SEARCH_PATH = "/2/search/statuses/limited.json"  # on c.api.weibo.com: no "/biz" in this one
# Made-up words that nothing in the sandbox's seeded world says: only the posts a test makes match.
TERM, OTHER = "蓝莓星球", "橙子宇宙"


@pytest.fixture
def cs(demo, weibo):
    account = demo.accounts["鲜牧客服"]
    connect_through_sandbox(account, uid=CS_UID, app_url="http://testserver")
    return account


@pytest.fixture
def group(demo, cs):
    return RuleGroup.objects.create(brand=demo.brand, name="蓝莓星球", kind="product", include_terms=[TERM],
                                    exclude_terms=["招聘"])


def post(weibo, text: str) -> dict:
    """A fan's post on the sandbox (it @s 鲜牧客服, which the search does not care about)."""
    return weibo.admin("POST", "/_sandbox/fan_posts", {"to_uid": int(CS_UID), "text": text})["status"]


def search_calls(weibo) -> int:
    return sum((r.get("host"), r.get("path")) == ("c.api.weibo.com", SEARCH_PATH)
               for r in weibo.admin("GET", "/_sandbox/requests?limit=1000"))


def stored_texts(group) -> set[str]:
    return set(Mention.objects.filter(brand=group.brand).values_list("text", flat=True))


def test_a_groups_hits_are_stored_once_and_a_second_poll_stores_nothing_new(group, weibo):
    wanted = [post(weibo, f"{TERM}奶昔第{n}杯，真好喝") for n in range(3)]
    post(weibo, f"{TERM}招聘店员，月薪面议")  # an exclude term
    post(weibo, "今天的牛奶很好喝")  # not a hit of the search at all
    before = timezone.now()
    first = group_search(group_id=group.pk)
    assert (first.skipped, first.calls, first.read, first.stored) == ("", 1, 4, 3)
    mentions = list(Mention.objects.filter(brand=group.brand).order_by("platform_id"))
    assert [m.platform_id for m in mentions] == sorted(s["idstr"] for s in wanted)
    assert all(m.source == MentionSource.SEARCH and list(m.groups.all()) == [group] for m in mentions)
    assert {m.text for m in mentions} == {s["text"] for s in wanted}
    assert {m.author_uid for m in mentions} == {s["user"]["idstr"] for s in wanted}
    group.refresh_from_db()
    assert before <= group.searched_until <= group.searched_at <= timezone.now()
    assert group.search_gap_end is None and group.search_lease_until is None and group.search_problem == ""
    again = group_search(group_id=group.pk)
    assert (again.read, again.stored) == (4, 0)  # the overlap reads them again; their ids are known
    assert Mention.objects.filter(brand=group.brand).count() == 3


def test_required_context_is_honoured(group, weibo):
    group.context_terms = ["奶昔", "酸奶"]
    group.save()
    post(weibo, f"{TERM}酸奶上新了，草莓味")
    post(weibo, f"{TERM}旅行团明天出发")
    post(weibo, f"{TERM}奶昔招聘兼职")
    result = group_search(group_id=group.pk)
    assert (result.read, result.stored) == (3, 1)
    assert stored_texts(group) == {f"@鲜牧客服 {TERM}酸奶上新了，草莓味"}


def test_each_include_term_is_searched_and_a_hit_of_two_terms_is_stored_once(group, weibo):
    group.include_terms = [TERM, OTHER, f" {TERM} ", ""]
    group.save()
    post(weibo, f"{TERM}和{OTHER}联名款来了")
    post(weibo, f"{OTHER}的第一家门店开业")
    result = group_search(group_id=group.pk)
    assert (result.calls, result.read, result.stored) == (2, 3, 2)
    assert Mention.objects.filter(brand=group.brand).count() == 2


def test_the_window_moves_only_in_the_transaction_that_stored_the_hits(group, weibo, monkeypatch):
    post(weibo, f"{TERM}奶昔今天第一次喝")

    def alert_check_fails(**kwargs):
        raise RuntimeError("the alert check fell over")

    monkeypatch.setattr(sources, "mentions_after_store", alert_check_fails)
    with pytest.raises(RuntimeError):
        group_search(group_id=group.pk)
    group.refresh_from_db()
    assert group.searched_until is None and group.search_lease_until is None  # the next poll may try at once
    assert not Mention.objects.exists()  # what was stored went with the window
    monkeypatch.undo()
    assert group_search(group_id=group.pk).stored == 1
    group.refresh_from_db()
    assert group.searched_until is not None


def test_a_poll_that_stops_at_its_page_limit_leaves_a_gap_the_next_poll_fills(group, weibo, settings):
    settings.SENTIMENT_SEARCH_PAGES = 1
    # The search's times are whole seconds: the newer half is posted at least a second after the older.
    older = [post(weibo, f"{TERM}奶昔早上第{n}杯") for n in range(30)]
    time.sleep(1.1)
    newer = [post(weibo, f"{TERM}奶昔晚上第{n}杯") for n in range(30)]
    first = group_search(group_id=group.pk)
    assert (first.calls, first.read, first.stored) == (1, SEARCH_COUNT, SEARCH_COUNT)
    group.refresh_from_db()
    oldest_read = min(Mention.objects.filter(brand=group.brand).values_list("posted_at", flat=True))
    assert group.search_gap_end == oldest_read and group.searched_until is None
    gap_top = group.search_gap_top
    assert gap_top is not None and gap_top <= group.searched_at
    second = group_search(group_id=group.pk)
    assert second.stored == 60 - SEARCH_COUNT
    group.refresh_from_db()
    assert group.search_gap_end is None and group.search_gap_top is None and group.searched_until == gap_top
    assert stored_texts(group) == {s["text"] for s in older + newer}
    assert group_search(group_id=group.pk).stored == 0


def test_a_gap_covers_every_term_that_stopped_at_the_page_limit(group, weibo, settings):
    """Two terms both stop at the limit, each at its own time: the next poll must read back to the later of
    the two, or the other term's hits between them are never read."""
    settings.SENTIMENT_SEARCH_PAGES = 1
    group.include_terms = [TERM, OTHER]
    group.save()
    made = []
    for term in (TERM, OTHER):
        for half in ("早上", "晚上"):
            made += [post(weibo, f"{term}{half}第{n}杯") for n in range(30)]
            time.sleep(1.1)
    # 1: the newest 50 of each term; 2: back to where the later term stopped (the other term's remaining
    # hits there); 3: back to where the earlier term stopped. Then the window moves on.
    assert [group_search(group_id=group.pk).stored for _poll in range(3)] == [100, 10, 10]
    group.refresh_from_db()
    assert group.search_gap_end is None and group.searched_until is not None
    assert stored_texts(group) == {s["text"] for s in made}


def test_a_rate_limited_search_pauses_the_group_until_the_budget_comes_back(group, weibo):
    post(weibo, f"{TERM}奶昔今天第一次喝")
    weibo.admin("POST", "/_sandbox/faults", {"once": [{"kind": "rate_limit", "code": 10023, "path": SEARCH_PATH}]})
    before = timezone.now()
    result = group_search(group_id=group.pk)
    after = timezone.now()
    assert result.skipped == "rate_limited" and result.stored == 0
    group.refresh_from_db()
    next_hours = {window_start(before) + timedelta(hours=1), window_start(after) + timedelta(hours=1)}
    assert group.search_paused_until in next_hours
    assert group.search_problem and group.search_lease_until is None and group.searched_until is None
    assert not Mention.objects.exists()
    assert group.pk not in groups_to_search(now=after)
    assert group.pk in groups_to_search(now=group.search_paused_until + timedelta(seconds=1))


def test_an_error_leaves_the_window_for_the_next_poll(group, weibo):
    post(weibo, f"{TERM}奶昔今天第一次喝")
    weibo.admin("POST", "/_sandbox/faults", {"once": [{"kind": "error", "code": 10001, "path": SEARCH_PATH}] * 4})
    result = group_search(group_id=group.pk)
    assert result.skipped == "error"
    group.refresh_from_db()
    assert group.searched_until is None and group.search_paused_until is None and group.search_problem
    weibo.admin("DELETE", "/_sandbox/faults")
    assert group_search(group_id=group.pk).stored == 1
    group.refresh_from_db()
    assert group.search_problem == ""


def test_a_leased_group_is_not_searched_twice_at_once(group, weibo):
    RuleGroup.objects.filter(pk=group.pk).update(search_lease_until=timezone.now() + timedelta(minutes=1))
    assert group_search(group_id=group.pk).skipped == "leased"
    assert search_calls(weibo) == 0
    RuleGroup.objects.filter(pk=group.pk).update(search_lease_until=timezone.now() - timedelta(seconds=1))
    assert group_search(group_id=group.pk).skipped == ""


def test_the_search_spends_the_business_budget_not_the_accounts_calls(group, cs, weibo):
    """c.api.weibo.com has its own limit, per server IP: a search leaves the account's 150 calls alone, and a
    spent business budget pauses the search without calling Weibo."""
    post(weibo, f"{TERM}奶昔今天第一次喝")
    budget = default_budget()

    def left() -> int:
        return next(k.remaining for k in budget.status(account_scope(cs.pk)).kinds if k.kind == "calls")

    before = left()
    assert group_search(group_id=group.pk).calls == 1
    assert left() == before and search_calls(weibo) == 1
    budget.block(budget.ip_scope, BIZ, timezone.now() + timedelta(minutes=30))
    RuleGroup.objects.filter(pk=group.pk).update(searched_at=None)
    paused = group_search(group_id=group.pk)
    assert paused.skipped == "rate_limited" and paused.calls == 0 and search_calls(weibo) == 1
    assert Mention.objects.count() == 1


def test_the_business_search_is_refused_on_the_public_host(weibo, cs):
    """The old invented path and the public host both answer 10020 (HTTP 404), as on Weibo."""
    token = weibo.token_for(cs) if hasattr(weibo, "token_for") else None
    for url in (f"{weibo.url}/2/search/statuses/limited.json", f"{weibo.biz_url}/2/search/statuses/limited/biz.json",
                f"{weibo.url}/2/search/statuses/limited/biz.json"):
        answer = weibo.http.get(url, params={"q": TERM}, headers={"Authorization": f"OAuth2 {token or 'x'}"})
        assert answer.status_code == 404 and answer.json()["error_code"] == 10020


def test_the_search_uses_the_connected_account_with_most_calls_left(demo, cs, weibo):
    brand_account = demo.accounts["鲜牧乳业"]
    connect_through_sandbox(brand_account, uid="5500000001", app_url="http://testserver")
    budget = default_budget()
    for _ in range(5):
        budget.spend(account_scope(cs.pk))
    assert search_account(demo.brand) == brand_account
    for _ in range(10):
        budget.spend(account_scope(brand_account.pk))
    assert search_account(demo.brand) == cs


def test_a_brand_without_a_connected_account_is_not_searched(demo, weibo):
    group = RuleGroup.objects.create(brand=demo.brand, name="蓝莓星球", include_terms=[TERM])
    result = group_search(group_id=group.pk)
    assert result.skipped == "no account" and search_calls(weibo) == 0
    group.refresh_from_db()
    assert group.searched_at is not None and group.searched_until is None


def test_groups_are_due_by_their_last_search(group, settings):
    now = timezone.now()
    disabled = RuleGroup.objects.create(brand=group.brand, name="关闭", include_terms=["x"], search_enabled=False)
    inactive = RuleGroup.objects.create(brand=group.brand, name="停用", include_terms=["y"], is_active=False)
    assert groups_to_search(now=now) == [group.pk]
    RuleGroup.objects.filter(pk=group.pk).update(searched_at=now - timedelta(seconds=10))
    assert groups_to_search(now=now) == []
    later = now + timedelta(seconds=settings.SENTIMENT_SEARCH_SECONDS)
    assert groups_to_search(now=later) == [group.pk]
    assert disabled.pk not in groups_to_search(now=later) and inactive.pk not in groups_to_search(now=later)


def test_a_copy_read_again_by_the_overlap_is_not_counted_twice(group, weibo):
    """The copy's Weibo id is kept (``MentionCopy``): the search's overlap reads it again and knows it."""
    text = f"{TERM}奶昔喝出了异物，大家千万别买"
    post(weibo, text)
    post(weibo, text)
    group_search(group_id=group.pk)
    group_search(group_id=group.pk)
    assert list(Mention.objects.values_list("copies", flat=True)) == [2]
