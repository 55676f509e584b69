"""Connecting a matrix account to Weibo through the OAuth pages, losing the authorisation, getting it back."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from django.urls import reverse

from positioning.models import ConnectionState, WeiboConnection
from positioning.weibo import account_client, weibo_connection_check
from team.models import AuditEvent, Notice
from weibo_ops.weibo.errors import NeedsReauthorisation

pytestmark = pytest.mark.embedded  # token refresh under a row lock

BRAND_UID = "5500000001"


def consent(sandbox, authorize_url: str, *, uid: str = BRAND_UID, action: str = "allow") -> str:
    """What the person does on Weibo's consent page; returns where Weibo sends the browser back."""
    form = {k: v[0] for k, v in parse_qs(urlparse(authorize_url).query).items()} | {"uid": uid, "action": action}
    answer = httpx.post(f"{sandbox.url}/oauth2/authorize", data=form)
    assert answer.status_code == 302, answer.text
    back = urlparse(answer.headers["location"])
    return f"{back.path}?{back.query}"


def connect(client, sandbox, account, **kwargs):
    start = client.post(reverse("positioning:weibo_connect", args=[account.pk]))
    assert start.status_code == 302 and start.url.startswith(f"{sandbox.url}/oauth2/authorize?")
    return client.get(consent(sandbox, start.url, **kwargs), follow=True)


@pytest.fixture
def brand(demo):
    return demo.accounts["鲜牧乳业"]


def test_connect_binds_the_verified_token_to_the_account(client, login, demo, weibo, brand):
    login(demo.people["manager"])
    page = connect(client, weibo, brand)
    assert "鲜牧乳业 is connected to Weibo" in page.content.decode() or "已连接" in page.content.decode()
    connection = WeiboConnection.objects.get(account=brand)
    assert (connection.state, connection.uid, connection.screen_name) == ("connected", BRAND_UID, "鲜牧乳业")
    assert connection.connected_by == demo.people["manager"] and connection.expires_at
    brand.refresh_from_db()
    assert brand.weibo_uid == BRAND_UID
    assert AuditEvent.objects.filter(action="account.weibo_connect", account_id=brand.pk).exists()
    body = client.get(reverse("positioning:account", args=[brand.pk])).content.decode()
    assert 'data-weibo-state="connected"' in body and 'data-budget="posts"' in body


def test_a_callback_without_our_state_binds_nothing(client, login, demo, weibo, brand):
    login(demo.people["manager"])
    page = client.get(reverse("positioning:weibo_callback"), {"code": "abc", "state": "forged"}, follow=True)
    assert "state" in page.content.decode()
    assert not WeiboConnection.objects.exists()


def test_a_state_cannot_be_used_twice(client, login, demo, weibo, brand):
    login(demo.people["manager"])
    start = client.post(reverse("positioning:weibo_connect", args=[brand.pk]))
    back = consent(weibo, start.url)
    client.get(back)
    WeiboConnection.objects.all().delete()
    client.get(back)
    assert not WeiboConnection.objects.exists()


def test_denying_on_weibo_changes_nothing(client, login, demo, weibo, brand):
    login(demo.people["manager"])
    page = connect(client, weibo, brand, action="deny")
    assert page.status_code == 200 and not WeiboConnection.objects.exists()


def test_authorising_the_wrong_weibo_user_is_refused(client, login, demo, weibo, brand):
    brand.weibo_uid = "5500000003"
    brand.save(update_fields=["weibo_uid"])
    login(demo.people["manager"])
    page = connect(client, weibo, brand)
    assert "5500000003" in page.content.decode() and not WeiboConnection.objects.exists()


def test_only_people_who_manage_the_account_may_connect_it(client, login, demo, weibo, brand):
    login(demo.people["agent"])
    assert client.post(reverse("positioning:weibo_connect", args=[brand.pk])).status_code in (403, 404)
    login(demo.people["manager"])
    start = client.post(reverse("positioning:weibo_connect", args=[brand.pk]))
    back = consent(weibo, start.url)
    client.logout()
    login(demo.people["agent"])  # a callback for someone else's state
    client.get(back)
    assert not WeiboConnection.objects.exists()


def test_a_revoked_token_is_announced_once_pauses_the_account_and_reconnecting_clears_it(
        client, login, demo, weibo, brand):
    login(demo.people["manager"])
    connect(client, weibo, brand)
    client_for_jobs = account_client(account=brand)
    weibo.admin("POST", "/_sandbox/tokens/revoke", {"uid": BRAND_UID})
    with pytest.raises(NeedsReauthorisation):
        client_for_jobs.user(uid=BRAND_UID)  # a job's call finds out
    with pytest.raises(NeedsReauthorisation):
        client_for_jobs.user(uid=BRAND_UID)  # and so does the next one
    weibo_connection_check(account=brand)  # and the periodic check
    connection = WeiboConnection.objects.get(account=brand)
    assert connection.state == ConnectionState.NEEDS_REAUTH and "21332" in connection.problem
    owner = brand.owner or demo.people["manager"]
    assert Notice.objects.filter(kind="weibo_reauth", account_id=brand.pk).count() == 1
    assert Notice.objects.get(kind="weibo_reauth").recipient == owner
    seen = len(weibo.admin("GET", "/_sandbox/requests?limit=500"))
    with pytest.raises(NeedsReauthorisation):
        account_client(account=brand)  # jobs are paused: Weibo is not even called
    assert len(weibo.admin("GET", "/_sandbox/requests?limit=500")) == seen
    body = client.get(reverse("positioning:account", args=[brand.pk])).content.decode()
    assert 'data-weibo-state="needs_reauth"' in body

    connect(client, weibo, brand)
    connection.refresh_from_db()
    assert connection.state == ConnectionState.CONNECTED and connection.problem == "" and connection.generation == 2
    account_client(account=brand).user(uid=BRAND_UID)
    weibo.admin("POST", "/_sandbox/tokens/expire", {"uid": BRAND_UID})
    weibo_connection_check(account=brand)
    assert Notice.objects.filter(kind="weibo_reauth", account_id=brand.pk).count() == 2  # a new loss, told again


def test_disconnect_forgets_the_token(client, login, demo, weibo, brand):
    login(demo.people["manager"])
    connect(client, weibo, brand)
    client.post(reverse("positioning:weibo_disconnect", args=[brand.pk]))
    connection = WeiboConnection.objects.get(account=brand)
    assert connection.state == ConnectionState.DISCONNECTED and connection.access_token == ""
    with pytest.raises(NeedsReauthorisation, match="尚未连接微博"):
        account_client(account=brand)


def test_the_api_shows_the_connection_and_budget_but_never_the_token(api, demo, login, client, weibo, brand):
    login(demo.people["manager"])
    connect(client, weibo, brand)
    account_client(account=brand).user(uid=BRAND_UID)
    answer = api(demo.people["manager"]).get(f"/api/v1/positioning/accounts/{brand.pk}/weibo/")
    assert answer.status_code == 200
    data = answer.json()
    assert data["state"] == "connected" and data["uid"] == BRAND_UID
    assert data["budget"]["calls"]["used"] >= 1 and data["budget"]["posts"] == {
        "used": 0, "limit": 30, "remaining": 30, "blocked_until": None}
    assert "token" not in answer.content.decode().lower()
    outsider = api(demo.people["logistics"]).get(f"/api/v1/positioning/accounts/{brand.pk}/weibo/")
    assert outsider.status_code in (403, 404)


def test_platform_text_reaches_the_page_escaped(client, login, demo, brand):
    from django.utils import timezone

    WeiboConnection.objects.create(account=brand, uid="5500000001", access_token="t", connected_at=timezone.now(),
                                   state=ConnectionState.NEEDS_REAUTH, screen_name="<script>alert(1)</script>",
                                   problem='21332 <img src=x onerror="alert(2)">', problem_at=timezone.now())
    login(demo.people["manager"])
    body = client.get(reverse("positioning:account", args=[brand.pk])).content.decode()
    assert "<img src=x" not in body and "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in body
    notices = client.get(reverse("team:notices")).content.decode()
    assert "<script>alert(1)" not in notices


def test_a_blocked_server_or_account_alerts_managers_once_a_day(client, login, demo, weibo, brand):
    from weibo_ops.weibo.errors import Blocked

    login(demo.people["manager"])
    connect(client, weibo, brand)
    faults = [{"kind": "code", "code": 10004}, {"kind": "code", "code": 20015}]
    weibo.admin("POST", "/_sandbox/faults", {"once": faults})
    for _ in range(2):
        with pytest.raises(Blocked):
            account_client(account=brand).user(uid=BRAND_UID)
    alerts = Notice.objects.filter(kind="weibo_blocked", account_id=brand.pk)
    assert {n.recipient.username for n in alerts} == {"manager", "admin"}
    assert "10004" in alerts.first().body


def test_a_job_failing_on_the_old_token_does_not_undo_a_reconnection(client, login, demo, weibo, brand):
    login(demo.people["manager"])
    connect(client, weibo, brand)
    stale = account_client(account=brand)  # a job holding the first token
    weibo.admin("POST", "/_sandbox/tokens/revoke", {"uid": BRAND_UID})
    weibo_connection_check(account=brand)
    connect(client, weibo, brand)  # the owner reconnects: a new token
    with pytest.raises(NeedsReauthorisation):
        stale.user(uid=BRAND_UID)  # the old job fails on the old token afterwards
    assert WeiboConnection.objects.get(account=brand).state == ConnectionState.CONNECTED
    assert Notice.objects.filter(kind="weibo_reauth").count() == 1
    account_client(account=brand).user(uid=BRAND_UID)


def test_one_weibo_user_cannot_be_two_matrix_accounts(client, login, demo, weibo, brand):
    login(demo.people["manager"])
    connect(client, weibo, brand)
    page = connect(client, weibo, demo.accounts["鲜牧酸奶"])  # consenting as 鲜牧乳业 again
    assert "5500000001" in page.content.decode()
    assert not WeiboConnection.objects.filter(account=demo.accounts["鲜牧酸奶"]).exists()


def test_disconnect_revokes_the_token_on_weibo(client, login, demo, weibo, brand):
    login(demo.people["manager"])
    connect(client, weibo, brand)
    token = WeiboConnection.objects.get(account=brand).access_token
    page = client.post(reverse("positioning:weibo_disconnect", args=[brand.pk]), follow=True)
    assert WeiboConnection.objects.get(account=brand).state == ConnectionState.DISCONNECTED
    # The token no longer works at Weibo, for anyone who kept a copy.
    answer = httpx.post(f"{weibo.url}/oauth2/get_token_info", data={"access_token": token})
    assert answer.json()["error_code"] == 21332
    event = AuditEvent.objects.get(action="account.weibo_disconnect", account_id=brand.pk)
    assert event.changes["revoked_on_weibo"] is True and event.changes["revoke_problem"] == ""
    assert page.status_code == 200


def test_disconnect_without_weibo_still_happens_and_says_what_to_do(client, login, demo, weibo, brand, settings):
    login(demo.people["manager"], language="en")
    connect(client, weibo, brand)
    token = WeiboConnection.objects.get(account=brand).access_token
    settings.WEIBO_API_URL = "http://127.0.0.1:9"  # nothing listens there: the platform is unreachable
    settings.LANGUAGE_CODE = "en"
    page = client.post(reverse("positioning:weibo_disconnect", args=[brand.pk]), follow=True,
                       HTTP_ACCEPT_LANGUAGE="en")
    connection = WeiboConnection.objects.get(account=brand)
    assert connection.state == ConnectionState.DISCONNECTED and connection.access_token == ""
    body = page.content.decode()
    assert "Weibo could not revoke its authorisation (connection failed (ConnectError))" in body
    assert "Authorised apps" in body
    event = AuditEvent.objects.get(action="account.weibo_disconnect", account_id=brand.pk)
    assert event.changes["revoked_on_weibo"] is False
    assert event.changes["revoke_problem"] == "connection failed (ConnectError)"
    settings.WEIBO_API_URL = weibo.url
    info = httpx.post(f"{weibo.url}/oauth2/get_token_info", data={"access_token": token})
    assert info.status_code == 200  # alive at Weibo, as the person was told


def test_owner_and_managers_are_warned_once_days_before_the_token_expires(client, login, demo, weibo, brand,
                                                                         settings):
    from datetime import timedelta

    from django.utils import timezone

    from positioning.tasks import weibo_tokens_expiry_warn

    settings.WEIBO_TOKEN_EXPIRY_WARN_DAYS = 3
    login(demo.people["manager"])
    connect(client, weibo, brand)
    connection = WeiboConnection.objects.get(account=brand)
    connection.expires_at = timezone.now() + timedelta(days=5, hours=1)
    connection.save(update_fields=["expires_at"])
    assert weibo_tokens_expiry_warn() == 0  # not yet
    body = client.get(reverse("positioning:account", args=[brand.pk])).content.decode()
    assert 'data-expires-in="5"' in body
    connection.expires_at = timezone.now() + timedelta(days=2, hours=1)
    connection.save(update_fields=["expires_at"])
    assert weibo_tokens_expiry_warn() == 1
    assert weibo_tokens_expiry_warn() == 0  # every later beat tick: nobody is told twice
    warned = Notice.objects.filter(kind="weibo_expiry", account_id=brand.pk)
    recipients = {n.recipient for n in warned}
    assert demo.people["manager"] in recipients and demo.people["agent"] not in recipients
    if brand.owner_id:
        assert brand.owner in recipients
    assert warned.count() == len(recipients)
    body = client.get(reverse("positioning:account", args=[brand.pk])).content.decode()
    assert 'data-expires-in="2"' in body
    connect(client, weibo, brand)  # a new token (generation 2) ...
    connection.refresh_from_db()
    WeiboConnection.objects.filter(pk=connection.pk).update(expires_at=timezone.now() + timedelta(days=1))
    assert weibo_tokens_expiry_warn() == 1  # ... is a new warning


def test_the_expiry_warning_runs_on_beat(settings):
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "positioning.weibo_tokens_expiry_warn"]
    assert len(entries) == 1


def test_an_app_level_refusal_alerts_managers_once_per_code_while_open(client, login, demo, weibo, brand):
    from weibo_ops.weibo.errors import AppRefused

    login(demo.people["manager"])
    connect(client, weibo, brand)
    weibo.admin("POST", "/_sandbox/faults", {"once": [{"kind": "code", "code": 10014}] * 3
                                             + [{"kind": "code", "code": 21321}]})
    for _ in range(4):
        with pytest.raises(AppRefused):
            account_client(account=brand).user(uid=BRAND_UID)
    alerts = Notice.objects.filter(kind="weibo_app")
    assert sorted((n.recipient.username, n.dedupe_key) for n in alerts) == [
        ("admin", "weibo_app:10014:1"), ("admin", "weibo_app:21321:1"),
        ("manager", "weibo_app:10014:1"), ("manager", "weibo_app:21321:1")]
    assert "open.weibo.com" in alerts.get(recipient__username="manager", dedupe_key="weibo_app:10014:1").body
    Notice.objects.filter(recipient=demo.people["manager"]).update(read_at=timezone_now())  # the manager closes it
    weibo.admin("POST", "/_sandbox/faults", {"once": [{"kind": "code", "code": 10014}]})
    with pytest.raises(AppRefused):
        account_client(account=brand).user(uid=BRAND_UID)
    assert Notice.objects.filter(kind="weibo_app", recipient=demo.people["manager"]).count() == 3  # told again
    assert Notice.objects.filter(kind="weibo_app", recipient=demo.people["admin"]).count() == 2  # still open


def timezone_now():
    from django.utils import timezone

    return timezone.now()
