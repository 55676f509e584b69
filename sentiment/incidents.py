"""Crisis incidents: opened from an alert or a mention, graded by how many people take part and how far it
reaches, typed by cause, worked through a checklist with owners and deadlines, answered with one voice.

- Grade: participants are the distinct authors of the incident's mentions and the reposters of its cascades;
  reach is the sum of their followers (each person once, at their largest count). The thresholds are the brand's
  (``MonitoringSettings.grades``, defaults in ``DEFAULT_GRADES``): a grade is reached with either enough people
  or enough reach. The matter itself counts too: a serious matter of the playbook (``playbooks.SERIOUS_MATTERS``:
  by type, or by a keyword such as 食物中毒 in the incident's texts) raises the grade to at least its grade. Each
  automatic grade records which inputs raised it (people, reach, the matter), shown on the page and in the
  report. The automatic grade only rises; a person may set it either way, with a reason, and the automatic grade
  then rises again only past what the figures said at that moment.
- Escalation when the grade rises: yellow tells PR; orange PR and legal (法务部; when it has nobody the
  managers are told that legal has no one); red PR, legal and senior management (the managers). For the matters
  the playbook marks for legal, legal is told with PR from the first grade.
- Type: our fault → apologise at once; misunderstanding → explain, "cold" (privately first) or "hot" (in
  public); attack → answer fast and in step; collateral damage → clarify. Type and grade bring their
  checklist steps (``playbooks.py``).
- One voice: statements are content posts, drafted, approved (or fast-tracked by a manager) and published
  through the content workflow; the incident lists every one of them.
- The product never deletes fans' posts or comments: the incident's timeline says so first.

Which mentions belong to an incident: those of the alerts and the mention it was opened from, and then, every
minute (``incidents_regrade_open``), the new negative mentions of the keyword groups of its alerts (all the
brand's for a brand-wide spike) and the negative comments and reposts under its mentions' posts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy

from content import services as content_services
from positioning.models import Account, Brand
from team.handover import absent_ids
from team.models import Department, Role, User
from team.services import audit_record, notice_send

from . import playbooks
from .access import Can, monitoring_allows, monitoring_require
from .alerts import OPEN_STATES, duty_first, monitoring_settings, page_url
from .labels import own_uids
from .models import (
    GRADE_ORDER,
    Alert,
    AlertKind,
    Cascade,
    Grade,
    Handling,
    Incident,
    IncidentEvent,
    IncidentState,
    IncidentTask,
    IncidentType,
    Mention,
    MonitoringSettings,
    Repost,
    Sentiment,
    Statement,
)

DEFAULT_GRADES: dict[str, dict[str, int]] = {  # people taking part, reach in followers
    Grade.YELLOW: {"people": 20, "reach": 100_000},
    Grade.ORANGE: {"people": 100, "reach": 1_000_000},
    Grade.RED: {"people": 500, "reach": 10_000_000},
}
NO_DELETION = gettext_noop("The product never deletes fans' posts or comments: negative ones are answered, "
                           "never removed.")
STATEMENT_PILLAR_WORDS = ("声明", "危机")  # a pillar named like 品牌声明 or 危机公关 carries statements
NOTICE_KIND = "sentiment_incident"


def grade_thresholds(config: MonitoringSettings) -> dict[str, dict[str, int]]:
    """The brand's thresholds over the defaults: ``{"yellow": {"people": 20, "reach": 100000}, ...}``."""
    merged = {}
    for grade, default in DEFAULT_GRADES.items():
        given = (config.grades or {}).get(grade) or {}
        merged[grade] = {key: int(given.get(key, value)) for key, value in default.items()}
    return merged


def grade_for(*, participants: int, reach: int, thresholds: dict[str, dict[str, int]]) -> str:
    grade = Grade.BLUE
    for candidate in GRADE_ORDER[1:]:
        limit = thresholds[candidate]
        if participants >= limit["people"] or reach >= limit["reach"]:
            grade = candidate
    return grade


MATTER_TEXTS_READ = 2000  # newest matching mention texts read to name the keywords found


def incident_matters(incident: Incident) -> list[tuple[playbooks.Matter, list[str]]]:
    """The playbook's serious matters this incident is about: by its type, or by a keyword in its title,
    summary or a mention that is not positive (praise mentioning 婴儿 is no health claim)."""
    texts = [incident.title, incident.summary]
    words = playbooks.all_keywords()
    if words and incident.pk:
        query = Q()
        for word in words:
            query |= Q(text__contains=word)
        texts += list(Mention.objects.filter(query, incidents=incident).exclude(sentiment=Sentiment.POSITIVE)
                      .order_by("-posted_at").values_list("text", flat=True)[:MATTER_TEXTS_READ])
    return playbooks.matters_found(incident.kind, texts)


def grade_assess(*, participants: int, reach: int, thresholds: dict[str, dict[str, int]],
                 matters: list[tuple[playbooks.Matter, list[str]]]) -> tuple[str, list[dict]]:
    """The automatic grade and the inputs that raise it to that grade: ``{"input": "people"|"reach",
    "value": n}`` or ``{"input": "matter", "matter": key, "keywords": [...], "kind": type or ""}``."""
    by_size = grade_for(participants=participants, reach=reach, thresholds=thresholds)
    grade = max([by_size, *(m.grade for m, _words in matters)], key=_rank)
    inputs: list[dict] = []
    if grade != Grade.BLUE:
        limit = thresholds[grade]
        if participants >= limit["people"]:
            inputs.append({"input": "people", "value": participants})
        if reach >= limit["reach"]:
            inputs.append({"input": "reach", "value": reach})
        inputs += [{"input": "matter", "matter": m.key, "keywords": words, "kind": "" if words else m.kinds[0]}
                   for m, words in matters if m.grade == grade]
    return grade, inputs


def grade_inputs_text(inputs: list[dict]) -> str:
    """Which inputs raised the grade, in words: 「参与人数 25」「严重事项：食品安全（关键词：拉肚子）」."""
    labels = {m.key: m.label for m in playbooks.SERIOUS_MATTERS}
    parts = []
    for item in inputs or []:
        if item.get("input") == "people":
            parts.append(_("people taking part: %(n)s") % {"n": item.get("value")})
        elif item.get("input") == "reach":
            parts.append(_("reach: %(n)s followers") % {"n": item.get("value")})
        elif item.get("input") == "matter":
            matter = _(labels.get(item.get("matter"), item.get("matter", "")))
            if item.get("keywords"):
                parts.append(_("serious matter: %(matter)s (keywords: %(words)s)") % {
                    "matter": matter, "words": "、".join(item["keywords"])})
            else:
                parts.append(_("serious matter: %(matter)s (by its type)") % {"matter": matter})
    return "; ".join(parts)


def legal_from_first_grade(matters: list[tuple[playbooks.Matter, list[str]]]) -> bool:
    return any(m.legal for m, _words in matters)


ESCALATION_LABELS = {"pr": gettext_lazy("PR"), "legal": gettext_lazy("legal"),
                     "management": gettext_lazy("senior management")}

# What each timeline entry is called wherever it is shown (the incident page, the report).
EVENT_LABELS = {
    "policy": gettext_lazy("Policy"), "opened": pgettext_lazy("incident timeline", "Opened"),
    "typed": gettext_lazy("Type judged"), "graded": gettext_lazy("Grade"), "escalated": gettext_lazy("Escalated"),
    "steps_added": gettext_lazy("Steps added"), "task_done": gettext_lazy("Step done"),
    "task_undone": gettext_lazy("Step open again"), "task_overdue": gettext_lazy("Step overdue"),
    "note": gettext_lazy("Note"), "alert": gettext_lazy("Alert joined"),
    "mentions_linked": gettext_lazy("Mentions linked"),
    "statement_drafted": gettext_lazy("Statement drafted"), "statement_approved": gettext_lazy("Statement approved"),
    "statement_published": gettext_lazy("Statement published"), "statement_out": gettext_lazy("Statement on Weibo"),
    "closed": pgettext_lazy("incident timeline", "Closed"), "reopened": gettext_lazy("Reopened"),
}


def event_label(kind: str) -> str:
    return str(EVENT_LABELS.get(kind, gettext_lazy("Other")))


def grade_label(grade: str | None) -> str:
    return str(Grade(grade).label) if grade in Grade.values else "—"


def _rank(grade: str) -> int:
    return GRADE_ORDER.index(grade)


def _event(incident: Incident, what: str, text: str = "", by: User | None = None, **data) -> IncidentEvent:
    actor = by if by is not None and by.pk else None
    event = IncidentEvent.objects.create(incident=incident, kind=what, text=text, actor=actor, data=data)
    _steps_complete(incident, playbooks.steps_done_by(what), actor)
    return event


def _steps_complete(incident: Incident, keys, by: User | None) -> None:
    """The open steps an event fulfils are done, by whoever caused the event."""
    if not keys:
        return
    now = timezone.now()
    for task in incident.tasks.filter(key__in=keys, done_at__isnull=True):
        if IncidentTask.objects.filter(pk=task.pk, done_at__isnull=True).update(done_at=now, done_by=by):
            IncidentEvent.objects.create(incident=incident, kind="task_done", text=task.title, actor=by,
                                         data={"task": task.pk, "key": task.key, "late": now > task.due_at,
                                               "auto": True})


def _respond_require(by: User, incident: Incident) -> None:
    monitoring_require(by, incident.brand, Can.RESPOND)


# --- who --------------------------------------------------------------------------------------------------

def _active() -> Q:
    return Q(is_active=True)


def pr_people() -> list[User]:
    return list(User.objects.filter(_active(), role=Role.PR).order_by("id"))


def managers() -> list[User]:
    """Senior management: managers and administrators."""
    return list(User.objects.filter(_active(), Q(role__in=[Role.MANAGER, Role.ADMIN]) | Q(is_superuser=True))
                .order_by("id"))


def department_people(name: str) -> tuple[Department | None, list[User]]:
    department = Department.objects.filter(name=name).first()
    if department is None:
        return None, []
    return department, list(User.objects.filter(_active(), department=department).order_by("id"))


def _owner(spec: str, by: User | None) -> tuple[User | None, Department | None]:
    """A checklist owner (``playbooks``) as a person and/or a department; never someone absent today
    (team.handover): their steps would wait for them."""
    away = absent_ids()

    def present(people: list[User]) -> User | None:
        return next((p for p in people if p.pk not in away), None)

    if spec.startswith("dept:"):
        department, people = department_people(spec.removeprefix("dept:"))
        if department is not None:
            return present(people), department
        spec = playbooks.OWNER_PR  # no such department here: PR carries it
    manager = present([p for p in managers() if p.role == Role.MANAGER]) or present(managers())
    if spec == playbooks.OWNER_MANAGER:
        return manager, None
    if by is not None and by.role == Role.PR and by.pk not in away:
        return by, None
    return (present(pr_people()) or manager), None


def _steps_add(incident: Incident, steps: list[playbooks.Step], by: User | None) -> list[IncidentTask]:
    """Add the steps the incident does not have yet, due from now, and tell their owners."""
    existing = set(incident.tasks.values_list("key", flat=True))
    position = incident.tasks.aggregate(n=Max("position"))["n"] or 0
    now = timezone.now()
    happened = set(incident.events.values_list("kind", flat=True))
    fulfilled = {key for kind in happened for key in playbooks.steps_done_by(kind)}
    added = []
    for step in steps:
        if step.key in existing:
            continue
        position += 1
        owner, department = _owner(step.owner, by)
        task, created = IncidentTask.objects.get_or_create(
            incident=incident, key=step.key,
            defaults={"title": _(step.title), "owner": owner, "department": department, "due_at": now + step.due,
                      "position": position})
        if created and step.key in fulfilled:  # what the step asks for has happened already
            IncidentTask.objects.filter(pk=task.pk).update(done_at=now, done_by=by if by is not None and by.pk
                                                           else None)
            task.done_at = now
            added.append(task)
        elif created:
            added.append(task)
            _task_tell(task, incident)
    if added:
        _event(incident, "steps_added", ", ".join(t.title for t in added), by,
               steps=[{"key": t.key, "owner": str(t.owner or ""), "department": str(t.department or ""),
                       "due_at": t.due_at.isoformat()} for t in added])
    return added


def _task_people(task: IncidentTask) -> list[User]:
    if task.owner_id:
        return [task.owner]
    if task.department_id:
        return list(User.objects.filter(_active(), department_id=task.department_id))
    return []


def _task_tell(task: IncidentTask, incident: Incident) -> None:
    people = _task_people(task)
    if people:
        notice_send(recipients=people, kind=NOTICE_KIND,
                    title=(_("Incident step for you, due %(due)s: %(step)s") % {
                        "due": timezone.localtime(task.due_at).strftime("%m-%d %H:%M"), "step": task.title})[:200],
                    body=incident.title, url=page_url("sentiment:incident", incident.pk),
                    dedupe_key=f"incident-task:{task.pk}")


# --- opening ----------------------------------------------------------------------------------------------

def _alert_mentions(alert: Alert) -> list[int]:
    """The mentions an alert stands for: for a spike, the negative mentions of its series in its window."""
    if alert.kind == AlertKind.SPIKE and alert.bucket_start is not None:
        config = monitoring_settings(alert.brand)
        last = alert.evidence.get("last_bucket")
        end = (datetime.fromisoformat(last) if last else alert.bucket_start) + timedelta(minutes=config.bucket_minutes)
        rows = Mention.objects.of_fans().filter(brand_id=alert.brand_id, sentiment=Sentiment.NEGATIVE,
                                                 posted_at__gte=alert.bucket_start, posted_at__lt=end)
        if alert.group_id:
            rows = rows.filter(groups=alert.group_id)
        return list(rows.values_list("pk", flat=True).distinct())
    ids = [alert.mention_id] if alert.mention_id else []
    if alert.cascade_id and alert.cascade.mention_id:
        ids.append(alert.cascade.mention_id)
    return ids


def _link(incident: Incident, mention_ids) -> int:
    through = Incident.mentions.through
    known = set(through.objects.filter(incident=incident).values_list("mention_id", flat=True))
    fresh = [pk for pk in dict.fromkeys(mention_ids) if pk not in known]
    through.objects.bulk_create([through(incident_id=incident.pk, mention_id=pk) for pk in fresh],
                                ignore_conflicts=True, batch_size=1000)
    return len(fresh)


def _open_check(brand: Brand, title: str, alert: Alert | None, mention: Mention | None) -> None:
    if not title.strip():
        raise ValidationError({"title": _("Give the incident a short title people will recognise.")})
    for item in (alert, mention):
        if item is not None and item.brand_id != brand.pk:
            raise ValidationError(_("The alert or mention belongs to another brand."))
    if alert is not None and alert.incident_id and alert.incident.state in OPEN_STATES:
        raise ValidationError(_("This alert is already part of the incident “%(title)s”.")
                              % {"title": alert.incident.title})


@transaction.atomic
def incident_open(*, brand: Brand, by: User | None, title: str, alert: Alert | None = None,
                  mention: Mention | None = None, kind: str = IncidentType.UNKNOWN, summary: str = "") -> Incident:
    """Open an incident (``by`` None: the system). The first timeline entry is the no-deletion policy."""
    if by is not None:
        monitoring_require(by, brand, Can.RESPOND)
    _open_check(brand, title, alert, mention)
    if kind not in IncidentType.values:
        raise ValidationError({"kind": _("Choose one of the incident types.")})
    incident = Incident.objects.create(
        brand=brand, title=title.strip()[:200], summary=summary.strip(), kind=kind, opened_by=by,
        handling=Handling.COLD if kind == IncidentType.MISUNDERSTANDING else "")
    _event(incident, "policy", _(NO_DELETION))
    mention_ids = _alert_mentions(alert) if alert is not None else []
    if mention is not None:
        mention_ids.append(mention.pk)
    roots = [m.platform_id for m in ([mention] if mention else []) if m.platform_id]
    if alert is not None and alert.mention_id and alert.mention.platform_id:
        roots.append(alert.mention.platform_id)
    _link(incident, mention_ids)
    _event(incident, "opened", incident.title, by, alert=alert.pk if alert else None,
           mention=mention.pk if mention else None, roots=roots, mentions=len(set(mention_ids)))
    if alert is not None:
        now = timezone.now()
        Alert.objects.filter(pk=alert.pk).update(incident=incident, acknowledged_at=alert.acknowledged_at or now,
                                                 acknowledged_by=alert.acknowledged_by or by)
    _steps_add(incident, playbooks.OPENING_STEPS, by)
    if kind != IncidentType.UNKNOWN:
        _steps_add(incident, playbooks.type_steps(kind, incident.handling), by)
        _event(incident, "typed", incident.get_kind_display(), by, kind=kind, handling=incident.handling)
    audit_record(actor=by, action="incident.open", target=incident,
                 changes={"title": [None, incident.title], "kind": [None, kind]})
    return incident_regrade(incident=incident)


# --- grading ----------------------------------------------------------------------------------------------

def incident_figures(incident: Incident) -> tuple[int, int, int]:
    """(people taking part, reach, negative mentions with copies) of the incident now."""
    people: dict[str, int] = {}
    for uid, name, followers in (Mention.objects.of_fans().filter(incidents=incident)
                                 .values_list("author_uid", "author_name").annotate(f=Max("author_followers"))
                                 .order_by()):
        key = uid or (f"name:{name}" if name else "")
        if key:
            people[key] = max(people.get(key, 0), followers or 0)
    cascades = Cascade.objects.filter(Q(mention__incidents=incident) | Q(alerts__incident=incident)).values("pk")
    own = own_uids(incident.brand_id)  # the brand's own reposts are not people taking part
    for uid, followers in (Repost.objects.filter(cascade__in=cascades).values_list("uid")
                           .annotate(f=Max("followers")).order_by()):
        if uid and uid not in own:
            people[uid] = max(people.get(uid, 0), followers or 0)
    negative = (Mention.objects.of_fans().filter(incidents=incident, sentiment=Sentiment.NEGATIVE)
                .aggregate(n=Sum("copies"))["n"] or 0)
    return len(people), sum(people.values()), negative


def _manual_floor(incident: Incident) -> str:
    """What the figures said when a person last set the grade: the automatic grade rises only past it."""
    event = incident.events.filter(kind="graded", data__manual=True).order_by("-at", "-id").first()
    return event.data.get("computed", Grade.BLUE) if event else Grade.BLUE


@transaction.atomic
def incident_regrade(*, incident: Incident) -> Incident:
    """Count people and reach again; raise the grade when a threshold is passed (never lower it)."""
    incident = Incident.objects.select_for_update().select_related("brand").get(pk=incident.pk)
    participants, reach, negative = incident_figures(incident)
    thresholds = grade_thresholds(monitoring_settings(incident.brand))
    matters = incident_matters(incident)
    computed, inputs = grade_assess(participants=participants, reach=reach, thresholds=thresholds, matters=matters)
    incident.participants, incident.reach, incident.negative = participants, reach, negative
    fields = ["participants", "reach", "negative"]
    old = incident.grade
    if _rank(computed) > max(_rank(old), _rank(_manual_floor(incident))) and incident.state in OPEN_STATES:
        incident.grade, incident.graded_at = computed, timezone.now()
        fields += ["grade", "graded_at"]
    incident.save(update_fields=fields)
    if incident.grade != old:
        _event(incident, "graded", _("Grade %(old)s → %(new)s, raised by %(inputs)s") % {
            "old": Grade(old).label, "new": Grade(computed).label, "inputs": grade_inputs_text(inputs)},
            None, old=old, new=computed, participants=participants, reach=reach, manual=False, computed=computed,
            inputs=inputs)
        _grade_raised(incident, old, None, matters)
    elif incident.state in OPEN_STATES:
        _matters_follow(incident, matters)  # a serious matter found after the grade was reached
    return incident


def incident_grade_inputs(incident: Incident, events=None) -> list[dict]:
    """The inputs that raised the current grade, as stored with the last automatic grade (none after a
    person set it by hand)."""
    events = events if events is not None else incident.events.filter(kind="graded").order_by("at", "id")
    graded = [e for e in events if e.kind == "graded"]
    last = graded[-1] if graded else None
    return list(last.data.get("inputs") or []) if last and not last.data.get("manual") else []


def _matters_follow(incident: Incident, matters) -> None:
    """What the matters bring once the incident has a grade: legal told, the third party's step."""
    if any(m.quality for m, _words in matters):
        _steps_add(incident, [playbooks.THIRD_PARTY], None)
    if _rank(incident.grade) >= _rank(Grade.YELLOW) and legal_from_first_grade(matters):
        _legal_tell(incident, incident.grade)


def _grade_raised(incident: Incident, old: str, by: User | None, matters=None) -> None:
    """Every grade passed brings its steps; the people of the grade reached are told."""
    for grade in GRADE_ORDER[_rank(old) + 1:_rank(incident.grade) + 1]:
        _steps_add(incident, playbooks.grade_steps(grade), by)
    matters = incident_matters(incident) if matters is None else matters
    _escalate(incident, legal=legal_from_first_grade(matters))
    _matters_follow(incident, matters)


def _escalation_title(incident: Incident, grade: str) -> str:
    return (_("Incident “%(title)s” is %(grade)s: %(people)s people, reach %(reach)s") % {
        "title": incident.title, "grade": Grade(grade).label, "people": incident.participants,
        "reach": incident.reach})[:200]


def _legal_tell(incident: Incident, grade: str) -> None:
    """Tell legal (法务部) once per grade; when it has nobody, the managers hear that legal has no one."""
    if incident.events.filter(kind="escalated", data__to="legal", data__grade=grade).exists():
        return
    url = page_url("sentiment:incident", incident.pk)
    _department, people = department_people(playbooks.LEGAL)
    if not people:
        notice_send(recipients=managers(), kind=NOTICE_KIND, url=url,
                    title=(_("Legal (%(department)s) has no one to tell about “%(title)s”: involve legal "
                             "counsel yourself") % {"department": playbooks.LEGAL, "title": incident.title})[:200],
                    body=incident.summary, dedupe_key=f"incident:{incident.pk}:no-legal")
        _event(incident, "escalated", _("Legal has no one in the app: the managers were told."), None,
               grade=grade, to="legal", people=[])
        return
    notice_send(recipients=people, kind=NOTICE_KIND, title=_escalation_title(incident, grade), body=incident.summary,
                url=url, dedupe_key=f"incident:{incident.pk}:grade:{grade}")
    _event(incident, "escalated", _("Told %(group)s: %(people)s") % {
        "group": ESCALATION_LABELS["legal"], "people": "、".join(str(p) for p in people)}, None,
        grade=grade, to="legal", people=[p.pk for p in people])


def _escalate(incident: Incident, *, legal: bool = False) -> None:
    """PR from yellow; legal from orange, or from yellow when ``legal`` (a matter the playbook marks);
    senior management at red."""
    grade, rank = incident.grade, _rank(incident.grade)
    if rank < _rank(Grade.YELLOW):
        return
    title = _escalation_title(incident, grade)
    url = page_url("sentiment:incident", incident.pk)
    told = {"pr": duty_first(incident.brand, pr_people())}  # the PR person on monitoring duty first
    for group, people in told.items():
        if not people:
            continue
        notice_send(recipients=people, kind=NOTICE_KIND, title=title, body=incident.summary, url=url,
                    dedupe_key=f"incident:{incident.pk}:grade:{grade}")
        _event(incident, "escalated", _("Told %(group)s: %(people)s") % {
            "group": ESCALATION_LABELS[group], "people": "、".join(str(p) for p in people)}, None,
            grade=grade, to=group, people=[p.pk for p in people])
    if legal or rank >= _rank(Grade.ORANGE):
        _legal_tell(incident, grade)
    if rank >= _rank(Grade.RED):
        people = managers()
        if people:
            notice_send(recipients=people, kind=NOTICE_KIND, title=title, body=incident.summary, url=url,
                        dedupe_key=f"incident:{incident.pk}:grade:{grade}")
            _event(incident, "escalated", _("Told %(group)s: %(people)s") % {
                "group": ESCALATION_LABELS["management"], "people": "、".join(str(p) for p in people)}, None,
                grade=grade, to="management", people=[p.pk for p in people])


@transaction.atomic
def incident_grade_set(*, incident: Incident, by: User, grade: str, reason: str) -> Incident:
    """A person's grade, up or down, with the reason on the timeline."""
    _respond_require(by, incident)
    if grade not in Grade.values:
        raise ValidationError({"grade": _("Choose one of the grades.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the grade changes: the report shows it.")})
    incident = Incident.objects.select_for_update().select_related("brand").get(pk=incident.pk)
    old = incident.grade
    if grade == old:
        raise ValidationError({"grade": _("The incident already has this grade.")})
    incident.participants, incident.reach, incident.negative = incident_figures(incident)
    computed, _inputs = grade_assess(participants=incident.participants, reach=incident.reach,
                                     thresholds=grade_thresholds(monitoring_settings(incident.brand)),
                                     matters=incident_matters(incident))
    incident.grade, incident.graded_at = grade, timezone.now()
    incident.save(update_fields=["grade", "graded_at", "participants", "reach", "negative"])
    _event(incident, "graded", _("Grade %(old)s → %(new)s by hand: %(reason)s") % {
        "old": Grade(old).label, "new": Grade(grade).label, "reason": reason.strip()}, by,
        old=old, new=grade, reason=reason.strip(), manual=True, computed=computed,
        participants=incident.participants, reach=incident.reach)
    if _rank(grade) > _rank(old):
        _grade_raised(incident, old, by)
    audit_record(actor=by, action="incident.grade", target=incident, changes={"grade": [old, grade]})
    return incident


# --- every minute -----------------------------------------------------------------------------------------

def _follows(incident: Incident) -> tuple[Q | None, datetime]:
    """Which new negative mentions join the incident, and from when."""
    alerts = list(incident.alerts.all())
    query = Q()
    groups = {a.group_id for a in alerts if a.group_id}
    if groups:
        query |= Q(groups__in=groups)
    if any(a.kind == AlertKind.SPIKE and a.group_id is None for a in alerts):
        query = Q()  # the whole brand
        return query, min(a.bucket_start or incident.opened_at for a in alerts)
    roots = {r for e in incident.events.filter(kind="opened") for r in e.data.get("roots", [])}
    if roots:
        query |= Q(root_id__in=roots)
    since = min([a.bucket_start for a in alerts if a.bucket_start] + [incident.opened_at])
    return (query if (groups or roots) else None), since


def _relink(incident: Incident) -> int:
    query, since = _follows(incident)
    if query is None:
        return 0
    ids = (Mention.objects.of_fans().filter(query, brand_id=incident.brand_id, sentiment=Sentiment.NEGATIVE,
                                             posted_at__gte=since).exclude(incidents=incident)
           .values_list("pk", flat=True).distinct())
    return _link(incident, list(ids))


def incidents_regrade_open(now: datetime | None = None) -> int:
    """Beat, every minute: open incidents take in their new negative mentions and are graded again; owners
    of overdue steps are told, once. Returns how many incidents were looked at."""
    count = 0
    for incident in Incident.objects.filter(state__in=OPEN_STATES).select_related("brand").order_by("pk"):
        with transaction.atomic():
            added = _relink(incident)
            if added:
                _event(incident, "mentions_linked", _("%(count)s new negative mentions") % {"count": added},
                       None, count=added)
            incident_regrade(incident=incident)
        count += 1
    tasks_overdue_tell(now=now)
    return count


def tasks_overdue_tell(*, now: datetime | None = None) -> int:
    """Tell the owners (else the department, else the managers) of steps past their deadline, once each."""
    now = now or timezone.now()
    told = 0
    due = (IncidentTask.objects.filter(done_at__isnull=True, overdue_notified_at__isnull=True, due_at__lt=now,
                                       incident__state__in=OPEN_STATES)
           .select_related("incident", "owner", "department"))
    for task in due:
        with transaction.atomic():
            if not IncidentTask.objects.filter(pk=task.pk, overdue_notified_at__isnull=True).update(
                    overdue_notified_at=now):
                continue  # another beat took it
            people = _task_people(task) or managers()
            notice_send(recipients=people, kind=NOTICE_KIND,
                        title=(_("Overdue incident step: %(step)s") % {"step": task.title})[:200],
                        body=task.incident.title, url=page_url("sentiment:incident", task.incident_id),
                        dedupe_key=f"incident-task-overdue:{task.pk}")
            _event(task.incident, "task_overdue", task.title, None, task=task.pk,
                   people=[p.pk for p in people])
            told += 1
    return told


# --- type, steps, notes, closing ----------------------------------------------------------------------------

@transaction.atomic
def incident_set_type(*, incident: Incident, by: User, kind: str, handling: str = "") -> Incident:
    """Judge the type (and for a misunderstanding the handling, cold by default); the type's steps replace the
    open steps of an earlier type."""
    _respond_require(by, incident)
    if kind not in IncidentType.values or kind == IncidentType.UNKNOWN:
        raise ValidationError({"kind": _("Choose one of the incident types.")})
    if handling and kind != IncidentType.MISUNDERSTANDING:
        raise ValidationError({"handling": _("Cold or hot handling is chosen for a misunderstanding only.")})
    handling = (handling or Handling.COLD) if kind == IncidentType.MISUNDERSTANDING else ""
    if handling and handling not in Handling.values:
        raise ValidationError({"handling": _("Choose cold or hot handling.")})
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if (incident.kind, incident.handling) == (kind, handling):
        return incident
    old_keys = [s.key for s in playbooks.type_steps(incident.kind, incident.handling)]
    dropped = list(incident.tasks.filter(key__in=old_keys, done_at__isnull=True).values_list("title", flat=True))
    incident.tasks.filter(key__in=old_keys, done_at__isnull=True).delete()
    old = (incident.kind, incident.handling)
    incident.kind, incident.handling = kind, handling
    incident.save(update_fields=["kind", "handling"])
    label = incident.get_kind_display() + (f" ({incident.get_handling_display()})" if handling else "")
    _event(incident, "typed", label, by, kind=kind, handling=handling, old=list(old), dropped=dropped)
    now = timezone.now()
    IncidentTask.objects.filter(incident=incident, key="open:type", done_at__isnull=True).update(
        done_at=now, done_by=by)
    _steps_add(incident, playbooks.type_steps(kind, handling), by)
    audit_record(actor=by, action="incident.type", target=incident, changes={"kind": [old[0], kind],
                                                                              "handling": [old[1], handling]})
    return incident_regrade(incident=incident)  # the type may make the matter serious


def _task_require(task: IncidentTask, by: User) -> None:
    """PR and managers tick any step; an owner or their department ticks their own."""
    if monitoring_allows(by, task.incident.brand, Can.RESPOND):
        return
    if by.is_active and (task.owner_id == by.pk or (task.department_id and task.department_id == by.department_id)):
        return
    raise PermissionDenied(_("Only PR, managers and the step's owner tick this step."))


@transaction.atomic
def task_done(*, task: IncidentTask, by: User) -> IncidentTask:
    task = IncidentTask.objects.select_related("incident__brand").get(pk=task.pk)
    _task_require(task, by)
    now = timezone.now()
    if IncidentTask.objects.filter(pk=task.pk, done_at__isnull=True).update(done_at=now, done_by=by):
        _event(task.incident, "task_done", task.title, by, task=task.pk, key=task.key,
               late=now > task.due_at)
    task.refresh_from_db()
    return task


@transaction.atomic
def task_undo(*, task: IncidentTask, by: User) -> IncidentTask:
    task = IncidentTask.objects.select_related("incident__brand").get(pk=task.pk)
    _task_require(task, by)
    if IncidentTask.objects.filter(pk=task.pk, done_at__isnull=False).update(done_at=None, done_by=None):
        _event(task.incident, "task_undone", task.title, by, task=task.pk, key=task.key)
    task.refresh_from_db()
    return task


@transaction.atomic
def incident_note(*, incident: Incident, by: User, text: str) -> IncidentEvent:
    _respond_require(by, incident)
    if not text.strip():
        raise ValidationError({"text": _("Write the note.")})
    return _event(incident, "note", text.strip(), by)


@transaction.atomic
def incident_close(*, incident: Incident, by: User, lessons: str) -> Incident:
    """Close with the lessons learnt (required: the post-incident report is built on them)."""
    _respond_require(by, incident)
    if not lessons.strip():
        raise ValidationError({"lessons": _("Write down the lessons learnt before closing the incident.")})
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.state == IncidentState.CLOSED:
        raise ValidationError(_("The incident is already closed."))
    open_steps = incident.tasks.filter(done_at__isnull=True).count()
    incident.state, incident.closed_at, incident.lessons = IncidentState.CLOSED, timezone.now(), lessons.strip()
    incident.save(update_fields=["state", "closed_at", "lessons"])
    _event(incident, "closed", incident.lessons, by, open_steps=open_steps)
    audit_record(actor=by, action="incident.close", target=incident, changes={"state": ["open", "closed"]})
    return incident


@transaction.atomic
def incident_reopen(*, incident: Incident, by: User, reason: str = "") -> Incident:
    _respond_require(by, incident)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.state != IncidentState.CLOSED:
        raise ValidationError(_("The incident is not closed."))
    incident.state, incident.closed_at = IncidentState.OPEN, None
    incident.save(update_fields=["state", "closed_at"])
    _event(incident, "reopened", reason.strip(), by)
    audit_record(actor=by, action="incident.reopen", target=incident, changes={"state": ["closed", "open"]})
    return incident


# --- one voice --------------------------------------------------------------------------------------------

def statement_pillar(brand: Brand):
    """The pillar statements go under: one named like 品牌声明 / 危机, else the brand's first."""
    pillars = content_services.pillars_ensure(brand=brand)
    named = [p for p in pillars if any(word in p.name for word in STATEMENT_PILLAR_WORDS)]
    active = [p for p in pillars if p.is_active]
    return (named or active or pillars)[0]


@transaction.atomic
def statement_draft(*, incident: Incident, by: User, text: str, accounts: list[Account],
                    pillar=None) -> Statement:
    """Draft a statement as a content post on ``accounts`` and send it for review."""
    _respond_require(by, incident)
    if incident.state == IncidentState.CLOSED:
        raise ValidationError(_("The incident is closed: reopen it to make a statement."))
    pillar = pillar or statement_pillar(incident.brand)
    if pillar.brand_id != incident.brand_id:
        raise ValidationError({"pillar": _("Choose a pillar of the incident's brand.")})
    post = content_services.post_create(by=by, pillar=pillar, text=text.strip(), accounts=accounts,
                                        is_original=True)
    post = content_services.post_submit(post=post, by=by)
    earlier = list(incident.statements.values_list("pk", flat=True))
    statement = Statement.objects.create(incident=incident, post=post, created_by=by)
    _event(incident, "statement_drafted", post.text, by, statement=statement.pk, post=post.pk, state=post.state,
           accounts=[a.name for a in accounts], earlier=earlier)
    return statement


def statement_fast_track(*, statement: Statement, by: User, reason: str, ip: str | None = None) -> Statement:
    """A manager approves the statement at once (content refuses anyone else)."""
    with transaction.atomic():
        statement = Statement.objects.select_related("incident__brand", "post").get(pk=statement.pk)
        _respond_require(by, statement.incident)
        post = content_services.post_fast_track(post=statement.post, by=by, reason=reason, ip=ip)
        _event(statement.incident, "statement_approved", reason.strip(), by, statement=statement.pk, post=post.pk,
               fast_tracked=True)
    return statement


def statement_publish(*, statement: Statement, by: User, ip: str | None = None) -> list[int]:
    """Publish the approved statement on its accounts now; returns the targets queued."""
    with transaction.atomic():
        statement = Statement.objects.select_related("incident__brand", "post").get(pk=statement.pk)
        _respond_require(by, statement.incident)
        ids = content_services.post_publish_now(post=statement.post, by=by, ip=ip)
        _event(statement.incident, "statement_published", statement.post.text, by, statement=statement.pk,
               post=statement.post_id, targets=ids)
    return ids
