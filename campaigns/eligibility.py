"""Who may win: the campaign's rules applied to every participant, each exclusion with its reason.

A participant is eligible when, within the campaign's window, one of their entries meets every rule (follows
the account, @s enough friends, carries the keyword or code, carries a picture for photo UGC), and the fan CRM
does not take them for a zombie or a lottery hunter. The brand's own accounts never win their own draw. A
person's override (with who and why) stands above the rules' verdict. One person is one participant however
many times they entered: extra entries add no chance.

Following is known from the follow and unfollow events Weibo pushed (the latest one counts) and, for people
with none, from the accounts' followers list as ``friendships/followers`` returns it (its newest 5,000).
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fans.selectors import HUNTER_THRESHOLD, ZOMBIE_THRESHOLD, follow_states, score_reason_words
from fans.services import account_followers_read
from positioning.models import Account
from weibo_ops.reasons import coded_words

from .models import Campaign, CampaignKind, CampaignStats, Entry, Participant

logger = logging.getLogger(__name__)

FOLLOWER_PAGES = 25  # 5,000 followers: as far as the API pages
SAVE_BATCH = 2000  # ids per UPDATE ... WHERE id IN (...)
SHARED_VERDICT = 20  # people with the same verdict updated together from this many
RARE_VERDICT_BATCH = 200  # rows per bulk_update of the others (its cost grows with the square of this)

REASON_TEXT = {
    "window": _("entered outside the campaign's dates"),
    "not_following": _("does not follow %(account)s"),
    "mentions": _("@-ed %(got)s friends, the rules ask for %(need)s"),
    "keyword": _("the entry lacks “%(word)s”"),
    "picture": _("the entry has no picture"),
    "topic": _("the entry lacks the topic #%(topic)s#"),
    "zombie": _("looks like a zombie account (%(score)s): %(why)s"),
    "hunter": _("looks like a lottery hunter (%(score)s): %(why)s"),
    "own_account": _("one of the brand's own accounts"),
}


# The same reasons named without one person's values, for counts by reason (the participants page, the report).
REASON_LABELS = {
    "not_following": _("not following the account"),
    "hunter": _("lottery hunter"),
    "zombie": _("zombie account"),
    "mentions": _("too few friends @-ed"),
    "keyword": _("keyword missing"),
    "picture": _("no picture"),
    "topic": _("topic missing"),
    "window": _("outside the campaign's dates"),
    "own_account": _("the brand's own account"),
    "override": _("excluded by a person"),
}


def reason_words(reasons) -> list[str]:
    """Stored reasons ``[[code, values], ...]`` in the active language; a zombie or hunter reason carries the fan
    CRM's own reasons (``fan_reasons``), put into words here too."""
    items = []
    for item in reasons if isinstance(reasons, list) else ():
        if isinstance(item, list) and len(item) == 2 and isinstance(item[1], dict) and "fan_reasons" in item[1]:
            why = "、".join(score_reason_words(item[1]["fan_reasons"])) or "—"
            items.append([item[0], {**item[1], "why": why}])
        else:
            items.append(item)
    return coded_words(items, REASON_TEXT)


def own_remark(text: str) -> str:
    """What the entrant wrote: a repost's text before the ``//@`` chain of the reposts it came through."""
    return text.split("//@", 1)[0]


def followers_read(*, account: Account, pages: int = FOLLOWER_PAGES) -> tuple[set[str], str]:
    """The account's followers' uids as Weibo lists them (newest first, at most ``pages`` calls of its budget),
    and why the reading stopped early ("" when it did not)."""
    if not (account.weibo_uid or getattr(getattr(account, "weibo_connection", None), "uid", "")):
        return set(), str(_("the account is not connected to Weibo"))
    users, _total, problem = account_followers_read(account=account, pages=pages)
    return {user.id for user in users}, problem


@dataclass
class Evaluation:
    participants: int = 0
    eligible: int = 0
    excluded: Counter = field(default_factory=Counter)  # reason code -> participants excluded with it
    follower_problems: list[str] = field(default_factory=list)


def _scored(fan, name: str, threshold: float) -> tuple[float, list] | None:
    score = getattr(fan, name, 0.0) if fan is not None else 0.0
    if score >= threshold:
        return score, (fan.score_reasons or {}).get(name, [])
    return None


def _fan_reason(code: str, score: float, reasons: list) -> list:
    """The fan CRM's score and its reasons as they stood: the exclusion keeps why."""
    return [code, {"score": f"{score:.2f}", "fan_reasons": reasons}]


def _entry_verdicts(campaign: Campaign) -> dict[str, list]:
    """{uid: what their best entry lacks}: the entry meeting the most rules counts (none lacking: eligible)."""
    best: dict[str, list] = {}
    keyword = campaign.rule_keyword.strip()
    need_picture = campaign.rule_picture or campaign.kind == CampaignKind.PHOTO_UGC
    topic = campaign.topic.strip() if campaign.kind == CampaignKind.PHOTO_UGC else ""  # 随手拍: photo and topic
    entries = (Entry.objects.filter(campaign=campaign).order_by()
               .values_list("uid", "text", "mentions", "has_picture", "posted_at"))
    for uid, text, mentions, picture, posted_at in entries.iterator(chunk_size=5000):
        reasons: list = []
        if not campaign.starts_at <= posted_at <= campaign.ends_at:
            reasons.append(["window", {}])
        if mentions < campaign.rule_mentions:
            reasons.append(["mentions", {"got": mentions, "need": campaign.rule_mentions}])
        if keyword and keyword not in own_remark(text):
            reasons.append(["keyword", {"word": keyword}])
        if need_picture and not picture:
            reasons.append(["picture", {}])
        if topic and f"#{topic}#" not in own_remark(text):
            reasons.append(["topic", {"topic": topic}])
        if uid not in best or len(reasons) < len(best[uid]):
            best[uid] = reasons
    return best


def _person_reasons(participant: Participant, *, own_uids: set[str], follows: dict[str, bool] | None,
                    followers: set[str], account_names: str) -> list:
    """What excludes the person whatever they wrote: an own account, not following, a zombie or hunter score."""
    reasons: list = [["own_account", {}]] if participant.uid in own_uids else []
    if follows is not None:  # the campaign asks for a follow
        following = follows.get(participant.uid)
        if not (following if following is not None else participant.uid in followers):
            reasons.append(["not_following", {"account": account_names}])
    for code, threshold in (("zombie", ZOMBIE_THRESHOLD), ("hunter", HUNTER_THRESHOLD)):
        scored = _scored(participant.fan, code, threshold)
        if scored:
            reasons.append(_fan_reason(code, *scored))
    return reasons


def _verdicts_save(participants: list[Participant], now: datetime) -> None:
    """One UPDATE per verdict shared by many (most people are eligible, or lack the same follow), then the rest
    in small batches: bulk_update's CASE WHEN costs each row a walk through the whole batch, so 100 k
    participants in batches of 2,000 took minutes."""
    groups: dict[tuple, list[Participant]] = defaultdict(list)
    for participant in participants:
        key = (json.dumps(participant.reasons, sort_keys=True), participant.ruled_eligible, participant.eligible)
        groups[key].append(participant)
    rest: list[Participant] = []
    for (_reasons, ruled, eligible), members in groups.items():
        if len(members) < SHARED_VERDICT:
            rest += members
            continue
        for start in range(0, len(members), SAVE_BATCH):
            Participant.objects.filter(pk__in=[p.pk for p in members[start:start + SAVE_BATCH]]).update(
                reasons=members[0].reasons, ruled_eligible=ruled, eligible=eligible, evaluated_at=now)
    Participant.objects.bulk_update(rest, ["reasons", "ruled_eligible", "eligible", "evaluated_at"],
                                    batch_size=RARE_VERDICT_BATCH)


def participants_evaluate(*, campaign: Campaign, followers: set[str] | None = None,
                          now: datetime | None = None) -> Evaluation:
    """Applies the rules to every participant and stores each verdict with its reasons; returns the counts.
    ``followers``: the accounts' followers as read (``followers_read``); None reads them now."""
    now = now or timezone.now()
    accounts = list(campaign.accounts.all())
    result = Evaluation()
    if followers is None and campaign.rule_follow:
        followers = set()
        for account in accounts:
            read, problem = followers_read(account=account)
            followers |= read
            if problem:
                result.follower_problems.append(f"{account.name}: {problem}")
    own_uids = {a.weibo_uid for a in campaign.brand.accounts.all() if a.weibo_uid}
    best = _entry_verdicts(campaign)
    participants = list(Participant.objects.filter(campaign=campaign).select_related("fan"))
    follows = (follow_states(account_ids=[a.pk for a in accounts], uids=[p.uid for p in participants])
               if campaign.rule_follow else None)
    account_names = "、".join(a.name for a in accounts)
    for participant in participants:
        reasons = _person_reasons(participant, own_uids=own_uids, follows=follows, followers=followers or set(),
                                  account_names=account_names)
        reasons += best.get(participant.uid, [["window", {}]])
        participant.reasons = reasons
        participant.ruled_eligible = not reasons
        participant.eligible = participant.override if participant.override is not None else not reasons
        participant.evaluated_at = now
        result.participants += 1
        result.eligible += participant.eligible
        if not participant.eligible:
            result.excluded.update({reason[0] for reason in reasons} or {"override"})
    with transaction.atomic():
        _verdicts_save(participants, now)
        CampaignStats.objects.update_or_create(campaign=campaign, defaults={"excluded": dict(result.excluded),
                                                                            "evaluated_at": now})
    return result
