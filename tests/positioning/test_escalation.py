"""Someone who may manage one account must not be able to widen their own power through it."""

import pytest

from positioning.models import Account, AccountMember, Brand, PlaybookVersion
from team.models import User

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/v1/positioning/accounts/"


@pytest.fixture
def owner_client(demo, api):
    """The operator owns 鲜牧酸奶: they may manage it, but are not a manager."""
    return api(demo.people["operator"]), demo.accounts["鲜牧酸奶"]


@pytest.mark.parametrize("change", [
    {"owner": "pr"}, {"is_active": False}, {"brand": "other"},
])
def test_an_owner_cannot_change_owner_brand_or_activity(demo, owner_client, change):
    client, account = owner_client
    other = Brand.objects.create(name="别的品牌")
    values = {"owner": demo.people["pr"].pk, "is_active": False, "brand": other.pk}
    key = next(iter(change))
    response = client.patch(f"{ACCOUNTS}{account.pk}/", {key: values[key]}, format="json")
    assert response.status_code == 403
    account.refresh_from_db()
    assert (account.owner.username, account.is_active, account.brand.name) == ("operator", True, "鲜牧乳业")


def test_an_owner_still_edits_the_rest(owner_client):
    client, account = owner_client
    response = client.patch(f"{ACCOUNTS}{account.pk}/", {"tone_of_voice": "更俏皮"}, format="json")
    assert response.status_code == 200
    assert Account.objects.get(pk=account.pk).tone_of_voice == "更俏皮"


def test_the_owner_edit_page_has_no_owner_brand_or_active_fields(demo, login):
    account = demo.accounts["鲜牧酸奶"]
    form = login(demo.people["operator"]).get(f"/positioning/accounts/{account.pk}/edit/").context["form"]
    assert {"brand", "owner", "is_active"}.isdisjoint(form.fields)
    form = login(demo.people["manager"]).get(f"/positioning/accounts/{account.pk}/edit/").context["form"]
    assert {"brand", "owner", "is_active"} <= set(form.fields)


def test_an_owner_cannot_grant_approve_or_manage_or_change_their_own_access(demo, owner_client):
    client, account = owner_client
    members = f"{ACCOUNTS}{account.pk}/members/"
    reviewer, agent, logistics = (demo.people[u] for u in ["reviewer", "agent", "logistics"])
    assert client.post(members, {"user": agent.pk, "permissions": ["manage"]}, format="json").status_code == 403
    assert client.post(members, {"user": agent.pk, "permissions": ["approve"]}, format="json").status_code == 403
    # The reviewer's grant carries approve: only a manager may change or remove it.
    assert client.post(members, {"user": reviewer.pk, "permissions": []}, format="json").status_code == 403
    assert client.delete(f"{members}{reviewer.pk}/").status_code == 403
    assert AccountMember.objects.get(account=account, user=reviewer).can_approve
    # Beyond the person's role: a department contact does not publish.
    assert client.post(members, {"user": logistics.pk, "permissions": ["publish"]}, format="json").status_code == 403
    # Their own access.
    operator = demo.people["operator"]
    assert client.post(members, {"user": operator.pk, "permissions": ["reply"]}, format="json").status_code == 403
    # Everyday rights of the person's role are fine.
    response = client.post(members, {"user": agent.pk, "permissions": ["reply"]}, format="json")
    assert response.status_code == 200
    assert client.delete(f"{members}{agent.pk}/").status_code == 204


def test_a_refused_grant_on_the_page_says_why(demo, login):
    account = demo.accounts["鲜牧酸奶"]
    client = login(demo.people["operator"], language="en")
    response = client.post(f"/positioning/accounts/{account.pk}/members/",
                           {"user": demo.people["agent"].pk, "actions": ["approve"]}, follow=True,
                           HTTP_ACCEPT_LANGUAGE="en")
    assert "Only a manager can give or take the “approve” permission." in response.content.decode()
    assert not AccountMember.objects.filter(account=account, user=demo.people["agent"]).exists()


def test_playbook_approvers_must_be_allowed_to_approve(demo, api):
    account = demo.accounts["鲜牧乳业"]
    client = api(demo.people["manager"], language="en")
    url = f"{ACCOUNTS}{account.pk}/playbooks/"
    response = client.post(url, {"approvers": [demo.people["logistics"].pk]}, format="json",
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "孙悦（物流对接人） may not approve on 鲜牧乳业" in response.data["approvers"][0]
    response = client.post(url, {"approval_required": True, "approvers": []}, format="json")
    assert response.status_code == 400
    assert "approvers" in response.data
    assert PlaybookVersion.objects.filter(account=account).count() == 1


def test_the_playbook_form_offers_only_people_who_may_approve(demo, login):
    account = demo.accounts["鲜牧乳业"]
    form = login(demo.people["manager"]).get(f"/positioning/accounts/{account.pk}/playbook/edit/").context["form"]
    offered = {u.username for u in form.fields["approvers"].queryset}
    assert offered == {"admin", "manager", "reviewer", "pr"}


def test_on_an_inactive_account_members_may_only_look(demo, api):
    account = demo.accounts["鲜牧乳业"]
    api(demo.people["manager"]).patch(f"{ACCOUNTS}{account.pk}/", {"is_active": False}, format="json")
    operator = User.objects.get(username="operator")
    response = api(operator).get(f"{ACCOUNTS}{account.pk}/")
    assert response.status_code == 200
    assert response.data["my_permissions"] == ["view"]
    assert api(operator).patch(f"{ACCOUNTS}{account.pk}/", {"tone_of_voice": "x"}, format="json").status_code == 403


def test_creating_is_refused_before_the_body_is_read(demo, api):
    response = api(demo.people["operator"]).post(ACCOUNTS, {"brand": demo.brand.pk, "name": "鲜牧客服"}, format="json")
    assert response.status_code == 403
