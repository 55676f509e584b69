"""What the dashboard shows of opinion monitoring: today's mentions by sentiment, alerts nobody has
acknowledged and the open incidents, for the brands the person may see. Three grouped queries."""

from __future__ import annotations

from datetime import datetime, time

from django.db.models import Count, Q, Sum
from django.utils import timezone

from team.models import User

from .access import brands_for
from .models import GRADE_ORDER, Alert, Grade, Incident, IncidentState, Mention, Sentiment


def _today_start() -> datetime:
    local = timezone.localtime()
    return timezone.make_aware(datetime.combine(local.date(), time.min), local.tzinfo)


def monitoring_today(*, user: User) -> dict | None:
    brand_ids = list(brands_for(user).values_list("pk", flat=True))
    if not brand_ids:
        return None
    counts = Mention.objects.filter(brand_id__in=brand_ids, posted_at__gte=_today_start()).aggregate(
        total=Sum("copies"), negative=Sum("copies", filter=Q(sentiment=Sentiment.NEGATIVE)),
        positive=Sum("copies", filter=Q(sentiment=Sentiment.POSITIVE)))
    total = counts["total"] or 0
    alerts = Alert.objects.filter(brand_id__in=brand_ids, acknowledged_at__isnull=True, incident__isnull=True).count()
    grades = dict(Incident.objects.filter(brand_id__in=brand_ids).exclude(state=IncidentState.CLOSED)
                  .values_list("grade").annotate(n=Count("pk")))
    worst = next((g for g in reversed(GRADE_ORDER) if grades.get(g)), None)
    return {
        "total": total, "negative": counts["negative"] or 0, "positive": counts["positive"] or 0,
        "negative_percent": round(100 * (counts["negative"] or 0) / total) if total else 0,
        "alerts": alerts, "incidents": sum(grades.values()), "worst_grade": worst,
        "worst_grade_label": Grade(worst).label if worst else "",
    }
