"""Harvesting a campaign's participants against the sandbox over real HTTP: the reposts and comments of the
published campaign post stored once each with their depth in the repost tree, the roll-ups and participants
added to exactly once, the entrants' lottery posts read so that hunters and zombies stand out in the fan CRM,
big backlogs read over several polls, and rate limits, leases and budgets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from campaigns import harvest
from campaigns.harvest import harvest_poll, harvest_sources_sync, harvests_due
from campaigns.models import (
    Campaign,
    CampaignDay,
    CampaignKind,
    CampaignState,
    CampaignStats,
    Entry,
    EntryKind,
    Harvest,
    Participant,
)
from fans.models import Fan
from fans.scoring import HUNTER_THRESHOLD, ZOMBIE_THRESHOLD
from sentiment import propagation
from weibo_ops.weibo.budget import window_start
from weibo_ops.weibo.client import WeiboClient

from .sandbox import BRAND_UID, campaign_with_post, connect, lottery, publish, truth

pytestmark = [pytest.mark.django_db]

ENTRANTS = 60


@pytest.fixture
def account(demo, weibo):
    return connect(demo)


@pytest.fixture
def live(demo, account, weibo):
    """A live campaign whose published post drew ``ENTRANTS`` people in the sandbox."""
    mid = publish(weibo)
    campaign = campaign_with_post(demo, account, mid)
    summary = lottery(weibo, mid, size=ENTRANTS)
    return campaign, mid, summary


def tree_of(mid: str, reposts: list[dict]) -> propagation.Tree:
    """The repost tree as propagation rebuilds it from all the reposts at once."""
    at = dict(Entry.objects.filter(kind=EntryKind.REPOST).values_list("platform_id", "posted_at"))
    return propagation.tree_build(mid, "鲜牧乳业", [
        propagation.Repost(mid=r["idstr"], uid=str(r["user"]["id"]), screen_name=r["user"]["screen_name"],
                           at=at[r["idstr"]].timestamp(), text=r["text"]) for r in reposts])


def stats_of(campaign) -> tuple:
    stats = CampaignStats.objects.get(campaign=campaign)
    return stats.reposts, stats.second_level, stats.comments, stats.max_depth, stats.reach


def test_every_repost_and_comment_is_stored_once_with_its_depth_and_the_roll_ups_count_it_once(live, weibo):
    campaign, mid, summary = live
    [cursor] = harvest_sources_sync(campaign=campaign)
    assert (cursor.status_id, cursor.account.weibo_uid) == (mid, "5500000001")
    result = harvest_poll(harvest_id=cursor.pk)
    reposts, comments = truth(weibo, mid)
    assert result.stored == len(reposts) + len(comments) == Entry.objects.count()
    assert set(Entry.objects.filter(kind=EntryKind.REPOST).values_list("platform_id", flat=True)) == {
        r["idstr"] for r in reposts}
    assert set(Entry.objects.filter(kind=EntryKind.COMMENT).values_list("platform_id", flat=True)) == {
        c["idstr"] for c in comments}

    # The depth of each repost is the tree's: the same as propagation's rebuild from all the reposts at once.
    tree = tree_of(mid, reposts)
    depths = {node.mid: node.depth for node in tree.nodes[1:]}
    assert dict(Entry.objects.filter(kind=EntryKind.REPOST).values_list("platform_id", "depth")) == depths
    assert tree.second_level == summary["second_level"] > 0
    chained = Entry.objects.filter(depth=2).first()
    parent = Entry.objects.get(platform_id=chained.parent_id)
    assert chained.text.split("//@")[1].startswith(f"{parent.screen_name}:") and parent.posted_at < chained.posted_at
    assert set(Entry.objects.filter(kind=EntryKind.COMMENT).values_list("depth", flat=True)) == {1}

    reach = sum(r["user"]["followers_count"] for r in reposts + comments)
    expected = (len(reposts), tree.second_level, len(comments), tree.max_depth, reach)
    assert stats_of(campaign) == expected
    days = CampaignDay.objects.filter(campaign=campaign).aggregate(r=Sum("reposts"), s=Sum("second_level"),
                                                                    c=Sum("comments"))
    assert (days["r"], days["s"], days["c"]) == (len(reposts), tree.second_level, len(comments))
    assert CampaignDay.objects.filter(campaign=campaign).count() >= 2  # entries came over two days

    # One participant per person, linked to the fan CRM; hunters and zombies stand out there.
    assert Participant.objects.filter(campaign=campaign).count() == ENTRANTS
    assert not Participant.objects.filter(fan__isnull=True).exists()
    fan_entries = {p.uid: p.entries for p in Participant.objects.filter(uid__in=map(str, summary["fan_uids"]))}
    assert set(fan_entries) == {str(u) for u in summary["fan_uids"]}
    assert harvest.entrants_check(campaign_id=campaign.pk, account=cursor.account, limit=ENTRANTS) == (
        ENTRANTS - harvest.PROFILE_CHECKS)  # the poll checked the first PROFILE_CHECKS already
    fans = {f.uid: f for f in Fan.objects.filter(uid__in=[str(u) for k in ("fan", "hunter", "zombie")
                                                          for u in summary[f"{k}_uids"]])}
    hunters = [fans[str(u)] for u in summary["hunter_uids"]]
    assert all(f.hunter >= HUNTER_THRESHOLD and f.lottery_posts >= 3 for f in hunters)
    assert all(f.score_reasons["hunter"][0][0] == "lottery_posts" for f in hunters)
    assert all(fans[str(u)].hunter < HUNTER_THRESHOLD and fans[str(u)].zombie < ZOMBIE_THRESHOLD
               for u in summary["fan_uids"])
    assert all(fans[str(u)].zombie >= ZOMBIE_THRESHOLD and fans[str(u)].hunter < HUNTER_THRESHOLD
               for u in summary["zombie_uids"])

    # Run again: nothing is new, nothing is counted twice.
    Harvest.objects.filter(pk=cursor.pk).update(reposts_since_id="", comments_since_id="")
    assert harvest_poll(harvest_id=cursor.pk).stored == 0
    assert stats_of(campaign) == expected and Entry.objects.count() == len(reposts) + len(comments)
    assert Participant.objects.filter(uid__in=fan_entries).count() == len(fan_entries)
    assert {p.uid: p.entries for p in Participant.objects.filter(uid__in=fan_entries)} == fan_entries


def test_a_backlog_bigger_than_one_poll_is_read_over_the_next_polls_and_new_entries_join_later(
        live, weibo, monkeypatch):
    campaign, mid, _summary = live
    monkeypatch.setattr(harvest, "PAGE", 10)
    monkeypatch.setattr(harvest, "HARVEST_PAGES", 2)
    [cursor] = harvest_sources_sync(campaign=campaign)
    reposts, comments = truth(weibo, mid)
    assert len(reposts) > 20 and len(comments) < 20
    first = harvest_poll(harvest_id=cursor.pk)
    assert first.stored == 20 + len(comments)  # the twenty newest reposts, and every comment
    cursor.refresh_from_db()
    assert cursor.reposts_since_id == ""  # the older reposts wait below the ones stored
    assert cursor.comments_since_id == max((c["idstr"] for c in comments), key=int)
    polls = 1
    while harvest_poll(harvest_id=cursor.pk).stored:
        polls += 1
    reposts, comments = truth(weibo, mid)
    assert Entry.objects.count() == len(reposts) + len(comments) and polls >= 3
    cursor.refresh_from_db()
    assert cursor.reposts_since_id == max((r["idstr"] for r in reposts), key=int)
    # Read newest first over several polls, reposts came before the reposts they reposted: placed all the same.
    tree = tree_of(mid, reposts)
    assert dict(Entry.objects.filter(kind=EntryKind.REPOST).values_list("platform_id", "depth")) == {
        node.mid: node.depth for node in tree.nodes[1:]}
    assert dict(Entry.objects.filter(kind=EntryKind.REPOST, depth__gte=2).values_list("platform_id", "parent_id")) == {
        node.mid: tree.nodes[node.parent].mid for node in tree.nodes[1:] if node.depth >= 2}
    assert stats_of(campaign)[1:4] == (tree.second_level, len(comments), tree.max_depth) and tree.second_level
    days = CampaignDay.objects.filter(campaign=campaign).aggregate(s=Sum("second_level"))
    assert days["s"] == tree.second_level
    before = stats_of(campaign)
    lottery(weibo, mid, size=5, seed=17, now=True)  # five more people enter later
    while harvest_poll(harvest_id=cursor.pk).stored:
        pass
    reposts, comments = truth(weibo, mid)
    assert Entry.objects.count() == len(reposts) + len(comments)
    assert stats_of(campaign)[0] == len(reposts) > before[0]
    assert Participant.objects.filter(campaign=campaign).count() == ENTRANTS + 5


def test_a_rate_limit_is_the_cursors_problem_with_a_retry_time_and_what_was_read_is_kept(live, weibo):
    campaign, mid, _summary = live
    reposts, _comments = truth(weibo, mid)
    [cursor] = harvest_sources_sync(campaign=campaign)
    weibo.admin("POST", "/_sandbox/faults", {
        "once": [{"kind": "rate_limit", "code": 10023, "path": "/2/comments/show.json"}]})
    before = timezone.now()
    result = harvest_poll(harvest_id=cursor.pk)
    cursor.refresh_from_db()
    assert result.stored == len(reposts) and result.skipped == "problem"
    assert not Entry.objects.filter(kind=EntryKind.COMMENT).exists()
    assert cursor.problem and cursor.lease_until is None
    assert cursor.next_poll_at == window_start(before) + timedelta(hours=1)  # when the hour's budget returns
    assert cursor.comments_since_id == "" and cursor.reposts_since_id == max((r["idstr"] for r in reposts), key=int)
    assert stats_of(campaign)[0] == len(reposts) and stats_of(campaign)[2] == 0
    assert cursor.pk not in harvests_due()
    assert result.profiles == 0  # the budget is spent: no searches either


def test_a_lost_authorisation_is_the_cursors_problem(live, weibo, account):
    campaign, _mid, _summary = live
    [cursor] = harvest_sources_sync(campaign=campaign)
    weibo.admin("POST", "/_sandbox/tokens/revoke", {"uid": 5500000001})
    result = harvest_poll(harvest_id=cursor.pk)
    cursor.refresh_from_db()
    assert result.stored == 0 and result.skipped == "problem" and cursor.problem
    assert cursor.lease_until is None and not Entry.objects.exists()


def test_leases_budgets_and_what_is_due(live, weibo, monkeypatch):
    campaign, _mid, _summary = live
    calls = []
    real = WeiboClient.repost_timeline
    monkeypatch.setattr(WeiboClient, "repost_timeline", lambda self, *a, **k: calls.append(k) or real(self, *a, **k))
    assert harvests_due() == [Harvest.objects.get(campaign=campaign).pk]  # the first tick makes it, due at once
    [cursor] = Harvest.objects.filter(campaign=campaign)
    Harvest.objects.filter(pk=cursor.pk).update(lease_until=timezone.now() + timedelta(minutes=1))
    assert harvest_poll(harvest_id=cursor.pk).skipped == "leased" and calls == []
    assert harvests_due() == []
    Harvest.objects.filter(pk=cursor.pk).update(lease_until=timezone.now() - timedelta(seconds=1))  # its worker died
    monkeypatch.setattr(harvest, "RESERVE_CALLS", 10_000)
    assert harvest_poll(harvest_id=cursor.pk).skipped == "budget" and calls == []
    cursor.refresh_from_db()
    assert cursor.lease_until is None and cursor.next_poll_at > timezone.now() and cursor.problem
    monkeypatch.setattr(harvest, "RESERVE_CALLS", 0)
    Harvest.objects.filter(pk=cursor.pk).update(next_poll_at=timezone.now())
    assert harvest_poll(harvest_id=cursor.pk).stored > 0 and len(calls) == 1
    assert harvests_due() == []  # polled: next time after CAMPAIGNS_HARVEST_SECONDS
    campaign.state = CampaignState.DRAWN
    campaign.save(update_fields=["state"])
    assert harvests_due(now=timezone.now() + timedelta(hours=1)) == []  # only live campaigns are read
    assert harvest_poll(harvest_id=999_999).skipped == "leased"


def test_only_published_posts_of_the_campaign_get_a_cursor(live, demo):
    campaign, mid, _summary = live
    post = campaign.posts.get()
    unpublished = post.__class__.objects.create(brand=demo.brand, pillar=post.pillar, text="第二条，未发出",
                                                created_by=post.created_by, campaign=campaign)
    unpublished.targets.create(account=demo.accounts["鲜牧客服"])  # waiting for approval: no Weibo id yet
    other = post.__class__.objects.create(brand=demo.brand, pillar=post.pillar, text="别的帖子",
                                          created_by=post.created_by)
    other.targets.create(account=demo.accounts["鲜牧酸奶"], mid="4900000000000001")  # not the campaign's
    assert [h.status_id for h in harvest_sources_sync(campaign=campaign)] == [mid]
    assert [h.status_id for h in harvest_sources_sync(campaign=campaign)] == [mid]  # safe to run again


def test_a_photo_ugc_campaign_finds_the_entrants_own_posts_with_the_topic_and_a_picture(demo, account, weibo):
    """随手拍: entries are fans' own posts with the campaign's #topic# and a photo, found by searching the topic."""
    from campaigns.eligibility import participants_evaluate

    now = timezone.now()
    lead = demo.people["manager"]
    campaign = Campaign.objects.create(brand=demo.brand, title="早餐随手拍", kind=CampaignKind.PHOTO_UGC, lead=lead,
                                       created_by=lead, starts_at=now - timedelta(hours=1),
                                       ends_at=now + timedelta(days=1), state=CampaignState.LIVE,
                                       topic="鲜牧早餐随手拍", rule_follow=False)
    campaign.accounts.add(account)
    posts = [("#鲜牧早餐随手拍# 今天的酸奶碗", True), ("#鲜牧早餐随手拍# 忘了拍照", False), ("早餐好吃", True)]
    fans = [weibo.admin("POST", "/_sandbox/fan_posts", {"to_uid": int(BRAND_UID), "text": text, "picture": picture}
                        )["from_uid"] for text, picture in posts]
    assert [h.topic for h in harvest_sources_sync(campaign=campaign)] == ["鲜牧早餐随手拍"]
    due = harvests_due()
    assert len(due) == 1
    assert harvest_poll(harvest_id=due[0]).stored == 1  # the search asks for pictures; the tag is checked
    entry = Entry.objects.get(campaign=campaign)
    assert (entry.kind, entry.uid, entry.has_picture, entry.depth) == (EntryKind.POST, str(fans[0]), True, 1)
    stats = CampaignStats.objects.get(campaign=campaign)
    assert (stats.posts, stats.reposts, stats.comments) == (1, 0, 0)
    assert harvest_poll(harvest_id=due[0]).stored == 0  # seen again: stored once
    from campaigns.report import campaign_report, report_rows

    assert {row.key: row.value for row in report_rows(campaign_report(campaign=campaign))}["posts"] == 1
    assert participants_evaluate(campaign=campaign, followers=set()).eligible == 1
    untagged = Entry.objects.create(campaign=campaign, kind=EntryKind.POST, platform_id="1", status_id="",
                                    uid="7700009", text="早餐 @鲜牧乳业", posted_at=now, has_picture=True)
    Participant.objects.create(campaign=campaign, uid=untagged.uid, first_entry_at=now, first_entry_id="1")
    participants_evaluate(campaign=campaign, followers=set())
    assert Participant.objects.get(uid="7700009").reasons == [["topic", {"topic": "鲜牧早餐随手拍"}]]
