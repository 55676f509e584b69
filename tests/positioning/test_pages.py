import pytest
from django.urls import reverse

from positioning.models import Account, PlaybookVersion

pytestmark = pytest.mark.django_db


def test_matrix_lists_only_the_accounts_a_person_may_see(demo, login):
    page = login(demo.people["operator"]).get(reverse("positioning:matrix")).content.decode()
    for name in ["鲜牧乳业", "鲜牧客服", "鲜牧酸奶"]:
        assert f">{name}</a>" in page
    assert "鲜牧华东" not in page


def test_account_page_without_permission_is_a_403_page(demo, login):
    client = login(demo.people["operator"])
    response = client.get(reverse("positioning:account", args=[demo.accounts["鲜牧华东"].pk]))
    assert response.status_code == 403
    assert "鲜牧华东" in response.content.decode()  # the page says which account and what to do
    assert response.templates[0].name == "403.html"


def test_unknown_account_is_404(demo, login):
    assert login(demo.people["manager"]).get(reverse("positioning:account", args=[99999])).status_code == 404


def test_viewing_is_not_editing(demo, login):
    client = login(demo.people["reviewer"])
    account = demo.accounts["鲜牧乳业"]
    assert client.get(reverse("positioning:account", args=[account.pk])).status_code == 200
    assert client.get(reverse("positioning:playbook_edit", args=[account.pk])).status_code == 403
    response = client.post(reverse("positioning:account_edit", args=[account.pk]), {"name": "被改了"})
    assert response.status_code == 403
    assert Account.objects.get(pk=account.pk).name == "鲜牧乳业"


def test_signed_out_people_are_sent_to_sign_in(demo, client):
    response = client.get(reverse("positioning:matrix"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_name_check_warns_outside_three_to_five_characters(demo, login):
    client = login(demo.people["manager"], language="en")
    url = reverse("positioning:name_check")
    assert "warning" not in client.get(url, {"name": "鲜牧乳业"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    page = client.get(url, {"name": "鲜牧乳业华东区域官方"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "has 10 characters" in page
    assert "3 to 5" in page


def post_playbook(client, account, **fields):
    """The playbook form as a manager submits it, in English, with ``fields`` over the defaults."""
    data = {"approval_required": "on", "approval_mode": "any", "approval_target_minutes": "30",
            "reply_within_hours": "2", "resolve_within_hours": "24", **fields}
    return client.post(reverse("positioning:playbook_edit", args=[account.pk]), data, HTTP_ACCEPT_LANGUAGE="en")


def test_playbook_form_publishes_a_new_version_shown_on_the_handover_page(demo, login):
    client = login(demo.people["manager"], language="en")
    account = demo.accounts["鲜牧乳业"]
    response = post_playbook(
        client, account, change_note="晚间加一条", content_mix="品牌故事: 1\n产品资讯: 2", time_slots="08:30, 21:00",
        reply_within_hours="1", interaction_rules="每条都回", escalation_rules="投诉转客服", forbidden_words="最好",
        approvers=[demo.people["reviewer"].pk], approval_target_minutes="20",
    )
    assert response.status_code == 302
    version = PlaybookVersion.objects.get(account=account, number=2)
    assert version.content_mix == [{"pillar": "品牌故事", "per_day": 1}, {"pillar": "产品资讯", "per_day": 2}]
    assert version.time_slots == ["08:30", "21:00"]
    assert version.created_by == demo.people["manager"]
    handover = client.get(reverse("positioning:handover", args=[account.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = handover.content.decode()
    assert "playbook version 2" in text
    assert "21:00" in text
    assert "17:30" not in text


def test_bad_playbook_input_shows_field_errors_and_stores_nothing(demo, login):
    client = login(demo.people["manager"])
    account = demo.accounts["鲜牧乳业"]
    response = post_playbook(client, account, content_mix="品牌故事", time_slots="25:99", reply_within_hours="0")
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"content_mix", "time_slots", "reply_within_hours", "approvers"}
    assert "HH:MM" in form.errors["time_slots"][0]
    assert PlaybookVersion.objects.filter(account=account).count() == 1


def test_user_text_is_escaped(demo, login):
    client = login(demo.people["manager"])
    account = demo.accounts["鲜牧华东"]
    client.post(reverse("positioning:circle_add", args=[account.pk]),
                {"name": "<script>alert(1)</script>", "description": "", "value": "<b>x</b>"})
    page = client.get(reverse("positioning:account", args=[account.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_circle_add_over_htmx_returns_the_fragment(demo, login):
    client = login(demo.people["manager"])
    account = demo.accounts["鲜牧华东"]
    response = client.post(reverse("positioning:circle_add", args=[account.pk]),
                           {"name": "上海宝妈", "description": "", "value": "门店活动"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<div id="circles">')
    assert account.circles.filter(name="上海宝妈").exists()


def test_matrix_and_dashboard_queries_do_not_grow_with_accounts(demo, login, django_assert_max_num_queries):
    from positioning import services

    manager = demo.people["manager"]
    client = login(manager)
    for n in range(20):
        account = services.account_create(by=manager, brand=demo.brand, name=f"鲜牧门店{n}", purpose="other")
        services.account_member_set(account=account, user=demo.people["operator"], actions=set(), by=manager)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("positioning:matrix")).status_code == 200
    # 3 of them: the fan rates per account and per person; 3: today's mentions, open alerts and incidents;
    # 1: who is on duty now (the roster's card)
    with django_assert_max_num_queries(21):
        assert client.get(reverse("reports:dashboard")).status_code == 200


def test_playbook_form_starts_from_the_current_version(demo, login):
    account = demo.accounts["鲜牧乳业"]
    form = login(demo.people["manager"]).get(reverse("positioning:playbook_edit", args=[account.pk])).context["form"]
    assert form.initial["time_slots"] == "08:30, 12:00, 17:30, 20:30"
    assert form.initial["content_mix"].splitlines()[0] == "品牌故事: 1"
    assert {u.username for u in form.initial["approvers"]} == {"reviewer", "manager"}


def test_matrix_counts_everyone_on_an_account_whoever_looks(demo, login):
    """An operator sees the same member count as a manager: the permission filter must not
    narrow the count to the operator's own grant."""
    from positioning import selectors

    for username in ["operator", "manager"]:
        rows = {a.name: a for a in selectors.matrix(user=demo.people[username])}
        assert rows["鲜牧乳业"].members_count == 3
        assert rows["鲜牧乳业"].circles_count == 2
        assert rows["鲜牧乳业"].playbook_number == 1
        assert rows["鲜牧酸奶"].playbook_number is None
