"""Pages of fan interaction: routing rules, templates, tags and desks; the fan CRM; the rates; the
department desk and its tickets; the dashboard's fan-interaction line."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest
from django.urls import reverse
from django.utils import timezone

from fans import services
from fans.models import DepartmentDesk, Fan, Interaction, RoutingRule, Tag, Ticket, TicketState
from team.models import Department

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
_ids = count(1)

LANGUAGE = "en"  # the people these tests sign in have chosen English: the tests read its words


def fan_make(**fields) -> Fan:
    n = next(_ids)
    return Fan.objects.create(uid=fields.pop("uid", f"77{n:08d}"), screen_name=fields.pop("screen_name", f"粉丝{n}"),
                              **fields)


def item_make(account, fan, *, created_at=None, **fields) -> Interaction:
    n = next(_ids)
    return Interaction.objects.create(
        account=account, fan=fan, kind=fields.pop("kind", "comment"), source="comments_to_me", object_type="comment",
        platform_id=f"c{n}", text=fields.pop("text", "牛奶怎么还没到？"), thread_key=f"post:{n}",
        created_at=created_at or timezone.now() - timedelta(hours=1), **fields)


def ticket_make(demo, department: Department, *, text="快递三天没到，牛奶都坏了", hours=12) -> Ticket:
    item = item_make(demo.accounts["鲜牧客服"], fan_make(), text=text, is_complaint=True)
    return Ticket.objects.create(interaction=item, department=department, summary="请核实订单并重新发货",
                                 deadline=timezone.now() + timedelta(hours=hours), created_by=demo.people["agent"])


# --- routing rules -------------------------------------------------------------------------------

def test_a_non_manager_cannot_create_a_rule(demo, login):
    client = login(demo.people["operator"])
    assert client.get(reverse("fans:rule_new"), **EN).status_code == 403
    response = client.post(reverse("fans:rule_new"), {"name": "配送", "mark_complaint": "on"}, **EN)
    assert response.status_code == 403
    assert not RoutingRule.objects.exists()
    # They may read the rules, without the buttons that change them.
    page = client.get(reverse("fans:rules"), **EN)
    assert page.status_code == 200
    assert "Add a rule" not in page.content.decode()


def test_a_manager_creates_a_rule_and_a_rule_that_does_nothing_is_refused_under_its_field(demo, login):
    client = login(demo.people["manager"])
    response = client.post(reverse("fans:rule_new"), {"name": "什么都不做", "keywords": "配送", "is_active": "on"},
                           **EN)
    assert response.status_code == 400
    assert response.context["form"].errors["assign_to"] == [
        "A rule must do something: assign, tag, set a priority or mark a complaint."]
    assert "A rule must do something" in response.content.decode()
    assert not RoutingRule.objects.exists()

    tag = services.tag_create(brand=demo.brand, by=demo.people["manager"], name="配送")
    logistics = Department.objects.get(name="物流部")
    response = client.post(reverse("fans:rule_new"), {
        "name": "配送投诉", "is_active": "on", "keywords": "没到, 坏了\n物流，快递", "kinds": ["comment", "mention"],
        "accounts": [demo.accounts["鲜牧客服"].pk], "min_influence": "20", "zombie": "exclude",
        "assign_department": logistics.pk, "add_tags": [tag.pk], "set_priority": "2", "mark_complaint": "on"}, **EN)
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert rule.keywords == ["没到", "坏了", "物流", "快递"]
    assert rule.kinds == ["comment", "mention"]
    assert [a.name for a in rule.accounts.all()] == ["鲜牧客服"]
    assert (rule.min_influence, rule.zombie, rule.set_priority, rule.mark_complaint) == (20, "exclude", 2, True)
    page = client.get(reverse("fans:rules"), **EN).content.decode()
    assert "first rule that matches acts on it" in page
    assert "the text contains any of: 没到、坏了、物流、快递" in page
    assert "assign in turn to the people of 物流部" in page
    assert "set priority High" in page


def test_rule_edit_keeps_errors_under_their_fields(demo, login):
    manager = demo.people["manager"]
    rule = services.rule_create(brand=demo.brand, by=manager, name="表扬", keywords=["好喝"], mark_complaint=True)
    client = login(manager)
    response = client.post(reverse("fans:rule_edit", args=[rule.pk]), {
        "name": "表扬", "assign_to": demo.people["agent"].pk,
        "assign_department": Department.objects.get(name="物流部").pk}, **EN)
    assert response.status_code == 400
    assert response.context["form"].errors["assign_department"] == [
        "Assign to a person or to a department, not both."]


def test_rule_order_moves(demo, login):
    manager = demo.people["manager"]
    first = services.rule_create(brand=demo.brand, by=manager, name="一", mark_complaint=True)
    second = services.rule_create(brand=demo.brand, by=manager, name="二", mark_complaint=True)
    third = services.rule_create(brand=demo.brand, by=manager, name="三", mark_complaint=True)
    client = login(manager)
    assert client.post(reverse("fans:rule_move", args=[third.pk]), {"direction": "up"}).status_code == 302
    order = list(RoutingRule.objects.order_by("position").values_list("name", flat=True))
    assert order == ["一", "三", "二"]
    client.post(reverse("fans:rule_move", args=[first.pk]), {"direction": "down"})
    assert [r.name for r in client.get(reverse("fans:rules")).context["rules"]] == ["三", "一", "二"]
    assert login(demo.people["operator"]).post(reverse("fans:rule_move", args=[second.pk]),
                                               {"direction": "up"}).status_code == 403


# --- templates, tags, desks ----------------------------------------------------------------------

def test_templates_and_tags_are_created_and_edited_by_managers(demo, login):
    client = login(demo.people["manager"])
    assert client.post(reverse("fans:template_new"), {"name": "致歉", "text": "非常抱歉，我们马上核实。",
                                                      "is_active": "on"}).status_code == 302
    template = demo.brand.reply_templates.get()
    assert client.post(reverse("fans:template_edit", args=[template.pk]),
                       {"name": "致歉", "text": "抱歉，马上处理。"}).status_code == 302
    template.refresh_from_db()
    assert (template.text, template.is_active) == ("抱歉，马上处理。", False)
    assert client.post(reverse("fans:tag_new"), {"name": "投诉", "colour": "#cc0000",
                                                 "replies_need_approval": "on"}).status_code == 302
    tag = Tag.objects.get(name="投诉")
    assert tag.replies_need_approval
    response = client.post(reverse("fans:tag_new"), {"name": "投诉", "colour": "#cc0000"}, **EN)
    assert response.status_code == 400  # one name per brand
    assert login(demo.people["agent"]).post(reverse("fans:tag_edit", args=[tag.pk]),
                                            {"name": "x", "colour": "#000000"}).status_code == 403


def test_a_weibo_first_deadline_not_shorter_than_normal_is_refused(demo, login):
    department = Department.objects.get(name="物流部")
    response = login(demo.people["manager"]).post(reverse("fans:desk_edit", args=[department.pk]), {
        "normal_hours": "24", "weibo_first_hours": "24"}, **EN)
    assert response.status_code == 400
    assert response.context["form"].errors["weibo_first_hours"] == [
        "The Weibo-first deadline must be shorter than the department's normal turnaround (24 h): the fan is "
        "waiting in public."]
    assert not DepartmentDesk.objects.filter(department=department, normal_hours=24).exists()


def test_the_webhook_secret_is_never_rendered(demo, login):
    department = Department.objects.get(name="物流部")
    client = login(demo.people["manager"])
    url = reverse("fans:desk_edit", args=[department.pk])
    secret = "s3cret-never-shown-42"
    assert client.post(url, {"normal_hours": "48", "weibo_first_hours": "12", "webhook_url": "https://erp.example/hook",
                             "webhook_secret": secret}).status_code == 302
    desk = DepartmentDesk.objects.get(department=department)
    assert desk.webhook_secret == secret
    page = client.get(url, **EN).content.decode()
    assert secret not in page
    assert "A webhook secret is stored." in page
    # A refused save shows the form again, still without the secret typed in.
    refused = client.post(url, {"normal_hours": "12", "weibo_first_hours": "12", "webhook_secret": secret}, **EN)
    assert refused.status_code == 400
    assert secret not in refused.content.decode()
    # Blank keeps the stored secret.
    assert client.post(url, {"normal_hours": "36", "weibo_first_hours": "6",
                             "webhook_url": "https://erp.example/hook", "webhook_secret": ""}).status_code == 302
    desk.refresh_from_db()
    assert (desk.normal_hours, desk.webhook_secret) == (36, secret)
    assert secret not in client.get(reverse("fans:desks")).content.decode()


# --- fan CRM -------------------------------------------------------------------------------------

def _fans_by_list(n: int) -> dict[str, set[int]]:
    now = timezone.now()
    made: dict[str, set[int]] = {k: set() for k in ("node", "loyal", "dormant", "zombies", "plain")}
    for i in range(n):
        kind = ("node", "loyal", "dormant", "zombies", "plain")[i % 5]
        fields = {"node": {"influence": 75}, "loyal": {"loyalty": 60},
                  "dormant": {"last_interaction_at": now - timedelta(days=45)},
                  "zombies": {"zombie": 0.85}, "plain": {}}[kind]
        fields.setdefault("last_interaction_at", now - timedelta(hours=i + 1))
        made[kind].add(fan_make(**fields).pk)
    return made


@pytest.mark.parametrize("n", [3, 30])
def test_fan_list_tabs_return_their_fans_in_constant_queries(demo, login, django_assert_max_num_queries, n):
    made = _fans_by_list(n)
    tag = services.tag_create(brand=demo.brand, by=None, name="铁粉")
    for fan in Fan.objects.filter(pk__in=made["loyal"]):
        fan.tags.add(tag)
    client = login(demo.people["manager"])
    for which in ("node", "loyal", "dormant", "zombies"):
        with django_assert_max_num_queries(7):
            response = client.get(reverse("fans:fans"), {"list": which}, **EN)
        assert {f.pk for f in response.context["page"]} == made[which], which
    with django_assert_max_num_queries(7):
        everyone = client.get(reverse("fans:fans"), **EN)
    assert len(everyone.context["page"]) == n
    tagged = client.get(reverse("fans:fans"), {"tag": tag.pk}, **EN)
    assert {f.pk for f in tagged.context["page"]} == made["loyal"]
    zombies = client.get(reverse("fans:fans"), {"list": "zombies"}, **EN).content.decode()
    assert "The product never buys or adds fans" in zombies


def test_fan_search_and_visibility(demo, login):
    seen = fan_make(screen_name="牛奶爱好者")
    item_make(demo.accounts["鲜牧客服"], seen)
    unseen = fan_make(screen_name="路人甲")
    item_make(demo.accounts["鲜牧华东"], unseen)
    agent = login(demo.people["agent"])  # replies on 鲜牧客服 only
    listed = agent.get(reverse("fans:fans"), {"q": "牛奶"}).context["page"]
    assert [f.pk for f in listed] == [seen.pk]
    assert [f.pk for f in agent.get(reverse("fans:fans")).context["page"]] == [seen.pk]
    assert agent.get(reverse("fans:fan", args=[unseen.pk])).status_code == 404
    assert agent.get(reverse("fans:fan", args=[seen.pk])).status_code == 200


def test_a_fan_page_shows_the_reasons_and_the_profile_age(demo, login):
    fan = fan_make(screen_name="用户5821930411", followers_count=3, friends_count=900, statuses_count=1,
                   profile_at=timezone.now() - timedelta(days=3, hours=2), zombie=0.65, influence=6,
                   profile_problem="users/show: user does not exist",
                   score_reasons={"influence": [["followers", {"n": 3}]],
                                  "zombie": [["no_avatar", {}], ["default_name", {}], ["no_posts", {"n": 1}],
                                             ["following", {"f": 900, "b": 3}]]})
    item = item_make(demo.accounts["鲜牧客服"], fan, text="<b>抽奖</b>带我一个")
    page = login(demo.people["manager"]).get(reverse("fans:fan", args=[fan.pk]), **EN).content.decode()
    assert "Profile as of" in page and "3 days ago" in page
    assert "Weibo could not return the profile: users/show: user does not exist" in page
    assert "3 followers" in page
    assert "no avatar; default-looking name; 1 posts; follows 900, followed by 3" in page
    assert reverse("fans:item", args=[item.pk]) in page
    assert "&lt;b&gt;抽奖&lt;/b&gt;" in page and "<b>抽奖</b>" not in page
    assert "never buys or adds fans" in page


def test_a_fan_page_shows_the_lottery_hunter_likelihood_and_why(demo, login):
    fan = fan_make(screen_name="锦鲤附体1994", friends_count=1800, profile_at=timezone.now(), hunter=0.85,
                   score_reasons={"hunter": [["lottery_posts", {"n": 14, "d": 30}], ["lottery_words", {"word": "锦鲤"}],
                                             ["following_many", {"n": 1800}]]})
    item_make(demo.accounts["鲜牧客服"], fan)
    page = login(demo.people["manager"]).get(reverse("fans:fan", args=[fan.pk])).content.decode()
    assert "looks like a lottery hunter" in page and "Lottery hunter likelihood" in page
    assert "<strong>0.85</strong>" in page
    assert "14 lottery reposts in 30 days; “锦鲤” in the name or profile; follows 1800 accounts" in page
    Fan.objects.filter(pk=fan.pk).update(hunter=0.4)
    assert "looks like a lottery hunter" not in login(demo.people["manager"]).get(
        reverse("fans:fan", args=[fan.pk])).content.decode()


def test_notes_and_tags_on_a_fan(demo, login):
    fan = fan_make()
    item_make(demo.accounts["鲜牧客服"], fan)
    tag = services.tag_create(brand=demo.brand, by=None, name="回访")
    client = login(demo.people["agent"])
    url = reverse("fans:fan", args=[fan.pk])
    assert client.post(url, {"form": "note", "text": "   "}, **EN).status_code == 400
    assert client.post(url, {"form": "note", "text": "喜欢原味酸奶，上周投诉过配送"}).status_code == 302
    assert client.post(url, {"form": "tags", "tags": [tag.pk]}).status_code == 302
    assert [n.text for n in fan.notes.all()] == ["喜欢原味酸奶，上周投诉过配送"]
    assert list(fan.tags.all()) == [tag]
    item_make(demo.accounts["鲜牧乳业"], fan)  # the reviewer sees this account but does not reply on it
    assert login(demo.people["reviewer"]).get(url).status_code == 200
    assert login(demo.people["reviewer"]).post(url, {"form": "note", "text": "x"}).status_code == 403


# --- rates ---------------------------------------------------------------------------------------

def test_stats_numbers_are_exact(demo, login):
    now = timezone.now()
    service, brand = demo.accounts["鲜牧客服"], demo.accounts["鲜牧乳业"]
    agent = demo.people["agent"]
    fan = fan_make()
    due = now - timedelta(hours=2)
    # 鲜牧客服: 4 items. Answered in time and closed; answered late; waiting; and one answered in time.
    item_make(service, fan, assignee=agent, first_response_due=due, first_response_at=due - timedelta(minutes=5),
              closed_at=now - timedelta(hours=1), state="closed")
    item_make(service, fan, assignee=agent, first_response_due=due, first_response_at=due + timedelta(minutes=30))
    item_make(service, fan, assignee=agent, first_response_due=due)
    item_make(service, fan, first_response_due=due, first_response_at=due - timedelta(minutes=1))
    # 鲜牧乳业: 1 waiting item; a follow (no answer needed) and an item 10 days old do not count.
    item_make(brand, fan, first_response_due=now + timedelta(hours=1))
    item_make(brand, fan, kind="follow", needs_answer=False)
    item_make(brand, fan, created_at=now - timedelta(days=10), first_response_due=now - timedelta(days=9))
    response = login(demo.people["manager"]).get(reverse("fans:stats"), **EN)
    rows = {r["label"]: r for r in response.context["accounts"]}
    assert {k: rows["鲜牧客服"][k] for k in ("total", "answered", "response", "on_time", "resolved", "resolution",
                                           "waiting")} == {
        "total": 4, "answered": 3, "response": "75%", "on_time": "50%", "resolved": 1, "resolution": "25%",
        "waiting": 1}
    assert (rows["鲜牧乳业"]["total"], rows["鲜牧乳业"]["response"], rows["鲜牧乳业"]["waiting"]) == (1, "0%", 1)
    [person] = response.context["people"]
    assert (person["label"], person["total"], person["answered"], person["response"]) == (str(agent), 3, 2, "67%")
    month = login(demo.people["manager"]).get(reverse("fans:stats"), {"days": "30"}).context["accounts"]
    assert {r["label"]: r["total"] for r in month} == {"鲜牧客服": 4, "鲜牧乳业": 2}


# --- department desk -----------------------------------------------------------------------------

def test_a_department_contact_sees_only_their_departments_tickets(demo, login):
    logistics, service = Department.objects.get(name="物流部"), Department.objects.get(name="客户服务部")
    ours = ticket_make(demo, logistics, text="<script>alert(1)</script>冷链箱破了")
    late = ticket_make(demo, logistics, hours=-3)
    theirs = ticket_make(demo, service)
    client = login(demo.people["logistics"])
    response = client.get(reverse("fans:desk"), **EN)
    assert [t.pk for t in response.context["tickets"]] == [late.pk, ours.pk]
    page = response.content.decode()
    assert "overdue by" in page and "1 complaint is past its deadline." in page
    assert "&lt;script&gt;" in page and "<script>alert(1)</script>" not in page
    assert client.get(reverse("fans:ticket", args=[theirs.pk]), **EN).status_code == 403
    refused = client.post(reverse("fans:ticket", args=[theirs.pk]), {"action": "resolve", "resolution": "好了"})
    assert refused.status_code == 403
    theirs.refresh_from_db()
    assert theirs.state == TicketState.OPEN


def test_a_department_contact_resolves_a_ticket_only_with_a_resolution(demo, login):
    ticket = ticket_make(demo, Department.objects.get(name="物流部"))
    client = login(demo.people["logistics"])
    url = reverse("fans:ticket", args=[ticket.pk])
    page = client.get(url, **EN).content.decode()
    assert "What the Weibo team asks you to do" in page and "请核实订单并重新发货" in page
    assert client.post(url, {"action": "start", "note": "已联系快递"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == TicketState.IN_PROGRESS
    refused = client.post(url, {"action": "resolve", "resolution": "  "}, **EN)
    assert refused.status_code == 400
    assert refused.context["form"].errors["resolution"] == ["Say how it was resolved: the operator tells the fan this."]
    ticket.refresh_from_db()
    assert ticket.state == TicketState.IN_PROGRESS
    assert client.post(url, {"action": "resolve", "resolution": "已补发新鲜牛奶两箱，明早送达"}).status_code == 302
    ticket.refresh_from_db()
    assert (ticket.state, ticket.resolution, ticket.resolved_by) == (
        TicketState.RESOLVED, "已补发新鲜牛奶两箱，明早送达", demo.people["logistics"])
    page = client.get(url, **EN).content.decode()
    assert "已联系快递" in page and "Reopen" in page
    assert [t.pk for t in client.get(reverse("fans:desk")).context["tickets"]] == []
    assert [t.pk for t in client.get(reverse("fans:desk"), {"state": "resolved"}).context["tickets"]] == [ticket.pk]


# --- dashboard -----------------------------------------------------------------------------------

def test_the_dashboard_shows_the_fan_interaction_line(demo, login):
    now = timezone.now()
    account = demo.accounts["鲜牧客服"]
    fan = fan_make()
    item_make(account, fan, first_response_due=now - timedelta(minutes=5))  # breached
    item_make(account, fan, first_response_due=now + timedelta(minutes=10))  # near
    item_make(account, fan, first_response_due=now + timedelta(hours=5))
    item_make(account, fan, first_response_due=now + timedelta(hours=5), first_response_at=now, state="closed",
              closed_at=now)
    page = login(demo.people["manager"]).get(reverse("reports:dashboard"), **EN)
    line = page.context["fans"]
    assert (line.open, line.near, line.breached, line.week_total, line.week_answered, line.week_resolved) == (
        3, 1, 1, 4, 1, 1)
    text = page.content.decode()
    assert "3 open items" in text and "1 near breach" in text and "1 breached" in text
    assert "last 7 days: response rate 25%, resolution rate 25%" in text
    # Per account (and per person, for assigned items) in the table below the line.
    rows = page.context["fan_rates"]["accounts"]
    assert [(r["label"], r["total"], r["response"], r["resolution"]) for r in rows] == [("鲜牧客服", 4, "25%", "25%")]
    assert f'data-key="{account.pk}"' in text


def test_the_dashboard_points_a_department_contact_to_the_desk(demo, login):
    client = login(demo.people["logistics"])
    page = client.get(reverse("reports:dashboard"), **EN)
    assert page.context["fans"] is None
    assert reverse("fans:desk") in page.content.decode()  # their role: the desk, even when it is empty
    ticket_make(demo, Department.objects.get(name="物流部"))
    assert "1 complaint to handle: open the desk" in client.get(reverse("reports:dashboard"), **EN).content.decode()
    # Someone without a department and without tickets sees no desk link.
    operator = demo.people["operator"]
    operator.department = None
    operator.save(update_fields=["department"])
    assert not login(operator).get(reverse("reports:dashboard")).context["show_desk"]
