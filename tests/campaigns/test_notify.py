"""Telling winners through the sandbox: a private message where the fan's 48 h window is open, else a reply to
their comment or a comment on their repost; each winner once, however often it runs; rate limits wait, refusals
fail with the reason in words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from campaigns.harvest import harvest_poll, harvest_sources_sync
from campaigns.models import Entry, EntryKind, NoticeState, Participant, Winner
from campaigns.notify import NOTICE_TEXT, winners_notify
from weibo_ops.weibo.models import PushEvent

from .sandbox import BRAND_UID, campaign_with_post, connect, lottery, publish

pytestmark = [pytest.mark.django_db]
LANGUAGE = "en"


@pytest.fixture
def harvested(demo, weibo):
    account = connect(demo)
    mid = publish(weibo)
    campaign = campaign_with_post(demo, account, mid)
    lottery(weibo, mid, size=30)
    [cursor] = harvest_sources_sync(campaign=campaign)
    harvest_poll(harvest_id=cursor.pk)
    return campaign, mid


def winner(campaign, entry: Entry, rank: int) -> Winner:
    participant = Participant.objects.get(campaign=campaign, uid=entry.uid)
    Participant.objects.filter(pk=participant.pk).update(first_entry_id=entry.platform_id)
    return Winner.objects.create(campaign=campaign, participant=participant, rank=rank)


def comments_under(weibo, status_id: str) -> list[dict]:
    token = weibo.authorize(BRAND_UID)
    return weibo.http.get("/2/comments/show.json", params={"id": status_id, "count": 200},
                          headers={"Authorization": f"OAuth2 {token}"}).json()["comments"]


def ours(weibo, status_id: str) -> list[dict]:
    return [c for c in comments_under(weibo, status_id) if str(c["user"]["id"]) == BRAND_UID]


def test_winners_are_told_once_by_message_where_the_window_is_open_else_by_comment(harvested, weibo):
    campaign, mid = harvested
    text = NOTICE_TEXT.format(title=campaign.title)
    commenter = Entry.objects.filter(kind=EntryKind.COMMENT).exclude(
        uid__in=Entry.objects.filter(kind=EntryKind.REPOST).values("uid")).first()
    reposters = list(Entry.objects.filter(kind=EntryKind.REPOST).exclude(uid=commenter.uid)
                     .order_by("posted_at")[:2])
    by_comment, by_repost, by_message = (winner(campaign, commenter, 1), winner(campaign, reposters[0], 2),
                                         winner(campaign, reposters[1], 3))
    # The third wrote to the account an hour ago: the platform pushed it, and the window is open for 47 h.
    weibo.admin("POST", "/_sandbox/messages", {"to_uid": int(BRAND_UID), "from_uid": int(reposters[1].uid),
                                               "text": "我中奖了吗", "ago_seconds": 3600})
    PushEvent.objects.create(digest="d" * 64, msg_type="text", sender_id=reposters[1].uid, receiver_id=BRAND_UID,
                             text="我中奖了吗", created_at=timezone.now() - timedelta(hours=1), payload={})

    result = winners_notify(campaign_id=campaign.pk)
    assert (result.sent, result.failed, result.waiting) == (3, 0, 0)
    for w in (by_comment, by_repost, by_message):
        w.refresh_from_db()
        assert w.notice_state == NoticeState.SENT and w.noticed_at and w.notice_problem == ""
    assert [w.notice_method for w in (by_comment, by_repost, by_message)] == ["comment", "comment", "message"]
    [reply] = [c for c in ours(weibo, mid) if text in c["text"]]
    assert reply["idstr"] == by_comment.notice_platform_id and reply["reply_comment"]["idstr"] == commenter.platform_id
    assert reply["text"].startswith(f"回复@{commenter.screen_name}:")
    [under_repost] = ours(weibo, reposters[0].platform_id)
    assert under_repost["text"] == f"@{reposters[0].screen_name} {text}"
    assert not ours(weibo, reposters[1].platform_id)  # told privately, not in public
    messages = weibo.admin("GET", f"/_sandbox/messages?uid={reposters[1].uid}")["messages"]
    assert [m["text"] for m in messages if str(m["sender_id"]) == BRAND_UID] == [text]

    # Run again: everybody has been told; nothing is sent twice.
    assert winners_notify(campaign_id=campaign.pk).sent == 0
    assert len([c for c in ours(weibo, mid) if text in c["text"]]) == 1
    assert len(ours(weibo, reposters[0].platform_id)) == 1


def first_entries(n: int) -> list[Entry]:
    seen, picked = set(), []
    for entry in Entry.objects.filter(kind=EntryKind.REPOST).order_by("posted_at"):
        if entry.uid not in seen:
            seen.add(entry.uid)
            picked.append(entry)
    return picked[:n]


def test_a_claimed_winner_is_left_to_its_worker_and_a_rate_limit_waits_with_the_reason(harvested, weibo):
    campaign, _mid = harvested
    picked = first_entries(3)
    claimed, limited, later = (winner(campaign, entry, i + 1) for i, entry in enumerate(picked))
    Winner.objects.filter(pk=claimed.pk).update(noticed_at=timezone.now())  # another worker is telling them
    weibo.admin("POST", "/_sandbox/faults", {
        "once": [{"kind": "rate_limit", "code": 10024, "path": "/2/comments/create.json"}]})
    with translation.override("en"):
        result = winners_notify(campaign_id=campaign.pk)
    assert (result.sent, result.failed, result.waiting) == (0, 0, 2)  # the account's comments are spent
    for w in (claimed, limited, later):
        w.refresh_from_db()
        assert w.notice_state == NoticeState.WAITING
    assert limited.noticed_at is None and limited.notice_problem.startswith("The Weibo rate limit is used up until ")
    assert later.noticed_at is None and later.notice_problem == ""  # not tried: the budget was spent
    assert claimed.noticed_at is not None and claimed.notice_problem == ""
    assert not any(ours(weibo, e.platform_id) for e in picked)


def test_a_refused_text_fails_with_the_reason_and_a_dead_workers_claim_is_taken_up(harvested, weibo):
    campaign, _mid = harvested
    picked = first_entries(2)
    stale, refused = (winner(campaign, entry, i + 1) for i, entry in enumerate(picked))
    Winner.objects.filter(pk=stale.pk).update(noticed_at=timezone.now() - timedelta(minutes=11))  # its worker died
    weibo.admin("POST", "/_sandbox/config", {"forbidden_words": [campaign.title[:4]]})
    with translation.override("en"):
        result = winners_notify(campaign_id=campaign.pk)
    assert (result.sent, result.failed, result.waiting) == (0, 2, 0)
    for w in (stale, refused):
        w.refresh_from_db()
        assert w.notice_state == NoticeState.FAILED and w.noticed_at is not None
        assert w.notice_problem == ("Weibo rejected the content (link, advertising or forbidden words): "
                                    "Contains forbid world!")
    assert winners_notify(campaign_id=campaign.pk).failed == 0  # decided: not tried again
