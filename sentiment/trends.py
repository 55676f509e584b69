"""Reads of the listening pages: the mention list (keyset pages, a constant number of queries), the trend of
mentions by sentiment, the word cloud, the positive word-of-mouth board and today's counts.

Hours and days are Asia/Shanghai hours and days, whatever the server's time zone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from positioning.models import Brand
from team.models import User
from weibo_ops.keyset import keyset_decode, keyset_encode

from .access import Can, monitoring_require
from .models import Alert, Incident, IncidentState, Mention, RuleGroup, Sentiment
from .selectors import MentionsToday, mentions_today
from .words import is_noise

SHANGHAI = ZoneInfo("Asia/Shanghai")
MENTIONS_PAGE = 50  # mentions per page of the list
MENTIONS_PAGE_MAX = 200
CLOUD_WINDOW = 5_000  # the most recent mentions the word cloud reads: enough for a picture, bounded in cost
CLOUD_SIZES = 5  # font steps of the word cloud
BOARD_DAYS = 7  # the positive board shows this many days of word of mouth
BOARD_ROWS = 50


@dataclass
class MentionFilters:
    q: str = ""
    group: int | None = None
    source: str = ""
    sentiment: str = ""
    corrected: str = ""  # "yes", "no" or "" for both
    since: date | None = None  # Shanghai days, inclusive
    until: date | None = None
    min_followers: int | None = None
    has_copies: bool = False

    @property
    def active(self) -> bool:
        return any([self.q, self.group, self.source, self.sentiment, self.corrected, self.since, self.until,
                    self.min_followers, self.has_copies])


@dataclass
class MentionPage:
    items: list[Mention]
    next_cursor: str = ""


def cursor_encode(mention: Mention) -> str:
    return keyset_encode(mention.posted_at, mention.pk)


def cursor_decode(value: str) -> tuple[datetime, int] | None:
    return keyset_decode(value)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def mention_queryset(*, brand: Brand, filters: MentionFilters) -> QuerySet[Mention]:
    mentions = Mention.objects.filter(brand=brand)
    q = filters.q.replace("\x00", "").strip()  # PostgreSQL refuses a NUL in a query string
    if q:
        mentions = mentions.filter(Q(text__icontains=q) | Q(author_name__icontains=q))
    if filters.group:
        mentions = mentions.filter(groups__id=filters.group)
    if filters.source:
        mentions = mentions.filter(source=filters.source)
    if filters.sentiment:
        mentions = mentions.filter(sentiment=filters.sentiment)
    if filters.corrected in ("yes", "no"):
        mentions = mentions.filter(corrected=filters.corrected == "yes")
    if filters.since:
        mentions = mentions.filter(posted_at__gte=_day_start(filters.since))
    if filters.until:
        mentions = mentions.filter(posted_at__lt=_day_start(filters.until + timedelta(days=1)))
    if filters.min_followers:
        mentions = mentions.filter(author_followers__gte=filters.min_followers)
    if filters.has_copies:
        mentions = mentions.filter(copies__gt=1)
    return mentions


def mention_page(user: User, brand: Brand, filters: MentionFilters, cursor: str = "", *,
                 limit: int = MENTIONS_PAGE) -> MentionPage:
    """One page of the brand's mentions, newest first, after ``cursor``: two queries whatever ``limit``
    (the mentions; their groups), and the same cost on the millionth row as on the first (no OFFSET)."""
    monitoring_require(user, brand, Can.VIEW)
    limit = max(1, min(limit, MENTIONS_PAGE_MAX))
    mentions = mention_queryset(brand=brand, filters=filters)
    position = cursor_decode(cursor)
    if position is not None:
        at, pk = position
        mentions = mentions.filter(Q(posted_at__lt=at) | Q(posted_at=at, pk__lt=pk))
    rows = list(mentions.prefetch_related("groups").order_by("-posted_at", "-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return MentionPage(items=rows, next_cursor=cursor_encode(rows[-1]) if more and rows else "")


# --- the trend -----------------------------------------------------------------------------------

@dataclass
class Bucket:
    start: datetime  # Shanghai time
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def negative(self) -> int:
        return self.counts.get(Sentiment.NEGATIVE, 0)

    @property
    def neutral(self) -> int:
        return self.counts.get(Sentiment.NEUTRAL, 0)

    @property
    def positive(self) -> int:
        return self.counts.get(Sentiment.POSITIVE, 0)


@dataclass
class Series:
    unit: str  # "hour" or "day"
    buckets: list[Bucket]

    @property
    def peak(self) -> int:
        return max((b.total for b in self.buckets), default=0)

    @property
    def total(self) -> int:
        return sum(b.total for b in self.buckets)


def trend_series(brand: Brand, *, hours: int | None = None, days: int | None = None,
                 group: RuleGroup | int | None = None, now: datetime | None = None) -> Series:
    """Mentions per Shanghai hour (``hours``) or day (``days``) by sentiment, empty buckets included: one
    grouped query."""
    if (hours is None) == (days is None):
        raise ValueError("give hours or days")
    now = (now or timezone.now()).astimezone(SHANGHAI)
    if hours is not None:
        unit, step, trunc = "hour", timedelta(hours=1), TruncHour
        last = now.replace(minute=0, second=0, microsecond=0)
        starts = [last - step * i for i in range(hours - 1, -1, -1)]
    else:
        unit, step, trunc = "day", timedelta(days=1), TruncDay
        last = now.replace(hour=0, minute=0, second=0, microsecond=0)
        # Day by day in the calendar (not 24-hour steps) would matter only with daylight saving; Shanghai has none.
        starts = [last - step * i for i in range(days - 1, -1, -1)]
    mentions = Mention.objects.of_fans().filter(brand=brand, posted_at__gte=starts[0])
    if group is not None:
        mentions = mentions.filter(groups__id=getattr(group, "pk", group))
    rows = (mentions.annotate(bucket=trunc("posted_at", tzinfo=SHANGHAI)).values("bucket", "sentiment")
            .annotate(n=Sum("copies")).order_by())  # with copies, as ``mentions_today`` counts
    buckets = {start: Bucket(start=start) for start in starts}
    for row in rows:
        start = row["bucket"]
        if start is None:
            continue
        start = start.astimezone(SHANGHAI) if timezone.is_aware(start) else start.replace(tzinfo=SHANGHAI)
        if start in buckets:
            buckets[start].counts[row["sentiment"]] = buckets[start].counts.get(row["sentiment"], 0) + row["n"]
    return Series(unit=unit, buckets=list(buckets.values()))


# --- the word cloud ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Word:
    text: str
    count: int
    size: int  # 1 (smallest) .. CLOUD_SIZES


def word_cloud(brand: Brand, *, since: datetime, sentiment: str | None = None, limit: int = 60) -> list[Word]:
    """The most frequent keywords of the brand's recent mentions (at most the last ``CLOUD_WINDOW``), in
    alphabetical order for display, each with a size step by frequency."""
    mentions = Mention.objects.filter(brand=brand, posted_at__gte=since)
    if sentiment:
        mentions = mentions.filter(sentiment=sentiment)
    counts: Counter[str] = Counter()
    for keywords in mentions.order_by("-posted_at", "-id").values_list("keywords", flat=True)[:CLOUD_WINDOW]:
        # Keywords stored before the noise filter (or by an import) are filtered here too.
        counts.update({str(k) for k in keywords or [] if not is_noise(str(k))})
    top = counts.most_common(limit)
    if not top:
        return []
    high, low = top[0][1], top[-1][1]
    spread = max(1, high - low)
    return sorted((Word(word, n, 1 + round((n - low) * (CLOUD_SIZES - 1) / spread)) for word, n in top),
                  key=lambda w: (-w.size, w.text))


# --- the positive board --------------------------------------------------------------------------

def positive_board(brand: Brand, *, days: int = BOARD_DAYS, limit: int = BOARD_ROWS,
                   now: datetime | None = None) -> list[Mention]:
    """Positive mentions of the last ``days`` by reach: the author's followers, then the reposts."""
    since = (now or timezone.now()) - timedelta(days=days)
    return list(Mention.objects.of_fans().filter(brand=brand, sentiment=Sentiment.POSITIVE, posted_at__gte=since)
                .prefetch_related("groups").order_by("-author_followers", "-reposts", "-likes", "-id")[:limit])


# --- today ---------------------------------------------------------------------------------------

def today_counts(brand: Brand, *, now: datetime | None = None) -> MentionsToday:
    """Mentions since Shanghai midnight by sentiment and by source (``selectors.mentions_today``, which the
    dashboard reads too)."""
    return mentions_today(brand_ids=[brand.pk], now=now)


def latest_alerts(brand: Brand, *, limit: int = 5) -> list[Alert]:
    return list(Alert.objects.filter(brand=brand).order_by("-created_at", "-id")[:limit])


def open_incidents(brand: Brand, *, limit: int = 5) -> list[Incident]:
    return list(Incident.objects.filter(brand=brand).exclude(state=IncidentState.CLOSED)
                .order_by("-opened_at", "-id")[:limit])
