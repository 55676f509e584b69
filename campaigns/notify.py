"""Telling a campaign's winners, through the gateway and within its rules and budget.

Each winner is told once: by private message where the 48 h window the fan opened (a message, a follow, a
subscription ... in the last 48 hours, ``weibo_ops.weibo.push.message_window``) allows any number of replies,
else publicly, in a comment on their entry (a reply to their comment, or a comment on their repost that @s
them). A winner is claimed by a conditional UPDATE before anything is sent, so that two runs never tell one
winner twice; a claim whose worker died is taken up again after ``CLAIM_TIMEOUT``. A rate limit leaves the
winner waiting for the next run, with the reason; an answer that will not change (the entry deleted, the text
refused) marks the winner "could not be told" with the reason in words.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from positioning.models import Account
from positioning.weibo import account_client
from weibo_ops.weibo.errors import NeedsReauthorisation, RateLimited, WeiboError
from weibo_ops.weibo.push import message_window

from .models import Campaign, Entry, EntryKind, Harvest, NoticeState, Winner

logger = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=10)  # a claimed winner whose worker died is taken up again after this
LOOPBACK_RIP = "127.0.0.1"  # sent by the system on the team's behalf, not from a person's request
# What the brand says to its winners on Weibo: in Chinese, like everything the accounts publish.
NOTICE_TEXT = "恭喜你在「{title}」活动中奖！请私信我们收件人、电话和地址，我们会尽快寄出奖品。"


@dataclass
class NotifyResult:
    sent: int = 0
    failed: int = 0
    waiting: int = 0  # rate limited or not connected: the next run tries again


def _claim(winner: Winner, now) -> bool:
    return bool(Winner.objects.filter(pk=winner.pk, notice_state=NoticeState.WAITING)
                .filter(Q(noticed_at__isnull=True) | Q(noticed_at__lt=now - CLAIM_TIMEOUT))
                .update(noticed_at=now))


def _notice(campaign: Campaign) -> str:
    return NOTICE_TEXT.format(title=campaign.title[:40])


def _send(client, account: Account, winner: Winner, entry: Entry, text: str) -> tuple[str, str]:
    """(method, platform id) of what was sent."""
    own_uid = account.weibo_uid or getattr(getattr(account, "weibo_connection", None), "uid", "")
    window = message_window(account_uid=own_uid, fan_uid=entry.uid)
    if window.unlimited:
        sent = client.message_reply(entry.uid, text)
        return "message", f"dm:{int(sent.created_at.timestamp()) if sent.created_at else ''}"
    if entry.kind == EntryKind.COMMENT:
        return "comment", client.reply(entry.platform_id, entry.status_id, text, rip=LOOPBACK_RIP).id
    return "comment", client.comment(entry.platform_id, f"@{entry.screen_name} {text}", rip=LOOPBACK_RIP).id


def winners_notify(*, campaign_id: int) -> NotifyResult:
    """Tell every winner of the campaign not told yet (see the module's docstring). Safe to run twice."""
    result = NotifyResult()
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        return result
    winners = list(Winner.objects.filter(campaign=campaign, notice_state=NoticeState.WAITING)
                   .select_related("participant").order_by("rank"))
    entries = {e.platform_id: e for e in Entry.objects.filter(
        campaign=campaign, platform_id__in=[w.participant.first_entry_id for w in winners])}
    accounts = {h.status_id: h.account for h in Harvest.objects.filter(campaign=campaign)
                .select_related("account", "account__weibo_connection")}
    clients: dict[int, object] = {}
    spent: set[int] = set()  # accounts out of budget (or authorisation) in this run
    text = _notice(campaign)
    for winner in winners:
        now = timezone.now()
        entry = entries.get(winner.participant.first_entry_id)
        account = accounts.get(entry.status_id) if entry is not None else None
        if account is not None and account.pk in spent:
            result.waiting += 1
            continue
        if not _claim(winner, now):
            continue
        if entry is None or account is None:
            Winner.objects.filter(pk=winner.pk).update(
                notice_state=NoticeState.FAILED, notice_problem=_("No entry of theirs is stored: tell them by hand."))
            result.failed += 1
            continue
        try:
            client = clients.get(account.pk) or account_client(account=account)
            clients[account.pk] = client
            method, platform_id = _send(client, account, winner, entry, text)
        except (RateLimited, NeedsReauthorisation) as error:
            spent.add(account.pk)
            Winner.objects.filter(pk=winner.pk).update(noticed_at=None, notice_problem=error.describe()[:300])
            result.waiting += 1
            continue
        except WeiboError as error:
            logger.info("Winner %s of campaign %s could not be told: %s", winner.pk, campaign.pk, error)
            Winner.objects.filter(pk=winner.pk).update(notice_state=NoticeState.FAILED,
                                                       notice_problem=error.describe()[:300])
            result.failed += 1
            continue
        Winner.objects.filter(pk=winner.pk).update(notice_state=NoticeState.SENT, notice_method=method,
                                                   notice_platform_id=platform_id[:20], noticed_at=timezone.now(),
                                                   notice_problem="")
        result.sent += 1
    return result
