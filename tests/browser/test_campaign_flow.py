"""A repost-with-prize campaign end to end, through the real pages, with the real worker and beat and the sandbox
playing Weibo (issue 16's "Done when"):

marketing registers a company activity; the operator turns it into a campaign and plans it with tasks for two
departments (the logistics task goes overdue and is flagged and told); a prize application is warned about
and then approved by the manager; the campaign post is composed with the campaign chosen and published by the
worker; the sandbox's ``lottery_hunters`` scenario plays a finished campaign around that post (12 days back:
the sandbox's simulated time), whose entrants the harvest reads within the budget; the rules exclude the
lottery hunters and zombies with their reasons; the seed is committed, the entries closed, the seed committed
again (the window is a rule), the winners drawn and told on the sandbox; ``verify_draw`` re-runs the draw from
the public page's list and seed alone; the report shows the second-level reposts and the 7-day retention.

The pages are read in English, so that the test holds whatever the translation says."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign, CampaignStats, Participant, PrizeState, Task, Winner
from campaigns.retention import campaign_retention
from content import services as content_services
from content.models import PostTarget, TargetState
from fans.models import Fan
from positioning.management.commands.weibo_sandbox import connect_through_sandbox
from positioning.weibo import account_client
from team.models import Department, Notice, Role, User
from tests.browser.workers import wait_until, worker_and_beat
from tests.campaigns.sandbox import lottery
from tests.weibo_ops.test_worker import subprocess_env
from weibo_ops.weibo.budget import default_budget

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BRAND_UID = "5500000001"  # 鲜牧乳业 on the sandbox
ENTRANTS = 60  # the scenario's entrants: real fans, lottery hunters, zombies
CALLS_PER_HOUR = 5000  # polling every 2 s spends the hour's budget faster than it is made for
LINK = "https://xianmu.example.com/p/farm-day"
POST = f"【转发抽奖】鲜牧牧场开放日！关注@鲜牧乳业 并转发，抽 3 位送鲜牧酸奶礼盒 {LINK}"
PASSWORD = "weibo-demo-2026"


def _local(at) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")


def test_repost_with_prize_campaign_end_to_end(demo, weibo, browser, live_server, sign_in, settings, tmp_path):
    weibo.admin("POST", "/_sandbox/limits", {"calls": CALLS_PER_HOUR})
    weibo.admin("POST", "/_sandbox/config", {"push_url": f"{live_server.url}/weibo/push/"})
    settings.WEIBO_RATE_LIMITS = {**settings.WEIBO_RATE_LIMITS, "calls": CALLS_PER_HOUR}
    default_budget.cache_clear()
    connect_through_sandbox(demo.accounts["鲜牧乳业"], uid=BRAND_UID, app_url=live_server.url)
    marketing_dept = Department.objects.get_or_create(name="市场部")[0]
    User.objects.create_user(username="marketing", password=PASSWORD, display_name="林晓（市场部）",
                             role=Role.DEPT_CONTACT, department=marketing_dept)
    content_services.pillar_create(brand=demo.brand, name="活动互动", by=demo.people["manager"])  # no approval
    for username in ("marketing", "operator", "manager", "logistics"):
        User.objects.filter(username=username).update(language="en")
    env = subprocess_env() | {"WEIBO_API_URL": weibo.url, "WEIBO_BIZ_API_URL": weibo.biz_url,
                              "WEIBO_APP_KEY": weibo.app_key, "WEIBO_APP_SECRET": weibo.app_secret,
                              "WEIBO_SAFE_DOMAIN": weibo.safe_domain, "WEIBO_RATE_LIMITS": f"calls={CALLS_PER_HOUR}",
                              "CONTENT_DISPATCH_SECONDS": "1", "CAMPAIGNS_TICK_SECONDS": "2",
                              "CAMPAIGNS_HARVEST_SECONDS": "2", "FANS_POLL_SECONDS": "3", "FANS_POLL_TICK_SECONDS": "1"}
    log = lambda: (tmp_path / "worker.log").read_text(errors="replace")  # noqa: E731
    with worker_and_beat(env, tmp_path, hostname="c"):
        _run(demo, weibo, browser, live_server, sign_in, tmp_path, log)


def _context(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(20_000)
    return context


def _signed_in(browser, live_server, sign_in, username):
    page = _context(browser, live_server).new_page()
    sign_in(page, username)
    return page


def _run(demo, weibo, browser, live_server, sign_in, tmp_path, log):  # one story, step by step
    now = timezone.now()
    # 1. Marketing registers the activity while it is being designed; the Weibo team is told at once.
    page = _signed_in(browser, live_server, sign_in, "marketing")
    page.goto("/campaigns/intake/new/")
    page.locator("#id_title").fill("鲜牧牧场开放日")
    page.locator("#id_kind").select_option("offline_event")
    page.locator("#id_sponsor").fill("张总（副总裁）")
    page.locator("#id_starts_on").fill(f"{timezone.localdate() - timedelta(days=13):%Y-%m-%d}")
    page.locator("#id_ends_on").fill(f"{timezone.localdate() + timedelta(days=1):%Y-%m-%d}")
    page.get_by_role("button", name="Register").click()
    expect(page.locator(".messages")).to_be_visible()
    assert Notice.objects.filter(recipient=demo.people["operator"], kind="campaign.activity").count() == 1
    page.context.close()

    # 2. The operator turns it into a repost-with-prize campaign (it started 13 days ago: the sandbox plays
    #    the 12 days since) and plans it with two departments.
    operator = _signed_in(browser, live_server, sign_in, "operator")
    operator.goto("/campaigns/intake/")
    operator.get_by_role("link", name="鲜牧牧场开放日").first.click()
    operator.get_by_role("link", name="Turn into a campaign").click()
    operator.locator("#id_kind").select_option("repost_prize")
    operator.get_by_role("checkbox", name="鲜牧乳业").check()
    operator.locator("#id_starts_at").fill(_local(now - timedelta(days=13)))
    operator.locator("#id_ends_at").fill(_local(now + timedelta(hours=2)))
    operator.locator("#id_winners_count").fill("3")
    operator.locator("#id_prize_budget").fill("1000")
    operator.locator("#id_budget").fill("5000")
    operator.get_by_role("button", name="Save").click()
    expect(operator.locator(".messages")).to_be_visible()
    campaign = Campaign.objects.get(title="鲜牧牧场开放日")
    assert campaign.activity is not None and campaign.sponsor == "张总（副总裁）" and campaign.rule_follow

    plan = f"/campaigns/{campaign.pk}/plan/"
    operator.goto(f"{plan}new/")
    operator.locator("#id_title").fill("预订接送大巴")
    operator.locator("#id_department").select_option(label="物流部")
    operator.locator("#id_owner").select_option(value=str(demo.people["logistics"].pk))
    operator.locator("#id_due_at").fill(_local(timezone.now() + timedelta(minutes=1)))
    operator.get_by_role("button", name="Save").click()
    bus = Task.objects.get(title="预订接送大巴")
    operator.goto(f"{plan}new/")
    operator.locator("#id_title").fill("现场签到与客服")
    operator.locator("#id_department").select_option(label="客户服务部")
    operator.locator("#id_due_at").fill(_local(timezone.now() + timedelta(days=1)))
    operator.get_by_label("预订接送大巴").check()
    operator.get_by_role("button", name="Save").click()
    assert list(Task.objects.get(title="现场签到与客服").depends_on.all()) == [bus]

    # 3. A prize: the advisor warns, the manager approves.
    operator.goto(f"/campaigns/{campaign.pk}/prizes/")
    operator.locator("#id_name").fill("鲜牧酸奶礼盒")
    operator.locator("#id_quantity").fill("3")
    operator.locator("#id_unit_cost").fill("99")
    operator.get_by_role("button", name=re.compile("^Apply")).click()
    expect(operator.locator("main")).to_contain_text("people who interacted with these accounts")  # warned
    if operator.get_by_role("button", name="Apply anyway").count():
        operator.get_by_role("button", name="Apply anyway").click()
    prize = campaign.prizes.get()
    assert prize.warnings and prize.state == PrizeState.PENDING
    manager = _signed_in(browser, live_server, sign_in, "manager")
    manager.goto(f"/campaigns/{campaign.pk}/prizes/")
    manager.get_by_role("button", name="Approve").click()
    expect(manager.locator(".messages")).to_be_visible()
    prize.refresh_from_db()
    assert prize.state == PrizeState.APPROVED

    # 4. The campaign post, composed with the campaign chosen, published by the worker.
    operator.goto("/content/new/")
    operator.get_by_role("checkbox", name="鲜牧乳业").check()
    operator.locator("#id_pillar").select_option(label="活动互动")
    operator.locator("#id_campaign").select_option(value=str(campaign.pk))
    operator.locator("#id_text").fill(POST)
    slot = timezone.localtime() + timedelta(seconds=5)
    operator.locator("#id_scheduled_at").fill(slot.strftime("%Y-%m-%dT%H:%M:%S"))
    operator.locator("button[name=intent][value=submit]").click()
    wait_until(lambda: PostTarget.objects.filter(post__campaign=campaign, state=TargetState.PUBLISHED).exists(), 90,
          "the campaign post published", log)
    mid = PostTarget.objects.get(post__campaign=campaign).mid

    # The logistics task is past its time by now: flagged on the plan, its owner told once.
    wait_until(lambda: Notice.objects.filter(recipient=demo.people["logistics"], kind="campaign.task_overdue").exists(),
          90, "the overdue task told", log)
    operator.goto(plan)
    expect(operator.locator("main")).to_contain_text("Overdue")
    expect(operator.locator("main")).to_contain_text("Blocking")

    # 5. The sandbox plays the campaign around the post, 12 days back; the harvest reads its entrants.
    details = lottery(weibo, mid, size=ENTRANTS)  # back-dated: a finished campaign 12 days old
    hunters = Fan.objects.filter(uid__in=[str(u) for u in details["hunter_uids"]])
    wait_until(lambda: Participant.objects.filter(campaign=campaign).count() == ENTRANTS
               and hunters.filter(hunter__gte=0.6).count() == len(details["hunter_uids"]), 120,
               lambda: (f"every entrant harvested ({Participant.objects.filter(campaign=campaign).count()} of "
                        f"{ENTRANTS}) and the hunters scored (below 0.6: "
                        f"{list(hunters.filter(hunter__lt=0.6).values_list('uid', 'hunter', 'lottery_posts'))})"),
               log)
    stats = CampaignStats.objects.get(campaign=campaign)
    assert stats.second_level == details["second_level"] > 0

    # 6. The rules applied: hunters and zombies excluded with their reasons; real fans who follow remain.
    operator.goto(f"/campaigns/{campaign.pk}/participants/")
    operator.get_by_role("button", name="Apply the rules now").click()
    expect(operator.locator(".messages")).to_contain_text("Rules applied to")
    expect(operator.locator("main")).to_contain_text("looks like a lottery hunter")
    expect(operator.locator("main")).to_contain_text("looks like a zombie account")
    excluded = {p.uid for p in Participant.objects.filter(campaign=campaign, eligible=False)}
    assert {str(u) for u in details["hunter_uids"] + details["zombie_uids"]} <= excluded
    eligible = set(Participant.objects.filter(campaign=campaign, eligible=True).values_list("uid", flat=True))
    assert eligible and eligible <= {str(u) for u in details["fan_uids"]}

    # 7. Commit, close entries, commit again (the window is a rule), draw; the winners are told on the sandbox.
    draw_page = f"/campaigns/{campaign.pk}/draw/"
    operator.goto(draw_page)
    operator.get_by_role("button", name="Commit the seed").click()
    operator.goto(f"/campaigns/{campaign.pk}/")
    operator.get_by_role("button", name="Close entries now").click()
    operator.goto(draw_page)
    operator.get_by_role("button", name="Draw the winners").click()
    expect(operator.locator("main")).to_contain_text("rules changed after the seed was committed")
    operator.get_by_role("button", name="Commit a new seed").click()
    operator.get_by_role("button", name="Draw the winners").click()
    expect(operator.locator("main")).not_to_contain_text("rules changed")
    campaign.refresh_from_db()
    winners = list(Winner.objects.filter(campaign=campaign).select_related("participant").order_by("rank"))
    assert campaign.drawn_at and len(winners) == 3 and {w.participant.uid for w in winners} <= eligible
    wait_until(lambda: Winner.objects.filter(campaign=campaign, notice_state="sent").count() == 3, 60,
          "the winners told", log)
    client = account_client(account=demo.accounts["鲜牧乳业"])
    under_post = {c.id for c in client.comments(mid, count=200).items}
    for winner in Winner.objects.filter(campaign=campaign).select_related("participant"):
        if winner.notice_method == "comment":  # a reply under their comment, or a comment on their repost
            under_entry = {c.id for c in client.comments(winner.participant.first_entry_id, count=200).items}
            assert winner.notice_platform_id in under_post | under_entry, winner.notice_platform_id
        else:
            assert winner.notice_method == "message" and winner.notice_platform_id

    # 8. Anyone re-runs the draw from the public page's list and seed alone.
    public = _context(browser, live_server).new_page()
    public.goto(f"/campaigns/public/{campaign.pk}/draw/")
    text = public.locator("main").inner_text()
    seed = re.search(r"\b[0-9a-f]{64}\b", text.split(campaign.seed_hash)[-1])
    assert campaign.seed_hash in text and seed is not None and seed.group(0) == campaign.revealed_seed
    listing = public.request.get(f"/campaigns/public/{campaign.pk}/draw/participants.txt").text()
    (tmp_path / "participants.txt").write_text(listing)
    drawn = [w.participant.uid for w in winners]
    (tmp_path / "winners.txt").write_text("".join(f"{uid}\n" for uid in drawn))
    assert all(uid in text for uid in drawn)  # the page publishes the winners' uids
    out = io.StringIO()
    call_command("verify_draw", participants=str(tmp_path / "participants.txt"), seed=seed.group(0),
                 winners=campaign.winners_count, commitment=campaign.seed_hash, digest=campaign.participants_digest,
                 expect_winners=str(tmp_path / "winners.txt"), stdout=out)
    assert re.findall(r"^\s+\d+\. (\d+)$", out.getvalue(), re.MULTILINE) == drawn
    assert "verified: the published data gives the published result." in out.getvalue()
    assert campaign.participants_digest in text
    public.context.close()

    # 9. The report: second-level reposts and the 7-day retention of the fans the campaign brought.
    operator.goto(f"/campaigns/{campaign.pk}/report/")
    retention = campaign_retention(campaign=campaign).periods[7]
    assert retention.measurable > 0 and retention.retained < retention.measurable  # hunters left after the draw
    expect(operator.locator("#figure-second_level .figure")).to_have_text(str(stats.second_level))
    expect(operator.locator("#figure-retained_7 .figure")).to_contain_text(str(retention.retained))
    expect(operator.locator("#figure-retained_7 .figure")).not_to_contain_text("not measured yet")
    operator.context.close()
    manager.context.close()
