"""A live repost-with-prize campaign on the sandbox for the campaigns tests: the brand account connected, the
campaign post published on Weibo (a content post of the campaign with its Weibo id), and the sandbox's
``lottery_hunters`` scenario run around that post."""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone

from campaigns.models import Campaign, CampaignKind, CampaignState
from content.models import Pillar, Post, PostState, PostTarget, TargetState
from positioning.management.commands.weibo_sandbox import connect_through_sandbox

BRAND_UID = "5500000001"  # 鲜牧乳业 on the sandbox
CAMPAIGN_TEXT = "【转发抽奖】关注@鲜牧乳业 并转发，@1位好友，周五抽3位送一箱鲜牧纯牛奶 https://xianmu.example.com/c/16"


def connect(demo):
    account = demo.accounts["鲜牧乳业"]
    connect_through_sandbox(account, uid=BRAND_UID, app_url="http://testserver")
    account.refresh_from_db()
    return account


def publish(box) -> str:
    """The campaign post, as content's publishing puts it on Weibo: its id."""
    token = box.authorize(BRAND_UID)
    answer = box.http.post("/2/statuses/share.json", data={"status": CAMPAIGN_TEXT, "rip": "203.0.113.7"},
                           headers={"Authorization": f"OAuth2 {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()["idstr"]


def campaign_with_post(demo, account, mid: str, *, state=CampaignState.LIVE, days: int = 20) -> Campaign:
    now = timezone.now()
    lead = demo.people["manager"]
    campaign = Campaign.objects.create(brand=demo.brand, title="鲜牧纯牛奶新品转发抽奖", kind=CampaignKind.REPOST_PRIZE,
                                       lead=lead, created_by=lead, starts_at=now - timedelta(days=days),
                                       ends_at=now + timedelta(days=1), state=state, winners_count=3)
    campaign.accounts.add(account)
    pillar, _ = Pillar.objects.get_or_create(brand=demo.brand, name="活动")
    post = Post.objects.create(brand=demo.brand, pillar=pillar, text=CAMPAIGN_TEXT, state=PostState.APPROVED,
                               created_by=lead, campaign=campaign)
    PostTarget.objects.create(post=post, account=account, state=TargetState.PUBLISHED, mid=mid, published_at=now)
    return campaign


def lottery(box, mid: str, *, size: int, seed: int = 16, now: bool = False) -> dict:
    """The scenario backdated (a finished campaign 12 days old), or, ``now``, played a million times faster than
    life from now on, so that its entries are newer than anything read before (waits until it is done)."""
    body = {"account": int(BRAND_UID), "size": size, "seed": seed, "status": int(mid)}
    summary = box.admin("POST", "/_sandbox/scenarios/lottery_hunters",
                        {**body, "instant": True} if not now else {**body, "speed": 1_000_000})
    deadline = time.monotonic() + 10
    while not summary["done"] and time.monotonic() < deadline:
        time.sleep(0.05)
        summary = box.admin("GET", "/_sandbox/scenarios")["runs"][-1]
    assert summary["done"], summary
    return summary


def truth(box, mid: str) -> tuple[list[dict], list[dict]]:
    """Every repost and comment of the post as the sandbox has it, read with a token of its own."""
    token = box.authorize(BRAND_UID)
    out = {}
    for path, key in (("/2/statuses/repost_timeline.json", "reposts"), ("/2/comments/show.json", "comments")):
        items, page = [], 1
        while True:
            body = box.http.get(path, params={"id": mid, "count": 200, "page": page},
                                headers={"Authorization": f"OAuth2 {token}"}).json()
            items += body[key]
            if len(body[key]) < 200:
                break
            page += 1
        out[key] = items
    return out["reposts"], out["comments"]
