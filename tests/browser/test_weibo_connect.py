"""A manager connects a demo account through Weibo's OAuth pages (the sandbox's), sees its budget, loses
the authorisation and is told once, then reconnects."""

import re

import pytest
from playwright.sync_api import expect

from positioning.weibo import weibo_connections_check_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def consent_as_brand(page):
    expect(page.get_by_role("heading", level=1)).to_have_text("授权应用访问你的微博账号")
    page.get_by_label(re.compile(r"鲜牧乳业\s*\(uid")).check()
    page.get_by_role("button", name="授权").click()


def test_connect_budget_lost_authorisation_told_once_and_reconnect(demo, page, sign_in, weibo):
    account = demo.accounts["鲜牧乳业"]
    sign_in(page, "manager")
    page.goto(f"/positioning/accounts/{account.pk}/")
    card = page.locator("#weibo")
    expect(card.locator("[data-weibo-state]")).to_have_attribute("data-weibo-state", "not_connected")

    card.get_by_role("button", name="连接微博").click()
    consent_as_brand(page)
    page.wait_for_url(re.compile(rf"/positioning/accounts/{account.pk}/$"))
    expect(page.locator(".messages")).to_contain_text("已连接到微博账号 鲜牧乳业")
    expect(card.locator("[data-weibo-state]")).to_have_attribute("data-weibo-state", "connected")
    # The connection looked the account up once (users/show): one call taken from the hourly budget.
    expect(card.locator('[data-budget="calls"] [data-remaining]')).to_have_text("149")
    expect(card.locator('[data-budget="posts"] [data-remaining]')).to_have_text("30")

    weibo.admin("POST", "/_sandbox/tokens/revoke", {"uid": "5500000001"})
    card.get_by_role("button", name="检查授权").click()
    expect(card.locator("[data-weibo-state]")).to_have_attribute("data-weibo-state", "needs_reauth")
    expect(card.get_by_role("alert")).to_contain_text("需要重新授权")
    assert weibo_connections_check_all() == 0  # later failures find it already marked: nobody is told twice
    page.reload()
    badge = page.locator("header .badge")
    expect(badge).to_have_text("1")
    page.get_by_role("link", name=re.compile("^通知")).click()
    expect(page.locator(".notices li")).to_have_count(1)
    expect(page.locator(".notices li")).to_contain_text("鲜牧乳业 需要在微博上重新授权")
    page.get_by_role("link", name="打开").click()

    page.locator("#weibo").get_by_role("button", name="重新连接微博").click()
    consent_as_brand(page)
    page.wait_for_url(re.compile(rf"/positioning/accounts/{account.pk}/$"))
    expect(page.locator("#weibo [data-weibo-state]")).to_have_attribute("data-weibo-state", "connected")
    expect(page.locator("#weibo").get_by_role("alert")).to_have_count(0)
