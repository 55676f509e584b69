"""Alerts: a spike of negative mentions, a negative post by an influential account, a coordinated attack.

Spikes are judged per series: each keyword group touched by a new negative mention, and the brand as a whole
("all mentions", ``group=None``). A series' count in a bucket (``MonitoringSettings.bucket_minutes``, 10 minutes
by default, lined up with the clock) is the number of negative mentions posted in it, near-identical copies
included (the sum of ``copies``). The bucket is judged against a robust baseline:

    baseline = max(median of the same bucket of the week over the previous 4 weeks,
                   median of the 12 buckets just before it)

Medians, not means: one earlier burst does not lift the usual level, and a normally noisy hour (every Monday
at 9 the complaints about late deliveries come in) stays quiet. The bucket alerts when its count is at least
``spike_min_count`` and at least ``spike_factor`` × max(baseline, 1). The buckets judged are those holding the new
negative mentions' ``posted_at`` and the current bucket, within the last ``SPIKE_HORIZON``: an import of last
month's export is history for the trends page, not an alert now.

One alert per happening: while a spike goes on (a spike alert of the series has an over-threshold bucket within
``SPIKE_CONTINUES`` of this one) that alert's counts and evidence are updated and nobody is told again. A new
alert is told to the brand's PR people (role PR, and the managers) in the app, by mail when mail is set up, and
to the brand's webhook when one is configured; but an alert that joins an open incident (its group already has
one) is added to that incident's timeline instead: once per incident, not per mention.

Cost per batch of new mentions: nothing without a negative mention; otherwise the settings row, one read of the
batch's groups, one aggregate per kind of series (brand-wide and groups, each over the index on brand, sentiment
and time), and only when something is over the threshold a lock on the brand's settings row (so that two
pipeline workers do not open two alerts for one spike), the recent spike alerts and the writes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import median

from django.db import transaction
from django.db.models import Case, IntegerField, Q, Sum, Value, When
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from positioning.models import Brand
from team.models import Duty, Role, User
from team.roster import shifts_at
from team.services import notice_send
from weibo_ops.webhooks import webhook_post

from .access import Can, monitoring_require
from .models import (
    Alert,
    AlertKind,
    Cascade,
    Incident,
    IncidentEvent,
    IncidentState,
    Mention,
    MonitoringSettings,
    RuleGroup,
    Sentiment,
)

EPOCH = datetime(2000, 1, 3, tzinfo=UTC)  # a Monday at midnight: buckets line up with the clock and the week
WEEK = timedelta(days=7)
WEEKS_BACK = 4  # the same bucket of the week over this many previous weeks
RECENT_BUCKETS = 12  # the buckets just before, whose median is the short-term level (2 hours at 10 minutes)
SPIKE_HORIZON = timedelta(hours=2)  # buckets older than this are history, not an alert
SPIKE_CONTINUES = timedelta(hours=1)  # an over-threshold bucket this close to a spike alert's is the same spike
SPIKE_LOOKBACK = timedelta(hours=24)  # how far back an ongoing spike alert is looked for; longer ones start anew
INFLUENCER_HORIZON = timedelta(hours=48)  # an influential post older than this (an import) alerts nobody
SAMPLES = 5  # mentions kept as an alert's evidence: a screenful
OPEN_STATES = [IncidentState.OPEN, IncidentState.MONITORING]
SIGNAL_LABELS = {  # the detector's signal codes (sentiment.attack.CODES) as people read them
    "burst": gettext_lazy("Burst: many reposts in one second"),
    "regular": gettext_lazy("Machine-even pace"),
    "copy": gettext_lazy("The same pasted remark"),
    "recurring": gettext_lazy("The same accounts in other negative cascades"),
    "young": gettext_lazy("Young or fan-less accounts"),
}


def monitoring_settings(brand: Brand) -> MonitoringSettings:
    """The brand's thresholds, created with the defaults on first use."""
    row, _created = MonitoringSettings.objects.get_or_create(brand=brand)
    return row


def bucket_of(at: datetime, width: timedelta) -> datetime:
    return EPOCH + ((at - EPOCH) // width) * width


def page_url(name: str, pk: int) -> str:
    """The page of an alert or incident, once the pages exist."""
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


def alert_recipients() -> list[User]:
    """The brand's PR people: everyone with role PR, and the managers (PR and managers see every brand)."""
    return list(User.objects.filter(Q(role__in=[Role.PR, Role.MANAGER, Role.ADMIN]) | Q(is_superuser=True),
                                    is_active=True).order_by("id"))


def pr_on_duty(brand: Brand) -> list[User]:
    """The PR people on monitoring duty now for any of the brand's accounts (the duty roster): a crisis goes to
    them first, then to the usual recipients."""
    shifts = (shifts_at(duty=Duty.MONITORING).filter(account__brand=brand, person__role=Role.PR)
              .select_related("person").order_by("starts_at", "pk"))
    return list(dict.fromkeys(s.person for s in shifts))


def duty_first(brand: Brand, people: list[User]) -> list[User]:
    """``people`` with the brand's PR people on duty put (or added) in front: their notice is written first."""
    return list(dict.fromkeys([*pr_on_duty(brand), *people]))


# --- the check after new mentions --------------------------------------------------------------------------

@dataclass
class _Over:
    """A bucket of a series over the threshold."""

    series: int | None  # group id; None: all mentions
    start: datetime
    count: int
    baseline: float
    weekly: list[int]
    recent: list[int]
    samples: list[dict] = field(default_factory=list)


def alerts_check(*, brand: Brand, mentions: list[Mention], now: datetime | None = None) -> list[Alert]:
    """Judge the brand's series after new mentions were stored (in the storing transaction, with their groups
    set). Returns the alerts raised or updated by these mentions."""
    negative = [m for m in mentions if m.sentiment == Sentiment.NEGATIVE and not m.own and m.pk]
    if not negative:
        return []
    now = now or timezone.now()
    config = monitoring_settings(brand)
    groups_of: dict[int, list[int]] = defaultdict(list)
    for mention_id, group_id in Mention.groups.through.objects.filter(
            mention_id__in=[m.pk for m in negative]).values_list("mention_id", "rulegroup_id"):
        groups_of[mention_id].append(group_id)
    touched: list[Alert] = []
    new: list[Alert] = []
    overs = _overs(brand, config, negative, groups_of, now)
    if overs:
        MonitoringSettings.objects.select_for_update().filter(pk=config.pk).first()  # one spike, one alert
        _spikes_store(brand, config, overs, touched, new)
    influencers = _influencers(brand, config, negative, groups_of, now)
    touched += influencers
    new += influencers
    _route(brand, config, new)
    return touched


def _overs(brand: Brand, config: MonitoringSettings, negative: list[Mention], groups_of: dict[int, list[int]],
           now: datetime) -> list[_Over]:
    width = timedelta(minutes=config.bucket_minutes)
    current = bucket_of(now, width)
    judged: dict[int | None, set[datetime]] = defaultdict(set)
    members: dict[tuple[int | None, datetime], list[Mention]] = defaultdict(list)
    for mention in negative:
        start = bucket_of(mention.posted_at, width)
        if not current - SPIKE_HORIZON <= start <= current:
            continue
        for series in [None, *groups_of.get(mention.pk, [])]:
            judged[series].update({start, current})
            members[series, start].append(mention)
    if not judged:
        return []
    starts = sorted(set().union(*judged.values()))
    counts = _counts(brand, starts, width, [g for g in judged if g is not None])
    overs = []
    for series, buckets in judged.items():
        for start in sorted(buckets):
            count = counts.get((series, start), 0)
            weekly = [counts.get((series, start - k * WEEK), 0) for k in range(1, WEEKS_BACK + 1)]
            recent = [counts.get((series, start - i * width), 0) for i in range(1, RECENT_BUCKETS + 1)]
            baseline = float(max(median(weekly), median(recent)))
            if count >= config.spike_min_count and count >= config.spike_factor * max(baseline, 1.0):
                samples = sorted(members.get((series, start), []), key=lambda m: (-m.author_followers, m.pk))
                overs.append(_Over(series, start, count, baseline, weekly, recent,
                                   [_sample(m) for m in samples[:SAMPLES]]))
    # Groups first: a burst in one group is that group's alert, not a second one for "all mentions".
    return sorted(overs, key=lambda o: (o.series is None, o.start))


def _counts(brand: Brand, judged: list[datetime], width: timedelta,
            group_ids: list[int]) -> dict[tuple[int | None, datetime], int]:
    """Negative mentions (with copies) per series and bucket: the judged buckets, the buckets before them and
    the same buckets in the previous weeks, in one aggregate per kind of series."""
    starts = set(judged)
    for start in judged:
        starts.update(start - i * width for i in range(1, RECENT_BUCKETS + 1))
        starts.update(start - k * WEEK for k in range(1, WEEKS_BACK + 1))
    ordered = sorted(starts)
    first, last = judged[0], judged[-1]
    spans = [(first - RECENT_BUCKETS * width, last + width)]
    spans += [(first - k * WEEK, last - k * WEEK + width) for k in range(1, WEEKS_BACK + 1)]
    result: dict[tuple[int | None, datetime], int] = {}
    for prefix, series_field, ids in (("", None, None), ("mention__", "rulegroup_id", group_ids)):
        if ids is not None and not ids:
            continue
        at = f"{prefix}posted_at"
        within = Q()
        for low, high in spans:
            within |= Q(**{f"{at}__gte": low, f"{at}__lt": high})
        slot = Case(*[When(**{f"{at}__gte": s, f"{at}__lt": s + width}, then=Value(i)) for i, s in enumerate(ordered)],
                    output_field=IntegerField())
        if series_field is None:
            rows = Mention.objects.of_fans().filter(within, brand=brand, sentiment=Sentiment.NEGATIVE)
            total = "copies"
        else:
            rows = Mention.groups.through.objects.filter(
                within, rulegroup_id__in=ids, mention__brand=brand, mention__sentiment=Sentiment.NEGATIVE,
                mention__own=False)
            total = "mention__copies"
        names = [series_field] if series_field else []
        for row in rows.annotate(slot=slot).values(*names, "slot").annotate(n=Sum(total)).order_by():
            if row["slot"] is not None:
                result[row.get(series_field) if series_field else None, ordered[row["slot"]]] = row["n"] or 0
    return result


def _sample(mention: Mention) -> dict:
    return {"id": mention.pk, "text": mention.text[:140], "author": mention.author_name, "uid": mention.author_uid,
            "followers": mention.author_followers, "url": mention.url, "posted_at": mention.posted_at.isoformat()}


def _spike_title(name: str, count: int, minutes: int, baseline: float) -> str:
    return _("Negative spike in %(group)s: %(count)s negative mentions in %(minutes)s minutes (usually %(usual)s)") % {
        "group": name, "count": count, "minutes": minutes, "usual": round(baseline, 1)}


def _spikes_store(brand: Brand, config: MonitoringSettings, overs: list[_Over], touched: list[Alert],
                  new: list[Alert]) -> None:
    since = min(o.start for o in overs) - SPIKE_LOOKBACK
    ongoing = list(Alert.objects.filter(brand=brand, kind=AlertKind.SPIKE, bucket_start__gte=since)
                   .order_by("bucket_start", "pk"))
    names = dict(RuleGroup.objects.filter(pk__in={o.series for o in overs if o.series}).values_list("pk", "name"))
    for over in overs:
        alert = _ongoing(ongoing, over)
        if alert is None and over.series is None and _covered(ongoing, over.start):
            continue
        name = names.get(over.series, "") if over.series else _("all mentions")
        if alert is None and (other := _concurrent(ongoing, over)) is not None:
            # One happening, one alert: a complaint wave about a product is also one about the brand.
            _also(other, over, name)
            if other not in touched:
                touched.append(other)
            continue
        if alert is None:
            alert, created = Alert.objects.get_or_create(
                brand=brand, dedupe_key=f"spike:{over.series or 'all'}:{over.start:%Y%m%d%H%M}",
                defaults={"kind": AlertKind.SPIKE, "group_id": over.series, "bucket_start": over.start,
                          "count": over.count, "baseline": over.baseline,
                          "title": _spike_title(name, over.count, config.bucket_minutes, over.baseline)[:300]})
            ongoing.append(alert)
            if created:
                new.append(alert)
        _spike_update(alert, over, name, config.bucket_minutes)
        if alert not in touched:
            touched.append(alert)


def _last_bucket(alert: Alert) -> datetime:
    last = alert.evidence.get("last_bucket")
    return datetime.fromisoformat(last) if last else alert.bucket_start


def _ongoing(alerts: list[Alert], over: _Over) -> Alert | None:
    for alert in reversed(alerts):
        if alert.group_id == over.series and alert.bucket_start is not None and (
                alert.bucket_start - SPIKE_CONTINUES <= over.start <= _last_bucket(alert) + SPIKE_CONTINUES):
            return alert
    return None


def _concurrent(alerts: list[Alert], over: _Over) -> Alert | None:
    """Another group's spike alert going on at the same time: the same happening seen through another group."""
    for alert in reversed(alerts):
        if alert.group_id is not None and alert.bucket_start is not None and (
                alert.bucket_start - SPIKE_CONTINUES <= over.start <= _last_bucket(alert) + SPIKE_CONTINUES):
            return alert
    return None


def _also(alert: Alert, over: _Over, name: str) -> None:
    evidence = dict(alert.evidence or {})
    also = dict(evidence.get("also", {}))
    also[name] = dict(sorted({**also.get(name, {}), over.start.isoformat(): over.count}.items()))
    evidence["also"] = also
    alert.evidence = evidence
    alert.save(update_fields=["evidence", "updated_at"])


def _covered(alerts: list[Alert], start: datetime) -> bool:
    """Whether a group's spike alert already holds this bucket (the brand-wide series then stays quiet)."""
    return any(a.group_id is not None and start.isoformat() in a.evidence.get("buckets", {}) for a in alerts)


def _spike_update(alert: Alert, over: _Over, name: str, minutes: int) -> None:
    evidence = dict(alert.evidence or {})
    buckets = dict(evidence.get("buckets", {}))
    buckets[over.start.isoformat()] = over.count
    last = max(datetime.fromisoformat(b) for b in buckets)
    known = {s["id"] for s in evidence.get("samples", [])}
    samples = evidence.get("samples", []) + [s for s in over.samples if s["id"] not in known]
    samples = sorted(samples, key=lambda s: (-s["followers"], s["id"]))[:SAMPLES]
    peak = max(buckets.values())
    evidence.update({
        "series": name, "group": over.series, "buckets": dict(sorted(buckets.items())), "peak": peak,
        "total": sum(buckets.values()), "first_bucket": min(buckets), "last_bucket": last.isoformat(),
        "bucket_minutes": minutes, "weekly": over.weekly, "recent": over.recent, "samples": samples,
        "rule": "max(median(same bucket of the week, 4 weeks), median(12 buckets before))",
    })
    alert.evidence = evidence
    if over.count >= peak:
        alert.count, alert.baseline = over.count, over.baseline
        alert.title = _spike_title(name, over.count, minutes, over.baseline)[:300]
    first = min(alert.bucket_start, over.start)
    alert.bucket_start = first
    alert.save(update_fields=["evidence", "count", "baseline", "title", "bucket_start", "updated_at"])


def _influencers(brand: Brand, config: MonitoringSettings, negative: list[Mention], groups_of: dict[int, list[int]],
                 now: datetime) -> list[Alert]:
    """One alert per negative mention by an account with at least ``influential_followers`` (0: off)."""
    threshold = config.influential_followers
    wanted = {f"influencer:{m.pk}": m for m in negative
              if threshold and m.author_followers >= threshold and m.posted_at >= now - INFLUENCER_HORIZON}
    if not wanted:
        return []
    created = []
    known = set(Alert.objects.filter(brand=brand, dedupe_key__in=list(wanted)).values_list("dedupe_key", flat=True))
    width = timedelta(minutes=config.bucket_minutes)
    for key, mention in wanted.items():
        if key in known:
            continue
        groups = sorted(groups_of.get(mention.pk, []))
        alert = Alert.objects.create(
            brand=brand, kind=AlertKind.INFLUENCER, mention=mention, group_id=groups[0] if groups else None,
            bucket_start=bucket_of(mention.posted_at, width), count=mention.copies, dedupe_key=key,
            title=(_("%(author)s (%(followers)s followers) posted a negative mention: %(text)s") % {
                "author": mention.author_name or mention.author_uid, "followers": mention.author_followers,
                "text": mention.text[:60]})[:300],
            evidence={"mention": _sample(mention), "threshold": threshold, "groups": groups})
        created.append(alert)
    return created


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by: User) -> bool:
    """Someone in PR is on it. Conditional: of two people acknowledging at once, the first is recorded.
    Returns whether this call acknowledged it."""
    monitoring_require(by, alert.brand, Can.RESPOND)
    return bool(Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True)
                .update(acknowledged_at=timezone.now(), acknowledged_by=by))


# --- attacks ----------------------------------------------------------------------------------------------

@transaction.atomic
def alert_raise_attack(*, cascade: Cascade) -> Alert | None:
    """The cascade's detector flagged a coordinated attack: one alert per cascade, with the detector's
    signals as evidence. None when the cascade is not flagged."""
    if not cascade.flagged:
        return None
    config = monitoring_settings(cascade.brand)
    fired = [s for s in cascade.signals or [] if s.get("fired")]
    evidence = {"signals": cascade.signals or [], "fired": [s.get("code") for s in fired],
                "score": cascade.attack_score, "root_id": cascade.root_id, "root_text": cascade.root_text[:280],
                "root_author": cascade.root_author, "stats": cascade.stats or {}}
    signals = "、".join(str(SIGNAL_LABELS.get(code, code)) for code in evidence["fired"]) or "-"
    title = _("Coordinated reposting of %(author)s's post: %(signals)s") % {
        "author": cascade.root_author or cascade.root_id, "signals": signals}
    alert, created = Alert.objects.get_or_create(
        brand_id=cascade.brand_id, dedupe_key=f"attack:{cascade.pk}",
        defaults={"kind": AlertKind.ATTACK, "cascade": cascade, "mention_id": cascade.mention_id,
                  "count": cascade.reposts_seen, "baseline": 0.0, "title": title[:300], "evidence": evidence,
                  "bucket_start": cascade.root_posted_at})
    if not created:
        alert.count, alert.evidence = cascade.reposts_seen, evidence
        alert.save(update_fields=["count", "evidence", "updated_at"])
        return alert
    _route(cascade.brand, config, [alert])
    return alert


# --- telling people ---------------------------------------------------------------------------------------

def _open_incidents(brand: Brand, alerts: list[Alert]) -> dict[tuple[str, int | None], int]:
    """{("group", id) or ("mention", id): open incident id} for the alerts' groups and mentions, newest first."""
    group_ids = {a.group_id for a in alerts if a.kind != AlertKind.ATTACK}
    mention_ids = {a.mention_id for a in alerts if a.mention_id}
    found: dict[tuple[str, int | None], int] = {}
    if not group_ids and not mention_ids:
        return found
    query = Q(alerts__group_id__in=[g for g in group_ids if g is not None])
    if None in group_ids:
        query |= Q(alerts__group__isnull=True, alerts__kind=AlertKind.SPIKE)
    rows = (Incident.objects.filter(query, brand=brand, state__in=OPEN_STATES)
            .values_list("pk", "alerts__group_id", "alerts__kind").order_by("-opened_at", "-pk"))
    for pk, group_id, kind in rows:
        if group_id is not None or kind == AlertKind.SPIKE:
            found.setdefault(("group", group_id), pk)
    if mention_ids:
        for pk, mention_id in (Incident.mentions.through.objects
                               .filter(mention_id__in=mention_ids, incident__brand=brand,
                                       incident__state__in=OPEN_STATES)
                               .values_list("incident_id", "mention_id").order_by("-incident_id")):
            found.setdefault(("mention", mention_id), pk)
    return found


def _route(brand: Brand, config: MonitoringSettings, alerts: list[Alert]) -> None:
    """Each new alert joins an open incident of its group (or mention) quietly, or is told to PR."""
    if not alerts:
        return
    incidents = _open_incidents(brand, alerts)
    recipients: list[User] | None = None
    for alert in alerts:
        incident_id = incidents.get(("mention", alert.mention_id)) if alert.mention_id else None
        if incident_id is None and alert.kind != AlertKind.ATTACK:
            incident_id = incidents.get(("group", alert.group_id))
        if incident_id is not None:
            alert_attach(alert=alert, incident_id=incident_id)
            continue
        if recipients is None:
            recipients = duty_first(brand, alert_recipients())
        _tell(alert, config, recipients)


def alert_attach(*, alert: Alert, incident_id: int) -> None:
    """The alert is part of an open incident: on its timeline, its mention linked, nobody told anew."""
    Alert.objects.filter(pk=alert.pk).update(incident_id=incident_id)
    alert.incident_id = incident_id
    if alert.mention_id:
        Incident.mentions.through.objects.bulk_create(
            [Incident.mentions.through(incident_id=incident_id, mention_id=alert.mention_id)], ignore_conflicts=True)
    IncidentEvent.objects.create(incident_id=incident_id, kind="alert", text=alert.title,
                                 data={"alert": alert.pk, "kind": alert.kind, "count": alert.count})


def _tell(alert: Alert, config: MonitoringSettings, recipients: list[User]) -> None:
    body = _notice_body(alert)
    notice_send(recipients=recipients, kind="sentiment_alert", title=alert.title[:200], body=body,
                url=page_url("sentiment:alert", alert.pk), dedupe_key=f"alert:{alert.pk}", mail=config.email_alerts)
    if config.webhook_url:
        from .tasks import alert_webhook_send

        transaction.on_commit(lambda: alert_webhook_send.delay(alert.pk))


def _notice_body(alert: Alert) -> str:
    if alert.kind == AlertKind.SPIKE:
        lines = [s["text"] for s in alert.evidence.get("samples", [])]
    elif alert.kind == AlertKind.INFLUENCER:
        lines = [alert.evidence.get("mention", {}).get("text", ""), alert.evidence.get("mention", {}).get("url", "")]
    else:
        lines = [alert.evidence.get("root_text", "")]
    return "\n".join(line for line in lines if line)


def alert_payload(alert: Alert) -> dict:
    """The webhook event of an alert (no secrets, no personal data beyond what Weibo shows publicly)."""
    mention = alert.mention
    return {
        "event": "alert.raised", "alert": alert.pk, "brand": alert.brand.name, "kind": alert.kind,
        "title": alert.title, "count": alert.count, "baseline": alert.baseline,
        "group": alert.group.name if alert.group else None,
        "bucket_start": alert.bucket_start.isoformat() if alert.bucket_start else None,
        "mention": {"id": mention.platform_id, "url": mention.url, "text": mention.text, "author": mention.author_name,
                    "followers": mention.author_followers} if mention else None,
        "cascade": alert.cascade.root_id if alert.cascade else None,
        "evidence": alert.evidence, "created_at": alert.created_at.isoformat(),
    }


def alert_webhook_deliver(*, alert_id: int) -> int | None:
    """POST the alert to the brand's webhook, signed (``weibo_ops.webhooks``). Returns the HTTP status, None
    when the brand has no webhook (any more) or its destination is refused (a private address, checked again
    now); raises ``httpx.HTTPError`` so that the task retries."""
    alert = Alert.objects.select_related("brand", "group", "mention", "cascade").get(pk=alert_id)
    config = MonitoringSettings.objects.filter(brand_id=alert.brand_id).first()
    if config is None or not config.webhook_url:
        return None
    return webhook_post(url=config.webhook_url, secret=config.webhook_secret, body=alert_payload(alert))
