"""The absence, handover and workload pages in a browser: no sideways scrolling at 390 px, and a keyboard user
ticks the checklist and applies the handover."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from team.models import Handover, HandoverState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pages_fit_390px_and_the_handover_is_applied_from_the_keyboard(demo, browser, live_server, sign_in):
    call_command("seed_demo_handover")
    handover = Handover.objects.get()
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, "manager")
        for path in ("/team/absences/", "/team/workload/", f"/team/handovers/{handover.pk}/"):
            assert page.goto(path).status == 200
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path} is {width}px wide at a 390px viewport"
        # The demo fixture has no open work yet, so no stand-in is suggested: choose one.
        page.locator("select[name=to_person]").select_option(str(demo.people["pr"].pk))
        boxes = page.locator("input[name=checklist]")
        expect(boxes).to_have_count(4)
        boxes.first.focus()
        for index in range(4):
            page.keyboard.press("Space")
            expect(boxes.nth(index)).to_be_checked()
            page.keyboard.press("Tab")
        page.locator("form.form button[type=submit]").focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.locator(".tag.ok")).to_have_count(1)
        handover.refresh_from_db()
        assert (handover.state, handover.to_person) == (HandoverState.APPLIED, demo.people["pr"])
    finally:
        context.close()
