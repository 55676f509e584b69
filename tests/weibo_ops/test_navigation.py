"""The duty menu shows each person only the pages they may open (issue 15, §2)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _menu(response) -> list[tuple[str, str | None]]:
    return [(item["key"], item["url"]) for item in response.context["nav_duties"]]


@pytest.mark.parametrize("username", ["manager", "operator", "reviewer", "agent", "pr", "logistics"])
def test_every_menu_entry_shown_opens(demo, login, username):
    client = login(demo.people[username])
    page = client.get(reverse("reports:dashboard"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    shown = [(key, url) for key, url in _menu(page) if url]
    assert shown, "everyone sees at least one duty"
    answers = {key: client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").status_code for key, url in shown}
    assert answers == {key: 200 for key, _url in shown}


def test_a_department_contact_is_not_offered_monitoring(demo, login):
    page = login(demo.people["logistics"]).get(reverse("reports:dashboard"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "sentiment" not in [key for key, _url in _menu(page)]
    assert reverse("sentiment:overview") not in page.content.decode()
    page = login(demo.people["pr"]).get(reverse("reports:dashboard"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert ("sentiment", reverse("sentiment:overview")) in _menu(page)
