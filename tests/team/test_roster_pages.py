"""The roster's pages: who sees and edits what, forms' errors, query counts independent of the shifts."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from positioning import roster
from team.models import Duty, Shift, ShiftSwap, SwapState

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2027, 1, 4, tzinfo=SHANGHAI)
WEEK = {"week": "2027-01-04"}


def put(demo, who, account, day=0, start=9, end=17, duty=Duty.INBOX):
    return roster.shift_create(account=demo.accounts[account], person=demo.people[who], duty=duty,
                               starts_at=MONDAY + timedelta(days=day, hours=start),
                               ends_at=MONDAY + timedelta(days=day, hours=end), by=demo.people["manager"])[0]


def test_everyone_sees_the_roster_of_accounts_they_see_only(demo, login):
    put(demo, "agent", "鲜牧客服")
    put(demo, "pr", "鲜牧华东", duty=Duty.MONITORING)
    page = login(demo.people["reviewer"]).get(reverse("roster:week"), WEEK).content.decode()
    # The reviewer sees 鲜牧乳业 and 鲜牧酸奶 only: no 鲜牧客服 row, no one's shift there, no form.
    assert "鲜牧酸奶" in page and "鲜牧客服" not in page and "陈晨" not in page
    assert 'action="/team/roster/shifts/new/' not in page
    manager_page = login(demo.people["manager"]).get(reverse("roster:week"), WEEK).content.decode()
    assert "陈晨（客服专员）" in manager_page and 'action="/team/roster/shifts/new/' in manager_page


def test_a_manager_adds_a_night_shift_repeated_and_sees_field_errors(demo, login):
    client = login(demo.people["manager"], language="en")
    cs = demo.accounts["鲜牧客服"]
    data = {"account": cs.pk, "person": demo.people["agent"].pk, "duty": "inbox", "day": "2027-01-06",
            "start": "22:00", "end": "06:00", "repeat_weeks": 2, "note": "夜班"}
    response = client.post(reverse("roster:shift_new"), data)
    assert response.status_code == 302
    assert [(s.starts_at, s.ends_at) for s in Shift.objects.order_by("starts_at")] == [
        (MONDAY + timedelta(days=2, hours=22), MONDAY + timedelta(days=3, hours=6)),
        (MONDAY + timedelta(days=9, hours=22), MONDAY + timedelta(days=10, hours=6))]
    clash = client.post(reverse("roster:shift_new"), data | {"repeat_weeks": 1, "start": "23:00", "end": "23:30"})
    assert clash.status_code == 400
    assert "a person cannot be on two duties at once" in clash.content.decode()
    grant = client.post(reverse("roster:shift_new"), data | {"person": demo.people["reviewer"].pk, "day": "2027-02-01"})
    assert grant.status_code == 400 and "“reply” permission on 鲜牧客服" in grant.content.decode()
    assert Shift.objects.count() == 2


def test_people_who_may_not_manage_cannot_add_or_remove(demo, login):
    shift = put(demo, "agent", "鲜牧客服")
    client = login(demo.people["agent"])
    data = {"account": demo.accounts["鲜牧客服"].pk, "person": demo.people["agent"].pk, "duty": "inbox",
            "day": "2027-01-05", "start": "09:00", "end": "17:00", "repeat_weeks": 1}
    assert client.post(reverse("roster:shift_new"), data).status_code == 400  # not an account they may manage
    assert client.post(reverse("roster:shift_delete", args=[shift.pk])).status_code == 403
    assert login(demo.people["reviewer"]).post(reverse("roster:shift_delete", args=[shift.pk])).status_code == 403
    assert Shift.objects.count() == 1


def test_swap_pages_own_shifts_only_and_a_manager_approves(demo, login):
    soon = timezone.localtime().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    [shift] = roster.shift_create(account=demo.accounts["鲜牧客服"], person=demo.people["operator"],
                                  duty=Duty.INBOX, starts_at=soon, ends_at=soon + timedelta(hours=8),
                                  by=demo.people["manager"])
    week = {"week": soon.date().isoformat()}
    assert login(demo.people["agent"]).get(reverse("roster:swap_new", args=[shift.pk])).status_code == 403
    client = login(demo.people["operator"])
    assert reverse("roster:swap_new", args=[shift.pk]) in client.get(reverse("roster:mine")).content.decode()
    response = client.post(reverse("roster:swap_new", args=[shift.pk]),
                           {"to_person": demo.people["agent"].pk, "reason": "看病"})
    assert response.status_code == 302
    swap = ShiftSwap.objects.get()
    assert client.post(reverse("roster:swap_approve", args=[swap.pk])).status_code == 403
    manager = login(demo.people["manager"])
    assert "看病" in manager.get(reverse("roster:week"), week).content.decode()
    assert manager.post(reverse("roster:swap_approve", args=[swap.pk])).status_code == 302
    shift.refresh_from_db()
    swap.refresh_from_db()
    assert (shift.person.username, swap.state) == ("agent", SwapState.APPROVED)


def test_my_shifts_and_who_is_on_now(demo, login):
    now = timezone.now()
    roster.shift_create(account=demo.accounts["鲜牧客服"], person=demo.people["agent"], duty=Duty.INBOX,
                        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1),
                        by=demo.people["manager"])
    client = login(demo.people["agent"], language="en")
    mine = client.get(reverse("roster:mine")).content.decode()
    assert "鲜牧客服" in mine and "on now" in mine
    board = client.get(reverse("roster:now")).content.decode()
    assert "陈晨（客服专员）" in board and board.count("nobody on duty") == 1  # 鲜牧客服's monitoring


def test_the_roster_page_costs_the_same_queries_whatever_the_shifts(demo, login, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(demo.people["manager"])
    put(demo, "agent", "鲜牧客服", day=0, start=6, end=8)
    client.get(reverse("roster:week"), WEEK)  # warm the session
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("roster:week"), WEEK)
    for day in range(7):
        put(demo, "agent", "鲜牧客服", day=day, start=8, end=12)
        put(demo, "operator", "鲜牧客服", day=day, start=12, end=20)
        put(demo, "pr", "鲜牧华东", day=day, start=9, end=21, duty=Duty.MONITORING)
        put(demo, "reviewer", "鲜牧酸奶", day=day, start=21, end=33, duty=Duty.MONITORING)  # nights
    roster.swap_request(shift=Shift.objects.filter(person=demo.people["operator"]).first(),
                        to_person=demo.people["agent"], by=demo.people["operator"])
    with django_assert_max_num_queries(len(one)) as many:
        page = client.get(reverse("roster:week"), WEEK).content.decode()
    assert len(many) == len(one) and page.count('class="roster-shift"') == 1 + 7 * 3 + 7 + 6  # nights: two days


def test_the_dashboard_card_and_the_now_page_name_the_same_people(demo, login):
    import re

    from django.core.management import call_command

    call_command("seed_demo_roster", quiet=True)
    client = login(demo.people["manager"])
    card = re.search(r'<ul class="on-duty">(.*?)</ul>', client.get(reverse("reports:dashboard")).content.decode(),
                     re.S).group(1)
    board = client.get(reverse("roster:now")).content.decode()
    on_now = {p.username: str(p) for shift in Shift.objects.filter(starts_at__lte=timezone.now(),
                                                                   ends_at__gt=timezone.now())
              for p in [shift.person]}
    assert on_now  # the demo roster leaves no hour empty
    for name in on_now.values():
        assert name in card and name in board
