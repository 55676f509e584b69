"""Fixes from the review of the fans app, one test each: a full page with an unreadable entry does not
move the cursor over unread items; approvers' own replies wait where approval is required; a
department's ticket is resolved by the department; backlog is not routed; profile refresh skips fans
it cannot reach; other brands' notes and tag names stay hidden; out-of-range ids are a 400."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from fans import ingest, profiles, replies, selectors, services, tickets
from fans.models import Fan, FanNote, IngestCursor, Interaction, Kind, ReplyState, Source, Tag, TicketState
from positioning import services as positioning_services
from positioning.models import Account, Brand
from team.models import Department
from weibo_ops.weibo.types import Page, Status, User

pytestmark = pytest.mark.django_db

_ids = itertools.count(1)


def make_item(account, text="鲜牧的酸奶坏了", *, fan=None, **fields):
    n = next(_ids)
    fan = fan or Fan.objects.create(uid=f"88{n:06d}", screen_name=f"粉丝{n}")
    return Interaction.objects.create(
        account=account, kind=Kind.MENTION, source=Source.MENTIONS, object_type="status", platform_id=str(7000 + n),
        fan=fan, text=text, created_at=timezone.now(), thread_key=f"s:{7000 + n}", status_id=str(7000 + n),
        first_response_due=timezone.now() + timedelta(hours=1), **fields)


class FullPageClient:
    """A page of 200 that Weibo sent with one entry the client could not read (``dropped``)."""

    def __init__(self):
        self.calls = []

    def mentions(self, *, since_id=None, max_id=None, count=None):
        self.calls.append(max_id)
        top = int(max_id) if max_id else 10_000
        statuses = [Status(id=str(top - n), text="@鲜牧客服 好喝", user=User(id="1"), created_at=timezone.now())
                    for n in range(199)]
        return Page(statuses, dropped=1)


def test_a_full_page_with_an_unreadable_entry_is_not_the_end(demo, settings):
    settings.FANS_POLL_PAGES = 1
    cursor = IngestCursor.objects.create(account=demo.accounts["鲜牧客服"], source=Source.MENTIONS, since_id="1000")
    result = ingest.PollResult(Source.MENTIONS)
    read, top, max_id, reached = ingest._read_down(FullPageClient(), Source.MENTIONS, cursor, result,
                                                   first_poll=False)
    assert len(read) == 199 and top == "10000"
    assert not reached and max_id == str(10_000 - 198 - 1)  # the next poll goes on below, the cursor stays


def test_where_replies_need_approval_an_approvers_own_reply_waits_for_another(demo):
    account = demo.accounts["鲜牧乳业"]
    positioning_services.playbook_publish(account=account, by=demo.people["manager"], replies_need_approval=True)
    item = make_item(account, "请问新品什么时候上市？")
    reply = replies.reply_create(item=item, text="下周一上市，敬请期待", by=demo.people["pr"], rip="203.0.113.9")
    assert reply.state == ReplyState.AWAITING_APPROVAL
    with pytest.raises(PermissionDenied):
        replies.reply_approve(reply=reply, by=demo.people["pr"])
    assert replies.reply_approve(reply=reply, by=demo.people["reviewer"]).state == ReplyState.QUEUED


def test_only_the_department_resolves_its_ticket(demo):
    item = make_item(demo.accounts["鲜牧客服"], "牛奶送错了")
    agent = demo.people["agent"]
    ticket = tickets.ticket_create(item=item, department=Department.objects.get(name="物流部"), summary="核实配送",
                                   by=agent)
    with pytest.raises(PermissionDenied):
        tickets.ticket_update(ticket=ticket, by=agent, state=TicketState.RESOLVED, resolution="已处理")
    tickets.ticket_update(ticket=ticket, by=agent, note="粉丝又来催了")  # following it is fine
    done = tickets.ticket_update(ticket=ticket, by=demo.people["logistics"], state=TicketState.RESOLVED,
                                 resolution="已补发")
    assert done.state == TicketState.RESOLVED and done.resolved_by == demo.people["logistics"]
    other = tickets.ticket_create(item=make_item(demo.accounts["鲜牧客服"]), department=done.department,
                                  summary="看看", by=agent)
    assert tickets.ticket_update(ticket=other, by=agent, state=TicketState.CANCELLED).state == TicketState.CANCELLED


def test_backlog_arriving_closed_is_not_routed(demo, weibo):
    from positioning.management.commands.weibo_sandbox import connect_through_sandbox

    account = demo.accounts["鲜牧客服"]
    connect_through_sandbox(account, uid="5500000002", app_url="http://testserver")
    services.rule_create(brand=demo.brand, by=None, name="全部给客服", assign_to=demo.people["agent"])
    ingest.account_poll(account_id=account.pk)
    history = Interaction.objects.filter(account=account, needs_answer=False, kind__in=[Kind.MENTION, Kind.COMMENT])
    assert history.exists() and not history.filter(assignee__isnull=False).exists()
    assert not history.filter(routed_by__isnull=False).exists() and not history.filter(routed_at__isnull=True).exists()


def test_profile_refresh_skips_fans_no_connected_account_can_ask_about(demo):
    stuck = [Fan.objects.create(uid=f"99{n:04d}") for n in range(3)]
    for fan in stuck:
        make_item(demo.accounts["鲜牧华东"], fan=fan)  # not connected to Weibo
    assert profiles.fans_needing_profiles(limit=20) == []


def test_other_brands_notes_and_tag_names_stay_hidden(demo, api):
    other = Brand.objects.create(name="别家乳业")
    elsewhere = Account.objects.create(brand=other, name="别家客服", purpose="customer_service")
    secret = Tag.objects.create(brand=other, name="秘密标签VIP")
    fan = Fan.objects.create(uid="5512345678", screen_name="两家都关注")
    make_item(elsewhere, fan=fan)
    mine = make_item(demo.accounts["鲜牧客服"], fan=fan)
    fan.tags.add(secret)
    FanNote.objects.create(fan=fan, brand=other, text="手机 138xxxx", created_by=demo.people["admin"])
    agent = demo.people["agent"]
    note = services.fan_note_add(fan=fan, text="老顾客，爱喝酸奶", by=agent)
    assert note.brand == demo.brand
    assert [n.text for n in selectors.fan_notes(user=agent, fan=fan)] == ["老顾客，爱喝酸奶"]
    body = api(agent).get(f"/api/v1/fans/fans/{fan.pk}/").json()
    assert [n["text"] for n in body["notes"]] == ["老顾客，爱喝酸奶"] and body["tags"] == []
    answer = api(agent).post(f"/api/v1/fans/items/{mine.pk}/tags/", {"add": [secret.pk]}, format="json")
    assert answer.status_code == 400 and "秘密标签VIP" not in answer.content.decode()
    with pytest.raises(ValidationError) as refused:
        services.items_tag(items=[mine], tags=[secret], by=agent)
    assert "秘密标签VIP" not in str(refused.value)


def test_out_of_range_ids_are_bad_input_not_a_crash(demo, api, login):
    manager = demo.people["manager"]
    huge = "99999999999999999999"
    assert api(manager).get("/api/v1/fans/items/", {"account": huge}).status_code == 400
    assert api(manager).post("/api/v1/fans/items/bulk/", {"ids": [int(huge)], "action": "close"},
                             format="json").status_code == 400
    response = login(manager).post(reverse("fans:bulk"), {"action": "close", "items": [huge]})
    assert response.status_code in (302, 400) and Interaction.objects.count() == 0


def test_a_duplicate_answer_after_a_lost_one_means_the_reply_went_out(demo, weibo):
    from positioning.management.commands.weibo_sandbox import connect_through_sandbox
    from positioning.weibo import account_client

    account = demo.accounts["鲜牧客服"]
    connect_through_sandbox(account, uid="5500000002", app_url="http://testserver")
    ingest.account_poll(account_id=account.pk)
    weibo.admin("POST", "/_sandbox/fan_posts", {"to_uid": 5500000002, "text": "牛奶漏了怎么办", "kind": "comment"})
    ingest.account_poll(account_id=account.pk)
    item = Interaction.objects.get(account=account, text="牛奶漏了怎么办")
    reply = replies.reply_create(item=item, text="请私信订单号，马上为您补发", by=demo.people["agent"],
                                 rip="203.0.113.9")
    # The call whose answer was lost: Weibo stored it. Then the post got busy, and the look-up's page of the
    # newest 200 comments no longer holds ours.
    account_client(account=account).reply(item.platform_id, item.status_id, reply.text, rip="203.0.113.9")
    for n in range(205):
        weibo.admin("POST", "/_sandbox/fan_posts", {"to_uid": 5500000002, "text": f"同问{n}", "kind": "comment"})
    type(reply).objects.filter(pk=reply.pk).update(needs_lookup=True)
    assert replies.reply_send(reply_id=reply.pk) == ReplyState.SENT
    reply.refresh_from_db()
    assert reply.state == ReplyState.SENT and not reply.error
    item.refresh_from_db()
    assert item.first_response_at is not None
    client = account_client(account=account)
    pages = [[c.text for c in client.comments(item.status_id, count=200, page=n).items] for n in (1, 2)]
    assert not any(reply.text in t for t in pages[0])  # off the first page, as the look-up saw it
    assert sum(reply.text in t for t in pages[0] + pages[1]) == 1  # and on Weibo once
