"""Inbox writes (assign, tag, close, reopen), routing rules, department desks, and fan profiles read
through users/show from the sandbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fans import ingest, profiles, services
from fans.models import DepartmentDesk, Fan, Interaction, Kind, RoutingRule, Source, State
from positioning.management.commands.weibo_sandbox import connect_through_sandbox
from positioning.models import Account, Brand
from team.models import AuditEvent, Department
from weibo_ops.weibo.models import PushEvent

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]  # embedded: row locks and round-robin routing

CS_UID = "5500000002"


def make_item(account, n=1, **fields) -> Interaction:
    fan, _created = Fan.objects.get_or_create(uid=f"77000003{n:02d}", defaults={"screen_name": f"粉丝{n}"})
    values = {"kind": Kind.COMMENT, "source": Source.COMMENTS_TO_ME, "object_type": "comment",
              "platform_id": f"49{account.pk:02d}{n:08d}", "fan": fan, "text": f"第{n}条评论",
              "created_at": timezone.now(), "thread_key": f"s:{n}"}
    return Interaction.objects.create(account=account, **(values | fields))


@pytest.fixture
def cs(demo):
    return demo.accounts["鲜牧客服"]


# --- items --------------------------------------------------------------------------------------

def test_items_go_only_to_someone_who_can_reply_on_the_account(demo, cs):
    item = make_item(cs)
    for person in ("reviewer", "logistics", "pr"):
        with pytest.raises(ValidationError) as caught:
            services.items_assign(items=[item], to=demo.people[person], by=demo.people["agent"])
        assert "assignee" in caught.value.message_dict
    item.refresh_from_db()
    assert item.assignee is None
    assert services.items_assign(items=[item], to=demo.people["operator"], by=demo.people["agent"]) == 1
    assert services.items_assign(items=[item], to=demo.people["operator"], by=demo.people["agent"]) == 0
    item.refresh_from_db()
    assert item.assignee == demo.people["operator"] and item.assigned_at is not None
    assert services.items_assign(items=[item], to=None, by=demo.people["agent"]) == 1
    item.refresh_from_db()
    assert item.assignee is None and item.assigned_at is None
    changes = [e.changes["assignee"] for e in AuditEvent.objects.filter(action="inbox.assign").order_by("id")]
    assert changes == [[None, str(demo.people["operator"])], [str(demo.people["operator"]), None]]


def test_someone_without_the_reply_permission_changes_nothing(demo, cs):
    item = make_item(cs)
    other = make_item(demo.accounts["鲜牧华东"], 2)
    with pytest.raises(PermissionDenied):
        services.items_assign(items=[item], to=demo.people["agent"], by=demo.people["reviewer"])
    with pytest.raises(PermissionDenied):  # one item out of reach refuses the whole bulk action
        services.items_close(items=[item, other], by=demo.people["agent"])
    assert not Interaction.objects.filter(state=State.CLOSED).exists()


def test_a_bulk_action_takes_at_most_a_page(demo, cs):
    items = [make_item(cs, n) for n in range(services.BULK_MAX + 1)]
    with pytest.raises(ValidationError):
        services.items_close(items=items, by=demo.people["agent"])
    with pytest.raises(ValidationError):
        services.items_assign(items=items, to=demo.people["agent"], by=demo.people["agent"])
    assert services.items_close(items=items[:services.BULK_MAX], by=demo.people["agent"]) == services.BULK_MAX
    assert Interaction.objects.filter(state=State.OPEN).count() == 1


def test_tags_of_another_brand_are_refused_and_tags_come_and_go(demo, cs):
    other = Brand.objects.create(name="别家乳业")
    foreign = services.tag_create(brand=other, by=None, name="投诉")
    mine = services.tag_create(brand=demo.brand, by=None, name="投诉")
    praise = services.tag_create(brand=demo.brand, by=None, name="表扬")
    items = [make_item(cs, 1), make_item(cs, 2)]
    with pytest.raises(ValidationError) as caught:
        services.items_tag(items=items, tags=[mine, foreign], by=demo.people["agent"])
    assert "tags" in caught.value.message_dict
    assert not Interaction.tags.through.objects.exists()
    services.items_tag(items=items, tags=[mine, praise], by=demo.people["agent"])
    services.items_tag(items=items, tags=[mine], by=demo.people["agent"])  # again: no duplicate links
    assert Interaction.tags.through.objects.count() == 4
    assert services.items_tag(items=items, tags=[praise], by=demo.people["agent"], remove=True) == 2
    assert sorted(items[0].tags.values_list("name", flat=True)) == ["投诉"]
    with pytest.raises(PermissionDenied):
        services.tag_create(brand=demo.brand, by=demo.people["agent"], name="新标签")


def test_close_and_reopen(demo, cs):
    item = make_item(cs)
    assert services.items_close(items=[item], by=demo.people["agent"]) == 1
    assert services.items_close(items=[item], by=demo.people["agent"]) == 0
    item.refresh_from_db()
    assert item.state == State.CLOSED and item.closed_by == demo.people["agent"] and item.closed_at
    item = services.item_reopen(item=item, by=demo.people["operator"])
    item.refresh_from_db()
    assert item.state == State.OPEN and item.closed_at is None and item.closed_by is None
    assert list(AuditEvent.objects.filter(action__in=["inbox.close", "inbox.reopen"]).order_by("id")
                .values_list("action", flat=True)) == ["inbox.close", "inbox.reopen"]
    with pytest.raises(PermissionDenied):
        services.item_reopen(item=item, by=demo.people["reviewer"])


def test_fan_tags_of_other_brands_are_neither_given_nor_taken_away(demo, cs):
    item = make_item(cs)
    other = Brand.objects.create(name="别家乳业")
    theirs = services.tag_create(brand=other, by=None, name="老顾客")
    ours = services.tag_create(brand=demo.brand, by=None, name="忠实粉")
    services.fan_tags_set(fan=item.fan, tags=[theirs], by=demo.people["manager"])
    with pytest.raises(ValidationError) as caught:
        services.fan_tags_set(fan=item.fan, tags=[ours, theirs], by=demo.people["agent"])
    assert "tags" in caught.value.message_dict
    services.fan_tags_set(fan=item.fan, tags=[ours], by=demo.people["agent"])
    assert sorted(item.fan.tags.values_list("name", flat=True)) == ["忠实粉", "老顾客"]
    services.fan_tags_set(fan=item.fan, tags=[], by=demo.people["agent"])
    assert list(item.fan.tags.values_list("name", flat=True)) == ["老顾客"]
    with pytest.raises(PermissionDenied):
        services.fan_tags_set(fan=item.fan, tags=[ours], by=demo.people["reviewer"])
    # Each change is audited, naming only the tags of the brands the person answers for.
    events = AuditEvent.objects.filter(action="fan.tags", object_id=str(item.fan.pk)).order_by("pk")
    assert [(e.actor.username, e.changes) for e in events] == [
        ("manager", {"tags": [[], ["老顾客"]]}),
        ("agent", {"tags": [[], ["忠实粉"]]}),
        ("agent", {"tags": [["忠实粉"], []]}),
    ]


# --- rules and desks ----------------------------------------------------------------------------

def test_a_rule_must_do_something_and_only_one_kind_of_assignment(demo):
    manager = demo.people["manager"]
    service = Department.objects.get(name="客户服务部")
    with pytest.raises(ValidationError) as caught:
        services.rule_create(brand=demo.brand, by=manager, name="什么也不做", keywords=["投诉"])
    assert "assign_to" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.rule_create(brand=demo.brand, by=manager, name="两个都要", assign_to=demo.people["agent"],
                             assign_department=service)
    assert "assign_department" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.rule_create(brand=demo.brand, by=manager, name="错的类型", kinds=["tweet"], mark_complaint=True)
    assert "kinds" in caught.value.message_dict
    other = Account.objects.create(brand=Brand.objects.create(name="别家乳业"), name="别家客服")
    with pytest.raises(ValidationError) as caught:
        services.rule_create(brand=demo.brand, by=manager, name="别家的号", accounts=[other], mark_complaint=True)
    assert "accounts" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        services.rule_create(brand=demo.brand, by=demo.people["agent"], name="x", mark_complaint=True)
    assert not RoutingRule.objects.exists()
    rule = services.rule_create(brand=demo.brand, by=manager, name="投诉", keywords=[" 投诉 ", "", "退款"],
                                mark_complaint=True)
    assert rule.keywords == ["投诉", "退款"] and rule.position == 10


def test_rules_move_up_and_down(demo):
    manager = demo.people["manager"]
    first, second, third = (services.rule_create(brand=demo.brand, by=manager, name=name, mark_complaint=True)
                            for name in ("一", "二", "三"))
    assert [r.position for r in (first, second, third)] == [10, 20, 30]
    services.rule_move(rule=third, by=manager, up=True)
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["一", "三", "二"]
    services.rule_move(rule=first, by=manager, up=True)  # already first: nothing moves
    services.rule_move(rule=first, by=manager, up=False)
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["三", "一", "二"]
    with pytest.raises(PermissionDenied):
        services.rule_move(rule=first, by=demo.people["operator"], up=True)


def test_the_desk_keeps_weibo_first_shorter_and_a_webhook_signed(demo):
    manager = demo.people["manager"]
    logistics = Department.objects.get(name="物流部")
    with pytest.raises(ValidationError) as caught:
        services.desk_set(department=logistics, by=manager, normal_hours=24, weibo_first_hours=24)
    assert "weibo_first_hours" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.desk_set(department=logistics, by=manager, webhook_url="https://tickets.example.com/hook")
    assert "webhook_secret" in caught.value.message_dict
    assert not DepartmentDesk.objects.exists()
    with pytest.raises(PermissionDenied):
        services.desk_set(department=logistics, by=demo.people["logistics"], weibo_first_hours=4)
    desk = services.desk_set(department=logistics, by=manager, normal_hours=24, weibo_first_hours=4,
                             webhook_url="https://tickets.example.com/hook", webhook_secret="s3cret-for-signing")
    desk.refresh_from_db()
    assert (desk.normal_hours, desk.weibo_first_hours, desk.webhook_secret) == (24, 4, "s3cret-for-signing")
    event = AuditEvent.objects.get(action="desk.update")
    assert "s3cret" not in str(event.changes)


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://localhost/", "http://169.254.169.254/",
                                 "http://10.0.0.1/", "http://[::1]/", "http://[::ffff:127.0.0.1]/"])
def test_a_desk_webhook_to_a_private_address_is_refused(english, demo, url):
    logistics = Department.objects.get(name="物流部")
    with pytest.raises(ValidationError) as caught:
        services.desk_set(department=logistics, by=demo.people["manager"], webhook_url=url, webhook_secret="s3cret")
    [message] = caught.value.message_dict["webhook_url"]
    assert message.startswith("The webhook must be a service on the internet: ")
    assert not DepartmentDesk.objects.exists()


# --- profiles through users/show ----------------------------------------------------------------

@pytest.fixture
def connected(demo, weibo):
    account = demo.accounts["鲜牧客服"]
    connect_through_sandbox(account, uid=CS_UID, app_url="http://testserver")
    return account


def pushed_fan(weibo, text="你好，我想问一下订奶的事") -> Fan:
    answer = weibo.admin("POST", "/_sandbox/messages", {"to_uid": int(CS_UID), "text": text})
    PushEvent.objects.create(digest=f"{answer['message']['id']:064d}", msg_type="text",
                             sender_id=str(answer["from_uid"]), receiver_id=CS_UID, text=text,
                             created_at=timezone.now(), payload={})
    ingest.pushes_ingest()
    return Fan.objects.get(uid=str(answer["from_uid"]))


def test_a_fan_seen_only_in_a_push_gets_their_profile_from_users_show(connected, weibo):
    fan = pushed_fan(weibo)
    assert fan.profile_at is None and fan.screen_name == ""
    assert profiles.profiles_refresh() == 1
    fan.refresh_from_db()
    assert fan.screen_name and fan.profile_at is not None and fan.profile_problem == ""
    assert fan.profile_checked_at is not None and fan.scored_at is not None
    assert "zombie" in fan.score_reasons and "loyalty" in fan.score_reasons
    assert profiles.profiles_refresh() == 0  # fresh now: nothing to ask


def test_a_profile_weibo_cannot_return_keeps_the_last_known_data(connected, weibo, settings):
    fan = pushed_fan(weibo)
    profiles.profiles_refresh()
    fan.refresh_from_db()
    name, followers = fan.screen_name, fan.followers_count
    old = timezone.now() - timedelta(days=settings.FANS_PROFILE_DAYS + 1)
    Fan.objects.filter(pk=fan.pk).update(profile_at=old, profile_checked_at=old)
    weibo.admin("POST", "/_sandbox/faults", {"once": [{"kind": "code", "code": 20003, "path": "/2/users/show.json"}]})
    assert profiles.profiles_refresh() == 0
    fan.refresh_from_db()
    assert (fan.screen_name, fan.followers_count, fan.profile_at) == (name, followers, old)
    assert fan.profile_problem and fan.profile_checked_at > old
    assert profiles.profiles_refresh() == 0  # not asked again at once
