"""Fan interaction end to end, through the real pages: a fan complains on the sandbox; the real worker's
next poll brings it into the inbox, which shows it without a reload; the routing rule gives it to the
customer-service agent with the 投诉 tag; the agent escalates it to 客户服务部 (Weibo first, 4 h); the
department contact resolves it on the desk; the agent is prompted to tell the fan, replies in public, the
worker sends it and the reply is on the sandbox; the response and resolution rates count it."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from fans import selectors
from fans.models import IngestCursor, Interaction, Reply, ReplyState, Tag, Ticket, TicketState
from fans.selectors import fans_today
from fans.views_inbox import POLL_SECONDS as LIST_REFRESH_SECONDS
from positioning.management.commands.weibo_sandbox import connect_through_sandbox
from positioning.weibo import account_client
from team.models import Department
from tests.browser.workers import wait_until, worker_and_beat
from tests.weibo_ops.test_worker import subprocess_env

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CS_UID = "5500000002"  # 鲜牧客服 on the sandbox
POLL_SECONDS, TICK_SECONDS = 3, 1  # FANS_POLL_SECONDS and FANS_POLL_TICK_SECONDS for the worker and beat
SLACK_SECONDS = 3  # a busy machine: process start-up of the task, the broker's polling, the page's request
COMPLAINT = "订的鲜奶变质了，投诉！要求退款"
SUMMARY = "顾客收到的鲜奶变质，要求退款：请核实订单，今天内办理退款并补发。"
RESOLUTION = "已核实订单，全额退款已原路退回，明早补发两瓶鲜奶。"
REPLY = "您好，给您添麻烦了！客服部已为您办理全额退款，明早补发两瓶鲜奶，有问题随时私信我们。"
TEMPLATE = "质量问题安抚"


def _context(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(15_000)
    return context


def test_complaint_from_sandbox_routed_escalated_resolved_and_told_back(demo, weibo, browser, live_server, sign_in,
                                                                         tmp_path):
    call_command("seed_demo_fans")
    account = demo.accounts["鲜牧客服"]
    connect_through_sandbox(account, uid=CS_UID, app_url=live_server.url)
    env = subprocess_env() | {"WEIBO_API_URL": weibo.url, "WEIBO_BIZ_API_URL": weibo.biz_url,
                              "WEIBO_APP_KEY": weibo.app_key, "WEIBO_APP_SECRET": weibo.app_secret,
                              "FANS_POLL_SECONDS": str(POLL_SECONDS), "FANS_POLL_TICK_SECONDS": str(TICK_SECONDS)}
    with worker_and_beat(env, tmp_path, hostname="f"):
        _run(demo, account, weibo, browser, live_server, sign_in, (tmp_path / "worker.log").read_text)


def _run(demo, account, weibo, browser, live_server, sign_in, log):
    agent, service = demo.people["agent"], demo.people["service"]
    department = Department.objects.get(name="客户服务部")
    complaint_tag = Tag.objects.get(brand=demo.brand, name="投诉")
    timings = {}
    began = time.monotonic()

    # 1. The first poll takes the backlog (its three sources): from here on a new item must arrive.
    wait_until(lambda: IngestCursor.objects.filter(account=account, polled_at__isnull=False).count() == 3, 40,
          "the first poll did not read the three sources", log)
    timings["first poll"] = time.monotonic() - began

    agent_context = _context(browser, live_server)
    page = sign_in(agent_context.new_page(), "agent")
    page.goto("/fans/")
    rows = page.locator("#inbox-live tr.inbox-row")
    row = rows.filter(has_text=COMPLAINT)
    expect(row).to_have_count(0)
    page.evaluate("window.notReloaded = true")  # gone if the page were loaded again

    # 2. A fan complains under the account's newest post; the inbox shows it by itself.
    posted = weibo.admin("POST", "/_sandbox/fan_posts", {"to_uid": int(CS_UID), "text": COMPLAINT, "kind": "comment"})
    posted_at, posted_clock = timezone.now(), time.monotonic()
    comment = posted["comment"]
    expect(row).to_be_visible(timeout=(POLL_SECONDS + LIST_REFRESH_SECONDS + 2 * SLACK_SECONDS) * 1000)
    shown_after = time.monotonic() - posted_clock
    assert page.evaluate("window.notReloaded === true")
    item = Interaction.objects.select_related("fan", "assignee").get(account=account, platform_id=str(comment["id"]))
    ingested_after = (item.received_at - posted_at).total_seconds()
    timings["ingested after"], timings["shown after"] = ingested_after, shown_after
    assert ingested_after <= POLL_SECONDS + TICK_SECONDS + SLACK_SECONDS, ingested_after  # within one poll
    assert shown_after <= POLL_SECONDS + TICK_SECONDS + LIST_REFRESH_SECONDS + SLACK_SECONDS, shown_after
    assert item.text == COMPLAINT and item.status_id == str(comment["status"]["id"])

    # 3. "客服号投诉：客服部轮流接" gave it to the agent (the one in 客户服务部 who may reply there), tagged 投诉.
    assert item.assignee == agent
    assert item.is_complaint and item.routed_by.name == "客服号投诉：客服部轮流接"
    assert list(item.tags.values_list("name", flat=True)) == ["投诉"]
    expect(row.locator("td").nth(6)).to_have_text(str(agent))
    # The 投诉 tag is the complaint flag's own word: the row says it once, as the flag.
    expect(row.locator(".flags .tag.complaint")).to_have_text("投诉")
    expect(row.locator(f'.flags .tag[style*="{complaint_tag.colour}"]')).to_have_count(0)

    # 4. The agent opens the thread and escalates it to 客户服务部 with a summary: Weibo first, 4 h.
    row.get_by_role("link", name=str(item.fan)).click()
    page.wait_for_url(f"**/fans/items/{item.pk}/")
    expect(page.locator(f"#i{item.pk}")).to_contain_text(COMPLAINT)
    escalate = page.locator("#escalate-form")
    expect(escalate.locator(f'#id_department option[value="{department.pk}"]')).to_contain_text(
        re.compile(r"客户服务部\D*4\D"))
    escalate.locator("#id_department").select_option(str(department.pk))
    escalate.locator("#id_summary").fill(SUMMARY)
    escalate.locator("button[type=submit]").click()
    page.wait_for_url(f"**/fans/items/{item.pk}/")
    ticket = Ticket.objects.get(interaction=item)
    assert (ticket.department, ticket.state, ticket.summary) == (department, TicketState.OPEN, SUMMARY)
    assert abs(ticket.deadline - ticket.created_at - timedelta(hours=4)) < timedelta(seconds=2)
    shown = page.locator(f"article.ticket:has(a[href='/fans/tickets/{ticket.pk}/'])")
    expect(shown).to_contain_text(f"#{ticket.pk} 客户服务部")
    expect(shown).to_contain_text(timezone.localtime(ticket.deadline).strftime("%m-%d %H:%M"))
    expect(shown).to_contain_text(SUMMARY)
    expect(page.locator(".messages")).to_contain_text(timezone.localtime(ticket.deadline).strftime("%Y-%m-%d %H:%M"))

    # 5. The department contact sees it on the desk and resolves it in plain words.
    service_context = _context(browser, live_server)
    desk = sign_in(service_context.new_page(), "service")
    desk.goto("/fans/desk/")
    listed = desk.locator("li.ticket-row", has_text=f"#{ticket.pk}")
    expect(listed).to_contain_text(COMPLAINT)
    expect(listed).to_contain_text(timezone.localtime(ticket.deadline).strftime("%Y-%m-%d %H:%M"))
    listed.get_by_role("link", name=re.compile(f"#{ticket.pk}")).click()
    desk.wait_for_url(f"**/fans/tickets/{ticket.pk}/")
    expect(desk.locator("blockquote.complaint")).to_have_text(COMPLAINT)
    desk.locator("#id_resolution").fill(RESOLUTION)
    desk.locator("button[name=action][value=resolve]").click()
    expect(desk.locator("section[aria-labelledby=h-res]")).to_contain_text(RESOLUTION)
    ticket.refresh_from_db()
    assert (ticket.state, ticket.resolved_by, ticket.resolution) == (TicketState.RESOLVED, service, RESOLUTION)
    service_context.close()
    timings["escalated and resolved"] = time.monotonic() - began

    # 6. Back in the thread the agent is prompted to tell the fan; a bare template is flagged, their own words go.
    page.reload()
    prompt = page.get_by_role("note")
    expect(prompt).to_be_visible()
    expect(prompt).to_contain_text(RESOLUTION)
    expect(page.locator("#id_closes_loop")).to_be_checked()  # "this reply tells the fan", ticked for them
    page.locator("#id_template").select_option(label=TEMPLATE)
    expect(page.locator("#id_text")).to_have_value(re.compile("^您好，看到您反馈的情况我们很重视"))
    expect(page.locator("#reply-problems li.warn")).to_contain_text(TEMPLATE)  # the live check: bare template
    page.locator("#id_text").fill(REPLY)
    expect(page.locator("#reply-problems li.warn")).to_have_count(0)
    page.locator("#reply-form button[type=submit]").click()
    page.wait_for_url(f"**/fans/items/{item.pk}/")
    reply = Reply.objects.get(interaction=item)
    assert (reply.text, reply.closes_loop, reply.is_boilerplate, reply.template.name) == (REPLY, True, False, TEMPLATE)
    wait_until(lambda: Reply.objects.filter(pk=reply.pk, state=ReplyState.SENT).exists(), 20,
          "the worker did not send the reply", log)
    reply.refresh_from_db()
    page.reload()
    sent = page.locator(f"#r{reply.pk}")
    expect(sent).to_contain_text(REPLY)
    expect(sent.locator(".outcome .tag.ok")).to_contain_text(timezone.localtime(reply.sent_at).strftime("%m-%d %H:%M"))
    expect(page.get_by_role("note")).to_have_count(0)  # told: no more prompt
    on_weibo = account_client(account=account).comments(item.status_id, count=50).items
    assert [c.text for c in on_weibo if c.id == reply.platform_id] == [f"回复@{item.fan.screen_name}:{REPLY}"]
    item.refresh_from_db()
    assert item.loop_closed_at is not None and item.first_response_by == agent
    timings["reply sent"] = time.monotonic() - began

    page.goto("/fans/")
    page.locator("#id_loop").select_option("closed")
    page.locator("#inbox-filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"loop=closed"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(COMPLAINT)
    expect(rows.first.locator("td").nth(7).locator(".good")).to_be_visible()  # fan told

    # 7. The rates count the answer, and after the close button the resolution.
    def rates_shown(resolved: int) -> None:
        page.goto("/fans/stats/")
        rates = selectors.rates(user=agent)
        for section, key, rows_ in (("h-acc", account.pk, rates["accounts"]), ("h-people", agent.pk, rates["people"])):
            rate = next(r for r in rows_ if r.key == key)
            assert rate.answered == 1 and rate.resolved == resolved  # the backlog is unanswered and open
            cells = page.locator(f"section[aria-labelledby={section}] tr[data-key='{key}'] td")
            expect(cells).to_have_text([rate.label, str(rate.total), "1", f"{rate.response_rate * 100:.0f}%",
                                        f"{rate.on_time_rate * 100:.0f}%", str(resolved),
                                        f"{rate.resolution_rate * 100:.0f}%", str(rate.waiting)])
        assert rates["accounts"][0].label == "鲜牧客服" and str(agent) in [r.label for r in rates["people"]]
        page.goto("/")
        today = fans_today(user=agent)
        assert today.week_answered == 1 and today.week_resolved == resolved and today.response_percent > 0
        expect(page.locator("p.fans-today")).to_contain_text(
            re.compile(rf"\D{today.response_percent}%\D+{today.resolution_percent}%"))

    rates_shown(resolved=0)
    page.goto(f"/fans/items/{item.pk}/")
    page.locator(f"form[action='/fans/items/{item.pk}/close/'] button").click()
    page.wait_for_url(f"**/fans/items/{item.pk}/")
    expect(page.locator(f"form[action='/fans/items/{item.pk}/reopen/']")).to_be_visible()
    item.refresh_from_db()
    assert item.state == "closed" and item.closed_by == agent
    rates_shown(resolved=1)
    agent_context.close()
    timings["total"] = time.monotonic() - began
    print("timings (s):", {k: round(v, 1) for k, v in timings.items()})
