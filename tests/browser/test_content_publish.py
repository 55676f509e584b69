"""An operator drafts a post for two accounts, is warned that it is close to an earlier post, fixes it
and submits it; a reviewer approves it from the queue; the real worker publishes it at its slot to
the sandbox; the post page shows it published with its link on both accounts, and so does the calendar."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from content import services
from content.models import PostTarget, TargetState
from positioning.management.commands.weibo_sandbox import connect_through_sandbox
from positioning.weibo import account_client
from tests.browser.workers import worker_and_beat
from tests.weibo_ops.test_worker import subprocess_env

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LINK = "https://xianmu.example.com/p/blueberry"
EARLIER = f"今日上新：鲜牧希腊酸奶蓝莓味，高蛋白、少糖，早餐搭配刚刚好 {LINK}"
CLOSE = f"今日上新！鲜牧希腊酸奶蓝莓味，高蛋白少糖，早餐搭配刚好 {LINK}"
FIXED = f"蓝莓季到了：希腊酸奶配一把燕麦，十分钟搞定工作日早餐 {LINK}"
UIDS = {"鲜牧乳业": "5500000001", "鲜牧酸奶": "5500000003"}


def test_draft_warned_fixed_approved_and_published_on_two_accounts(demo, weibo, browser, live_server, sign_in,
                                                                      tmp_path):
    pillar = services.pillar_create(brand=demo.brand, name="产品资讯", by=demo.people["manager"])
    services.post_create(by=demo.people["operator"], pillar=pillar, text=EARLIER, accounts=[demo.accounts["鲜牧乳业"]])
    for name, uid in UIDS.items():
        connect_through_sandbox(demo.accounts[name], uid=uid, app_url=live_server.url)
    env = subprocess_env() | {"WEIBO_API_URL": weibo.url, "WEIBO_BIZ_API_URL": weibo.biz_url,
                              "WEIBO_APP_KEY": weibo.app_key, "WEIBO_APP_SECRET": weibo.app_secret,
                              "CONTENT_DISPATCH_SECONDS": "1"}
    with worker_and_beat(env, tmp_path, hostname="b"):
        _run(demo, browser, live_server, sign_in, tmp_path)


def _context(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(15_000)
    return context


def _run(demo, browser, live_server, sign_in, tmp_path):
    operator = _context(browser, live_server)
    page = sign_in(operator.new_page(), "operator")
    page.goto("/content/new/")
    page.get_by_role("checkbox", name="鲜牧乳业").check()
    page.get_by_role("checkbox", name="鲜牧酸奶").check()
    page.get_by_label("内容支柱").select_option(label="产品资讯")
    page.locator("#id_text").fill(CLOSE)
    warning = page.locator("#checks .similar")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("今日上新：鲜牧希腊酸奶蓝莓味")  # the closest earlier post, shown
    expect(warning).to_contain_text(re.compile(r"\d+(\.\d)?%"))

    page.locator("#id_text").fill(FIXED)
    expect(warning).to_have_count(0)
    expect(page.locator("#checks")).to_contain_text("30 天内没有相似的微博")
    slot = timezone.localtime() + timedelta(seconds=40)
    page.locator("#id_scheduled_at").fill(slot.strftime("%Y-%m-%dT%H:%M:%S"))
    page.get_by_role("button", name="提交（审核后按时发布）").click()
    expect(page.locator(".messages")).to_contain_text("已提交审核")
    post_url = page.url

    reviewer = _context(browser, live_server)
    review = sign_in(reviewer.new_page(), "reviewer")
    review.goto("/content/review/")
    item = review.locator("article.queue-item", has_text="蓝莓季到了")
    expect(item).to_be_visible()
    item.get_by_role("button", name="通过").click()
    expect(review.locator("article.queue-item", has_text="蓝莓季到了")).to_have_count(0)
    expect(review.locator(".messages")).to_contain_text("已通过")
    reviewer.close()

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if PostTarget.objects.filter(post__text=FIXED, state=TargetState.PUBLISHED).count() == 2:
            break
        time.sleep(0.5)
    targets = list(PostTarget.objects.filter(post__text=FIXED).select_related("account"))
    assert {t.state for t in targets} == {TargetState.PUBLISHED}, (
        [(t.account.name, t.state, t.message) for t in targets], (tmp_path / "worker.log").read_text()[-3000:])
    for target in targets:
        assert target.published_at >= target.scheduled_at - timedelta(seconds=1)  # at its slot, not before
        timeline = account_client(account=target.account).user_timeline(count=100).items
        assert sum(1 for status in timeline if status.text == FIXED) == 1  # exactly once, on the sandbox's side

    page.goto(post_url)
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    for target in targets:
        row = page.locator(f"#target-{target.pk}")
        expect(row).to_contain_text(target.account.name)
        expect(row).to_contain_text("已发布")
        expect(row.get_by_role("link", name=target.url)).to_have_attribute("href", target.url)

    page.goto(f"/content/?start={timezone.localdate():%Y-%m-%d}")
    for name in UIDS:
        row = page.locator("tbody tr", has=page.get_by_role("rowheader", name=re.compile(name)))
        expect(row.locator("a.chip", has_text="蓝莓季到了")).to_contain_text("已发布")
    operator.close()
