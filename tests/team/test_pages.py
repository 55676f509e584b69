import pytest
from django.urls import reverse

from team.models import AuditEvent, Department, Role, User

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese_by_default(client):
    page = client.get(reverse("login")).content.decode()
    assert '<html lang="zh-hans">' in page
    assert "登录" in page


def test_login_page_speaks_english_when_asked_there(client):
    client.post(reverse("team:language"), {"language": "en", "next": reverse("login")})
    page = client.get(reverse("login")).content.decode()
    assert "Sign in to Weibo operations" in page


@pytest.mark.parametrize("username", ["admin", "manager", "operator", "reviewer", "agent", "pr", "logistics"])
def test_every_demo_login_reaches_its_dashboard(demo, client, username):
    response = client.post(reverse("login"), {"username": username, "password": "weibo-demo-2026"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("reports:dashboard")
    assert response.context["user"].username == username
    assert str(demo.people[username]) in response.content.decode()


def test_repeated_wrong_passwords_lock_the_login(demo, client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        response = client.post(reverse("login"), {"username": "operator", "password": "wrong-password"})
    assert response.status_code == 429
    # Locked: even the right password is refused now.
    response = client.post(reverse("login"), {"username": "operator", "password": "weibo-demo-2026"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another name from the same address is not locked out.
    response = client.post(reverse("login"), {"username": "reviewer", "password": "weibo-demo-2026"})
    assert response.status_code == 302


def test_wrong_password_says_so(demo, client):
    client.post(reverse("team:language"), {"language": "en"})  # the login page's switch
    response = client.post(reverse("login"), {"username": "operator", "password": "nope"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()


def test_people_directory_and_manager_only_editing(demo, login):
    client = login(demo.people["operator"])
    page = client.get(reverse("team:people")).content.decode()
    assert "王敏（运营主管）" in page
    assert client.get(reverse("team:person_new")).status_code == 403
    assert client.get(reverse("team:audit")).status_code == 403
    assert client.post(reverse("team:departments"), {"name": "黑客部"}).status_code == 403
    assert not Department.objects.filter(name="黑客部").exists()


def test_manager_adds_a_person_with_field_errors_first(demo, login):
    client = login(demo.people["manager"], language="en")
    url = reverse("team:person_new")
    response = client.post(url, {"username": "newbie", "password": "123", "role": Role.OPERATOR, "is_active": "on"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert not User.objects.filter(username="newbie").exists()
    response = client.post(url, {"username": "newbie", "display_name": "新同事", "password": "milk-and-honey-77",
                                 "role": Role.OPERATOR, "is_active": "on",
                                 "department": Department.objects.get(name="微博运营部").pk})
    assert response.status_code == 302
    person = User.objects.get(username="newbie")
    assert person.check_password("milk-and-honey-77")
    assert AuditEvent.objects.filter(action="person.create", object_id=str(person.pk)).exists()


def test_only_an_admin_makes_an_admin(demo, login):
    client = login(demo.people["manager"])
    response = client.post(reverse("team:person_edit", args=[demo.people["operator"].pk]),
                           {"display_name": "x", "role": Role.ADMIN, "is_active": "on"})
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    assert User.objects.get(username="operator").role == Role.OPERATOR
    assert client.get(reverse("team:person_edit", args=[demo.people["admin"].pk])).status_code == 403


def test_department_edit_with_bad_email(demo, login):
    client = login(demo.people["manager"])
    department = Department.objects.get(name="法务部")
    response = client.post(reverse("team:department_edit", args=[department.pk]),
                           {"name": "法务部", "contact_email": "not-an-email"})
    assert response.status_code == 200
    assert "contact_email" in response.context["form"].errors
    department.refresh_from_db()
    assert department.contact_email == "legal@xianmu.example"


def test_audit_log_lists_changes(demo, login):
    page = login(demo.people["manager"]).get(reverse("team:audit"), {"action": "playbook"}).content.decode()
    assert "鲜牧乳业 v1" in page
    assert "鲜牧华东" not in page


def test_api_token_is_shown_once_and_stored_hashed(demo, login, api):
    from knox.models import AuthToken

    client = login(demo.people["operator"])
    response = client.post(reverse("team:tokens"))
    token = response.context["new_token"]
    assert len(token) >= 40
    stored = AuthToken.objects.get(user=demo.people["operator"])
    assert token not in (stored.digest, stored.token_key)
    assert token not in client.get(reverse("team:tokens")).content.decode()
    from rest_framework.test import APIClient

    caller = APIClient()
    caller.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert caller.get("/api/v1/positioning/accounts/").data["count"] == 3
    assert stored.digest[:12] in client.get(reverse("team:tokens")).content.decode()
    client.post(reverse("team:token_revoke", args=[stored.digest[:12]]))
    assert caller.get("/api/v1/positioning/accounts/").status_code == 401


def test_lockout_behind_a_proxy_is_per_client_address(demo, client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(3):
        client.post(reverse("login"), {"username": "operator", "password": "wrong"},
                    HTTP_X_FORWARDED_FOR="203.0.113.7", REMOTE_ADDR="10.0.0.1")
    locked = client.post(reverse("login"), {"username": "operator", "password": "weibo-demo-2026"},
                         HTTP_X_FORWARDED_FOR="203.0.113.7", REMOTE_ADDR="10.0.0.1")
    assert locked.status_code == 429
    # The same person from another client address behind the same proxy is not locked out.
    other = client.post(reverse("login"), {"username": "operator", "password": "weibo-demo-2026"},
                        HTTP_X_FORWARDED_FOR="198.51.100.2", REMOTE_ADDR="10.0.0.1")
    assert other.status_code == 302


def test_people_change_their_own_password(demo, login):
    client = login(demo.people["operator"], language="en")
    response = client.post(reverse("password_change"), {
        "old_password": "weibo-demo-2026", "new_password1": "short", "new_password2": "short"},
        HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "new_password2" in response.context["form"].errors
    new = "fresh-milk-every-day"
    response = client.post(reverse("password_change"), {
        "old_password": "weibo-demo-2026", "new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert User.objects.get(username="operator").check_password("fresh-milk-every-day")
