"""The tool speaks each person's chosen language, stored on the person, Chinese by default; the browser's
Accept-Language is not consulted (issue 15: an English browser opened the Chinese team's tool in English)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from team.services import api_token_create

pytestmark = pytest.mark.django_db

ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}
CHINESE_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
PAGES = ["reports:dashboard", "team:people", "content:calendar", "fans:inbox", "positioning:matrix"]


def page_language(response) -> str:
    assert response.status_code == 200, response
    html = response.content.decode()
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_an_english_browser_gets_chinese_pages_by_default(demo, login):
    client = login(demo.people["manager"])
    for name in PAGES:
        response = client.get(reverse(name), **ENGLISH_BROWSER)
        assert page_language(response) == "zh-hans", name
    assert "工作板块" in client.get(reverse("reports:dashboard"), **ENGLISH_BROWSER).content.decode()
    assert demo.people["manager"].language == "zh-hans"


def test_the_login_page_is_chinese_on_an_english_browser_until_english_is_chosen_there(client):
    page = client.get(reverse("login"), **ENGLISH_BROWSER)
    assert page_language(page) == "zh-hans"
    assert "登录微博运营" in page.content.decode()
    chosen = client.post(reverse("team:language"), {"language": "en", "next": reverse("login")})
    assert (chosen.status_code, chosen.url) == (302, reverse("login"))
    assert chosen.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get(reverse("login"), **CHINESE_BROWSER)
    assert page_language(page) == "en"
    assert "Sign in to Weibo operations" in page.content.decode()


def test_choosing_english_in_the_header_is_kept_on_every_page_and_in_the_next_session(demo, login):
    manager = demo.people["manager"]
    client = login(manager)
    switched = client.post(reverse("team:language"), {"language": "en", "next": reverse("team:people")})
    assert (switched.status_code, switched.url) == (302, reverse("team:people"))
    manager.refresh_from_db()
    assert manager.language == "en"
    for name in PAGES:
        assert page_language(client.get(reverse(name), **CHINESE_BROWSER)) == "en", name
    # Another device: a new session, no language cookie, a Chinese browser; still English.
    client.logout()
    elsewhere = Client()
    elsewhere.force_login(manager, backend="django.contrib.auth.backends.ModelBackend")
    response = elsewhere.get(reverse("reports:dashboard"), **CHINESE_BROWSER)
    assert page_language(response) == "en"
    assert "Duties" in response.content.decode()
    # And back: the choice is the person's, whatever the browser.
    client = login(manager)
    client.post(reverse("team:language"), {"language": "zh-hans", "next": "/"})
    assert page_language(client.get(reverse("team:people"), **ENGLISH_BROWSER)) == "zh-hans"


def test_the_api_answers_in_the_persons_language_whatever_the_browser(demo):
    manager = demo.people["manager"]
    _instance, token = api_token_create(user=manager)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    url = "/api/v1/team/departments/"
    chinese = client.post(url, {"name": ""}, format="json", **ENGLISH_BROWSER)
    assert chinese.status_code == 400
    assert chinese.data["name"] == ["该字段不能为空。"]
    manager.language = "en"
    manager.save(update_fields=["language"])
    english = client.post(url, {"name": ""}, format="json", **CHINESE_BROWSER)
    assert english.data["name"] == ["This field may not be blank."]
    assert english["Content-Language"] == "en"


def test_an_unknown_language_is_refused_and_nothing_changes(demo, login):
    manager = demo.people["manager"]
    client = login(manager)
    response = client.post(reverse("team:language"), {"language": "fr", "next": "/"})
    assert response.status_code == 400
    manager.refresh_from_db()
    assert manager.language == "zh-hans"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_switch_returns_only_to_this_site(demo, login):
    client = login(demo.people["manager"])
    response = client.post(reverse("team:language"), {"language": "en", "next": "https://evil.example/"})
    assert (response.status_code, response.url) == (302, "/")


def test_the_login_page_labels_the_password_field_password(client):
    page = client.get(reverse("login")).content.decode()
    assert '<label for="id_password">密码:</label>' in page
    assert "修改密码" not in page
