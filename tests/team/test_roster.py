"""The duty roster's services and selectors: overlap and grant refusals, swaps, who is on at the boundaries."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from positioning import roster
from team.models import AuditEvent, Duty, Shift, ShiftSwap, SwapState
from team.roster import on_duty, roster_week, shifts_upcoming

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in the week of Monday 2027-01-04 (day 0), Shanghai time."""
    return datetime(2027, 1, 4, hour, minute, tzinfo=SHANGHAI) + timedelta(days=day)


def put(demo, who, account, duty=Duty.INBOX, start=None, end=None, **kw):
    return roster.shift_create(account=demo.accounts[account], person=demo.people[who], duty=duty,
                               starts_at=start or at(0, 9), ends_at=end or at(0, 17), by=demo.people["manager"],
                               **kw)


def test_a_shift_is_created_and_audited(demo):
    [shift] = put(demo, "agent", "鲜牧客服", note="早班")
    assert (shift.person.username, shift.duty, shift.starts_at, shift.ends_at) == ("agent", "inbox", at(0, 9),
                                                                                   at(0, 17))
    event = AuditEvent.objects.get(action="shift.create")
    assert (event.object_id, event.account_id, event.actor.username) == (str(shift.pk), demo.accounts["鲜牧客服"].pk,
                                                                         "manager")


def test_overlapping_shifts_of_one_person_are_refused_on_any_account_naming_the_clash(demo):
    put(demo, "operator", "鲜牧乳业", start=at(0, 9), end=at(0, 17))
    with pytest.raises(ValidationError) as refused:
        put(demo, "operator", "鲜牧客服", start=at(0, 16), end=at(0, 22))
    message = refused.value.message_dict["person"][0]
    assert "鲜牧乳业" in message and "2027-01-04 09:00" in message and "2027-01-04 17:00" in message
    assert Shift.objects.count() == 1
    # Back to back is not an overlap: the end is exclusive.
    put(demo, "operator", "鲜牧客服", start=at(0, 17), end=at(0, 22))
    assert Shift.objects.count() == 2


def test_a_person_without_the_grant_the_duty_needs_is_refused_naming_the_grant(demo, english):
    # The reviewer may see 鲜牧乳业 (monitoring is fine) but not reply there (inbox is not).
    with pytest.raises(ValidationError) as refused:
        put(demo, "reviewer", "鲜牧乳业", duty=Duty.INBOX)
    assert refused.value.message_dict["person"] == [
        "周婷（内容审核） does not have the “reply” permission on 鲜牧乳业, which Inbox duty needs. "
        "Give them that access first."]
    put(demo, "reviewer", "鲜牧乳业", duty=Duty.MONITORING)
    # No grant at all on 鲜牧客服: not even monitoring.
    with pytest.raises(ValidationError) as refused:
        put(demo, "reviewer", "鲜牧客服", duty=Duty.MONITORING, start=at(1, 9), end=at(1, 17))
    assert "“view” permission" in refused.value.message_dict["person"][0]
    assert Shift.objects.count() == 1


def test_backward_times_are_refused(demo):
    with pytest.raises(ValidationError) as refused:
        put(demo, "agent", "鲜牧客服", start=at(0, 17), end=at(0, 9))
    assert list(refused.value.message_dict) == ["ends_at"]
    assert not Shift.objects.exists()


def test_repeat_weekly_is_all_or_nothing(demo):
    put(demo, "agent", "鲜牧客服", start=at(14, 10), end=at(14, 12))  # in the third week
    with pytest.raises(ValidationError) as refused:
        put(demo, "agent", "鲜牧客服", start=at(0, 9), end=at(0, 17), repeat_weeks=4)
    assert "2027-01-18 10:00" in refused.value.message_dict["person"][0]
    assert Shift.objects.count() == 1
    shifts = put(demo, "agent", "鲜牧客服", start=at(1, 9), end=at(1, 17), repeat_weeks=3)
    assert [s.starts_at for s in shifts] == [at(1, 9), at(8, 9), at(15, 9)]


def test_only_managers_and_account_managers_edit_the_roster(demo):
    with pytest.raises(PermissionDenied):
        roster.shift_create(account=demo.accounts["鲜牧客服"], person=demo.people["agent"], duty=Duty.INBOX,
                            starts_at=at(0, 9), ends_at=at(0, 17), by=demo.people["agent"])
    # The operator owns 鲜牧酸奶: they plan its roster.
    roster.shift_create(account=demo.accounts["鲜牧酸奶"], person=demo.people["operator"], duty=Duty.INBOX,
                        starts_at=at(0, 9), ends_at=at(0, 17), by=demo.people["operator"])
    assert Shift.objects.count() == 1


def test_on_duty_start_inclusive_end_exclusive(demo):
    account = demo.accounts["鲜牧客服"]
    put(demo, "agent", "鲜牧客服", start=at(0, 9), end=at(0, 17))
    put(demo, "operator", "鲜牧客服", start=at(0, 17), end=at(0, 22))
    names = lambda t: [p.username for p in on_duty(account_id=account.pk, duty=Duty.INBOX, at=t)]  # noqa: E731
    assert names(at(0, 8, 59)) == []
    assert names(at(0, 9)) == ["agent"]
    assert names(at(0, 16, 59)) == ["agent"]
    assert names(at(0, 17)) == ["operator"]
    assert names(at(0, 22)) == []
    assert on_duty(account_id=account.pk, duty=Duty.MONITORING, at=at(0, 10)) == []


def test_swap_approved_moves_the_shift(demo, settings):
    [shift] = put(demo, "operator", "鲜牧客服", start=at(4, 9), end=at(4, 17))
    swap = roster.swap_request(shift=shift, to_person=demo.people["agent"], reason="家里有事",
                               by=demo.people["operator"])
    with pytest.raises(PermissionDenied):
        roster.swap_approve(swap=swap, by=demo.people["agent"])  # not a manager of the account
    roster.swap_approve(swap=swap, by=demo.people["manager"])
    shift.refresh_from_db()
    swap.refresh_from_db()
    assert (shift.person.username, swap.state, swap.decided_by.username) == ("agent", SwapState.APPROVED, "manager")
    with pytest.raises(ValidationError):
        roster.swap_refuse(swap=swap, by=demo.people["manager"])  # decided once
    assert list(AuditEvent.objects.filter(action__startswith="swap.").values_list("action", flat=True)
                .order_by("id")) == ["swap.request", "swap.approve"]


def test_swaps_are_asked_for_own_shifts_only_and_checked(demo):
    [shift] = put(demo, "operator", "鲜牧客服", start=at(4, 9), end=at(4, 17))
    with pytest.raises(PermissionDenied):
        roster.swap_request(shift=shift, to_person=demo.people["agent"], by=demo.people["agent"])
    with pytest.raises(ValidationError) as refused:  # the reviewer may not reply there
        roster.swap_request(shift=shift, to_person=demo.people["reviewer"], by=demo.people["operator"])
    assert list(refused.value.message_dict) == ["to_person"]
    assert not ShiftSwap.objects.exists()


def test_approval_checks_overlap_again(demo):
    [shift] = put(demo, "operator", "鲜牧客服", start=at(4, 9), end=at(4, 17))
    swap = roster.swap_request(shift=shift, to_person=demo.people["agent"], by=demo.people["operator"])
    put(demo, "agent", "鲜牧客服", start=at(4, 12), end=at(4, 20))  # the agent got busy meanwhile
    with pytest.raises(ValidationError) as refused:
        roster.swap_approve(swap=swap, by=demo.people["manager"])
    assert "to_person" in refused.value.message_dict
    shift.refresh_from_db()
    swap.refresh_from_db()
    assert (shift.person.username, swap.state) == ("operator", SwapState.REQUESTED)


def test_refuse_and_cancel(demo):
    [shift] = put(demo, "operator", "鲜牧客服", start=at(4, 9), end=at(4, 17))
    swap = roster.swap_request(shift=shift, to_person=demo.people["agent"], by=demo.people["operator"])
    with pytest.raises(PermissionDenied):
        roster.swap_cancel(swap=swap, by=demo.people["agent"])
    roster.swap_refuse(swap=swap, by=demo.people["manager"])
    swap.refresh_from_db()
    assert swap.state == SwapState.REFUSED
    again = roster.swap_request(shift=shift, to_person=demo.people["agent"], by=demo.people["operator"])
    roster.swap_cancel(swap=again, by=demo.people["operator"])
    again.refresh_from_db()
    assert again.state == SwapState.CANCELLED
    shift.refresh_from_db()
    assert shift.person.username == "operator"


def test_week_roster_shows_night_shifts_on_both_days(demo):
    put(demo, "agent", "鲜牧客服", start=at(2, 22), end=at(3, 6))
    account = demo.accounts["鲜牧客服"]
    week = roster_week(account_ids=[account.pk], start=at(0, 0).date())
    counts = [len(week.shifts[account.pk][day]) for day in week.days]
    assert counts == [0, 0, 1, 1, 0, 0, 0]


def test_my_upcoming_shifts(demo):
    put(demo, "agent", "鲜牧客服", start=at(0, 9), end=at(0, 17))
    put(demo, "agent", "鲜牧客服", start=at(30, 9), end=at(30, 17))
    assert [s.starts_at for s in shifts_upcoming(person=demo.people["agent"], now=at(0, 12))] == [at(0, 9)]


def test_the_demo_roster_always_has_someone_on_and_is_safe_to_run_again(demo):
    from django.core.management import call_command
    from django.utils import timezone

    from team.roster import on_duty_map

    call_command("seed_demo_roster", quiet=True)
    count = Shift.objects.count()
    call_command("seed_demo_roster", quiet=True)
    assert Shift.objects.count() == count > 0
    start = datetime.combine(timezone.localdate() - timedelta(days=timezone.localdate().weekday()),
                             datetime.min.time(), tzinfo=SHANGHAI)
    ids = [a.pk for a in demo.accounts.values()]
    for hour in range(14 * 24):  # every hour of the two weeks: someone monitors the brand's main account
        found = on_duty_map(account_ids=ids, at=start + timedelta(hours=hour, minutes=30))
        assert found.get((demo.accounts["鲜牧乳业"].pk, Duty.MONITORING)), hour
    weekday_morning = start + timedelta(hours=10)
    assert [p.username for p in on_duty(account_id=demo.accounts["鲜牧客服"].pk, duty=Duty.INBOX,
                                        at=weekday_morning)] == ["agent"]
