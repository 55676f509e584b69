import re

import pytest
from playwright.sync_api import expect

from positioning.models import PlaybookVersion

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_page_is_chinese_and_the_operator_reaches_the_dashboard(demo, page, sign_in):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("登录微博运营")
    sign_in(page, "operator")
    expect(page.get_by_role("heading", level=1)).to_contain_text("李想（运营编辑）")
    expect(page.get_by_role("link", name="鲜牧乳业", exact=True).first).to_be_visible()
    expect(page.get_by_role("link", name="鲜牧华东")).to_have_count(0)


def test_operator_is_refused_on_an_account_without_permission_in_page_and_api(demo, page, sign_in, live_server):
    sign_in(page, "operator")
    region = demo.accounts["鲜牧华东"]
    response = page.goto(f"/positioning/accounts/{region.pk}/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("无权访问")
    expect(page.locator("main")).to_contain_text("鲜牧华东")
    api = page.request.get(f"{live_server.url}/api/v1/positioning/accounts/{region.pk}/")
    assert api.status == 403
    assert "鲜牧华东" in api.json()["detail"]
    # The same person's own account opens, in page and API.
    own = demo.accounts["鲜牧乳业"]
    assert page.goto(f"/positioning/accounts/{own.pk}/").status == 200
    assert page.request.get(f"{live_server.url}/api/v1/positioning/accounts/{own.pk}/").status == 200


def test_manager_edits_the_playbook_and_the_handover_page_shows_the_new_version(demo, page, sign_in):
    account = demo.accounts["鲜牧乳业"]
    sign_in(page, "manager")
    page.goto(f"/positioning/accounts/{account.pk}/")
    page.get_by_role("link", name="编辑运营手册").click()
    page.get_by_label("发布时段").fill("08:00, 12:30, 21:00")
    page.get_by_label("违禁词").fill("最好\n第一\n秒杀")
    page.get_by_label("修改说明").fill("晚间档改到 21:00")
    page.get_by_role("button", name="发布此版本").click()
    expect(page.locator(".messages")).to_contain_text("2")
    assert PlaybookVersion.objects.filter(account=account).count() == 2

    page.goto(f"/positioning/accounts/{account.pk}/handover/")
    rules = page.locator("section", has=page.get_by_role("heading", name=re.compile("规则")))
    expect(rules).to_contain_text("第 2 版")
    expect(rules).to_contain_text("21:00")
    expect(rules).to_contain_text("秒杀")
    expect(rules).not_to_contain_text("17:30")
    expect(rules).to_contain_text("晚间档改到 21:00")


def test_bad_playbook_input_shows_the_error_in_the_page(demo, page, sign_in):
    account = demo.accounts["鲜牧乳业"]
    sign_in(page, "manager")
    page.goto(f"/positioning/accounts/{account.pk}/playbook/edit/")
    page.get_by_label("发布时段").fill("25:00")
    page.get_by_role("button", name="发布此版本").click()
    expect(page.locator(".errorlist")).to_contain_text("25:00")
    assert PlaybookVersion.objects.filter(account=account).count() == 1


def test_name_warning_appears_while_typing(demo, page, sign_in):
    sign_in(page, "manager")
    page.goto("/positioning/accounts/new/")
    page.get_by_label("微博昵称").fill("鲜牧乳业华东区域官方微博")
    expect(page.locator("#name-check")).to_contain_text("3")
    page.get_by_label("微博昵称").fill("鲜牧华南")
    expect(page.locator("#name-check")).to_be_empty()


def test_pages_fit_a_phone_and_the_keyboard_reaches_the_content_first(demo, browser, live_server, sign_in):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, base_url=live_server.url)
    page = context.new_page()
    try:
        sign_in(page, "manager")
        account = f"/positioning/accounts/{demo.accounts['鲜牧乳业'].pk}"
        for path in ["/", "/positioning/", f"{account}/", f"{account}/edit/", f"{account}/playbook/edit/",
                     f"{account}/handover/", f"{account}/playbook/v1/", "/team/", "/team/departments/",
                     "/team/audit/", "/team/tokens/", "/team/people/new/"]:
            page.goto(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path} is {width}px wide at a 390px viewport"
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent")
        assert focused.strip() == "跳到正文"
    finally:
        context.close()


def test_the_interface_switches_to_english_and_back(demo, page, sign_in):
    sign_in(page, "manager")
    expect(page.get_by_role("navigation", name="工作板块")).to_contain_text("账号定位")
    page.get_by_label("语言").select_option("en")
    page.get_by_role("button", name="切换").click()
    expect(page.get_by_role("navigation", name="Duties")).to_contain_text("Positioning")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Language").select_option("zh-hans")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("navigation", name="工作板块")).to_contain_text("账号定位")
