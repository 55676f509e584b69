"""Scorecards: each KPI of the catalogue (``team.kpis``) computed from the stored rows for the brand, one
account or one person over a period, beside its target, with a link to the rows it came from.

Every figure is a handful of grouped queries over the period's rows, whatever the size of the matrix: the page
makes the same number of queries for 4 accounts as for 150 (tests/reports/test_kpis.py, bench/team.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from campaigns import selectors as campaign_selectors
from content import selectors as content_selectors
from fans import selectors as fans_selectors
from positioning.access import Action, account_allows
from positioning.models import Account, Brand
from sentiment import selectors as sentiment_selectors
from team.kpis import ACCOUNT, BRAND, HIGHER, KPIS, PERSON, Kpi
from team.models import KpiTarget, User


@dataclass
class Figure:
    code: str
    name: str
    formula: str
    rows: str
    value: float | None  # None: not measured, or nothing to measure in the period
    target: Decimal | None
    attainment: float | None  # percent of the target reached (for "lower is better", target ÷ value)
    unit: str
    url: str  # the list of the rows behind the figure
    direction: str = HIGHER
    basis: str = ""  # the counts the value was computed from, e.g. "3 / 4"


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[since, until) in aware datetimes of the project's time zone (Asia/Shanghai): the days as people count."""
    tz = timezone.get_current_timezone()
    return datetime.combine(start, time.min, tzinfo=tz), datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)


def scope_of(*, account: Account | None, person: User | None) -> str:
    return PERSON if person is not None else ACCOUNT if account is not None else BRAND


def scorecard_allowed(user: User, *, brand: Brand, account: Account | None = None,
                      person: User | None = None) -> bool:
    """Managers see every scorecard; a person sees their own and those of the accounts they can see."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_org_wide:
        return True
    if person is not None:
        return person.pk == user.pk
    return account is not None and account_allows(user, account, Action.VIEW)


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _ratio(part: float, whole: int, digits: int = 2) -> float | None:
    return round(part / whole, digits) if whole else None


def attainment_of(kpi: Kpi, value: float | None, target: Decimal | None) -> float | None:
    """Percent of the target reached: value ÷ target when higher is better, target ÷ value when lower is; a
    lower-is-better figure of 0 meets any target."""
    if value is None or target is None:
        return None
    if kpi.direction == HIGHER:
        return round(100 * value / float(target), 1) if target else None
    return round(100 * float(target) / value, 1) if value else 100.0


def _targets(*, brand: Brand, account: Account | None, person: User | None, start: date,
             end: date) -> dict[str, Decimal]:
    """{kpi code: value} of the scope's targets whose period covers [start, end]; the latest-starting wins."""
    rows = KpiTarget.objects.filter(brand=brand, start__lte=start, end__gte=end,
                                    account=account if person is None else None, person=person).order_by("start", "id")
    return {row.kpi: row.value for row in rows}


def _urls(*, account: Account | None, person: User | None, start: date) -> dict[str, str]:
    """Where each figure's rows are listed, filtered as far as those lists allow."""
    calendar = reverse("content:calendar") + "?" + urlencode(
        {"view": "month", "start": start.isoformat(), **({"account": account.pk} if account else {})})
    inbox = reverse("fans:inbox") + "?" + urlencode(
        {"state": "all", **({"account": account.pk} if account else {}), **({"assignee": person.pk} if person else {})})
    node_fans = reverse("fans:fans") + "?list=node"
    circles = reverse("positioning:account", args=[account.pk]) if account else reverse("positioning:matrix")
    return {
        "originality_rate": calendar, "interactions_per_post": calendar, "interactions_per_kfans": calendar,
        "localisation_share": calendar, "plan_attainment": calendar, "second_level_per_post": reverse("campaigns:list"),
        "response_rate": inbox, "response_time": inbox, "resolution_rate": inbox, "resolution_time": inbox,
        "node_fans_gained": node_fans, "active_fan_share": reverse("fans:fans"), "circles_reached": circles,
        "incidents_on_time": reverse("sentiment:incidents"),
    }


def scorecard(*, brand: Brand, person: User | None = None, account: Account | None = None, start: date,
              end: date, now: datetime | None = None) -> list[Figure]:
    """Every KPI that means something for the scope (``Kpi.scopes``), computed from the stored rows of
    [start, end] (days in Asia/Shanghai). A fixed number of queries, whatever the number of accounts.

    Precondition: the caller has checked ``scorecard_allowed``; ``account`` belongs to ``brand``."""
    scope = scope_of(account=account, person=person)
    since, until = period_bounds(start, end)
    now = now or timezone.now()
    account_ids = [account.pk] if account is not None else list(
        Account.objects.filter(brand=brand).values_list("pk", flat=True))
    person_id = person.pk if person is not None else None
    codes = {kpi.code for kpi in KPIS if scope in kpi.scopes}
    values: dict[str, tuple[float | None, str]] = {}

    posts = content_selectors.kpi_post_figures(account_ids=account_ids, since=since, until=until,
                                               person_id=person_id)[None]
    values["originality_rate"] = (_share(posts["original"], posts["posts"]), f"{posts['original']} / {posts['posts']}")
    values["interactions_per_post"] = (_ratio(posts["interactions"], posts["posts"]),
                                       f"{posts['interactions']} / {posts['posts']}")
    values["interactions_per_kfans"] = (None, "")
    values["localisation_share"] = (_share(posts["local"], posts["regional"]),
                                    f"{posts['local']} / {posts['regional']}")

    mids = content_selectors.kpi_published(account_ids=account_ids, since=since, until=until,
                                           person_id=person_id).exclude(mid="").values("mid")
    from_campaigns = campaign_selectors.kpi_second_level(status_ids=mids)
    from_cascades = sentiment_selectors.kpi_second_level(status_ids=mids)
    # A campaign post's own tree first; a post without one counts its monitoring cascade: never both.
    second = sum(from_campaigns.values()) + sum(n for mid, n in from_cascades.items() if mid not in from_campaigns)
    values["second_level_per_post"] = (_ratio(second, posts["posts"]), f"{second} / {posts['posts']}")

    inbox = fans_selectors.kpi_inbox_figures(account_ids=account_ids, since=since, until=until,
                                             person_id=person_id)[None]
    values["response_rate"] = (_share(inbox["answered"], inbox["total"]), f"{inbox['answered']} / {inbox['total']}")
    values["resolution_rate"] = (_share(inbox["resolved"], inbox["total"]), f"{inbox['resolved']} / {inbox['total']}")
    for code, key, count in (("response_time", "response_minutes", "answered"),
                             ("resolution_time", "resolution_minutes", "resolved")):
        minutes = inbox[key]
        values[code] = (None if minutes is None else round(minutes, 1), str(inbox[count]))

    if codes & {"node_fans_gained", "active_fan_share"}:
        fans = fans_selectors.kpi_fan_figures(account_ids=account_ids, since=since, until=until)
        values["node_fans_gained"] = (float(fans["node_gained"]), "")
        values["active_fan_share"] = (_share(fans["active"], fans["known"]), f"{fans['active']} / {fans['known']}")
    if "circles_reached" in codes:
        circles = fans_selectors.kpi_circle_figures(account_ids=account_ids, since=since, until=until)
        values["circles_reached"] = (_share(circles["reached"], circles["total"]),
                                     f"{circles['reached']} / {circles['total']}")
    if "plan_attainment" in codes:
        # The plan counts the days of the period up to today: a month half gone is judged on its first half.
        days = (min(end, timezone.localtime(now).date()) - start).days + 1
        per_day = sum(content_selectors.kpi_posts_planned(account_ids=account_ids).values())
        planned = max(days, 0) * per_day
        values["plan_attainment"] = (_share(posts["posts"], planned), f"{posts['posts']} / {planned}")
    if "incidents_on_time" in codes:
        incidents = sentiment_selectors.kpi_incident_figures(brand_id=brand.pk, since=since, until=until,
                                                             person_id=person_id, now=now)
        values["incidents_on_time"] = (_share(incidents["on_time"], incidents["total"]),
                                       f"{incidents['on_time']} / {incidents['total']}")

    targets = _targets(brand=brand, account=account, person=person, start=start, end=end)
    urls = _urls(account=account, person=person, start=start)
    figures = []
    for kpi in KPIS:
        if kpi.code not in codes:
            continue
        value, basis = values[kpi.code]
        target = targets.get(kpi.code)
        figures.append(Figure(code=kpi.code, name=str(kpi.name), formula=str(kpi.formula), rows=str(kpi.rows),
                              value=value, target=target, attainment=attainment_of(kpi, value, target),
                              unit=kpi.unit, url=urls[kpi.code], direction=kpi.direction, basis=basis))
    return figures
