import pytest
from django.urls import reverse

from positioning import services

pytestmark = pytest.mark.django_db


def test_dashboard_tells_the_owner_what_needs_doing(demo, login):
    response = login(demo.people["operator"], language="en").get(reverse("reports:dashboard"))
    groups = response.context["attention"]
    # The operator manages only the yoghurt account they own; it has no playbook yet, and in the tests
    # (unlike make run) nothing has connected it to Weibo.
    assert [(g["message"], [a.name for a in g["accounts"]]) for g in groups] == [
        ("Not connected to Weibo.", ["鲜牧酸奶"]),
        ("No playbook yet: a stand-in would not know the rules.", ["鲜牧酸奶"])]
    assert [row.account.name for row in response.context["accounts"]] == ["鲜牧乳业", "鲜牧客服", "鲜牧酸奶"]


def test_dashboard_groups_a_large_matrix(demo, login):
    manager = demo.people["manager"]
    for n in range(20):
        services.account_create(by=manager, brand=demo.brand, name=f"网点{n:02d}", purpose="other")
    response = login(manager, language="en").get(reverse("reports:dashboard"))
    by_message = {g["message"]: g for g in response.context["attention"]}
    no_playbook = by_message["No playbook yet: a stand-in would not know the rules."]
    assert no_playbook["count"] == 22
    assert len(no_playbook["accounts"]) == 12
    assert no_playbook["more"] == 10
    assert by_message["No owner."]["count"] == 20
    assert "and 10 more" in response.content.decode()


def test_an_account_that_lost_its_weibo_authorisation_is_flagged_to_everyone_on_it(demo, login):
    from django.utils import timezone

    from positioning.models import WeiboConnection

    WeiboConnection.objects.create(account=demo.accounts["鲜牧乳业"], uid="5500000001", access_token="t",
                                   connected_at=timezone.now(), state="needs_reauth")
    response = login(demo.people["agent"], language="en").get(reverse("reports:dashboard"))
    messages = {g["message"] for g in response.context["attention"]}
    assert "Needs re-authorisation on Weibo: its posts, replies and monitoring are paused." not in messages  # no access
    response = login(demo.people["operator"], language="en").get(reverse("reports:dashboard"))
    by_message = {g["message"]: [a.name for a in g["accounts"]] for g in response.context["attention"]}
    assert by_message["Needs re-authorisation on Weibo: its posts, replies and monitoring are paused."] == ["鲜牧乳业"]


def test_departed_approvers_are_flagged(demo, login):
    reviewer = demo.people["reviewer"]
    reviewer.is_active = False
    reviewer.save(update_fields=["is_active"])
    response = login(demo.people["manager"], language="en").get(reverse("reports:dashboard"))
    messages = [g["message"] for g in response.context["attention"]]
    assert "Approvers who have left: 周婷（内容审核）" in messages


def test_department_contact_without_accounts_sees_an_honest_empty_dashboard(demo, login):
    page = login(demo.people["logistics"], language="en").get(reverse("reports:dashboard"))
    assert "You have no account yet" in page.content.decode()
    assert page.context["attention"] == []
