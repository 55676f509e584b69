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

LEGAL = "法务部"  # the department told of attacks, of the serious matters below, and from orange on; a Department name
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

# A neutral third party speaks for quality: product-quality problems (our fault, or a serious matter of the
# playbook such as food safety) and misunderstandings about quality alike.
THIRD_PARTY = Step("quality:third_party",
                   gettext_noop("On quality questions let a neutral third party speak (e.g. an independent test "
                                "report)"), OWNER_PR, timedelta(hours=24))

# By type; a misunderstanding by its handling ("cold": privately first, "hot": in public).
TYPE_STEPS: dict[str, list[Step]] = {
    IncidentType.OUR_FAULT: [
        Step("our_fault:apologise", gettext_noop("Apologise publicly: say what went wrong and what we do about it"),
             OWNER_PR, timedelta(hours=1)),
        Step("our_fault:cause", gettext_noop("Find the cause with customer service and production"),
             dept(CUSTOMER_SERVICE), timedelta(hours=4)),
        Step("our_fault:compensate", gettext_noop("Compensate the customers affected"),
             dept(CUSTOMER_SERVICE), timedelta(hours=24)),
        THIRD_PARTY,
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
        THIRD_PARTY,
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


# --- how serious the matter itself is ------------------------------------------------------------------------
# Practitioners grade a negative by how many people take part *and* by the matter itself: a food-safety or a
# health claim from a few people is already serious. A matter is found by the incident's type or by a keyword
# in its title, summary or mentions; it raises the grade to at least its grade, tells legal from the first grade
# (with PR) when marked so, and brings the neutral third party's step when it is about product quality.


@dataclass(frozen=True)
class Matter:
    key: str
    label: str  # gettext_noop: translated when shown
    grade: str  # the incident is at least this grade
    keywords: tuple[str, ...] = ()  # any one in the incident's texts marks the matter
    kinds: tuple[str, ...] = ()  # or one of these incident types
    legal: bool = False  # legal is told from the first grade, with PR
    quality: bool = False  # about product quality: a neutral third party speaks


SERIOUS_MATTERS = [
    Matter("food_safety", gettext_noop("Food safety"), Grade.YELLOW,
           keywords=("食物中毒", "拉肚子", "腹泻", "呕吐", "过期", "发霉", "异物", "细菌超标"),
           legal=True, quality=True),
    Matter("health", gettext_noop("Health claim"), Grade.YELLOW,
           keywords=("致癌", "婴儿", "过敏", "住院", "激素", "三聚氰胺", "重金属"), legal=True, quality=True),
    Matter("attack", gettext_noop("Malicious attack"), Grade.YELLOW, kinds=(IncidentType.ATTACK,), legal=True),
]


def matters_found(kind: str, texts: list[str]) -> list[tuple[Matter, list[str]]]:
    """The serious matters of an incident of type ``kind`` whose texts are ``texts``, each with the keywords
    found (empty when the type marks it)."""
    found = []
    for matter in SERIOUS_MATTERS:
        words = [w for w in matter.keywords if any(w in text for text in texts)]
        if words or kind in matter.kinds:
            found.append((matter, words))
    return found


def all_keywords() -> list[str]:
    return list(dict.fromkeys(w for m in SERIOUS_MATTERS for w in m.keywords))


def type_steps(kind: str, handling: str = "") -> list[Step]:
    if kind == IncidentType.MISUNDERSTANDING:
        return TYPE_STEPS[f"{kind}:{handling or Handling.COLD}"]
    return TYPE_STEPS.get(kind, [])


def grade_steps(grade: str) -> list[Step]:
    return GRADE_STEPS.get(grade, [])


# --- steps an event completes -------------------------------------------------------------------------------
# A step that an incident event fulfils is ticked by that event (by whoever caused it), and a step added after
# its event is added done: the checklist follows what happened.
PUBLIC_STATEMENT_STEPS = ("our_fault:apologise", "misunderstanding:explain", "attack:statement",
                          "collateral:clarify")
DONE_BY_EVENT: dict[str, tuple[str, ...]] = {
    "typed": ("open:type",),
    "statement_drafted": ("yellow:holding",),
    "statement_published": ("yellow:holding", *PUBLIC_STATEMENT_STEPS),
}


def steps_done_by(event_kind: str) -> tuple[str, ...]:
    return DONE_BY_EVENT.get(event_kind, ())
