"""The KPI catalogue: what each figure of a scorecard means, in words shown to people, and which rows it counts.

Pure definitions: no queries. The numbers are computed in ``reports.kpis`` from the apps' stored rows, with the
definitions those apps already have (content's "original", fans' answer clocks, the fan CRM's node-fan
threshold, sentiment's incident steps), so that one figure has one definition (CONVENTIONS habit 15).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

HIGHER, LOWER = "higher", "lower"  # which way is better

PERCENT = "percent"
PER_POST = "per_post"
MINUTES = "minutes"
COUNT = "count"

UNIT_LABELS = {PERCENT: "%", PER_POST: _("per post"), MINUTES: _("minutes"), COUNT: _("count")}
# The values a target may take, per unit: a share is 0–100 %, the rest is a non-negative figure below a sanity cap.
UNIT_RANGES: dict[str, tuple[Decimal, Decimal]] = {
    PERCENT: (Decimal(0), Decimal(100)),
    PER_POST: (Decimal(0), Decimal(10_000_000)),
    MINUTES: (Decimal(0), Decimal(60 * 24 * 365)),  # a year
    COUNT: (Decimal(0), Decimal(10_000_000)),
}

# Scopes a figure can be computed for.
BRAND, ACCOUNT, PERSON = "brand", "account", "person"


@dataclass(frozen=True)
class Kpi:
    code: str
    name: str
    unit: str
    direction: str  # HIGHER or LOWER is better
    formula: str  # the arithmetic in plain words
    rows: str  # which stored rows it counts
    scopes: tuple[str, ...] = (BRAND, ACCOUNT, PERSON)  # where it means something

    @property
    def unit_label(self) -> str:
        return str(UNIT_LABELS[self.unit])


KPIS: tuple[Kpi, ...] = (
    Kpi("originality_rate", _("Originality rate"), PERCENT, HIGHER,
        _("Original posts published ÷ all posts published in the period × 100."),
        _("Posts published on the account(s) in the period; a post is original unless it is marked as a repost or "
          "quote (the post's “original” box). For a person: the posts they wrote.")),
    Kpi("interactions_per_post", _("Interactions per post"), PER_POST, HIGHER,
        _("(Reposts + comments + likes) ÷ posts published in the period."),
        _("Posts published in the period, with the latest counts read from Weibo (statuses/count).")),
    Kpi("interactions_per_kfans", _("Interactions per thousand fans"), PER_POST, HIGHER,
        _("Interactions per post ÷ (the account's followers ÷ 1000)."),
        _("Not measured: the app does not keep the accounts' own follower counts yet (users/show is read only for "
          "the name when an account is connected).")),
    Kpi("response_rate", _("Response rate"), PERCENT, HIGHER,
        _("Inbox items needing an answer that have been answered ÷ all such items received in the period × 100."),
        _("Inbox items (mentions, comments, messages) that needed an answer, received in the period; for a person: "
          "those assigned to them (the inbox statistics count the same way).")),
    Kpi("response_time", _("Median first-response time"), MINUTES, LOWER,
        _("The median of (first answer − received) over the answered items, in minutes."),
        _("The answered inbox items among those of the response rate.")),
    Kpi("resolution_rate", _("Resolution rate"), PERCENT, HIGHER,
        _("Items needing an answer that have been closed ÷ all such items received in the period × 100."),
        _("The inbox items of the response rate.")),
    Kpi("resolution_time", _("Median resolution time"), MINUTES, LOWER,
        _("The median of (closed − received) over the closed items, in minutes."),
        _("The closed inbox items among those of the response rate.")),
    Kpi("second_level_per_post", _("Second-level reposts per post"), PER_POST, HIGHER,
        _("Reposts of reposts (depth 2 and more) of the posts published in the period ÷ those posts."),
        _("The repost trees kept for campaign posts (campaign entries) and, for a post with none, the cascade "
          "that monitoring keeps for it.")),
    Kpi("node_fans_gained", _("Node fans gained"), COUNT, HIGHER,
        _("Fans with influence at or above the fan CRM's node-fan threshold, first seen in the period, who "
          "interacted with the account(s) in the period."),
        _("Fans of the fan CRM (“node” list) and their interactions."), scopes=(BRAND, ACCOUNT)),
    Kpi("active_fan_share", _("Active-fan share"), PERCENT, HIGHER,
        _("Fans who interacted in the period ÷ fans who ever interacted up to the period's end × 100."),
        _("Distinct fans of the inbox's interactions with the account(s)."), scopes=(BRAND, ACCOUNT)),
    Kpi("circles_reached", _("Circles reached"), PERCENT, HIGHER,
        _("Target circles with at least one interacting fan in the period ÷ all target circles × 100; a fan is "
          "in a circle when the circle's name appears in their Weibo profile."),
        _("The accounts' target circles (positioning) and the profiles of the fans who interacted in the period."),
        scopes=(BRAND, ACCOUNT)),
    Kpi("localisation_share", _("Localisation share"), PERCENT, HIGHER,
        _("Posts published on regional accounts whose text names the account's region (one of its places) ÷ "
          "those accounts' posts × 100."),
        _("Posts published in the period on accounts with a region (positioning's “region” field).")),
    Kpi("plan_attainment", _("Posting-plan attainment"), PERCENT, HIGHER,
        _("Posts published ÷ posts planned (the playbook's posts a day × the days of the period up to today) × 100."),
        _("Posts published in the period; the plan of each account's latest playbook."), scopes=(BRAND, ACCOUNT)),
    Kpi("incidents_on_time", _("Incidents handled within their clock"), PERCENT, HIGHER,
        _("Incidents opened in the period whose every checklist step was done by its deadline ÷ incidents opened "
          "in the period × 100; a step still open past its deadline counts as late."),
        _("Crisis incidents of the brand and their checklist steps; for a person: incidents with steps they own."),
        scopes=(BRAND, PERSON)),
)

KPI_BY_CODE = {kpi.code: kpi for kpi in KPIS}


def kpi_get(code: str) -> Kpi | None:
    return KPI_BY_CODE.get(code)
