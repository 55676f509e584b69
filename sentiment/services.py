"""Writes of the listening pages: keyword groups, sentiment corrections, manual reports, the word-of-mouth
actions that turn a positive mention into a content draft, and the monitoring settings.

Every write checks the person's permission on the brand (``monitoring_require``) and refuses bad input with
a ``ValidationError`` that names the field and says what to do; nothing is half-written.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from content import services as content_services
from positioning.access import Action, account_allows
from positioning.models import Account, Brand
from team.models import User
from weibo_ops.webhooks import webhook_url_check
from weibo_ops.weibo import text as weibo_text

from .access import Can, monitoring_require
from .incidents import grade_thresholds
from .matching import fold
from .models import Mention, MentionSource, MonitoringSettings, RuleGroup, Sentiment, SentimentCorrection
from .pipeline import Raw
from .sources import mentions_submit, status_look_up

TERM_MAX_CHARS = 30  # a keyword longer than this is a sentence, not a term
TERMS_MAX = 10_000  # terms per list of one group: the automaton stays small enough to rebuild per batch
TERM_FIELDS = ("include_terms", "exclude_terms", "context_terms")
GROUP_FIELDS = ("name", "kind", *TERM_FIELDS, "search_enabled", "is_active")


# --- keyword groups ------------------------------------------------------------------------------

def terms_clean(terms: list[str], *, field: str) -> list[str]:
    """Trimmed, without empties and without repeats (compared as the matcher compares: folded)."""
    cleaned: list[str] = []
    seen: set[str] = set()
    too_long = []
    for term in terms or []:
        word = str(term).strip()
        if not word:
            continue
        if len(word) > TERM_MAX_CHARS:
            too_long.append(word)
            continue
        if fold(word) not in seen:
            seen.add(fold(word))
            cleaned.append(word)
    if too_long:
        raise ValidationError({field: _("Terms are at most %(max)d characters; shorten: %(terms)s.")
                               % {"max": TERM_MAX_CHARS, "terms": "、".join(t[:40] for t in too_long[:5])}})
    if len(cleaned) > TERMS_MAX:
        raise ValidationError({field: _("At most %(max)s terms in one list; this one has %(n)s: split the group.")
                               % {"max": f"{TERMS_MAX:,}", "n": f"{len(cleaned):,}"}})
    return cleaned


def _group_check(brand: Brand, data: dict, group: RuleGroup | None = None) -> dict:
    errors: dict[str, list[str]] = {}
    data = dict(data)
    data["name"] = (data.get("name") or "").strip()
    if not data["name"]:
        errors["name"] = [_("Give the group a name, e.g. the brand or the product.")]
    elif RuleGroup.objects.filter(brand=brand, name=data["name"]).exclude(pk=group.pk if group else None).exists():
        errors["name"] = [_("%(brand)s already has a group called “%(name)s”: choose another name.")
                          % {"brand": brand.name, "name": data["name"]}]
    for field in TERM_FIELDS:
        try:
            data[field] = terms_clean(data.get(field) or [], field=field)
        except ValidationError as error:
            errors.setdefault(field, []).extend(error.message_dict[field])
    if "include_terms" not in errors and not data["include_terms"]:
        errors["include_terms"] = [_("Give at least one term to listen for.")]
    both = {fold(t) for t in data.get("include_terms") or []} & {fold(t) for t in data.get("exclude_terms") or []}
    if both and "exclude_terms" not in errors:
        words = [t for t in data["exclude_terms"] if fold(t) in both]
        errors["exclude_terms"] = [_("A term cannot be both included and excluded: %(terms)s. Remove it from one "
                                     "of the lists.") % {"terms": "、".join(words[:10])}]
    if errors:
        raise ValidationError(errors)
    return data


@transaction.atomic
def group_create(*, brand: Brand, by: User, name: str, include_terms: list[str], kind: str = "brand",
                 exclude_terms: list[str] | None = None, context_terms: list[str] | None = None,
                 search_enabled: bool = True, is_active: bool = True) -> RuleGroup:
    monitoring_require(by, brand, Can.RULES)
    data = _group_check(brand, {"name": name, "kind": kind, "include_terms": include_terms,
                                "exclude_terms": exclude_terms, "context_terms": context_terms})
    try:
        with transaction.atomic():
            return RuleGroup.objects.create(brand=brand, search_enabled=search_enabled, is_active=is_active, **data)
    except IntegrityError:  # the same name saved a moment ago by someone else
        raise ValidationError({"name": _("%(brand)s already has a group called “%(name)s”: choose another name.")
                               % {"brand": brand.name, "name": data["name"]}}) from None


@transaction.atomic
def group_update(*, group: RuleGroup, by: User, **fields) -> RuleGroup:
    """Change a group. New include terms are searched from the first window again (ids deduplicate)."""
    monitoring_require(by, group.brand, Can.RULES)
    brand = fields.pop("brand", None)
    if brand is not None and brand.pk != group.brand_id:
        raise ValidationError({"brand": _("A group stays with its brand: make a new group for the other brand.")})
    unknown = set(fields) - set(GROUP_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    current = {f: getattr(group, f) for f in GROUP_FIELDS}
    data = _group_check(group.brand, {**current, **fields}, group)
    data["search_enabled"], data["is_active"] = bool(data["search_enabled"]), bool(data["is_active"])
    changed = [f for f in GROUP_FIELDS if data[f] != current[f]]
    if not changed:
        return group
    for f in changed:
        setattr(group, f, data[f])
    if "include_terms" in changed and set(data["include_terms"]) - set(current["include_terms"]):
        group.searched_until = group.search_gap_end = group.search_gap_top = None
        group.search_problem = ""
        changed += ["searched_until", "search_gap_end", "search_gap_top", "search_problem"]
    try:
        with transaction.atomic():
            group.save(update_fields=[*changed, "updated_at"])
    except IntegrityError:
        raise ValidationError({"name": _("%(brand)s already has a group called “%(name)s”: choose another name.")
                               % {"brand": group.brand.name, "name": data["name"]}}) from None
    return group


def group_delete(*, group: RuleGroup, by: User) -> None:
    """Delete a group; its mentions stay, only unlinked from it."""
    monitoring_require(by, group.brand, Can.RULES)
    group.delete()


# --- corrections and reports -----------------------------------------------------------------------

@transaction.atomic
def mention_correct(*, mention: Mention, by: User, label: str) -> Mention:
    """A person's verdict on the sentiment: stored on the mention and kept for training."""
    monitoring_require(by, mention.brand, Can.VIEW)
    if label not in Sentiment.values:
        raise ValidationError({"label": _("Choose negative, neutral or positive.")})
    was = mention.sentiment
    SentimentCorrection.objects.create(brand_id=mention.brand_id, mention=mention, text=mention.text, label=label,
                                       was=was, created_by=by)
    mention.sentiment, mention.corrected = label, True
    mention.save(update_fields=["sentiment", "corrected"])
    return mention


_WEIBO_HOSTS = {"weibo.com", "www.weibo.com", "m.weibo.com", "weibo.cn", "m.weibo.cn"}
_DIGITS = re.compile(r"[0-9]{6,20}")
_MID = re.compile(r"[0-9A-Za-z]{8,12}")
_BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def mid_to_id(mid: str) -> str:
    """A weibo.com link's base62 ``mid`` as the numeric status id: groups of 4 characters from the right,
    each 7 decimal digits (the leftmost unpadded)."""
    parts = []
    end = len(mid)
    while end > 0:
        start = max(0, end - 4)
        number = 0
        for char in mid[start:end]:
            number = number * 62 + _BASE62.index(char)
        parts.append(str(number) if start == 0 else f"{number:07d}")
        end = start
    return "".join(reversed(parts)).lstrip("0") or "0"


def link_parse(link: str) -> tuple[str, str]:
    """(platform id, canonical link) of a Weibo post link; ``ValidationError`` on anything else."""
    raw = link.strip()
    if not re.match(r"^https?://", raw, re.IGNORECASE):
        raw = "https://" + raw
    parsed = urlparse(raw)
    host = (parsed.hostname or "").lower()
    parts = [p for p in parsed.path.split("/") if p]
    wrong = ValidationError({"link": _("This is not a link to a Weibo post. Paste a link like "
                                       "https://weibo.com/<user>/<post> or https://m.weibo.cn/status/<id>, "
                                       "or leave it blank and paste the text.")})
    if host not in _WEIBO_HOSTS or len(parts) < 2:
        raise wrong
    kind, key = parts[0], parts[1]
    if kind in ("status", "detail") and (_DIGITS.fullmatch(key) or _MID.fullmatch(key)):
        pid = key if _DIGITS.fullmatch(key) else mid_to_id(key)
        return pid, f"https://m.weibo.cn/detail/{pid}"
    if kind.isdigit() and (_DIGITS.fullmatch(key) or _MID.fullmatch(key)):
        pid = key if _DIGITS.fullmatch(key) else mid_to_id(key)
        return pid, f"https://weibo.com/{kind}/{key}"
    raise wrong


REPORT_TEXT_MAX = 5000  # characters: Weibo's long posts stop near here


@transaction.atomic
def mention_report(*, brand: Brand, by: User, link: str = "", text: str = "", note: str = "") -> int:
    """A post reported by a loyal fan or an employee, by its link or its text; queued for the pipeline.
    Returns the number of items queued (1)."""
    monitoring_require(by, brand, Can.VIEW)
    link, text, note = (link or "").strip(), (text or "").strip(), (note or "").strip()
    platform_id, url = link_parse(link) if link else ("", "")
    if not platform_id and not text:
        raise ValidationError({"text": _("Paste the post's link or its text (or both).")})
    if len(text) > REPORT_TEXT_MAX:
        raise ValidationError({"text": _("The text is longer than %(max)d characters: paste the post only.")
                               % {"max": REPORT_TEXT_MAX}})
    if len(note) > 500:
        raise ValidationError({"note": _("Keep the note under 500 characters.")})
    found = status_look_up(brand=brand, status_id=platform_id) if platform_id and not text else None
    if found is not None:  # the post as Weibo has it: its text, author and counts
        found.url, found.reported_by, found.report_note = url, by.pk, note
        return mentions_submit(brand_id=brand.pk, source=MentionSource.REPORT, raws=[found])
    # Weibo could not be asked: the link (and the note) stand in for the text the pipeline reads.
    body = text or "\n".join(part for part in (note, url) if part)
    raw = Raw(text=body, platform_id=platform_id, url=url, reported_by=by.pk, report_note=note)
    return mentions_submit(brand_id=brand.pk, source=MentionSource.REPORT, raws=[raw])


# --- word of mouth: a positive mention becomes a draft ----------------------------------------------

# The post texts follow Weibo's own conventions (转发 @名字：, //@名字:) and go out on Chinese Weibo whatever
# language the person's screen is in: they are post content, not interface strings.
THANK_TEXT = "感谢 @{author} 的分享与喜爱！你的支持是我们最大的动力 ❤"
THANK_TEXT_NO_AUTHOR = "感谢每一位分享鲜活体验的朋友！你们的支持是我们最大的动力 ❤"
REPOST_PREFIX = "转发 @{author}："
QUOTE_REMARK = "谢谢你的喜欢！"
WORD_OF_MOUTH_PILLAR = "客户关怀"  # the default pillar for customer care; any pillar of the brand otherwise
ELLIPSIS = "…"


def _link() -> str:
    """statuses/share needs a link on the registered safe domain."""
    return f"https://{settings.WEIBO_SAFE_DOMAIN}/"


def _quotable(text: str) -> str:
    """The mention's text as it may stand in a share: without links (only the safe domain may be linked)
    and without # marks (statuses/share refuses #topics#), on one line."""
    text = weibo_text.LINK.sub("", text).replace("#", "")
    return re.sub(r"\s+", " ", text).strip()


def fit(head: str, quoted: str, tail: str, *, limit: int = weibo_text.MAX_LENGTH) -> str:
    """head + quoted + tail within Weibo's length, shortening ``quoted`` (with an ellipsis) when needed."""
    if weibo_text.weibo_length(head + quoted + tail) <= limit:
        return head + quoted + tail
    low, high = 0, len(quoted)
    while low < high:  # the longest prefix that fits
        middle = (low + high + 1) // 2
        if weibo_text.weibo_length(head + quoted[:middle].rstrip() + ELLIPSIS + tail) <= limit:
            low = middle
        else:
            high = middle - 1
    return head + (quoted[:low].rstrip() + ELLIPSIS if low else "") + tail


def _author(mention: Mention) -> str:
    return re.sub(r"[\s@:：]+", "", mention.author_name or "")[:30]


def _pillar(brand: Brand):
    pillars = content_services.pillars_ensure(brand=brand)
    return next((p for p in pillars if p.name == WORD_OF_MOUTH_PILLAR), None) or min(pillars, key=lambda p: p.pk)


def _draft(*, mention: Mention, by: User, account: Account, text: str, is_original: bool):
    monitoring_require(by, mention.brand, Can.VIEW)
    if account.brand_id != mention.brand_id:
        raise ValidationError({"account": _("%(account)s belongs to another brand than the mention.")
                               % {"account": account.name}})
    if not account_allows(by, account, Action.DRAFT):
        raise PermissionDenied(_("You may not draft posts on %(account)s: ask its owner or a manager.")
                               % {"account": account.name})
    return content_services.post_create(by=by, pillar=_pillar(mention.brand), text=text, accounts=[account],
                                        is_original=is_original)


@transaction.atomic
def mention_thank(*, mention: Mention, by: User, account: Account):
    """A thank-you post @ the author: our own words, so original."""
    author = _author(mention)
    body = THANK_TEXT.format(author=author) if author else THANK_TEXT_NO_AUTHOR
    return _draft(mention=mention, by=by, account=account, text=fit(body, "", " " + _link()), is_original=True)


@transaction.atomic
def mention_repost(*, mention: Mention, by: User, account: Account):
    """The mention passed on in the author's words: not original."""
    author = _author(mention)
    head = REPOST_PREFIX.format(author=author) if author else ""
    text = fit(head, _quotable(mention.text), " " + _link())
    return _draft(mention=mention, by=by, account=account, text=text, is_original=False)


@transaction.atomic
def mention_quote(*, mention: Mention, by: User, account: Account, remark: str = ""):
    """Our remark, then the mention in Weibo's repost chain form (//@author:text): not original."""
    author = _author(mention)
    head = (remark.strip() or QUOTE_REMARK) + (f"//@{author}:" if author else "//")
    text = fit(head, _quotable(mention.text), " " + _link())
    return _draft(mention=mention, by=by, account=account, text=text, is_original=False)


WORD_OF_MOUTH = {"thank": mention_thank, "repost": mention_repost, "quote": mention_quote}


# --- monitoring settings -------------------------------------------------------------------------

GRADE_LEVELS = ("yellow", "orange", "red")
GRADE_MEASURES = ("people", "reach")
SETTINGS_FIELDS = ("bucket_minutes", "spike_min_count", "spike_factor", "influential_followers", "webhook_url",
                   "email_alerts")


def grades_of(monitoring: MonitoringSettings) -> dict[str, dict[str, int]]:
    """The grade thresholds with the defaults filled in: {level: {"people": n, "reach": n}}."""
    return {str(level): values for level, values in grade_thresholds(monitoring).items()}


def settings_for(brand: Brand) -> MonitoringSettings:
    return MonitoringSettings.objects.get_or_create(brand=brand)[0]


def _grades_check(grades: dict) -> dict:
    errors = {}
    for measure in GRADE_MEASURES:
        values = [grades[level][measure] for level in GRADE_LEVELS]
        if any(v < 1 for v in values):
            errors[f"red_{measure}"] = [_("Every threshold is at least 1.")]
        elif not values[0] < values[1] < values[2]:
            errors[f"orange_{measure}"] = [_("Yellow < orange < red: each grade needs more than the one below.")]
    if errors:
        raise ValidationError(errors)
    return grades


@transaction.atomic
def settings_update(*, brand: Brand, by: User, grades: dict | None = None, webhook_secret: str | None = None,
                    **fields) -> MonitoringSettings:
    """Change a brand's monitoring settings. ``webhook_secret`` None keeps the stored secret, "" removes it."""
    monitoring_require(by, brand, Can.SETTINGS)
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    monitoring = MonitoringSettings.objects.select_for_update().get(pk=settings_for(brand).pk)
    for name, value in fields.items():
        setattr(monitoring, name, value)
    if grades is not None:
        monitoring.grades = _grades_check({level: {m: int(grades[level][m]) for m in GRADE_MEASURES}
                                           for level in GRADE_LEVELS})
    if webhook_secret is not None:
        monitoring.webhook_secret = webhook_secret
    if monitoring.webhook_secret and not monitoring.webhook_url:
        raise ValidationError({"webhook_url": _("A secret without a webhook signs nothing: give the webhook URL "
                                                "too, or clear the secret.")})
    monitoring.full_clean(exclude=["brand", "webhook_secret"])
    webhook_url_check(monitoring.webhook_url)
    monitoring.save()
    return monitoring


# --- what other apps hand over ----------------------------------------------------------------------------

def mentions_hand_over(*, brand_id: int, source: str, items: list[dict]) -> int:
    """The inbox hands over what it has read (each item with ``pipeline.Raw``'s fields), so that monitoring
    hears it without reading Weibo again; the pipeline worker takes it after the caller's transaction."""
    if source not in MentionSource.values:
        raise ValueError(f"unknown mention source {source!r}")
    return mentions_submit(brand_id=brand_id, source=source, raws=[Raw.from_dict(item) for item in items])
