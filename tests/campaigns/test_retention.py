"""Retention of the fans a campaign brought: counted from follow and unfollow events, 7 and 30 days on, with the
fans gained too recently left out as not yet measurable; and end to end, from the sandbox's pushes."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignKind
from campaigns.retention import campaign_retention
from fans import ingest
from fans.models import Fan, Interaction, Kind, Source
from weibo_ops.weibo.models import PushEvent

from .sandbox import BRAND_UID, campaign_with_post, connect, lottery, publish

NOW = timezone.now()
DAY = timedelta(days=1)


def event(account, fan: Fan, kind: str, at) -> None:
    Interaction.objects.create(account=account, kind=kind, source=Source.PUSH, object_type="event",
                               platform_id=f"{fan.uid}-{kind}-{at.timestamp()}", fan=fan, created_at=at,
                               thread_key=f"f:{account.pk}:{fan.uid}", state="closed", needs_answer=False)


@pytest.mark.django_db
def test_gained_fans_and_who_still_follows_after_7_and_30_days(demo):
    brand, service, other = demo.accounts["鲜牧乳业"], demo.accounts["鲜牧客服"], demo.accounts["鲜牧酸奶"]
    lead = demo.people["manager"]
    campaign = Campaign.objects.create(brand=demo.brand, title="t", kind=CampaignKind.REPOST_PRIZE, lead=lead,
                                       created_by=lead, starts_at=NOW - 60 * DAY, ends_at=NOW + DAY)
    campaign.accounts.add(brand, service)
    fans = {name: Fan.objects.create(uid=str(7700000300 + i), screen_name=name) for i, name in enumerate(
        ["stays", "leaves_day_3", "leaves_day_7", "leaves_day_10", "leaves_other_account", "before", "after",
         "two_accounts", "elsewhere", "back_again", "recent"])}
    start = campaign.starts_at
    event(brand, fans["stays"], Kind.FOLLOW, start + DAY)
    event(brand, fans["leaves_day_3"], Kind.FOLLOW, start + DAY)
    event(brand, fans["leaves_day_3"], Kind.UNFOLLOW, start + 4 * DAY)
    event(brand, fans["leaves_day_7"], Kind.FOLLOW, start + DAY)
    event(brand, fans["leaves_day_7"], Kind.UNFOLLOW, start + 8 * DAY)  # exactly 7 days on: lost
    event(brand, fans["leaves_day_10"], Kind.FOLLOW, start + DAY)
    event(brand, fans["leaves_day_10"], Kind.UNFOLLOW, start + 11 * DAY)  # kept 7 days, not 30
    event(brand, fans["leaves_other_account"], Kind.FOLLOW, start + DAY)
    event(service, fans["leaves_other_account"], Kind.UNFOLLOW, start + 2 * DAY)  # not the account followed
    event(brand, fans["before"], Kind.FOLLOW, start - DAY)  # a fan already: not gained
    event(brand, fans["after"], Kind.FOLLOW, campaign.ends_at + DAY)  # after the campaign: not gained
    event(brand, fans["two_accounts"], Kind.FOLLOW, start + 2 * DAY)
    event(service, fans["two_accounts"], Kind.FOLLOW, start + 3 * DAY)  # one fan, counted once
    event(other, fans["elsewhere"], Kind.FOLLOW, start + DAY)  # not a campaign account
    event(brand, fans["back_again"], Kind.FOLLOW, start + DAY)
    event(brand, fans["back_again"], Kind.UNFOLLOW, start + 2 * DAY)
    event(brand, fans["back_again"], Kind.FOLLOW, start + 3 * DAY)  # came back: still lost at the first follow
    event(brand, fans["recent"], Kind.FOLLOW, NOW - 3 * DAY)  # not measurable yet

    result = campaign_retention(campaign=campaign, now=NOW)
    assert result.gained == 8  # stays, day 3, day 7, day 10, other account, two accounts, back again, recent
    seven, thirty = result.after_7, result.after_30
    assert (seven.measurable, seven.retained, seven.pending, seven.lost) == (7, 4, 1, 3)
    assert seven.share == 4 / 7
    assert (thirty.measurable, thirty.retained, thirty.pending) == (7, 3, 1)
    assert result.periods[30].share == 3 / 7

    young = campaign_retention(campaign=campaign, now=start + 5 * DAY)
    assert young.gained == 7 and young.after_7.measurable == 0 and young.after_7.share is None
    assert young.after_7.pending == 7


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_drop_after_the_draw_is_the_7_day_retention(demo, weibo, live_server, settings):
    """The platform pushes the follows and unfollows of the lottery scenario (a campaign 12 days old, played
    back): 7-day retention is measurable for every fan gained, 30-day retention for none yet."""
    settings.WEIBO_APP_SECRET = weibo.app_secret
    weibo.admin("POST", "/_sandbox/config", {"push_url": f"{live_server.url}/weibo/push/"})
    account = connect(demo)
    mid = publish(weibo)
    campaign = campaign_with_post(demo, account, mid)
    summary = lottery(weibo, mid, size=40)
    gained = summary["fans"] + summary["hunters"] + summary["zombies"] - summary["already_following"]
    left = summary["unfollows"]
    expected = gained + sum(left.values())
    deadline = time.monotonic() + 20
    while PushEvent.objects.count() < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert PushEvent.objects.filter(receiver_id=BRAND_UID).count() == expected
    ingest.pushes_ingest()
    result = campaign_retention(campaign=campaign)
    assert result.gained == gained
    # Unfollows of fans who followed long before the campaign are not losses of the campaign's fans.
    old_leavers = Interaction.objects.filter(kind=Kind.UNFOLLOW).exclude(
        fan__in=Interaction.objects.filter(kind=Kind.FOLLOW).values("fan")).count()
    assert result.after_7.measurable == gained and result.after_7.pending == 0
    assert result.after_7.lost == sum(left.values()) - old_leavers
    assert result.after_7.share < 0.5  # the hunters and zombies left after the draw
    assert result.after_30.measurable == 0 and result.after_30.pending == gained
    weibo.reset()
