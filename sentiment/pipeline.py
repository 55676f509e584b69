"""The monitoring pipeline: raw items from every source become mentions.

A batch is deduplicated (by Weibo id, then by near-identical text), segmented once with jieba, matched
against the brand's keyword groups with one Aho-Corasick pass, classified by the sentiment model in one
matrix product, given its keywords (jieba's TF-IDF weights over the tokens already cut) and stored with
bulk writes, in one transaction. jieba, its IDF table and the model load once per worker process.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta

import jieba
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from positioning.models import Brand
from weibo_ops.links import weibo_url
from weibo_ops.weibo.types import Comment, Status

from .classifier import get_classifier
from .labels import own_uids
from .matching import GroupSpec, fold, matcher_for, text_key
from .models import Mention, MentionCopy, MentionSource, RuleGroup
from .words import is_noise, without_url_tokens

logger = logging.getLogger(__name__)
jieba.setLogLevel(logging.INFO)  # its DEBUG lines ("Building prefix dict...") on every worker start are noise

COPY_WINDOW = timedelta(days=7)  # a copy of a mention older than this is news again, not a copy
KEYWORDS_PER_MENTION = 5  # enough for the word cloud and search; more is noise
MATCH_REQUIRED = {MentionSource.SEARCH}  # a search hit must match a group; the others are about us already
MAX_TEXT = 5000  # characters kept of a mention: Weibo's long posts stop near here


@dataclass
class Raw:
    """One item as a source hands it over, before it is a mention (JSON-able: it waits in ``Inbound``)."""

    text: str
    platform_id: str = ""
    object_type: str = "status"
    url: str = ""
    author_uid: str = ""
    author_name: str = ""
    author_followers: int = 0
    author_verified: bool = False
    author_created_at: str = ""  # ISO 8601
    posted_at: str = ""  # ISO 8601; empty: when it was handed over
    reposts: int = 0
    comments: int = 0
    likes: int = 0
    root_id: str = ""
    reported_by: int | None = None
    report_note: str = ""
    import_batch: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Raw:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def raw_from_status(status: Status) -> Raw:
    user = status.user
    root = status.retweeted_status
    return Raw(
        text=status.text, platform_id=status.id, object_type="status",
        url=f"https://weibo.com/{user.id if user else 0}/{status.mid or status.id}",
        author_uid=user.id if user else "", author_name=user.screen_name if user else "",
        author_followers=user.followers_count if user else 0, author_verified=bool(user and user.verified),
        author_created_at=_iso(user.created_at if user else None), posted_at=_iso(status.created_at),
        reposts=status.reposts_count, comments=status.comments_count, likes=status.attitudes_count,
        root_id=root.id if root else "",
    )


def raw_from_comment(comment: Comment) -> Raw:
    user = comment.user
    status = comment.status
    return Raw(
        text=comment.text, platform_id=comment.id, object_type="comment",
        url=f"https://weibo.com/{status.user.id if status and status.user else 0}/{status.id if status else ''}",
        author_uid=user.id if user else "", author_name=user.screen_name if user else "",
        author_followers=user.followers_count if user else 0, author_verified=bool(user and user.verified),
        author_created_at=_iso(user.created_at if user else None), posted_at=_iso(comment.created_at),
        root_id=status.id if status else "",
    )


# --- the parts that load once per process ---------------------------------------------------------

_lock = threading.Lock()
_loaded: dict[str, tuple[dict[str, float], float, frozenset[str]]] = {}


def _keyword_table() -> tuple[dict[str, float], float, frozenset[str]]:
    """jieba.analyse's IDF table and stop words, read once: keywords are weighted over the tokens the
    pipeline has already cut, instead of letting ``extract_tags`` segment every text a second time."""
    with _lock:
        if "idf" not in _loaded:
            import jieba.analyse

            tfidf = jieba.analyse.default_tfidf
            _loaded["idf"] = (tfidf.idf_freq, tfidf.median_idf, frozenset(tfidf.stop_words))
            jieba.initialize()
    return _loaded["idf"]


def warm_up() -> None:
    """Load jieba, its IDF table and the model now (a worker calls it when it starts)."""
    _keyword_table()
    get_classifier()


def keywords(tokens: list[str], idf: dict[str, float], median: float, stop: frozenset[str]) -> list[str]:
    counts = Counter(t for t in without_url_tokens(tokens) if t.lower() not in stop and not is_noise(t))
    if not counts:
        return []
    return [w for w, _ in sorted(counts.items(), key=lambda kv: -kv[1] * idf.get(kv[0], median))[
        :KEYWORDS_PER_MENTION]]


# --- storing ---------------------------------------------------------------------------------------

@dataclass
class StoreResult:
    new: list[Mention] = field(default_factory=list)
    copies: int = 0  # folded onto an earlier mention with the same text
    known: int = 0  # already stored (same Weibo id)
    unmatched: int = 0  # search hits that no group really matches (an exclude term, a missing context)

    def merge(self, other: StoreResult) -> None:
        self.new += other.new
        self.copies += other.copies
        self.known += other.known
        self.unmatched += other.unmatched


def group_specs(brand: Brand) -> list[GroupSpec]:
    return [GroupSpec(g.pk, tuple(g.include_terms), tuple(g.exclude_terms), tuple(g.context_terms))
            for g in RuleGroup.objects.filter(brand=brand, is_active=True)]


def _time(value: str, default: datetime) -> datetime:
    parsed = parse_datetime(value) if value else None
    if parsed is None:
        return default
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, timezone.get_default_timezone())


def _fresh(brand: Brand, raws: list[Raw]) -> tuple[list[Raw], int]:
    """Drop items stored before or repeated within the batch (same Weibo id)."""
    seen: set[str] = set()
    unique = []
    for raw in raws:
        pid = (raw.platform_id or "").strip()[:64]
        raw.platform_id = pid
        if pid and pid in seen:
            continue
        seen.add(pid)
        unique.append(raw)
    ids = [r.platform_id for r in unique if r.platform_id]
    stored = set()
    for start in range(0, len(ids), 900):  # SQLite allows 999 parameters per query
        chunk = ids[start:start + 900]
        stored |= set(Mention.objects.filter(brand=brand, platform_id__in=chunk).values_list("platform_id", flat=True))
        stored |= set(MentionCopy.objects.filter(brand=brand, platform_id__in=chunk)
                      .values_list("platform_id", flat=True))
    return [r for r in unique if not r.platform_id or r.platform_id not in stored], len(raws) - len(unique) + len(
        stored)


@dataclass
class _Folding:
    keep: list[int]  # rows to store
    folded: list[int]  # rows counted as copies of another
    copies: int
    in_batch: Counter  # copies within the batch of each kept text
    existing: dict[str, int]  # text key → the stored mention the copies are counted on


def _fold_copies(brand: Brand, rows: list[tuple[Raw, str, bool]], now: datetime) -> _Folding:
    """Which rows to store. A near-identical copy of a recent mention is counted on that mention; copies
    within the batch are counted on the first of them."""
    keep, folded, first, in_batch = [], [], {}, Counter()
    for index, (_raw, key, foldable) in enumerate(rows):
        if foldable and key in first:
            in_batch[key] += 1
            folded.append(index)
            continue
        if foldable:
            first[key] = index
        keep.append(index)
    keys, existing = list(first), {}
    for start in range(0, len(keys), 900):  # SQLite allows 999 parameters per query
        for pk, key in (Mention.objects.filter(brand=brand, text_key__in=keys[start:start + 900],
                                               posted_at__gte=now - COPY_WINDOW)
                        .order_by("text_key", "posted_at").values_list("pk", "text_key")):
            existing.setdefault(key, pk)
    copies = sum(in_batch.values())
    for key, pk in existing.items():
        Mention.objects.filter(pk=pk).update(copies=F("copies") + 1 + in_batch.pop(key, 0))
        copies += 1
    onto_stored = [i for i in keep if rows[i][2] and rows[i][1] in existing]
    return _Folding([i for i in keep if i not in set(onto_stored)], folded + onto_stored, copies, in_batch, existing)


def _copies_record(brand: Brand, rows: list[tuple[Raw, str, bool]], folding: _Folding, new: list[Mention]) -> None:
    """Keep the Weibo ids of the folded copies, so that reading one again (the search's overlap, a gap
    filled) finds it known instead of counting it twice."""
    onto = folding.existing | {m.text_key: m.pk for m in new}
    MentionCopy.objects.bulk_create(
        [MentionCopy(brand=brand, platform_id=rows[i][0].platform_id, mention_id=onto[rows[i][1]])
         for i in folding.folded if rows[i][0].platform_id and rows[i][1] in onto],
        batch_size=500, ignore_conflicts=True)


def _link(raw: Raw) -> str:
    """The rows below are written with a plain INSERT, past the model's validation, and pages render the link
    as ``href``: whatever the source, only an http(s) link to Weibo is kept (the import already warned)."""
    url = weibo_url(raw.url) if raw.url and len(raw.url) <= 500 else ""
    if raw.url and not url:
        logger.warning("mention link dropped: not an http(s) Weibo link (%s, item %s)", raw.object_type,
                       raw.platform_id or "-")
    return url


MENTION_FIELDS = ["brand", "source", "platform_id", "object_type", "url", "text", "text_key", "author_uid",
                  "author_name", "author_followers", "author_verified", "author_created_at", "posted_at", "stored_at",
                  "reposts", "comments", "likes", "root_id", "copies", "sentiment", "score", "corrected", "own",
                  "keywords", "reported_by", "report_note", "import_batch"]
SQLITE_PARAMETERS = 999  # SQLite's limit of parameters in one statement


def _prepared(fields: list, objects: list) -> list[tuple]:
    """Column values of the objects: only datetimes and JSON need preparing for the database; the other
    columns are plain strings, numbers and booleans (what ``bulk_create`` spends most of its time checking)."""
    ops = connection.ops
    convert = []
    for f in fields:
        if f.get_internal_type() == "DateTimeField":
            convert.append(lambda v: ops.adapt_datetimefield_value(v) if v is not None else None)
        elif f.get_internal_type() == "JSONField":
            convert.append(lambda v: json.dumps(v, ensure_ascii=False))
        else:
            convert.append(None)
    attnames = [f.attname for f in fields]
    return [tuple(c(getattr(o, a)) if c else getattr(o, a) for a, c in zip(attnames, convert, strict=True))
            for o in objects]


def rows_insert(model, names: list[str], objects: list, *, returning: bool = False) -> list[int]:
    """A plain multi-row INSERT of the objects (in order; with their new ids when ``returning``): the
    pipeline's hot path, about five times cheaper than ``bulk_create`` per row. Rows are new by construction
    (the caller has checked), so no conflict handling is needed."""
    if not objects:
        return []
    fields = [model._meta.get_field(name) for name in names]
    for f in fields:  # auto_now_add is not applied by a plain INSERT
        if getattr(f, "auto_now_add", False):
            now = timezone.now()
            for o in objects:
                setattr(o, f.attname, getattr(o, f.attname) or now)
    rows = _prepared(fields, objects)
    quote = connection.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    tail = " RETURNING id" if returning else ""
    ids: list[int] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            template = "(" + ", ".join("%s::jsonb" if f.get_internal_type() == "JSONField" else "%s"
                                       for f in fields) + ")"
            # Identifiers come from the model's own meta, quoted; every value is a parameter.
            sql = f"INSERT INTO {table} ({columns}) VALUES %s{tail}"  # noqa: S608
            found = execute_values(cursor.cursor, sql, rows, template=template, page_size=500, fetch=returning)
            return [row[0] for row in found] if returning else []
        per = max(1, SQLITE_PARAMETERS // len(fields))
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        for start in range(0, len(rows), per):
            chunk = rows[start:start + per]
            sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(chunk))}{tail}"  # noqa: S608
            cursor.execute(sql, [value for row in chunk for value in row])
            if returning:
                ids += [row[0] for row in cursor.fetchall()]
    return ids


def mentions_store(*, brand: Brand, source: str, raws: list[Raw], now: datetime | None = None) -> StoreResult:
    """Store a batch of raw items as mentions of ``brand``; returns what was new. Call inside a
    transaction: the caller commits its cursor (or deletes its inbound rows) in the same one."""
    now = now or timezone.now()
    result = StoreResult()
    if not raws:
        return result
    # One writer per brand at a time: two workers with overlapping search windows then cannot both find a
    # Weibo id "not stored yet".
    Brand.objects.select_for_update().filter(pk=brand.pk).first()
    raws, result.known = _fresh(brand, raws)
    matcher = matcher_for(group_specs(brand))
    idf, median, stop = _keyword_table()
    matched = []
    for raw in raws:
        raw.text = (raw.text or "").strip()[:MAX_TEXT]
        if not raw.text:
            continue
        hits = matcher.match(raw.text)
        if not hits and source in MATCH_REQUIRED:
            result.unmatched += 1
            continue
        matched.append((raw, hits))
    if not matched:
        return result
    rows = [(raw, *text_key(raw.text)) for raw, _hits in matched]
    folding = _fold_copies(brand, rows, now)
    result.copies, keep, in_batch = folding.copies, folding.keep, folding.in_batch
    kept = [matched[i] for i in keep]
    if not kept:
        _copies_record(brand, rows, folding, [])
        return result
    texts = [raw.text for raw, _hits in kept]
    predictions = get_classifier().predict(texts)
    own = own_uids(brand)
    mentions = []
    for (raw, _hits), (label, score), index in zip(kept, predictions, keep, strict=True):
        tokens = jieba.lcut(fold(raw.text))
        mentions.append(Mention(
            brand=brand, source=source, platform_id=raw.platform_id, object_type=raw.object_type[:10],
            url=_link(raw), text=raw.text, text_key=rows[index][1], author_uid=raw.author_uid[:20],
            author_name=raw.author_name[:200], author_followers=max(0, int(raw.author_followers or 0)),
            author_verified=bool(raw.author_verified),
            author_created_at=_time(raw.author_created_at, None) if raw.author_created_at else None,
            posted_at=_time(raw.posted_at, now), reposts=max(0, int(raw.reposts or 0)),
            comments=max(0, int(raw.comments or 0)), likes=max(0, int(raw.likes or 0)), root_id=raw.root_id[:64],
            sentiment=label, score=round(float(score), 4), own=bool(raw.author_uid) and raw.author_uid in own,
            keywords=keywords(tokens, idf, median, stop),
            reported_by_id=raw.reported_by, report_note=raw.report_note[:500], import_batch_id=raw.import_batch,
        ))
    for mention in mentions:
        mention.copies = 1 + in_batch.get(mention.text_key, 0)
    for mention, pk in zip(mentions, rows_insert(Mention, MENTION_FIELDS, mentions, returning=True), strict=True):
        mention.pk = mention.id = pk
        mention._state.adding, mention._state.db = False, "default"
    through = Mention.groups.through
    rows_insert(through, ["mention", "rulegroup"],
                [through(mention_id=m.pk, rulegroup_id=hit.group_id)
                 for m, (_raw, hits) in zip(mentions, kept, strict=True) for hit in hits])
    _copies_record(brand, rows, folding, mentions)
    for mention, (_raw, hits) in zip(mentions, kept, strict=True):
        mention.matched = hits  # for the alert check and the cascade watch, without reading back
    result.new = mentions
    return result


def mentions_after_store(*, brand: Brand, result: StoreResult) -> None:
    """What follows new mentions, in the same transaction: alerts, and watching negative posts' reposts."""
    if not result.new:
        return
    from . import alerts, cascades

    alerts.alerts_check(brand=brand, mentions=result.new)
    cascades.cascades_watch(brand=brand, mentions=result.new)


@transaction.atomic
def mentions_ingest(*, brand: Brand, source: str, raws: list[Raw]) -> StoreResult:
    result = mentions_store(brand=brand, source=source, raws=raws)
    mentions_after_store(brand=brand, result=result)
    return result
