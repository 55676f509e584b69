import pytest

from positioning.models import AccountMember, PlaybookVersion

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/v1/positioning/accounts/"


def test_account_list_is_what_the_caller_may_see(demo, api):
    response = api(demo.people["operator"]).get(ACCOUNTS)
    assert response.status_code == 200
    assert response.data["count"] == 3
    assert {a["name"] for a in response.data["results"]} == {"鲜牧乳业", "鲜牧客服", "鲜牧酸奶"}
    brand_voice = next(a for a in response.data["results"] if a["name"] == "鲜牧乳业")
    assert brand_voice["my_permissions"] == ["draft", "publish", "reply", "view"]


def test_account_list_filters(demo, api):
    response = api(demo.people["manager"]).get(ACCOUNTS, {"purpose": "region"})
    assert [a["name"] for a in response.data["results"]] == ["鲜牧华东"]


def test_reading_an_account_without_permission_is_403(demo, api):
    response = api(demo.people["operator"]).get(f"{ACCOUNTS}{demo.accounts['鲜牧华东'].pk}/")
    assert response.status_code == 403
    assert "鲜牧华东" in str(response.data["detail"])


def test_anonymous_is_401_with_the_scheme_to_use(demo, api):
    response = api().get(ACCOUNTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_updating_needs_manage(demo, api):
    account = demo.accounts["鲜牧乳业"]
    assert api(demo.people["operator"]).patch(f"{ACCOUNTS}{account.pk}/", {"tone_of_voice": "x"}).status_code == 403
    response = api(demo.people["manager"]).patch(f"{ACCOUNTS}{account.pk}/", {"tone_of_voice": "更亲切"}, format="json")
    assert response.status_code == 200
    assert response.data["tone_of_voice"] == "更亲切"


def test_creating_an_account_reports_field_errors(demo, api):
    client = api(demo.people["manager"], language="en")
    response = client.post(ACCOUNTS, {"brand": demo.brand.pk, "name": "", "purpose": "region"}, format="json",
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert set(response.data) >= {"name"}
    response = client.post(ACCOUNTS, {"brand": demo.brand.pk, "name": "鲜牧华南", "purpose": "region"},
                           format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.data["region"] == ["A regional account needs its region."]
    response = client.post(ACCOUNTS, {"brand": demo.brand.pk, "name": "鲜牧客服", "purpose": "other"},
                           format="json")
    assert response.status_code == 400  # the unique name, caught before anything is stored
    response = client.post(ACCOUNTS, {"brand": demo.brand.pk, "name": "鲜牧华南", "purpose": "region",
                                      "region": "广东"}, format="json")
    assert response.status_code == 201
    assert response.data["name_is_ideal_length"] is True


def test_operators_cannot_create_accounts(demo, api):
    response = api(demo.people["operator"]).post(
        ACCOUNTS, {"brand": demo.brand.pk, "name": "鲜牧华南", "purpose": "other"}, format="json")
    assert response.status_code == 403


def test_playbook_versions_over_the_api(demo, api):
    account = demo.accounts["鲜牧乳业"]
    client = api(demo.people["manager"])
    url = f"{ACCOUNTS}{account.pk}/playbooks/"
    response = client.post(url, {"time_slots": ["09:00", "18:00"], "change_note": "via API"}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["number"] == 2
    assert response.data["content_mix"][0] == {"pillar": "品牌故事", "per_day": 1}
    current = client.get(f"{url}current/").data
    assert current["number"] == 2
    assert current["time_slots"] == ["09:00", "18:00"]
    listing = client.get(url).data
    assert [v["number"] for v in listing["results"]] == [2, 1]


def test_bad_playbook_over_the_api_is_400_with_field_errors(demo, api):
    account = demo.accounts["鲜牧乳业"]
    response = api(demo.people["manager"], language="en").post(
        f"{ACCOUNTS}{account.pk}/playbooks/",
        {"time_slots": ["8 o'clock"], "content_mix": [{"pillar": "产品", "per_day": 0}], "reply_within_hours": 0},
        format="json", HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert set(response.data) == {"time_slots", "content_mix", "reply_within_hours"}
    assert PlaybookVersion.objects.filter(account=account).count() == 1


def test_playbooks_need_manage_to_write_and_view_to_read(demo, api):
    account = demo.accounts["鲜牧华东"]
    client = api(demo.people["operator"])
    assert client.get(f"{ACCOUNTS}{account.pk}/playbooks/").status_code == 403
    assert client.post(f"{ACCOUNTS}{account.pk}/playbooks/", {}, format="json").status_code == 403
    assert api(demo.people["manager"]).get(f"{ACCOUNTS}{account.pk}/playbooks/current/").status_code == 404


def test_members_over_the_api(demo, api):
    account = demo.accounts["鲜牧华东"]
    client = api(demo.people["manager"])
    agent = demo.people["agent"]
    response = client.post(f"{ACCOUNTS}{account.pk}/members/", {"user": agent.pk, "permissions": ["reply"]},
                           format="json")
    assert response.status_code == 200
    grant = AccountMember.objects.get(account=account, user=agent)
    assert (grant.can_reply, grant.can_draft) == (True, False)
    bad = client.post(f"{ACCOUNTS}{account.pk}/members/", {"user": agent.pk, "permissions": ["fly"]}, format="json")
    assert bad.status_code == 400
    assert "permissions" in bad.data
    assert client.delete(f"{ACCOUNTS}{account.pk}/members/{agent.pk}/").status_code == 204
    assert client.delete(f"{ACCOUNTS}{account.pk}/members/{agent.pk}/").status_code == 404


def test_account_list_query_count_is_flat(demo, api, django_assert_max_num_queries):
    from positioning import services

    manager = demo.people["manager"]
    for n in range(25):
        services.account_create(by=manager, brand=demo.brand, name=f"门店{n}", purpose="other")
    client = api(manager)
    with django_assert_max_num_queries(6 + 2):  # +2: the session and the person signed in
        assert client.get(ACCOUNTS, {"page_size": 50}).status_code == 200
