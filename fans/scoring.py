"""The fan scores, each with the reasons shown beside it.

- influence (0-100): reach (followers, log scale), verification, and downstream reposts the fan
  caused (people who reposted through the fan's repost);
- activity: interactions with the matrix in the last 30 days;
- loyalty (0-100): praise on separate days (repeat positive interactions), defending the brand, and
  tip-offs: pointing the team to a negative post (``TIPOFF_WEIGHT`` each, at most ``TIPOFF_MAX``);
- zombie likelihood (0-1): no avatar, a default-looking name, no posts, following far more than
  followed, a young account. The product flags zombies for review; it never buys or adds fans;
- lottery hunter likelihood (0-1, 抽奖控): posts of the last 30 days that are lottery reposts
  (转发抽奖/抽奖/开奖 ..., found by the business search: Weibo shows nobody else's timeline, so the
  share of all their posts cannot be read; the count and the number of brands whose draws they
  entered stand for it), lottery words in the name or profile (锦鲤, 抽奖, 中奖 ...), and following
  very many accounts (hunters follow every brand a draw asks them to). The posts are read only for
  campaign entrants (``campaigns.harvest``); without them the profile alone stays below the threshold.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weibo_ops.reasons import coded_words

from .models import Fan, Interaction, TipOff

ACTIVITY_WINDOW = timedelta(days=30)
YOUNG_ACCOUNT = timedelta(days=30)  # younger than this counts towards "zombie"
NO_POSTS = 5  # posts or fewer: as good as none
FOLLOWING_RATIO = 20  # following more than 20 × followers (and over 100 people)
# Names Weibo gives accounts that never chose one, and the shapes bulk registrations use.
DEFAULT_NAME = re.compile(r"^(用户|手机用户|微博用户|新浪用户|user_?)\d{4,}$|^[a-z]{2,6}\d{6,}$|^\d{8,}$",
                          re.IGNORECASE)
ZOMBIE_WEIGHTS = {"no_avatar": 0.25, "default_name": 0.2, "no_posts": 0.2, "following": 0.2, "young": 0.15}
ZOMBIE_THRESHOLD = 0.6  # from here a fan is listed with the zombies to review
HUNTER_THRESHOLD = 0.6  # from here a fan is taken for a lottery hunter (campaign draws exclude them)
NODE_FAN_INFLUENCE = 60  # from here a fan is a node fan / opinion leader
LOYAL_THRESHOLD = 40
# A tip-off about a negative post is loyalty in action (DOMAIN.md: loyal fans also report negatives):
# one counts like a defence of the brand less a little (it is private help, not public), two reach
# the loyal list together with any praise, and they stop adding after three.
TIPOFF_WEIGHT = 20  # loyalty points per tip-off
TIPOFF_MAX = 60  # loyalty points from tip-offs at most
# Lottery hunters: what a profile and the last 30 days of posts show.
LOTTERY_WORDS = ("转发抽奖", "抽奖", "开奖", "锦鲤", "中奖", "欧气", "欧皇", "翻牌", "逢抽必转")
LOTTERY_DAYS = 30  # days of posts searched for lottery reposts
LOTTERY_POSTS_FULL = 10  # lottery posts in LOTTERY_DAYS that count fully: a draw every three days is a habit
LOTTERY_BRANDS_MANY = 3  # entering the draws of this many brands or more
FOLLOWING_MANY = 1000  # following this many accounts: every brand a draw asked them to follow
HUNTER_WEIGHTS = {"lottery_posts": 0.45, "lottery_brands": 0.15, "lottery_words": 0.2, "following_many": 0.2}


# Reasons are stored as [code, values] and put into words when shown, in the reader's language.
REASON_TEXT = {
    "followers": _("%(n)s followers"),
    "verified": _("verified %(why)s"),
    "downstream": _("caused %(n)s reposts through theirs"),
    "no_avatar": _("no avatar"),
    "default_name": _("default-looking name"),
    "no_posts": _("%(n)s posts"),
    "following": _("follows %(f)s, followed by %(b)s"),
    "young": _("account %(d)s days old"),
    "praise_days": _("praised the brand on %(n)s days"),
    "defends": _("defended the brand %(n)s times"),
    "recent": _("%(n)s interactions in 30 days"),
    "tipoffs": _("reported %(n)s negative posts"),
    "lottery_posts": _("%(n)s lottery reposts in %(d)s days"),
    "lottery_brands": _("entered the draws of %(n)s brands"),
    "lottery_words": _("“%(word)s” in the name or profile"),
    "following_many": _("follows %(n)s accounts"),
}


def reasons_text(fan: Fan) -> dict[str, list[str]]:
    """{score: [reason, ...]} in the active language."""
    return {score: reason_words(items) for score, items in (fan.score_reasons or {}).items()}


def reason_words(items) -> list[str]:
    """Stored reasons ``[[code, values], ...]`` in the active language."""
    return coded_words(items, REASON_TEXT)


@dataclass
class Score:
    influence: int = 0
    zombie: float = 0.0
    hunter: float = 0.0
    reasons: dict[str, list] = field(default_factory=dict)


def hunter_score(fan: Fan) -> tuple[float, list]:
    """The lottery-hunter likelihood and its reasons, from the profile and the lottery posts counted (no
    queries). A fan seen only by uid gets no verdict."""
    if fan.profile_at is None:
        return 0.0, []
    score, reasons = 0.0, []
    if fan.lottery_posts:
        score += HUNTER_WEIGHTS["lottery_posts"] * min(1.0, fan.lottery_posts / LOTTERY_POSTS_FULL)
        reasons.append(["lottery_posts", {"n": fan.lottery_posts, "d": LOTTERY_DAYS}])
    if fan.lottery_brands >= LOTTERY_BRANDS_MANY:
        score += HUNTER_WEIGHTS["lottery_brands"]
        reasons.append(["lottery_brands", {"n": fan.lottery_brands}])
    word = next((w for w in LOTTERY_WORDS if w in f"{fan.screen_name} {fan.description}"), None)
    if word:
        score += HUNTER_WEIGHTS["lottery_words"]
        reasons.append(["lottery_words", {"word": word}])
    if fan.friends_count >= FOLLOWING_MANY:
        score += HUNTER_WEIGHTS["following_many"]
        reasons.append(["following_many", {"n": fan.friends_count}])
    return round(min(1.0, score), 2), reasons


def profile_score(fan: Fan, *, now: datetime | None = None) -> Score:
    """Influence and zombie likelihood from what the profile says (no queries)."""
    now = now or timezone.now()
    reasons: dict[str, list] = {"influence": [], "zombie": []}
    reach = min(60.0, 12 * math.log10(fan.followers_count + 1))  # 10 k followers ≈ 48, 100 k ≈ 60
    influence = reach
    reasons["influence"].append(["followers", {"n": fan.followers_count}])
    if fan.verified:
        influence += 15
        reasons["influence"].append(["verified", {"why": fan.verified_reason}])
    if fan.downstream_reposts:
        influence += min(25.0, 10 * math.log10(fan.downstream_reposts + 1))
        reasons["influence"].append(["downstream", {"n": fan.downstream_reposts}])
    zombie = 0.0
    if fan.profile_at is not None:  # nothing is known of a fan seen only by uid: no verdict
        if not fan.avatar_url or "default_avatar" in fan.avatar_url:
            zombie += ZOMBIE_WEIGHTS["no_avatar"]
            reasons["zombie"].append(["no_avatar", {}])
        if DEFAULT_NAME.match(fan.screen_name or ""):
            zombie += ZOMBIE_WEIGHTS["default_name"]
            reasons["zombie"].append(["default_name", {}])
        if fan.statuses_count <= NO_POSTS:
            zombie += ZOMBIE_WEIGHTS["no_posts"]
            reasons["zombie"].append(["no_posts", {"n": fan.statuses_count}])
        if fan.friends_count > 100 and fan.friends_count > FOLLOWING_RATIO * max(fan.followers_count, 1):
            zombie += ZOMBIE_WEIGHTS["following"]
            reasons["zombie"].append(["following", {"f": fan.friends_count, "b": fan.followers_count}])
        if fan.registered_at and now - fan.registered_at < YOUNG_ACCOUNT:
            zombie += ZOMBIE_WEIGHTS["young"]
            reasons["zombie"].append(["young", {"d": (now - fan.registered_at).days}])
    hunter, reasons["hunter"] = hunter_score(fan)
    return Score(influence=round(min(100.0, influence)), zombie=round(min(1.0, zombie), 2), hunter=hunter,
                 reasons=reasons)


def fans_locked(fans: QuerySet[Fan]) -> list[Fan]:
    """These fans read and locked until the transaction ends, in id order (so that two workers locking
    overlapping sets wait for each other instead of deadlocking). Every writer of a score takes this lock
    first: a score is a function of the whole row (profile, lottery count, interactions), and a score computed
    from a row read before another worker's write would otherwise overwrite what that worker stored."""
    return list(fans.select_for_update().order_by("pk"))


@transaction.atomic
def fans_rescore(*, fan_ids: list[int]) -> int:
    """Recompute every score of these fans from their stored interactions: four grouped queries and
    one bulk update, whatever the number of fans. Returns how many were scored."""
    if not fan_ids:
        return 0
    now = timezone.now()
    since = now - ACTIVITY_WINDOW
    fans = fans_locked(Fan.objects.filter(pk__in=fan_ids))
    rows = Interaction.objects.filter(fan_id__in=fan_ids)
    aggregates = {
        row["fan_id"]: row
        for row in rows.values("fan_id").annotate(
            recent=Count("id", filter=Q(created_at__gte=since)),
            defends_n=Count("id", filter=Q(defends=True)),
            last=Max("created_at"),
        )
    }
    tipoffs = dict(TipOff.objects.filter(fan_id__in=fan_ids).order_by().values("fan_id")
                   .annotate(n=Count("id")).values_list("fan_id", "n"))
    praise_days: dict[int, int] = {}
    # Distinct local days per fan (no ordering: the model's would split the groups per row).
    for row in (rows.filter(is_praise=True).order_by().values("fan_id")
                .annotate(days=Count(TruncDate("created_at"), distinct=True))):
        praise_days[row["fan_id"]] = row["days"]
    names = {fan.screen_name for fan in fans if fan.screen_name}
    downstream = {
        row["reposted_from"]: row["n"]
        for row in Interaction.objects.filter(reposted_from__in=names).values("reposted_from").annotate(n=Count("id"))
    } if names else {}
    for fan in fans:
        agg = aggregates.get(fan.pk, {})
        fan.downstream_reposts = downstream.get(fan.screen_name, 0) if fan.screen_name else 0
        score = profile_score(fan, now=now)
        fan.activity = agg.get("recent", 0)
        fan.positive_count = praise_days.get(fan.pk, 0)
        fan.defends_count = agg.get("defends_n", 0)
        fan.tipoffs_count = tipoffs.get(fan.pk, 0)
        loyalty_reasons = []
        loyalty = 0
        if fan.positive_count:
            # Once is a compliment; coming back with praise is loyalty.
            loyalty += min(60, 15 * fan.positive_count) if fan.positive_count > 1 else 10
            loyalty_reasons.append(["praise_days", {"n": fan.positive_count}])
        if fan.defends_count:
            loyalty += min(50, 25 * fan.defends_count)
            loyalty_reasons.append(["defends", {"n": fan.defends_count}])
        if fan.tipoffs_count:
            loyalty += min(TIPOFF_MAX, TIPOFF_WEIGHT * fan.tipoffs_count)
            loyalty_reasons.append(["tipoffs", {"n": fan.tipoffs_count}])
        fan.loyalty = min(100, loyalty)
        fan.influence, fan.zombie, fan.hunter = score.influence, score.zombie, score.hunter
        fan.score_reasons = {**score.reasons, "loyalty": loyalty_reasons,
                             "activity": [["recent", {"n": fan.activity}]]}
        fan.last_interaction_at = agg.get("last") or fan.last_interaction_at
        fan.scored_at = now
    Fan.objects.bulk_update(fans, ["downstream_reposts", "activity", "positive_count", "defends_count",
                                   "tipoffs_count", "loyalty",
                                   "influence", "zombie", "hunter", "score_reasons", "last_interaction_at",
                                   "scored_at"],
                            batch_size=500)
    return len(fans)
