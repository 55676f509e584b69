"""Tickets, "Weibo first": deadlines, who hears of them, who may move them, overdue escalation, and the
department's signed webhook (a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from fans import services, tickets
from fans.models import Fan, Interaction, Kind, Source, Ticket, TicketState, TicketUpdate
from team.handover import absence_mark, handover_apply
from team.models import HANDOVER_CHECKLIST, AbsenceKind, Department, Notice

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]  # embedded: ticket locks and queued webhooks

SECRET = "desk-secret-0123456789-do-not-log"


@pytest.fixture
def item(demo):
    fan = Fan.objects.create(uid="7700000101", screen_name="爱喝奶的小王")
    now = timezone.now()
    return Interaction.objects.create(
        account=demo.accounts["鲜牧客服"], kind=Kind.COMMENT, source=Source.COMMENTS_TO_ME, object_type="comment",
        platform_id="4900000000000101", fan=fan, text="昨天订的奶没送到，投诉！", created_at=now,
        status_id="4800000000000001", thread_key="s:4800000000000001", first_response_due=now + timedelta(hours=1))


@pytest.fixture
def logistics_dept(db):
    return Department.objects.get(name="物流部")


@pytest.fixture
def service_dept(db):
    return Department.objects.get(name="客户服务部")


def test_a_ticket_gets_the_weibo_first_deadline_and_the_department_is_told(demo, item, logistics_dept):
    services.desk_set(department=logistics_dept, by=demo.people["manager"], normal_hours=24, weibo_first_hours=6)
    before = timezone.now()
    ticket = tickets.ticket_create(item=item, department=logistics_dept, summary="  查一下配送站为什么漏送  ",
                                   by=demo.people["agent"], ip="203.0.113.9")
    after = timezone.now()
    assert before + timedelta(hours=6) <= ticket.deadline <= after + timedelta(hours=6)
    assert ticket.state == TicketState.OPEN and ticket.summary == "查一下配送站为什么漏送"
    [update] = ticket.updates.all()
    assert (update.state, update.by, update.note) == (TicketState.OPEN, demo.people["agent"], ticket.summary)
    item.refresh_from_db()
    assert item.is_complaint
    [notice] = Notice.objects.filter(kind="ticket_new")
    assert notice.recipient == demo.people["logistics"]  # the department's contact
    assert "查一下配送站为什么漏送" in notice.body and item.text in notice.body


def test_a_department_without_contacts_tells_everyone_in_it_and_the_desk_defaults_apply(demo, item, service_dept):
    ticket = tickets.ticket_create(item=item, department=service_dept, summary="退款", by=demo.people["operator"])
    assert ticket.deadline - ticket.created_at == pytest.approx(timedelta(hours=12), abs=timedelta(seconds=2))
    # 客户服务部 names a contact: only they hear of it, not the agents answering on Weibo.
    assert list(Notice.objects.filter(kind="ticket_new").values_list("recipient__username", flat=True)) == ["service"]
    pr_dept = Department.objects.get(name="公关部")  # no contact: everyone in it
    tickets.ticket_create(item=item, department=pr_dept, summary="统一口径", by=demo.people["operator"])
    told = Notice.objects.filter(kind="ticket_new").exclude(recipient__username="service")
    assert list(told.values_list("recipient__username", flat=True)) == ["pr"]


def test_a_second_open_ticket_for_the_same_department_is_refused(demo, item, logistics_dept, service_dept):
    tickets.ticket_create(item=item, department=logistics_dept, summary="补送", by=demo.people["agent"])
    with pytest.raises(ValidationError) as caught:
        tickets.ticket_create(item=item, department=logistics_dept, summary="再补送", by=demo.people["agent"])
    assert "department" in caught.value.message_dict
    tickets.ticket_create(item=item, department=service_dept, summary="安抚", by=demo.people["agent"])
    assert Ticket.objects.count() == 2


def test_someone_who_cannot_reply_on_the_account_opens_no_ticket(demo, item, logistics_dept):
    for person in ("logistics", "reviewer", "pr"):
        with pytest.raises(PermissionDenied):
            tickets.ticket_create(item=item, department=logistics_dept, summary="补送", by=demo.people[person])
    with pytest.raises(ValidationError) as caught:
        tickets.ticket_create(item=item, department=logistics_dept, summary=" ", by=demo.people["agent"])
    assert "summary" in caught.value.message_dict
    assert not Ticket.objects.exists() and not Notice.objects.filter(kind="ticket_new").exists()


def test_the_ticket_moves_through_its_states_and_resolving_needs_words(demo, item, logistics_dept):
    ticket = tickets.ticket_create(item=item, department=logistics_dept, summary="补送", by=demo.people["agent"])
    contact = demo.people["logistics"]
    ticket = tickets.ticket_update(ticket=ticket, by=contact, state="in_progress", note="已联系配送站")
    assert ticket.state == TicketState.IN_PROGRESS
    with pytest.raises(ValidationError) as caught:
        tickets.ticket_update(ticket=ticket, by=contact, state="resolved")
    assert "resolution" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        tickets.ticket_update(ticket=ticket, by=contact)
    assert "note" in caught.value.message_dict
    ticket = tickets.ticket_update(ticket=ticket, by=contact, state="resolved", resolution="今天上午已补送两瓶")
    assert ticket.state == TicketState.RESOLVED and ticket.resolved_by == contact and ticket.resolved_at
    assert ticket.resolution == "今天上午已补送两瓶"
    with pytest.raises(ValidationError) as caught:
        tickets.ticket_update(ticket=ticket, by=contact, state="cancelled")
    assert "state" in caught.value.message_dict
    reopened = tickets.ticket_update(ticket=ticket, by=contact, state="in_progress", note="粉丝说还没收到")
    assert reopened.state == TicketState.IN_PROGRESS and reopened.resolved_at is None and reopened.resolved_by is None
    cancelled = tickets.ticket_update(ticket=ticket, by=demo.people["manager"], state="cancelled", note="重复")
    with pytest.raises(ValidationError):
        tickets.ticket_update(ticket=cancelled, by=demo.people["manager"], state="open")
    assert [u.state for u in ticket.updates.all()] == ["open", "in_progress", "resolved", "in_progress", "cancelled"]


def test_the_stand_in_who_holds_a_ticket_after_a_handover_may_cancel_it_as_its_opener_could(demo, item,
                                                                                           logistics_dept):
    operator, agent, manager = demo.people["operator"], demo.people["agent"], demo.people["manager"]
    ticket = tickets.ticket_create(item=item, department=logistics_dept, summary="补送", by=operator)
    handover = absence_mark(person=operator, kind=AbsenceKind.LEAVE, starts_on=timezone.localdate(), ends_on=None,
                            by=manager, to=agent)
    handover_apply(handover=handover, by=manager, checklist=list(HANDOVER_CHECKLIST))
    ticket.refresh_from_db()
    assert (ticket.owner, ticket.created_by) == (agent, operator)
    cancelled = tickets.ticket_update(ticket=ticket, by=agent, state="cancelled", note="顾客已自行取消订单")
    assert cancelled.state == TicketState.CANCELLED and cancelled.updates.last().by == agent
    other = tickets.ticket_create(item=item, department=logistics_dept, summary="再补送", by=manager)
    with pytest.raises(PermissionDenied):  # neither opened nor held by the agent
        tickets.ticket_update(ticket=other, by=agent, state="cancelled")


def test_an_outside_system_sets_its_ticket_id_and_an_unknown_state_is_refused(demo, item, logistics_dept):
    ticket = tickets.ticket_create(item=item, department=logistics_dept, summary="补送", by=demo.people["agent"])
    ticket = tickets.ticket_update(ticket=ticket, by=demo.people["logistics"], external_id=" LOG-42 ", via="api")
    assert ticket.external_id == "LOG-42" and ticket.updates.last().via == "api"
    with pytest.raises(ValidationError):
        tickets.ticket_update(ticket=ticket, by=demo.people["logistics"], state="done")


def test_outsiders_cannot_update_a_ticket(demo, item, logistics_dept, service_dept):
    ticket = tickets.ticket_create(item=item, department=logistics_dept, summary="补送", by=demo.people["agent"])
    for person in ("reviewer", "pr"):
        with pytest.raises(PermissionDenied):
            tickets.ticket_update(ticket=ticket, by=demo.people[person], note="看看")
    other = tickets.ticket_create(item=item, department=service_dept, summary="退款", by=demo.people["agent"])
    # The logistics contact works 物流部's tickets and does not reply on 鲜牧客服.
    with pytest.raises(PermissionDenied):
        tickets.ticket_update(ticket=other, by=demo.people["logistics"], state="resolved", resolution="x")
    assert TicketUpdate.objects.count() == 2  # the two creations


def test_resolving_tells_the_creator_and_the_assignee_but_not_the_resolver(demo, item, logistics_dept, service_dept):
    services.items_assign(items=[item], to=demo.people["operator"], by=demo.people["agent"])
    item.refresh_from_db()
    ticket = tickets.ticket_create(item=item, department=logistics_dept, summary="补送", by=demo.people["agent"])
    tickets.ticket_update(ticket=ticket, by=demo.people["logistics"], state="resolved", resolution="已补送")
    told = sorted(Notice.objects.filter(kind="ticket_resolved").values_list("recipient__username", flat=True))
    assert told == ["agent", "operator"]
    notice = Notice.objects.filter(kind="ticket_resolved").first()
    assert "已补送" in notice.body and notice.url == reverse("fans:item", args=[item.pk])
    Notice.objects.all().delete()
    own = tickets.ticket_create(item=item, department=service_dept, summary="退款", by=demo.people["agent"])
    tickets.ticket_update(ticket=own, by=demo.people["agent"], state="resolved", resolution="已退款")
    told = sorted(Notice.objects.filter(kind="ticket_resolved").values_list("recipient__username", flat=True))
    assert told == ["operator"]  # the agent resolved it: nothing to tell them


def test_reopening_a_ticket_when_a_newer_one_is_open_is_refused_not_a_crash(demo, item, logistics_dept):
    first = tickets.ticket_create(item=item, department=logistics_dept, summary="补送", by=demo.people["agent"])
    tickets.ticket_update(ticket=first, by=demo.people["logistics"], state="resolved", resolution="已补送")
    tickets.ticket_create(item=item, department=logistics_dept, summary="又漏送了", by=demo.people["agent"])
    with pytest.raises(ValidationError) as caught:
        tickets.ticket_update(ticket=first, by=demo.people["logistics"], state="in_progress", note="重开")
    assert "state" in caught.value.message_dict
    first.refresh_from_db()
    assert first.state == TicketState.RESOLVED


def test_overdue_tickets_go_to_the_managers_once(demo, item, logistics_dept, service_dept):
    late = tickets.ticket_create(item=item, department=logistics_dept, summary="补送", by=demo.people["agent"])
    done = tickets.ticket_create(item=item, department=service_dept, summary="退款", by=demo.people["agent"])
    tickets.ticket_update(ticket=done, by=demo.people["agent"], state="resolved", resolution="已退款")
    past = timezone.now() - timedelta(hours=3)
    Ticket.objects.update(deadline=past)
    assert tickets.tickets_escalate_overdue() == 1
    assert tickets.tickets_escalate_overdue() == 0
    [notice] = Notice.objects.filter(kind="ticket_overdue")
    assert notice.recipient == demo.people["manager"] and "3" in notice.title
    late.refresh_from_db()
    assert late.escalated_at is not None
    assert late.updates.last().by is None


class _Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook(settings):
    """A receiver on 127.0.0.1: reachable only with private destinations allowed, as tests and the demo do."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    _Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/weibo", _Hook.received
    server.shutdown()
    server.server_close()


def test_the_webhook_gets_each_event_signed(demo, item, logistics_dept, webhook, monkeypatch, caplog,
                                            django_capture_on_commit_callbacks):
    from fans import tasks

    url, received = webhook
    services.desk_set(department=logistics_dept, by=demo.people["manager"], webhook_url=url, webhook_secret=SECRET)
    monkeypatch.setattr(tasks.webhook_send, "delay", tasks.webhook_send)  # run it here, now
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = tickets.ticket_create(item=item, department=logistics_dept, summary="补送", by=demo.people["agent"])
    with django_capture_on_commit_callbacks(execute=True):
        tickets.ticket_update(ticket=ticket, by=demo.people["logistics"], note="收到")  # no state change: no event
    with django_capture_on_commit_callbacks(execute=True):
        tickets.ticket_update(ticket=ticket, by=demo.people["logistics"], state="resolved", resolution="已补送")
    assert len(received) == 2
    for headers, body in received:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Weibo-Ops-Signature"] == expected == tickets.webhook_signature(SECRET, body)
        assert headers["Content-Type"] == "application/json"
    created, resolved = (json.loads(body) for _headers, body in received)
    assert created["event"] == "ticket.created" and created["ticket"] == ticket.pk and created["state"] == "open"
    assert created["item"]["fan"]["uid"] == "7700000101" and created["item"]["text"] == item.text
    assert created["department"] == "物流部" and created["summary"] == "补送"
    assert resolved["event"] == "ticket.resolved" and resolved["resolution"] == "已补送"
    assert received[1][0]["X-Weibo-Ops-Event"] == "ticket.resolved"
    assert SECRET not in caplog.text
    from team.models import AuditEvent

    assert not any(SECRET in json.dumps(e.changes, ensure_ascii=False) for e in AuditEvent.objects.all())


def test_a_webhook_that_fails_raises_for_the_task_to_retry(demo, logistics_dept, webhook):
    import httpx

    url, _received = webhook
    desk = services.desk_set(department=logistics_dept, by=demo.people["manager"], webhook_url=url + "/../missing",
                             webhook_secret=SECRET)
    _Hook.do_POST = _failing_post
    try:
        with pytest.raises(httpx.HTTPStatusError):
            tickets.webhook_deliver(desk_id=desk.pk, body={"event": "ticket.created"})
    finally:
        _Hook.do_POST = _Hook._ok_post


def _failing_post(self):
    self.rfile.read(int(self.headers["Content-Length"]))
    self.send_response(500)
    self.end_headers()


_Hook._ok_post = _Hook.do_POST
