"""Crisis checklists as data: the steps each incident type and each grade brings, who owns them and by when.

A step's deadline counts from the moment the step is added: opening the incident for the first steps, typing it
for the type's steps, the grade rising for the grade's steps. Owners are written as roles or departments and are
resolved to people when the step is added (``incidents._owner``):

- ``pr``: a PR person (the one who acts, when they are PR);
- ``manager``: a manager (senior management);
- ``dept:<name>``: that department (``IncidentTask.department``) and its first person, if it has one.

Titles are marked for translation here and translated when the step is stored; department names are data
(the names of ``team.Department`` rows), not interface text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import gettext_noop

from .models import Grade, Handling, IncidentType

LEGAL = "法务部"  # the department told of attacks and from orange on; a Department name
CUSTOMER_SERVICE = "客户服务部"  # finds the cause of product faults with production

OWNER_PR = "pr"
OWNER_MANAGER = "manager"


def dept(name: str) -> str:
    return f"dept:{name}"


@dataclass(frozen=True)
class Step:
    key: str  # unique within an incident (IncidentTask.key, at most 40 characters)
    title: str  # gettext_noop: translated when stored
    owner: str  # OWNER_PR, OWNER_MANAGER or dept(name)
    due: timedelta  # after the step is added


# Every incident, from the moment it is opened.
OPENING_STEPS = [
    Step("open:type", gettext_noop("Judge the type: our fault, a misunderstanding, an attack or collateral damage"),
         OWNER_PR, timedelta(minutes=30)),
]

# By type; a misunderstanding by its handling ("cold": privately first, "hot": in public).
TYPE_STEPS: dict[str, list[Step]] = {
    IncidentType.OUR_FAULT: [
        Step("our_fault:apologise", gettext_noop("Apologise publicly: say what went wrong and what we do about it"),
             OWNER_PR, timedelta(hours=1)),
        Step("our_fault:cause", gettext_noop("Find the cause with customer service and production"),
             dept(CUSTOMER_SERVICE), timedelta(hours=4)),
        Step("our_fault:compensate", gettext_noop("Compensate the customers affected"),
             dept(CUSTOMER_SERVICE), timedelta(hours=24)),
        Step("our_fault:follow_up", gettext_noop("Follow up in public: what was fixed, so the apology is kept"),
             OWNER_PR, timedelta(hours=72)),
    ],
    f"{IncidentType.MISUNDERSTANDING}:{Handling.COLD}": [
        Step("misunderstanding:private", gettext_noop("Send the fan a private message first and clear it up there"),
             OWNER_PR, timedelta(hours=2)),
        Step("misunderstanding:decide", gettext_noop("Decide whether a public explanation is still needed"),
             OWNER_PR, timedelta(hours=6)),
    ],
    f"{IncidentType.MISUNDERSTANDING}:{Handling.HOT}": [
        Step("misunderstanding:explain", gettext_noop("Explain in public, in plain words"),
             OWNER_PR, timedelta(hours=2)),
        Step("misunderstanding:third_party",
             gettext_noop("On quality questions let a neutral third party speak (e.g. an independent test report)"),
             OWNER_PR, timedelta(hours=24)),
    ],
    IncidentType.ATTACK: [
        Step("attack:statement", gettext_noop("Publish a statement fast, in step with the attack"),
             OWNER_PR, timedelta(minutes=30)),
        Step("attack:evidence", gettext_noop("Hand the evidence (accounts, times, repost pattern) to legal"),
             dept(LEGAL), timedelta(hours=2)),
        Step("attack:report", gettext_noop("Report the attacking accounts to Weibo"),
             OWNER_PR, timedelta(hours=2)),
        Step("attack:rally", gettext_noop("Rally loyal fans with the facts (never buy support)"),
             OWNER_PR, timedelta(hours=4)),
    ],
    IncidentType.COLLATERAL: [
        Step("collateral:clarify", gettext_noop("Clarify that we are not involved, with the facts"),
             OWNER_PR, timedelta(hours=2)),
        Step("collateral:no_attack", gettext_noop("Check every reply: no attack on the competitor"),
             OWNER_PR, timedelta(hours=2)),
    ],
}

# By grade, added when the incident reaches the grade (every grade passed on the way, too).
GRADE_STEPS: dict[str, list[Step]] = {
    Grade.YELLOW: [
        Step("yellow:lead", gettext_noop("Assign a PR lead for the incident"), OWNER_PR, timedelta(minutes=30)),
        Step("yellow:holding", gettext_noop("Draft a holding statement"), OWNER_PR, timedelta(hours=1)),
    ],
    Grade.ORANGE: [
        Step("orange:legal", gettext_noop("Legal review of the statements and the evidence"),
             dept(LEGAL), timedelta(hours=2)),
        Step("orange:updates", gettext_noop("Post an update every hour while it lasts"), OWNER_PR, timedelta(hours=1)),
    ],
    Grade.RED: [
        Step("red:briefing", gettext_noop("Brief senior management"), OWNER_MANAGER, timedelta(minutes=30)),
        Step("red:press", gettext_noop("Agree the press line for journalists"), OWNER_MANAGER, timedelta(hours=1)),
    ],
}


def type_steps(kind: str, handling: str = "") -> list[Step]:
    if kind == IncidentType.MISUNDERSTANDING:
        return TYPE_STEPS[f"{kind}:{handling or Handling.COLD}"]
    return TYPE_STEPS.get(kind, [])


def type_key_prefixes(kind: str) -> tuple[str, ...]:
    """The key prefixes of a type's steps (both handlings of a misunderstanding)."""
    return (f"{kind}:",)


def grade_steps(grade: str) -> list[Step]:
    return GRADE_STEPS.get(grade, [])
