"""Absence and handover (issue 17, point 2): an absent editor's open work of every source moves to a stand-in in
one reviewed step, refused whole when a grant is missing, undone for the items still untouched; nothing new is
assigned to an absent person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from campaigns.models import Campaign, Task
from campaigns.services import task_create
from content.models import Post
from content.services import pillars_ensure, post_create, post_update
from fans.models import Fan, Interaction, Kind, RoutingRule, Source, Ticket
from fans.routing import items_route
from fans.services import items_assign
from fans.tickets import ticket_create
from positioning.models import AccountMember
from sentiment.models import Incident, IncidentTask
from team.handover import absence_mark, handover_apply, handover_undo
from team.models import (
    HANDOVER_CHECKLIST,
    Absence,
    AbsenceKind,
    AuditEvent,
    Department,
    HandoverItem,
    HandoverState,
)

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]

ALL_TICKED = list(HANDOVER_CHECKLIST)


def make_item(account, n: int = 1, **fields) -> Interaction:
    fan, _created = Fan.objects.get_or_create(uid=f"78000003{n:02d}", defaults={"screen_name": f"粉丝{n}"})
    values = {"kind": Kind.COMMENT, "source": Source.COMMENTS_TO_ME, "object_type": "comment",
              "platform_id": f"59{account.pk:02d}{n:08d}", "fan": fan, "text": f"第{n}条评论",
              "created_at": timezone.now(), "thread_key": f"s:{n}"}
    return Interaction.objects.create(account=account, **(values | fields))


@dataclass
class Work:
    post: Post
    item: Interaction
    ticket: Ticket
    step: IncidentTask
    task: Task


def work_make(demo) -> Work:
    """The editor 李想 (operator) holds one open item of every source: a draft on 鲜牧乳业 (needs draft), an inbox
    item and a ticket on 鲜牧客服 (need reply), an incident step and a campaign task (need no account grant)."""
    operator, manager = demo.people["operator"], demo.people["manager"]
    brand_account, service_account = demo.accounts["鲜牧乳业"], demo.accounts["鲜牧客服"]
    pillar = pillars_ensure(brand=demo.brand)[0]
    post = post_create(by=operator, pillar=pillar, text="周末牧场开放日，欢迎来玩 https://xianmu.example.com/farm",
                       accounts=[brand_account])
    item = make_item(service_account, assignee=operator, assigned_at=timezone.now())
    ticket = ticket_create(item=make_item(service_account, 2), department=Department.objects.get(name="物流部"),
                           summary="查一下这单的配送进度", by=operator)
    incident = Incident.objects.create(brand=demo.brand, title="配送延误")
    step = IncidentTask.objects.create(incident=incident, key="facts", title="核实事实", owner=operator,
                                       due_at=timezone.now() + timedelta(hours=2))
    campaign = Campaign.objects.create(brand=demo.brand, title="夏日转发抽奖", kind="repost_prize", lead=manager,
                                       created_by=manager, starts_at=timezone.now(),
                                       ends_at=timezone.now() + timedelta(days=7))
    logistics = Department.objects.get(name="物流部")
    task = task_create(campaign=campaign, by=manager, title="准备奖品", department=logistics,
                       due_at=timezone.now() + timedelta(days=2), owner=operator)
    return Work(post=post, item=item, ticket=ticket, step=step, task=task)


@pytest.fixture
def work(demo) -> Work:
    return work_make(demo)


def holders(work: Work) -> dict[str, int]:
    return {
        "post": Post.objects.get(pk=work.post.pk).owner_id,
        "item": Interaction.objects.get(pk=work.item.pk).assignee_id,
        "ticket": Ticket.objects.get(pk=work.ticket.pk).owner_id,
        "step": IncidentTask.objects.get(pk=work.step.pk).owner_id,
        "task": Task.objects.get(pk=work.task.pk).owner_id,
    }


def everything_with(person) -> dict[str, int]:
    return dict.fromkeys(["post", "item", "ticket", "step", "task"], person.pk)


def give_pr_replies(demo) -> None:
    """赵磊 (PR) may draft on 鲜牧乳业 already; with reply on 鲜牧客服 too he can stand in for every item."""
    AccountMember.objects.create(account=demo.accounts["鲜牧客服"], user=demo.people["pr"], can_reply=True)


def mark_away(demo, **extra):
    today = timezone.localdate()
    return absence_mark(person=demo.people["operator"], kind=AbsenceKind.LEAVE, starts_on=today,
                        ends_on=today + timedelta(days=5), by=demo.people["manager"], **extra)


def test_absence_proposes_all_open_work_with_a_stand_in_who_may_act(demo, work):
    give_pr_replies(demo)
    handover = mark_away(demo)
    assert handover.state == HandoverState.PROPOSED
    assert handover.from_person == demo.people["operator"]
    # PR may draft on 鲜牧乳业 and reply on 鲜牧客服: of the people who work the accounts, he covers both.
    assert handover.to_person == demo.people["pr"]
    listed = set(handover.items.values_list("kind", "object_id"))
    assert listed == {("content.post", work.post.pk), ("fans.inbox", work.item.pk), ("fans.ticket", work.ticket.pk),
                      ("sentiment.step", work.step.pk), ("campaigns.task", work.task.pk)}
    assert holders(work) == everything_with(demo.people["operator"])  # proposed: nothing moved yet
    assert AuditEvent.objects.filter(action="absence.mark", object_id=str(demo.people["operator"].pk)).count() == 1


def test_the_person_on_duty_now_is_the_stand_in_suggested(demo, work):
    """Two people could stand in for everything; the one on inbox duty now on the items' account is suggested."""
    from positioning.roster import shift_create
    from team.models import Duty

    give_pr_replies(demo)
    agent = demo.people["agent"]
    AccountMember.objects.update_or_create(account=demo.accounts["鲜牧乳业"], user=agent,
                                           defaults={"can_draft": True})
    AccountMember.objects.update_or_create(account=demo.accounts["鲜牧客服"], user=agent,
                                           defaults={"can_reply": True})
    first = mark_away(demo).to_person  # nobody on duty: the one who works the accounts day to day, made first
    assert first in (agent, demo.people["pr"])
    other = demo.people["pr"] if first == agent else agent
    Absence.objects.all().delete()
    now = timezone.now()
    shift_create(account=demo.accounts["鲜牧客服"], person=other, duty=Duty.INBOX, starts_at=now - timedelta(hours=1),
                 ends_at=now + timedelta(hours=3), by=demo.people["manager"])
    assert mark_away(demo).to_person == other


def test_apply_moves_every_source_and_undo_brings_every_item_back(demo, work):
    give_pr_replies(demo)
    operator, pr = demo.people["operator"], demo.people["pr"]
    handover = mark_away(demo)
    handover_apply(handover=handover, by=demo.people["manager"], checklist=ALL_TICKED)
    assert holders(work) == everything_with(pr)
    assert Post.objects.get(pk=work.post.pk).created_by == operator  # who wrote it is not rewritten
    handover.refresh_from_db()
    assert handover.state == HandoverState.APPLIED and handover.applied_at is not None
    assert sorted(handover.checklist) == sorted(ALL_TICKED)
    assert AuditEvent.objects.filter(action="handover.apply", object_id=str(handover.pk)).count() == 1
    assert AuditEvent.objects.filter(action="post.update", object_id=str(work.post.pk),
                                     changes__owner=[str(operator), str(pr)]).count() == 1

    move = handover_undo(handover=handover, by=demo.people["manager"])
    assert (len(move.moved), move.kept) == (5, [])
    assert holders(work) == everything_with(operator)
    handover.refresh_from_db()
    assert handover.state == HandoverState.UNDONE
    assert AuditEvent.objects.filter(action="handover.undo", object_id=str(handover.pk)).count() == 1


def test_a_missing_grant_refuses_the_whole_handover_naming_grant_and_account(demo, work, english):
    # 赵磊 (PR) may not reply on 鲜牧客服: the inbox item and the ticket there need it.
    handover = mark_away(demo, to=demo.people["pr"])
    with pytest.raises(ValidationError) as refused:
        handover_apply(handover=handover, by=demo.people["manager"], checklist=ALL_TICKED)
    assert refused.value.message_dict == {"to_person": [
        "赵磊（公关经理） lacks the “reply” permission on the account 鲜牧客服."]}
    assert holders(work) == everything_with(demo.people["operator"])  # nothing moved, not even the draft
    handover.refresh_from_db()
    assert handover.state == HandoverState.PROPOSED


def test_the_checklist_must_be_ticked_before_the_work_moves(demo, work, english):
    give_pr_replies(demo)
    handover = mark_away(demo)
    with pytest.raises(ValidationError) as refused:
        handover_apply(handover=handover, by=demo.people["manager"], checklist=["playbook", "incidents"])
    assert list(refused.value.message_dict) == ["checklist"]
    assert "Pending replies and approvals are checked" in refused.value.message_dict["checklist"][0]
    assert holders(work) == everything_with(demo.people["operator"])


def test_an_item_touched_after_the_move_stays_with_the_stand_in_on_undo(demo, work, english):
    give_pr_replies(demo)
    operator, pr = demo.people["operator"], demo.people["pr"]
    handover = mark_away(demo)
    handover_apply(handover=handover, by=demo.people["manager"], checklist=ALL_TICKED)
    # The stand-in reworks the draft; the rest stays as it was moved.
    post_update(post=work.post, by=pr, pillar=work.post.pillar, text="周末牧场开放日，带孩子来挤奶 https://xianmu.example.com/farm",
                accounts=[demo.accounts["鲜牧乳业"]])
    move = handover_undo(handover=handover, by=demo.people["manager"])
    assert [(r.kind, r.object_id) for r in move.kept] == [("content.post", work.post.pk)]
    assert move.kept[0].kept_reason == "worked on by the stand-in since the move"
    assert holders(work) == everything_with(operator) | {"post": pr.pk}
    assert HandoverItem.objects.get(handover=handover, kind="content.post").moved_back is False


def test_an_item_closed_or_reassigned_after_the_move_stays(demo, work, english):
    give_pr_replies(demo)
    handover = mark_away(demo)
    handover_apply(handover=handover, by=demo.people["manager"], checklist=ALL_TICKED)
    items_assign(items=[work.item], to=demo.people["agent"], by=demo.people["manager"])
    move = handover_undo(handover=handover, by=demo.people["manager"])
    assert {(r.kind, r.kept_reason) for r in move.kept} == {("fans.inbox", "given to someone else since the move")}
    assert holders(work)["item"] == demo.people["agent"].pk


def test_work_that_arrived_after_the_proposal_moves_too(demo, work):
    give_pr_replies(demo)
    handover = mark_away(demo)
    later = make_item(demo.accounts["鲜牧客服"], 3, assignee=demo.people["operator"], assigned_at=timezone.now())
    handover_apply(handover=handover, by=demo.people["manager"], checklist=ALL_TICKED)
    assert Interaction.objects.get(pk=later.pk).assignee == demo.people["pr"]
    assert handover.items.filter(kind="fans.inbox", object_id=later.pk, moved=True).exists()


def test_only_managers_mark_absences_and_apply(demo, work):
    with pytest.raises(PermissionDenied):
        absence_mark(person=demo.people["operator"], kind=AbsenceKind.SICK, starts_on=timezone.localdate(),
                     ends_on=None, by=demo.people["pr"])
    assert not Absence.objects.exists()
    handover = mark_away(demo)
    with pytest.raises(PermissionDenied):
        handover_apply(handover=handover, by=demo.people["operator"], checklist=ALL_TICKED)


def test_an_absent_person_is_assigned_nothing_new(demo, work, english):
    operator, manager = demo.people["operator"], demo.people["manager"]
    mark_away(demo)
    until = (timezone.localdate() + timedelta(days=5)).isoformat()
    words = f"李想（运营编辑） is absent (Leave) until {until}: choose someone else."
    fresh = make_item(demo.accounts["鲜牧客服"], 4)
    with pytest.raises(ValidationError) as refused:
        items_assign(items=[fresh], to=operator, by=manager)
    assert refused.value.message_dict == {"assignee": [words]}
    assert Interaction.objects.get(pk=fresh.pk).assignee is None

    with pytest.raises(ValidationError) as refused:
        task_create(campaign=work.task.campaign, by=manager, title="拍照", department=work.task.department,
                    due_at=timezone.now() + timedelta(days=1), owner=operator)
    assert refused.value.message_dict == {"owner": [words]}

    # Routing skips them too: a rule that names them leaves the new item for the team.
    rule = RoutingRule.objects.create(brand=demo.brand, name="全部给李想", assign_to=operator)
    routed = make_item(demo.accounts["鲜牧客服"], 5)
    items_route(items=[routed])
    routed.refresh_from_db()
    assert (routed.routed_by_id, routed.assignee_id) == (rule.pk, None)


def test_a_stand_in_who_is_away_is_refused(demo, work, english):
    give_pr_replies(demo)
    today = timezone.localdate()
    Absence.objects.create(person=demo.people["pr"], kind=AbsenceKind.SICK, starts_on=today, ends_on=today)
    handover = mark_away(demo, to=demo.people["pr"])
    with pytest.raises(ValidationError) as refused:
        handover_apply(handover=handover, by=demo.people["manager"], checklist=ALL_TICKED)
    assert refused.value.message_dict == {"to_person": [
        f"赵磊（公关经理） is absent (Sick) until {today.isoformat()}: choose someone else."]}
    assert holders(work) == everything_with(demo.people["operator"])


def test_leaving_the_company_is_open_ended(demo, work):
    handover = absence_mark(person=demo.people["operator"], kind=AbsenceKind.LEFT, starts_on=timezone.localdate(),
                            ends_on=timezone.localdate() + timedelta(days=3), by=demo.people["manager"])
    assert handover.absence.ends_on is None


def test_incident_steps_skip_an_absent_pr_person(demo):
    from sentiment.incidents import incident_open

    today = timezone.localdate()
    Absence.objects.create(person=demo.people["pr"], kind=AbsenceKind.SICK, starts_on=today, ends_on=today)
    incident = incident_open(brand=demo.brand, by=None, title="配送延误")
    [step] = incident.tasks.all()
    assert step.owner == demo.people["manager"]  # the only PR person is away: the manager carries it
