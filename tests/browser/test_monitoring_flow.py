"""Opinion monitoring end to end, through the real pages, with the real worker and beat: the sandbox's
``negative_spike`` scenario sends a wave of complaints about one product; the search and the inbox bring
them in, the model classifies them, one alert fires; PR opens an incident from it, graded yellow or higher
with its checklist; the statement is drafted on the incident, fast-tracked by the manager, published by the
worker to the sandbox, and the post-incident report lists it. The pages are read in English here, so that
the test holds whatever the translation says; the Chinese pages are checked elsewhere."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone
from playwright.sync_api import expect

from content.models import PostTarget, TargetState
from fans.models import IngestCursor, Interaction, Kind
from positioning.management.commands.weibo_sandbox import connect_through_sandbox
from positioning.weibo import account_client
from sentiment.models import GRADE_ORDER, Alert, AlertKind, Grade, Inbound, Incident, Mention, RuleGroup, Sentiment
from team.models import User
from tests.browser.workers import wait_until, worker_and_beat
from tests.weibo_ops.test_worker import subprocess_env
from weibo_ops.weibo.budget import default_budget

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BRAND_UID = "5500000001"  # 鲜牧乳业 on the sandbox
SPIKE_SIZE = 70  # complaints, questions and neutral posts in the wave
SPIKE_SPEED = 120.0  # the scenario's half hour in 15 seconds
CALLS_PER_HOUR = 5000
STATEMENT = "关于近期部分消费者反馈的产品问题：我们已暂停该批次销售并全面排查，检测结果出来后立即公布。"


def _context(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(15_000)
    return context


def _in_english(username: str) -> None:
    """After signing in (in Chinese): the person picks English, which is stored on the person."""
    User.objects.filter(username=username).update(language="en")


def _run_done(weibo, run_id) -> bool:
    return any(run["run"] == run_id and run["done"] for run in weibo.admin("GET", "/_sandbox/scenarios")["runs"])


def test_negative_spike_alert_incident_statement_published_and_reported(demo, weibo, browser, live_server, sign_in,
                                                                         settings, tmp_path):
    call_command("seed_demo_monitoring")
    # Polling every few seconds instead of every few minutes spends calls 60 times faster than the hourly
    # budget is made for: both sides get a larger one for the test's few minutes.
    weibo.admin("POST", "/_sandbox/limits", {"calls": CALLS_PER_HOUR})
    settings.WEIBO_RATE_LIMITS = {**settings.WEIBO_RATE_LIMITS, "calls": CALLS_PER_HOUR}
    default_budget.cache_clear()
    account = demo.accounts["鲜牧乳业"]
    connect_through_sandbox(account, uid=BRAND_UID, app_url=live_server.url)
    env = subprocess_env() | {"WEIBO_API_URL": weibo.url, "WEIBO_BIZ_API_URL": weibo.biz_url,
                              "WEIBO_APP_KEY": weibo.app_key, "WEIBO_APP_SECRET": weibo.app_secret,
                              "WEIBO_SAFE_DOMAIN": weibo.safe_domain,
                              "FANS_POLL_SECONDS": "3", "FANS_POLL_TICK_SECONDS": "1",
                              "SENTIMENT_SEARCH_SECONDS": "3", "SENTIMENT_INCIDENT_REGRADE_SECONDS": "5",
                              "CONTENT_DISPATCH_SECONDS": "1", "WEIBO_RATE_LIMITS": f"calls={CALLS_PER_HOUR}"}
    with worker_and_beat(env, tmp_path, hostname="m"):
        _run(demo, account, weibo, browser, live_server, sign_in, (tmp_path / "worker.log").read_text)


def _run(demo, account, weibo, browser, live_server, sign_in, log):
    groups = RuleGroup.objects.filter(brand=demo.brand, search_enabled=True)
    # 1. Every group's first search (a day back) is in: from here on the wave is what is new.
    wait_until(lambda: not groups.filter(searched_until__isnull=True).exists(), 60, "the first searches did not run",
               log)
    before = set(Mention.objects.values_list("pk", flat=True))
    spikes_before = Alert.objects.filter(kind=AlertKind.SPIKE).count()

    run = weibo.admin("POST", "/_sandbox/scenarios/negative_spike",
                      {"account": int(BRAND_UID), "size": SPIKE_SIZE, "speed": SPIKE_SPEED, "seed": 11})
    product = run["product"]

    # 2. The complaints arrive, from the search and the inbox, and the model calls them negative. A post that
    # both see is stored once, from whichever stored it first: the inbox shows that it delivered by the
    # wave's @mentions in the inbox, the search by the mentions it stored.
    def wave():
        return Mention.objects.exclude(pk__in=before).filter(text__contains=product)

    in_the_inbox = Interaction.objects.filter(account=account, kind=Kind.MENTION, text__contains=product)
    wait_until(lambda: (wave().filter(sentiment=Sentiment.NEGATIVE).count() >= 30
                   and wave().filter(source="search").exists() and in_the_inbox.exists()), 120,
          "30 negative mentions of the product, some from the search and @mentions in the inbox, did not arrive",
          log)
    negative_share = wave().filter(sentiment=Sentiment.NEGATIVE).count() / wave().count()
    assert negative_share >= 0.6, negative_share  # the wave is 82 % complaints

    # 3. One alert for the wave, however many groups and batches it touched: the whole wave played out, and
    # every group searched and the inbox polled twice since, with nothing left for the pipeline.
    wait_until(lambda: Alert.objects.filter(kind=AlertKind.SPIKE).count() > spikes_before, 60, "no spike alert", log)
    wait_until(lambda: _run_done(weibo, run["run"]), 90, "the wave did not play out", log)
    for _twice in range(2):
        since = timezone.now()
        stale = Q(searched_at__isnull=True) | Q(searched_at__lt=since)
        wait_until(lambda since=since, stale=stale: (
            not groups.filter(stale).exists()
            and not IngestCursor.objects.filter(account=account, polled_at__lt=since).exists()),
            60, "the searches and the inbox did not run again", log)
    wait_until(lambda: not Inbound.objects.filter(brand=demo.brand).exists(), 60, "the pipeline did not catch up", log)
    # What the inbox handed over went through the pipeline too: the wave's comments come only that way.
    assert wave().filter(source__in=["mentions", "comments"]).exists()
    new_spikes = list(Alert.objects.filter(kind=AlertKind.SPIKE).order_by("pk"))[spikes_before:]
    assert len(new_spikes) == 1, [a.title for a in new_spikes]
    alert = new_spikes[0]

    # 4. PR sees it and opens an incident from it: graded yellow or higher, with its checklist.
    pr = _context(browser, live_server)
    page = sign_in(pr.new_page(), "pr")
    _in_english("pr")
    page.goto("/sentiment/alerts/")
    card = page.locator(f"#alert-{alert.pk}")
    expect(card).to_be_visible()
    card.get_by_role("link", name="Open an incident").click()
    page.get_by_label("Title").fill(f"{product} 批量投诉")
    page.get_by_label("Type", exact=True).select_option("our_fault")
    page.get_by_role("button", name="Open the incident").click()
    page.wait_for_url(re.compile(r"/sentiment/incidents/\d+/$"))
    incident = Incident.objects.get(alerts=alert)
    assert GRADE_ORDER.index(incident.grade) >= GRADE_ORDER.index(Grade.YELLOW), (incident.grade,
                                                                                   incident.participants)
    expect(page.locator("#grade-title")).to_be_visible()
    checklist = page.locator("section[aria-labelledby=checklist-title] li")
    assert incident.tasks.count() >= 4 and checklist.count() == incident.tasks.count()
    expect(page.get_by_text("We never delete fans' posts or comments").first).to_be_visible()

    # 5. One voice: PR drafts the statement on the incident; it goes to review as a content post.
    page.get_by_role("link", name="Draft a new statement").click()
    text = page.locator("#id_text")
    text.fill(f"{STATEMENT} {text.input_value().strip()}")
    page.get_by_role("checkbox", name="鲜牧乳业").check()
    page.get_by_role("button", name="Draft and send for review").click()
    page.wait_for_url(re.compile(rf"/sentiment/incidents/{incident.pk}/$"))
    statement = incident.statements.get()
    expect(page.locator(f"#statement-{statement.pk}")).to_contain_text(STATEMENT)

    # 6. The manager fast-tracks it and publishes it now; the worker sends it to the sandbox.
    manager = _context(browser, live_server)
    board = sign_in(manager.new_page(), "manager")
    _in_english("manager")
    board.goto(f"/sentiment/incidents/{incident.pk}/")
    item = board.locator(f"#statement-{statement.pk}")
    item.get_by_label("Why it cannot wait").fill("批量投诉正在扩散，需立即统一口径")
    item.get_by_role("button", name="Fast-track (manager)").click()
    item = board.locator(f"#statement-{statement.pk}")
    item.get_by_role("button", name="Publish now").click()
    wait_until(lambda: PostTarget.objects.filter(post=statement.post_id, state=TargetState.PUBLISHED).exists(), 60,
          "the statement was not published", log)
    timeline = account_client(account=account).user_timeline(count=50).items
    assert sum(1 for status in timeline if status.text.startswith(STATEMENT)) == 1

    # 7. The incident shows it published, and the post-incident report lists it.
    board.goto(f"/sentiment/incidents/{incident.pk}/")
    expect(board.locator(f"#statement-{statement.pk}")).to_contain_text("on Weibo")
    board.goto(f"/sentiment/incidents/{incident.pk}/report/")
    expect(board.locator("main")).to_contain_text(STATEMENT)
    expect(board.locator("main")).to_contain_text("鲜牧乳业")
    manager.close()
    pr.close()
