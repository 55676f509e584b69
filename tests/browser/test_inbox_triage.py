"""Inbox triage in Chromium: at 390 px the first message comes before the filters (folded behind a
disclosure that the keyboard opens), the reply box is a few Tabs away on an item page, and the ticket
column never breaks one character per line."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fans.models import Fan, Interaction, Kind, Source, Ticket
from team.models import Department

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_TABS = 5  # to reach the reply box on an item page
LONG = ("鲜牧纯牛奶订了月卡，这周已经三天没送了，奶箱空空的，打了三次客服电话都说在核实，孩子早上没奶喝，"
        "之前一直很满意的，这次真的很失望，麻烦尽快给个说法，订单号 20261201-8812，地址在浦东新区张江镇。")
_ids = itertools.count(1)


def make_item(account, text=LONG, **fields) -> Interaction:
    n = next(_ids)
    fan = Fan.objects.create(uid=f"67{n:06d}", screen_name=f"爱喝牛奶的粉丝{n}号", verified=True)
    now = timezone.now()
    return Interaction.objects.create(
        account=account, kind=Kind.COMMENT, source=Source.COMMENTS_TO_ME, object_type="comment",
        platform_id=str(7100 + n), fan=fan, text=text, created_at=now - timedelta(minutes=n), thread_key=f"s:{n}",
        status_text="鲜牧的新品上市啦", first_response_due=now + timedelta(hours=1), **fields)


def test_at_390_px_the_first_message_comes_before_the_folded_filters(demo, browser, live_server, sign_in):
    item = make_item(demo.accounts["鲜牧客服"])
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, "agent")
        page.goto("/fans/")
        row = page.locator(f'tr.inbox-row[data-item="{item.pk}"]')
        expect(row).to_be_visible()
        assert row.bounding_box()["y"] < 844, "the first message is below the first screen"
        filters = page.locator("#inbox-filters-disclosure")
        assert filters.evaluate("d => d.open") is False
        expect(page.locator("#id_kind")).to_be_hidden()
        # The keyboard opens it: focus the summary and press Enter.
        page.locator("#inbox-filters-disclosure > summary").focus()
        page.keyboard.press("Enter")
        expect(page.locator("#id_kind")).to_be_visible()
        expect(page.locator("#id_ordering")).to_be_visible()
    finally:
        context.close()


def test_the_filters_stay_open_at_1280_px(demo, page, sign_in):
    make_item(demo.accounts["鲜牧客服"])
    sign_in(page, "agent")
    page.goto("/fans/")
    expect(page.locator("#id_kind")).to_be_visible()


def test_the_reply_box_is_reached_within_five_tabs(demo, page, sign_in):
    item = make_item(demo.accounts["鲜牧客服"])
    sign_in(page, "agent")
    page.goto(f"/fans/items/{item.pk}/")
    textarea = page.locator("#id_text")
    expect(textarea).to_be_visible()
    tabs = 0
    while tabs < MAX_TABS and not textarea.evaluate("t => t === document.activeElement"):
        page.keyboard.press("Tab")
        tabs += 1
        if page.evaluate("document.activeElement.getAttribute('href')") == "#id_text":  # 跳到回复
            page.keyboard.press("Enter")
    assert textarea.evaluate("t => t === document.activeElement"), f"the reply box has no focus after {tabs} Tabs"
    assert tabs <= MAX_TABS


def test_the_ticket_column_keeps_its_words_whole(demo, page, sign_in):
    account = demo.accounts["鲜牧客服"]
    logistics = Department.objects.get(name="物流部")
    items = [make_item(account) for _ in range(3)]
    for item in items:
        Ticket.objects.create(interaction=item, department=logistics, summary="补发", created_by=demo.people["manager"],
                              deadline=timezone.now() + timedelta(hours=12))
    sign_in(page, "manager")
    page.goto("/fans/")
    cell = page.locator(f'tr.inbox-row[data-item="{items[0].pk}"] td').last
    expect(cell).to_contain_text("物流部")
    # Lines of text in the cell: the distinct tops of its text's boxes.
    lines = cell.evaluate("""td => {
        const range = document.createRange(); range.selectNodeContents(td);
        return new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top))).size;
    }""")
    width = cell.evaluate("td => td.getBoundingClientRect().width")
    assert lines <= 2, f"the ticket cell breaks into {lines} lines ({width:.0f} px wide)"
    assert width >= 100
