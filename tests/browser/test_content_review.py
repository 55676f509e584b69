"""The review queue in Chromium: its 30 s refresh leaves a half-typed comment alone and throws nothing
in the console; and the week calendar shows Sunday whole at 1280 px."""

from __future__ import annotations

import pytest

from content import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = "https://xianmu.example.com/p/1"
REFRESH_MS = 30_000  # the queue's hx-trigger: every 30s


def _console(page) -> list[str]:
    errors: list[str] = []
    # The browser's own favicon request is not the page's (no icon is served yet: left to the walk of every page).
    page.on("console", lambda message: errors.append(f"{message.text} {message.location.get('url')}")
            if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico") else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda response: errors.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    return errors


def test_the_queue_refreshes_when_idle_but_keeps_a_half_typed_comment(demo, page, sign_in):
    pillar = services.pillar_create(brand=demo.brand, name="产品资讯", by=demo.people["manager"])
    post = services.post_create(by=demo.people["operator"], pillar=pillar, accounts=[demo.accounts["鲜牧乳业"]],
                                text=f"低温鲜奶换新包装，保质期更醒目 {LINK}")
    services.post_submit(post=post, by=demo.people["operator"])
    errors = _console(page)
    sign_in(page, "reviewer")
    page.clock.install()  # the page's timers run on the test's clock from the next page on
    page.goto("/content/review/")
    refreshes: list[str] = []
    page.on("request", lambda request: refreshes.append(request.url)
            if "/content/review/" in request.url and request.headers.get("hx-request") else None)

    # Nobody typing: the queue refreshes itself.
    with page.expect_request(lambda request: "/content/review/" in request.url and request.headers.get("hx-request")):
        page.clock.run_for(REFRESH_MS + 1_000)
    page.wait_for_load_state("networkidle")

    # A comment typed, then the reviewer looks elsewhere: two refresh periods pass and it is still there.
    box = page.locator(f"#comment-{post.pk}")
    box.fill("第二句的数字再核对一下")
    page.locator("h1").click()
    before = len(refreshes)
    page.clock.run_for(2 * REFRESH_MS + 1_000)
    page.wait_for_timeout(500)
    assert len(refreshes) == before
    assert page.locator(f"#comment-{post.pk}").input_value() == "第二句的数字再核对一下"
    assert errors == []


def test_the_week_calendar_shows_sunday_inside_the_window_at_1280_px(demo, page, sign_in):
    errors = _console(page)
    sign_in(page, "manager")  # every account of the matrix: the widest calendar
    page.goto("/content/")
    boxes = page.evaluate("""() => {
        const wrap = document.querySelector('.table-wrap.calendar');
        const sunday = wrap.querySelector('thead th:last-child');
        const cells = [...wrap.querySelectorAll('tbody tr td:last-child')];
        return {viewport: window.innerWidth, wrap: wrap.getBoundingClientRect().right,
                sunday: sunday.getBoundingClientRect().right, cells: cells.map(c => c.getBoundingClientRect().right),
                scroll: wrap.scrollWidth - wrap.clientWidth, day: sunday.textContent};
    }""")
    assert page.viewport_size["width"] == 1280
    assert boxes["day"].startswith(("周日", "星期日")), boxes["day"]
    assert boxes["sunday"] <= boxes["wrap"] <= boxes["viewport"], boxes
    assert all(right <= boxes["wrap"] for right in boxes["cells"]), boxes
    assert boxes["scroll"] == 0, boxes  # nothing of the week is behind a scroll bar
    assert errors == []
