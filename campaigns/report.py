"""The campaign report (活动报告): what a campaign did, against its goals and the brand's earlier campaigns.

Every figure is read from stored rows, never re-fetched from Weibo, and never from the campaign's entries
one by one: reposts, second-level reposts, depth and reach from the running totals (``CampaignStats``,
``CampaignDay``) the harvest adds to as it stores; exclusions by reason from the totals the last evaluation
of the rules wrote; participants, codes and winners as indexed counts; fans gained and retention from
``campaigns.retention``; consultations from the inbox (``fans.selectors.campaign_consultations``). So a
campaign with a million reposts costs the report what one with ten thousand does.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from fans.selectors import campaign_consultations

from .eligibility import REASON_LABELS
from .models import (
    Campaign,
    CampaignDay,
    CampaignKind,
    CampaignStats,
    Code,
    Goal,
    Metric,
    Participant,
    PrizeState,
    Winner,
)
from .retention import campaign_retention

EARLIER = 5  # the brand's campaigns before this one shown beside it

# How each figure is computed: said on the page and in the spreadsheet next to it.
HOW = {
    "reposts": _("Reposts of the campaign's posts stored by the harvest (each counted once)."),
    "second_level": _("Reposts of a repost (depth 2 or more in the repost tree): 二次转发, the spread beyond "
                      "the accounts' own followers."),
    "max_depth": _("The longest chain of reposts of reposts."),
    "comments": _("Comments on the campaign's posts stored by the harvest."),
    "posts": _("Entrants' own posts with the campaign's #topic# and a picture, found by searching the topic."),
    "reach": _("The followers of everyone who reposted or commented, added up per entry (people reached at "
               "most; overlaps are counted again)."),
    "participants": _("Different people who entered, however many times."),
    "eligible": _("Participants who may win: every rule met and not taken for a zombie or a lottery hunter, "
                  "or allowed by a person."),
    "excluded": _("Participants excluded at the last check of the rules, by reason (one person may have "
                  "several reasons)."),
    "fans_gained": _("People who started following the campaign's accounts during the campaign (follow "
                     "events pushed by Weibo, and the followers list where the API gives it)."),
    "retained_7": _("Of the fans gained at least 7 days ago, those still following 7 days after they followed."),
    "retained_30": _("Of the fans gained at least 30 days ago, those still following 30 days after they "
                     "followed."),
    "cost": _("The campaign's budget plus its approved prizes, divided by the fans still following after 30 "
              "days (after 7 days while 30 have not passed)."),
    "redemptions": _("Codes redeemed (through the API or an imported file), per channel."),
    "consultations": _("Questions and private messages to the campaign's accounts during the campaign that "
                       "refer to one of its posts or mention its topic."),
    "winners": _("Winners drawn, and how many have received their prize."),
}


@dataclass
class Retention:
    gained: int | None = None
    retained_7: int | None = None
    measurable_7: int | None = None
    retained_30: int | None = None
    measurable_30: int | None = None

    @staticmethod
    def _share(retained: int | None, measurable: int | None) -> float | None:
        return retained / measurable if retained is not None and measurable else None

    @property
    def share_7(self) -> float | None:
        return self._share(self.retained_7, self.measurable_7)

    @property
    def share_30(self) -> float | None:
        return self._share(self.retained_30, self.measurable_30)


@dataclass
class GoalRow:
    metric: str
    label: str
    target: int
    actual: int | None

    @property
    def met(self) -> bool | None:
        return None if self.actual is None else self.actual >= self.target

    @property
    def percent(self) -> int | None:
        return None if self.actual is None or not self.target else round(100 * self.actual / self.target)


@dataclass
class Summary:
    """The figures compared across campaigns."""

    campaign: Campaign
    reposts: int = 0
    second_level: int = 0
    max_depth: int = 0
    comments: int = 0
    posts: int = 0  # entrants' own posts with the topic (photo UGC)
    reach: int = 0
    participants: int = 0
    eligible: int = 0
    redemptions: int = 0
    consultations: int = 0
    retention: Retention = field(default_factory=Retention)
    spend: Decimal = Decimal("0")

    @property
    def retained_for_cost(self) -> tuple[int | None, int]:
        """(retained fans, after how many days) the cost per retained fan divides by."""
        r = self.retention
        if r.measurable_30:
            return r.retained_30, 30
        if r.measurable_7:
            return r.retained_7, 7
        return None, 0

    @property
    def cost_per_retained(self) -> Decimal | None:
        retained, _days = self.retained_for_cost
        return (self.spend / retained).quantize(Decimal("0.01")) if retained else None

    def value(self, metric: str) -> int | None:
        return {
            Metric.SECOND_LEVEL: self.second_level, Metric.PARTICIPANTS: self.participants,
            Metric.FANS_GAINED: self.retention.gained, Metric.RETAINED_7: self.retention.retained_7,
            Metric.RETAINED_30: self.retention.retained_30, Metric.REDEMPTIONS: self.redemptions,
            Metric.CONSULTATIONS: self.consultations,
        }.get(metric)


@dataclass
class ChannelRow:
    channel: str
    codes: int
    redeemed: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.redeemed / self.codes) if self.codes else None


@dataclass
class Report:
    summary: Summary
    now: datetime
    goals: list[GoalRow]
    excluded: list[tuple[str, str, int]]  # (code, words, participants)
    evaluated_at: datetime | None
    channels: list[ChannelRow]
    days: list[CampaignDay]
    winners: int
    delivered: int
    earlier: list[Summary]
    stats_at: datetime | None
    how: dict = field(default_factory=lambda: HOW)

    @property
    def campaign(self) -> Campaign:
        return self.summary.campaign


def _retention(campaign: Campaign, now: datetime) -> Retention:
    """``campaigns.retention``'s figures; a period nobody can be measured for yet is None (not measured), not 0."""
    found = campaign_retention(campaign=campaign, now=now)
    after_7, after_30 = found.periods[7], found.periods[30]
    return Retention(gained=found.gained,
                     retained_7=after_7.retained if after_7.measurable else None, measurable_7=after_7.measurable,
                     retained_30=after_30.retained if after_30.measurable else None,
                     measurable_30=after_30.measurable)


def status_ids(campaign: Campaign) -> list[str]:
    """The Weibo ids of the campaign's posts: those the harvest reads and those published from the composer."""
    ids = set(campaign.harvests.values_list("status_id", flat=True))
    ids |= {mid for mid in campaign.posts.values_list("targets__mid", flat=True) if mid}
    return sorted(ids)


def _summary(campaign: Campaign, now: datetime) -> Summary:
    stats = CampaignStats.objects.filter(campaign=campaign).first() or CampaignStats(campaign=campaign)
    people = Participant.objects.filter(campaign=campaign).aggregate(
        total=Count("pk"), eligible=Count("pk", filter=Q(eligible=True)))
    prizes = campaign.prizes.filter(state=PrizeState.APPROVED).values_list("quantity", "unit_cost")
    until = min(campaign.ends_at, now)
    return Summary(
        campaign=campaign, reposts=stats.reposts, second_level=stats.second_level, max_depth=stats.max_depth,
        comments=stats.comments, posts=stats.posts, reach=stats.reach, participants=people["total"],
        eligible=people["eligible"],
        redemptions=Code.objects.filter(campaign=campaign, redeemed_at__isnull=False).count(),
        consultations=campaign_consultations(
            account_ids=list(campaign.accounts.values_list("pk", flat=True)), since=campaign.starts_at,
            until=until, status_ids=status_ids(campaign), topic=campaign.topic) if until > campaign.starts_at else 0,
        retention=_retention(campaign, now),
        spend=campaign.budget + sum((Decimal(q) * cost for q, cost in prizes), Decimal("0")),
    )


def campaign_report(*, campaign: Campaign, now: datetime | None = None) -> Report:
    """The campaign's figures, its goals met or not, and the brand's earlier campaigns' same figures."""
    now = now or timezone.now()
    summary = _summary(campaign, now)
    stats = CampaignStats.objects.filter(campaign=campaign).first()
    counts = (stats.excluded if stats else {}) or {}
    excluded = [(code, str(label), counts[code]) for code, label in REASON_LABELS.items() if counts.get(code)]
    goals = [GoalRow(goal.metric, str(goal.get_metric_display()), goal.target, summary.value(goal.metric))
             for goal in Goal.objects.filter(campaign=campaign)]
    channels = [ChannelRow(row["channel"], row["codes"], row["redeemed"]) for row in
                Code.objects.filter(campaign=campaign).values("channel").order_by("channel")
                .annotate(codes=Count("pk"), redeemed=Count("pk", filter=Q(redeemed_at__isnull=False)))]
    winners = Winner.objects.filter(campaign=campaign).aggregate(
        total=Count("pk"), delivered=Count("pk", filter=Q(delivery_state="delivered")))
    earlier_campaigns = (Campaign.objects.filter(brand_id=campaign.brand_id, starts_at__lt=campaign.starts_at)
                         .exclude(pk=campaign.pk).exclude(state="cancelled").order_by("-starts_at")[:EARLIER])
    return Report(
        summary=summary, now=now, goals=goals, excluded=excluded, evaluated_at=stats.evaluated_at if stats else None,
        channels=channels, days=list(CampaignDay.objects.filter(campaign=campaign).order_by("day")),
        winners=winners["total"], delivered=winners["delivered"],
        earlier=[_summary(c, now) for c in earlier_campaigns], stats_at=stats.updated_at if stats else None,
    )



@dataclass
class Row:
    key: str
    label: str
    value: object  # int, Decimal, a share 0-1 (``share``) or None: not measured yet
    target: int | None
    how: str
    share: bool = False
    note: str = ""


def report_rows(report: Report) -> list[Row]:
    """The figures in the order the page and the spreadsheet show them, each with its target and how it is
    computed: one definition for both."""
    s, targets = report.summary, {g.metric: g.target for g in report.goals}
    r = s.retention
    retained, days = s.retained_for_cost
    rows = [
        Row("reposts", str(_("Reposts")), s.reposts, None, str(HOW["reposts"])),
        Row("second_level", str(_("Second-level reposts")), s.second_level, targets.get(Metric.SECOND_LEVEL),
            str(HOW["second_level"])),
        Row("max_depth", str(_("Deepest repost chain")), s.max_depth, None, str(HOW["max_depth"])),
        Row("comments", str(_("Comments")), s.comments, None, str(HOW["comments"])),
        *([Row("posts", str(_("Own posts with the topic")), s.posts, None, str(HOW["posts"]))]
          if s.campaign.kind == CampaignKind.PHOTO_UGC else []),
        Row("reach", str(_("Reach")), s.reach, None, str(HOW["reach"])),
        Row("participants", str(_("Participants")), s.participants, targets.get(Metric.PARTICIPANTS),
            str(HOW["participants"])),
        Row("eligible", str(_("Eligible participants")), s.eligible, None, str(HOW["eligible"])),
        Row("fans_gained", str(_("Fans gained")), r.gained, targets.get(Metric.FANS_GAINED), str(HOW["fans_gained"])),
        Row("retained_7", str(_("Still following after 7 days")), r.retained_7, targets.get(Metric.RETAINED_7),
            str(HOW["retained_7"]), note=_share_note(r.retained_7, r.measurable_7)),
        Row("retained_30", str(_("Still following after 30 days")), r.retained_30, targets.get(Metric.RETAINED_30),
            str(HOW["retained_30"]), note=_share_note(r.retained_30, r.measurable_30)),
        Row("cost", str(_("Cost per retained fan (yuan)")), s.cost_per_retained, None, str(HOW["cost"]),
            note=(str(_("%(spend)s yuan ÷ %(n)s fans retained after %(days)s days"))
                  % {"spend": s.spend, "n": retained, "days": days}) if retained else ""),
        Row("redemptions", str(_("Code redemptions")), s.redemptions, targets.get(Metric.REDEMPTIONS),
            str(HOW["redemptions"])),
        Row("consultations", str(_("Consultations in the inbox")), s.consultations,
            targets.get(Metric.CONSULTATIONS), str(HOW["consultations"])),
        Row("winners", str(_("Winners (prize delivered)")), report.winners, None, str(HOW["winners"]),
            note=str(_("%(n)s delivered")) % {"n": report.delivered} if report.winners else ""),
    ]
    return rows


def _share_note(retained: int | None, measurable: int | None) -> str:
    if retained is None or not measurable:
        return ""
    return str(_("%(retained)s of %(measurable)s measurable (%(percent)s%%)")) % {
        "retained": retained, "measurable": measurable, "percent": round(100 * retained / measurable)}


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell_text(value: object) -> object:
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
        return "'" + value  # never a formula, whatever a campaign's or channel's name starts with
    if isinstance(value, Decimal):
        return float(value)
    return value


def report_xlsx(report: Report) -> bytes:
    """The report as a workbook: the figures with targets and how each is computed, the earlier campaigns,
    the exclusions, the code channels and the days."""
    book = Workbook(write_only=True)
    sheets = [
        (str(_("Figures")), [str(_("Figure")), str(_("Value")), str(_("Target")), str(_("Note")),
                             str(_("How it is computed"))],
         [[row.label, row.value, row.target, row.note, row.how] for row in report_rows(report)]),
        (str(_("Earlier campaigns")), [str(_("Campaign")), str(_("Starts")), str(_("Reposts")),
                                      str(_("Second-level reposts")), str(_("Participants")), str(_("Fans gained")),
                                      str(_("Still following after 7 days")), str(_("Still following after 30 days")),
                                      str(_("Cost per retained fan (yuan)")), str(_("Code redemptions")),
                                      str(_("Consultations in the inbox"))],
         [[s.campaign.title, timezone.localtime(s.campaign.starts_at).date(), s.reposts, s.second_level,
           s.participants, s.retention.gained, s.retention.retained_7, s.retention.retained_30, s.cost_per_retained,
           s.redemptions, s.consultations] for s in [report.summary, *report.earlier]]),
        (str(_("Exclusions")), [str(_("Reason")), str(_("Participants"))],
         [[label, count] for _code, label, count in report.excluded]),
        (str(_("Code channels")), [str(_("Channel")), str(_("Codes")), str(_("Redeemed"))],
         [[c.channel, c.codes, c.redeemed] for c in report.channels]),
        (str(_("Days")), [str(_("Day")), str(_("Reposts")), str(_("Second-level reposts")), str(_("Comments"))],
         [[d.day, d.reposts, d.second_level, d.comments] for d in report.days]),
    ]
    for title, header, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.append(header)
        for row in rows:
            sheet.append([_cell_text(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
