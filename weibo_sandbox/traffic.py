"""Traffic: the ambient generator, the named scenarios, and the runner that releases their events.

A scenario is a plan: events on a timeline of offsets in seconds. The runner gives each event
``created_at = start + offset / speed`` exactly (so an even plan stays exactly even) and releases it when that
time comes; ``instant`` backfills, starting the plan ``total / speed`` seconds ago and releasing everything at
once with those past times. Users a plan needs are created when it is built."""

# ruff: noqa: S311 - traffic is simulated from seeded RNGs so that a seed replays exactly; nothing here is secret
from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import logging
import math
import random
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path

from . import corpus
from .platform import CST, ENTERPRISE_VERIFIED, SENTIMENT_MIX, Platform, Status, User, pick_weighted, weibo_time
from .push import Pusher, event_body, message_body
from .rules import weibo_length

log = logging.getLogger("weibo_sandbox.traffic")

MAX_SCENARIO_SIZE = 5000  # events: a bound that keeps one scenario's memory and release time small
BOT_INTERVAL = 3.0  # seconds between two bot reposts: machine-even, the tell of a coordinated attack
BOT_DEFAULT_SIZE = 300
BOT_IN_CASCADE_SIZE = 60  # bots mixed into a replayed cascade of 100-400 organic reposts: a fifth to a half of it
BOT_JITTER_SIGMA = 1.0  # lognormal sigma of jittered gaps (median BOT_INTERVAL): CV about 1.3
BOT_MAX_GAP = 120.0  # seconds: a jittered bot never pauses longer than this
AGED_DAYS = (90.0, 900.0)  # an aged account was made three months to two and a half years before the attack
AGED_MIN_FOLLOWERS = 8  # ... has followers (8 + lognormal(3.5, 1.0): median about 40) ...
AGED_POSTS = (30, 1500)  # ... and a posting history
SYNONYMS = (  # light rewordings of corpus.BOT_* phrases (old, choices): a template engine's synonym table
    ("曝光", ("揭露", "爆料", "实名曝光")),
    ("扩散", ("转发", "帮忙扩散", "转起来")),
    ("大家注意", ("各位注意", "朋友们注意", "提醒大家")),
    ("血泪教训", ("惨痛教训", "亲身经历")),
    ("震惊", ("太吓人了", "没想到")),
    ("必须说出来", ("不吐不快", "一定要说")),
    ("喝出问题了", ("喝出毛病了", "喝了出问题")),
    ("严重质量问题", ("很大的质量问题", "严重的质量毛病")),
    ("被查出", ("被检测出", "被查到")),
    ("冒充", ("假冒", "充当")),
    ("全部胀包", ("都胀包了", "全都鼓包")),
    ("孩子", ("小孩", "宝宝", "娃")),
    ("上吐下泻", ("又吐又拉", "上吐下泄")),
    ("进了医院", ("住院了", "送医院了")),
    ("厂家", ("商家", "厂商")),
    ("拒不承认", ("死不承认", "不肯承认")),
    ("删评论", ("删差评", "删留言")),
    ("态度恶劣", ("态度极差", "态度很差")),
    ("威胁删帖", ("逼我删帖", "威胁我删帖")),
    ("好几个家长", ("很多家长", "好多家长")),
    ("中招", ("出事", "遇到了")),
    ("投诉无门", ("投诉没人管", "投诉没用")),
    ("千万别买了", ("一定不要买了", "别再买了")),
    ("更多人", ("更多的人", "所有人")),
    ("抵制", ("拒绝", "坚决抵制")),
    ("黑心", ("无良", "没良心的")),
    ("赶紧扔", ("快扔掉", "马上扔")),
    ("一定要看", ("务必看看", "都看一下")),
)
PUNCT_SWAPS = {
    "，": ("，", ",", " ", "，，"),
    ",": (",", "，"),
    "！": ("！", "!", "！！", "!!!", "。"),
    "!": ("!", "！"),
    "。": ("。", "！", "…"),
}
FILLERS = ("真的", "啊", "了", "……", "！", "呀", "哎", "我去", "气死了")
EMOTES = ("[怒]", "[生气]", "[泪]", "[吃惊]", "[蜡烛]", "😡", "🙏", "‼️", "[怒][怒]", "😭")
TAILS = (" 求转", " 顶", " 转", "…", " 1", " 2")
SPIKE_WINDOW = 1800.0  # seconds: a negative spike lands within half an hour
COLLATERAL_WINDOW = 7200.0  # seconds over which collateral posts rise and fall
ORGANIC_MIN_REPOSTS = 100  # a replayed cascade has at least this many reposts
ORGANIC_MIN_CV = 2.0  # organic inter-arrival gaps are irregular: CED's median CV is 8-11
MAX_SYNTHETIC_DELAY = 3 * 86400.0  # seconds: the longest gap a synthetic cascade draws
LOTTERY_MAX_ENTRANTS = 1000  # a lottery run's entrants, however large the size asked: history comes on top
LOTTERY_FAN_SHARE = 0.3  # of the entrants: real fans (normal users) ...
LOTTERY_ZOMBIE_SHARE = 0.2  # ... zombies (default profiles, no posts); the rest are lottery hunters
LOTTERY_FANS_FOLLOWING = 0.4  # real fans who followed the account long before the campaign
LOTTERY_SECOND_LEVEL = 0.35  # real fans who repost another fan's repost (the second level: //@name:)
LOTTERY_HUNTER_COMMENTS = 0.2  # hunters who comment instead of reposting
LOTTERY_ENTRY_WINDOW = 2 * 86400.0  # seconds: entries arrive over the first two days
LOTTERY_DRAW_AFTER = 3 * 86400.0  # seconds: the draw, a day after the entries stop
LOTTERY_LEAVE = {"fan": 0.1, "hunter": 0.85, "zombie": 0.7}  # who unfollows after the draw
LOTTERY_LEAVE_DAYS = (0.1, 4.0)  # ... within these days after it
LOTTERY_SPAN = 12 * 86400.0  # seconds: the plan's last event (a winner's thanks), so instant runs are 12 days old
LOTTERY_BRAND_COUNT = 6  # other brands whose draws the hunters reposted
LOTTERY_HISTORY_DAYS = 25  # ... over these days before the campaign
LOTTERY_HISTORY = (8, 30)  # reposts of other brands' draws per hunter (fewer when there are many hunters) ...
LOTTERY_HISTORY_TOTAL = 3000  # ... and at most this many in all: MAX_SCENARIO_SIZE bounds the plan
AMBIENT_MIX = (
    ("mention", 0.28),
    ("comment", 0.28),
    ("reply", 0.1),
    ("repost", 0.14),
    ("message", 0.1),
    ("follow", 0.08),
    ("unfollow", 0.02),
)
AMBIENT_RECENT_POSTS = 10  # ambient comments and reposts land on an account's newest posts
REAL_TEXT_SHARE = 0.5  # with a data dir, this share of ambient texts are real Weibo posts
REAL_TEXT_MAX = 110  # Weibo characters, like the corpus' texts: room left for an @mention
ESCAPED_RE = re.compile(r"\{%(.*?)%\}")
CASCADE_IDX_RE = re.compile(r'^\{"cascade_idx": (\d+),')
DATA_FILES = {
    "weibo2018": "sentiment/weibo2018/train.txt",
    "smp2020": "sentiment/smp2020_ewect/usual_train.json",
    "cascades": "propagation/ced/reposts_sample400.jsonl.gz",
    "originals": "propagation/ced/original_microblogs.jsonl",
}


class DataDirError(Exception):
    """The data dir lacks a file the sandbox reads; the message says which."""


# ---------------------------------------------------------------------- real data, read lazily
class DataSource:
    """Real Weibo texts and cascades from the shared data dir, read on first use (never copied)."""

    def __init__(self, root: Path):
        self.root = root
        missing = [rel for rel in DATA_FILES.values() if not (root / rel).is_file()]
        if missing:
            raise DataDirError(f"data dir {root} lacks {', '.join(missing)} (see shared/data/README.md)")
        self._texts: dict[str, list[str]] | None = None
        self._sizes: dict[int, int] | None = None

    def path(self, name: str) -> Path:
        return self.root / DATA_FILES[name]

    def texts(self) -> dict[str, list[str]]:
        """Real posts by sentiment: praise, complaint, neutral."""
        if self._texts is None:
            pools: dict[str, list[str]] = {"praise": [], "complaint": [], "neutral": []}
            with self.path("weibo2018").open(encoding="utf-8") as handle:
                for line in handle:
                    _mid, _, rest = line.rstrip("\n").partition(",")
                    label, _, text = rest.partition(",")
                    if label in ("0", "1"):
                        _keep(pools["praise" if label == "1" else "complaint"], text)
            by_label = {
                "happy": "praise",
                "angry": "complaint",
                "sad": "complaint",
                "fear": "complaint",
                "neutral": "neutral",
            }
            for row in json.loads(self.path("smp2020").read_text(encoding="utf-8")):
                pool = by_label.get(row.get("label"))
                if pool:
                    _keep(pools[pool], str(row.get("content", "")))
            self._texts = pools
        return self._texts

    def cascade_sizes(self) -> dict[int, int]:
        if self._sizes is None:
            sizes: dict[int, int] = {}
            with gzip.open(self.path("cascades"), "rt", encoding="utf-8") as handle:
                for line in handle:
                    match = CASCADE_IDX_RE.match(line)
                    if match:
                        idx = int(match.group(1))
                        sizes[idx] = sizes.get(idx, 0) + 1
            self._sizes = sizes
        return self._sizes

    def pick_cascade(self, rng: random.Random, size: int | None, minimum: int = ORGANIC_MIN_REPOSTS) -> int:
        sizes = self.cascade_sizes()
        candidates = sorted(idx for idx, n in sizes.items() if n >= minimum)
        if not candidates:
            raise DataDirError(f"{self.path('cascades')} holds no cascade with {minimum}+ reposts")
        if size is not None:
            return min(candidates, key=lambda idx: (abs(sizes[idx] - size), idx))
        modest = [idx for idx in candidates if sizes[idx] <= 4 * minimum] or candidates
        return rng.choice(modest)

    def cascade(self, idx: int) -> tuple[dict, list[dict]]:
        """The source post (from original_microblogs) and its reposts, oldest first (rows without a date
        dropped)."""
        rows: list[dict] = []
        with gzip.open(self.path("cascades"), "rt", encoding="utf-8") as handle:
            for line in handle:
                match = CASCADE_IDX_RE.match(line)
                if match and int(match.group(1)) == idx:
                    rows.append(json.loads(line))
                elif rows:
                    break  # a cascade's rows are contiguous
        root = None
        with self.path("originals").open(encoding="utf-8") as handle:
            for line in handle:
                if line.startswith(f'{{"cascade_idx": {idx},'):
                    root = json.loads(line)
                    break
        if root is None or not rows:
            raise DataDirError(f"cascade {idx} is not in both {self.path('originals')} and {self.path('cascades')}")
        rows = [r for r in rows if r.get("date")]
        for row in rows:
            row["ts"] = datetime.strptime(row["date"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST).timestamp()
        rows.sort(key=lambda r: r["ts"])
        return root, rows


def _keep(pool: list[str], text: str) -> None:
    text = ESCAPED_RE.sub(r"\1", text).strip()
    if any(junk in text for junk in ("{%", "%}", '":')):  # a few rows are broken scrapes: skip them
        return
    if len(text) >= 4 and weibo_length(text) <= REAL_TEXT_MAX:
        pool.append(text)


# ---------------------------------------------------------------------- plans
@dataclass
class Event:
    offset: float  # seconds after the plan's start, before speed scaling
    kind: str  # post, repost, comment, reply, message, follow, unfollow
    user: int
    text: str = ""
    target: str | int | None = None  # a key of an earlier event, or a real status/comment id
    key: str | None = None  # names what this event creates, for later events to target
    to: int | None = None  # the own account a message or follow goes to
    is_comment: int = 0
    attitudes: int = 0


@dataclass
class Plan:
    events: list[Event]
    root: str | None = None  # key of the post the scenario revolves around
    details: dict = field(default_factory=dict)
    refs: dict[str, int] = field(default_factory=dict)  # keys bound before the run: an existing post as "root"


@dataclass
class Context:
    platform: Platform
    rng: random.Random
    account: User
    size: int | None
    data: DataSource | None
    start: float  # an estimate of the plan's start: users it creates are aged relative to it
    status: int | None = None  # an existing own post to revolve around (scenarios in WITH_STATUS)

    def user(self, kind: str = "normal") -> User:
        return self.platform.make_user(self.rng, kind=kind, at=self.start)

    def latest_post(self) -> int | None:
        timeline = self.platform.timelines.get(self.account.id, [])
        for sid in reversed(timeline):
            if self.platform.statuses[sid].retweeted_id is None and self.platform.visible(sid):
                return sid
        return None

    def link(self, path: str) -> str:
        return f"https://{self.platform.config.safe_domain}/{path}/{self.rng.randint(1000, 9999)}"


def negative_spike(ctx: Context) -> Plan:
    rng = ctx.rng
    size = ctx.size or rng.randint(80, 150)
    product = rng.choice(corpus.PRODUCTS)
    events: list[Event] = []
    target = ctx.latest_post()
    if target is None:
        events.append(
            Event(0.0, "post", ctx.account.id, f"{corpus.text('brand_post', rng)} {ctx.link('p')}", key="brand")
        )
        target = "brand"
    offsets = sorted(SPIKE_WINDOW * rng.betavariate(1.6, 3.0) for _ in range(size))
    for offset in offsets:
        user = ctx.user()
        kind = pick_weighted(rng, (("complaint", 0.82), ("question", 0.1), ("neutral", 0.08)))
        text = corpus.text(kind, rng, product=product)
        if rng.random() < 0.6:
            events.append(Event(offset, "post", user.id, f"@{ctx.account.screen_name} {text}"))
        else:
            events.append(Event(offset, "comment", user.id, text, target=target))
    return Plan(events, details={"product": product, "target": str(target) if isinstance(target, int) else None})


@dataclass(frozen=True)
class AttackStyle:
    """How a bot attack hides. The plain one hides nothing: a 3.0 s timer, one pasted line, brand-new fan-less
    accounts, on a post of its own. Each flag takes one tell away."""

    jitter: bool = False  # lognormal gaps instead of the timer
    paraphrase: bool = False  # each bot writes its own light rewording of the accusation
    aged: bool = False  # accounts made months ago, with followers and posts of their own
    in_cascade: bool = False  # reposts of a replayed organic cascade's source, among its real reposters


def bot_attack(ctx: Context, style: AttackStyle = AttackStyle()) -> Plan:
    rng = ctx.rng
    accusation = corpus.text("bot_copy", rng)
    copied = corpus.text("bot_copy", rng)  # every bot pastes this same line (or rewords it)
    if style.in_cascade:
        organic = organic_replay(replace(ctx, size=None))
        size = ctx.size or BOT_IN_CASCADE_SIZE
        reposts = [e for e in organic.events if e.kind == "repost"]
        first = rng.choice(reposts[: max(1, len(reposts) // 2)]).offset  # among the early, busy reposts
        events, root = list(organic.events), organic.root
        details = {key: value for key, value in organic.details.items() if key != "reposts"}
        details |= {"organic_reposts": len(reposts), "attack_offset_seconds": round(first, 3)}
        copied = f"{copied} @{ctx.account.screen_name}"  # the brand should see it among its mentions
    else:
        size = ctx.size or BOT_DEFAULT_SIZE
        attacker = ctx.user("bot")
        events = [Event(0.0, "post", attacker.id, f"{accusation} @{ctx.account.screen_name}", key="root")]
        root, details = "root", {"attacker": attacker.id}
        first = 60.0  # seconds before the bots start: the accusation is up for a minute first
    offsets = bot_offsets(rng, size, jitter=style.jitter)
    bots = [aged_user(ctx) if style.aged else ctx.user("bot") for _ in range(size)]
    for offset, bot in zip(offsets, bots, strict=True):
        text = paraphrase(copied, rng) if style.paraphrase else copied
        events.append(Event(first + offset, "repost", bot.id, text, target=root))
    if style.jitter:
        details |= {"gap_median_seconds": BOT_INTERVAL, "gap_sigma": BOT_JITTER_SIGMA}
    else:
        details |= {"interval_seconds": BOT_INTERVAL}
    details |= {"bot_reposts": size, "bot_uids": [bots[0].id, bots[-1].id], "copied": copied}
    return Plan(events, root=root, details=details)


def bot_offsets(rng: random.Random, size: int, *, jitter: bool) -> list[float]:
    """Seconds after the first bot repost: exactly BOT_INTERVAL apart, or lognormal gaps of median BOT_INTERVAL
    (sigma BOT_JITTER_SIGMA: CV about 1.3, a scheduler that sleeps a random while, as irregular as a window of
    organic reposts)."""
    if not jitter:
        return [i * BOT_INTERVAL for i in range(size)]
    out, at = [], 0.0
    for _ in range(size):
        out.append(at)
        at += min(BOT_INTERVAL * rng.lognormvariate(0.0, BOT_JITTER_SIGMA), BOT_MAX_GAP)
    return out


def aged_user(ctx: Context) -> User:
    """A bought or farmed account: made months ago, some followers, a posting history, a profile; nothing in its
    counts says "new" or "fan-less"."""
    rng = ctx.rng
    user = ctx.user("normal")
    user.created_at = ctx.start - rng.uniform(*AGED_DAYS) * 86400.0
    user.followers_count = AGED_MIN_FOLLOWERS + int(rng.lognormvariate(3.5, 1.0))
    user.friends_count = int(rng.lognormvariate(5.2, 0.8))
    user.statuses_count = rng.randint(*AGED_POSTS)
    return user


def paraphrase(text: str, rng: random.Random) -> str:
    """A light rewording, as a bot operator's template engine makes: a few synonyms swapped, punctuation changed,
    an emoticon or emoji added, filler characters inserted; the message stays the same. Deterministic for the
    RNG's state."""
    out = text
    swaps = [pair for pair in SYNONYMS if pair[0] in out]
    for old, choices in rng.sample(swaps, min(len(swaps), rng.randint(1, 3))):
        out = out.replace(old, rng.choice(choices), 1)
    if rng.random() < 0.7:
        out = re.sub(r"[，,！!。]", lambda m: rng.choice(PUNCT_SWAPS[m.group(0)]), out)
    cut = [i for i, ch in enumerate(out) if ch in "，,！!。 "]
    for _ in range(rng.randint(1, 2)):  # filler after a clause: "真的", "啊", "……"
        at = rng.choice(cut) if cut else len(out)
        out = out[:at] + rng.choice(FILLERS) + out[at:]
        cut = [i for i, ch in enumerate(out) if ch in "，,！!。 "]
    if rng.random() < 0.8:
        mark = rng.choice(EMOTES)
        out = f"{mark}{out}" if rng.random() < 0.3 else f"{out}{mark}"
    if rng.random() < 0.3:
        out += rng.choice(TAILS)
    return out


def kol_cascade(ctx: Context) -> Plan:
    rng = ctx.rng
    size = ctx.size or 150
    kol = ctx.user("kol")
    events = [
        Event(
            0.0,
            "post",
            ctx.account.id,
            f"{corpus.text('brand_post', rng)} {ctx.link('p')}",
            key="root",
            attitudes=rng.randint(50, 400),
        ),
    ]
    kol_at = 120.0 + rng.lognormvariate(5.5, 1.0)
    events.append(Event(kol_at, "repost", kol.id, corpus.text("kol", rng), target="root", key="kol"))
    n_direct, n_third = max(1, size // 5), max(1, size // 10)
    n_second = max(1, size - n_direct - n_third)
    gaps, texts = _real_gaps(ctx, n_second) if ctx.data else (None, [])
    for i in range(n_direct):
        events.append(
            Event(
                _heavy_offset(rng, 30.0),
                "repost",
                ctx.user().id,
                corpus.text("repost", rng),
                target="root",
                key=f"d{i}",
            )
        )
    at = kol_at
    for i in range(n_second):
        at = kol_at + gaps[i] if gaps else at + _pareto_gap(rng, 8.0)
        remark = texts[i % len(texts)] if texts and rng.random() < 0.5 else corpus.text("repost", rng)
        events.append(Event(at, "repost", ctx.user().id, remark, target="kol", key=f"s{i}"))
    seconds = [e for e in events if e.key and e.key.startswith("s")]
    for _ in range(n_third):
        parent = rng.choice(seconds)
        events.append(
            Event(
                parent.offset + _pareto_gap(rng, 20.0),
                "repost",
                ctx.user().id,
                corpus.text("repost", rng),
                target=parent.key,
            )
        )
    return Plan(events, root="root", details={"kol": kol.id, "kol_screen_name": kol.screen_name})


def _real_gaps(ctx: Context, n: int) -> tuple[list[float], list[str]]:
    """Real inter-arrival timing (offsets from the first repost) and remarks of a CED cascade."""
    assert ctx.data is not None
    _root, rows = ctx.data.cascade(ctx.data.pick_cascade(ctx.rng, None, minimum=50))
    start = rows[0]["ts"]
    offsets = [r["ts"] - start + 1.0 for r in rows]
    while len(offsets) < n:  # a short cascade repeats its own rhythm
        offsets += [offsets[-1] + o for o in offsets[: n - len(offsets)]]
    texts = [t for t in (r["text"].strip() for r in rows) if t]
    return offsets[:n], texts


def _pareto_gap(rng: random.Random, scale: float) -> float:
    """A heavy-tailed gap (Pareto, alpha 1.2: most gaps short, a few very long), capped at three days."""
    return min(scale * rng.paretovariate(1.2), MAX_SYNTHETIC_DELAY)


def _heavy_offset(rng: random.Random, scale: float) -> float:
    return min(scale * rng.lognormvariate(2.0, 1.6), MAX_SYNTHETIC_DELAY)


def lottery_hunters(ctx: Context) -> Plan:
    """A repost-with-prize campaign and who it draws: real fans (some following already; they write their own
    words, @ friends, and some repost another entrant's repost, so second-level reposts exist), lottery hunters
    (a history of reposting other brands' 【转发抽奖】 posts in the weeks before, visible to the search and in
    their counts) and zombies (default profiles, no posts). Every newcomer follows the account before entering;
    after the draw (``draw_after`` seconds in) most hunters and zombies unfollow within days, real fans mostly
    stay. The plan runs ``LOTTERY_SPAN`` seconds, so an ``instant`` run is a finished campaign 10+ days old.

    Revolves around ``ctx.status`` (an own post, e.g. the campaign post the app published) when given, else
    around a post of its own. Deterministic for the seed."""
    rng = ctx.rng
    size = min(ctx.size or 300, LOTTERY_MAX_ENTRANTS)
    own = ctx.account
    product = rng.choice(corpus.PRODUCTS)
    events: list[Event] = []
    refs: dict[str, int] = {}
    if ctx.status is not None:
        refs["root"] = ctx.status
    else:
        winners = rng.choice([3, 5, 10])
        text = (
            f"【转发抽奖】{product}新品上市！关注@{own.screen_name} 并转发本条微博，"
            f"下周五抽{winners}位送{product}一箱 {ctx.link('lottery')}"
        )
        events.append(Event(0.0, "post", own.id, text, key="root", attitudes=rng.randint(100, 800)))
    brands = _lottery_brands(ctx, events)
    kinds = ["fan"] * round(size * LOTTERY_FAN_SHARE) + ["zombie"] * round(size * LOTTERY_ZOMBIE_SHARE)
    kinds += ["hunter"] * (size - len(kinds))
    rng.shuffle(kinds)
    hunters = kinds.count("hunter")
    history_each = max(LOTTERY_HISTORY[0], min(LOTTERY_HISTORY[1], LOTTERY_HISTORY_TOTAL // max(1, hunters)))
    uids: dict[str, list[int]] = {"fan": [], "hunter": [], "zombie": []}
    entry = _LotteryEntry(ctx, events, product)
    for kind, offset in zip(kinds, sorted(rng.uniform(60.0, LOTTERY_ENTRY_WINDOW) for _ in kinds), strict=True):
        user = ctx.user({"fan": "normal"}.get(kind, kind))
        if kind == "zombie":
            user.statuses_count = 0  # a zombie never posted: its entry will be its first post
        uids[kind].append(user.id)
        if kind == "hunter":
            entry.counts["history"] += _hunter_history(ctx, events, user, brands,
                                                       rng.randint(history_each // 2, history_each))
        entry.add(kind, user, offset)
    fan = ctx.platform.users[uids["fan"][0]] if uids["fan"] else ctx.user()
    events.append(Event(LOTTERY_SPAN, "comment", fan.id, f"奖品收到了，{corpus.text('praise', rng, product=product)}",
                        target="root"))
    details = {"product": product, "draw_after": LOTTERY_DRAW_AFTER, "span": LOTTERY_SPAN,
               "fans": len(uids["fan"]), "hunters": len(uids["hunter"]), "zombies": len(uids["zombie"]),
               "brands": len(brands), **entry.counts,
               "fan_uids": uids["fan"], "hunter_uids": uids["hunter"], "zombie_uids": uids["zombie"]}
    return Plan(events, root="root", details=details, refs=refs)


class _LotteryEntry:
    """One entrant of ``lottery_hunters``: the follow, the entry, the unfollow after the draw."""

    def __init__(self, ctx: Context, events: list[Event], product: str):
        self.ctx, self.events, self.product = ctx, events, product
        self.names: list[str] = []  # entrants so far, for @friends
        self.entered: list[str] = []  # keys of fans' reposts, for second-level reposts
        self.counts: dict = {"already_following": 0, "second_level": 0, "comments": 0, "history": 0,
                             "unfollows": {"fan": 0, "hunter": 0, "zombie": 0}}

    def add(self, kind: str, user: User, offset: float) -> None:
        rng, own, events, counts = self.ctx.rng, self.ctx.account, self.events, self.counts
        if kind == "fan" and rng.random() < LOTTERY_FANS_FOLLOWING:
            self.ctx.platform.follow(user, own, at=self.ctx.start - rng.uniform(30, 900) * 86400.0)  # long-standing
            counts["already_following"] += 1
        else:
            events.append(Event(max(1.0, offset - rng.uniform(5.0, 600.0)), "follow", user.id, to=own.id))
        picked = rng.sample(self.names, min(len(self.names), rng.randint(1, 3))) if self.names else []
        friends = " ".join(f"@{name}" for name in picked)
        key = f"e{len(self.names)}"
        if kind == "fan":
            remark = f"{corpus.text(rng.choice(['praise', 'repost']), rng, product=self.product)} {friends}".strip()
            target = "root"
            if self.entered and rng.random() < LOTTERY_SECOND_LEVEL:
                target = rng.choice(self.entered[-30:])
                counts["second_level"] += 1
            events.append(Event(offset, "repost", user.id, remark, target=target, key=key))
            self.entered.append(key)
        elif kind == "hunter" and rng.random() < LOTTERY_HUNTER_COMMENTS:
            events.append(Event(offset, "comment", user.id, f"{corpus.text('lottery', rng)} {friends}".strip(),
                                target="root"))
            counts["comments"] += 1
        else:
            remark = corpus.text("lottery", rng) if kind == "hunter" else rng.choice(["", "转发微博", "抽我"])
            if kind == "hunter" and friends:
                remark = f"{remark} {friends}"
            events.append(Event(offset, "repost", user.id, remark, target="root", is_comment=rng.choice([0, 0, 1])))
        self.names.append(user.screen_name)
        if rng.random() < LOTTERY_LEAVE[kind]:
            after = LOTTERY_DRAW_AFTER + rng.uniform(*LOTTERY_LEAVE_DAYS) * 86400.0
            events.append(Event(after, "unfollow", user.id, to=own.id))
            counts["unfollows"][kind] += 1


def _lottery_brands(ctx: Context, events: list[Event]) -> list[tuple[str, float]]:
    """Other brands running their own draws in the weeks before: keys of their 【转发抽奖】 posts."""
    rng = ctx.rng
    keys = []
    for i, name in enumerate(rng.sample(corpus.LOTTERY_BRANDS, LOTTERY_BRAND_COUNT)):
        brand = ctx.platform.add_user(User(
            id=ctx.platform.new_fan_uid(), screen_name=name, created_at=ctx.start - rng.uniform(900, 3000) * 86400.0,
            description=f"{name}官方微博", location=corpus.location(rng), gender="n",
            followers_count=rng.randint(20_000, 900_000), friends_count=rng.randint(50, 400),
            statuses_count=rng.randint(500, 6000), verified=True, verified_type=ENTERPRISE_VERIFIED,
            verified_reason=f"{name}官方微博", kind="brand"))
        offset = -rng.uniform(LOTTERY_HISTORY_DAYS * 0.8, LOTTERY_HISTORY_DAYS) * 86400.0
        events.append(Event(offset, "post", brand.id, corpus.lottery_post(rng, brand=brand.screen_name), key=f"b{i}",
                            attitudes=rng.randint(200, 5000)))
        keys.append((f"b{i}", offset))
    return keys


def _hunter_history(ctx: Context, events: list[Event], user: User, brands: list[tuple[str, float]],
                    n: int) -> int:
    """A hunter's reposts of other brands' draws over the weeks before, tagged the way hunters tag them."""
    rng = ctx.rng
    for _ in range(n):
        key, posted = rng.choice(brands)
        at = rng.uniform(posted + 60.0, -3600.0)
        remark = rng.choice(corpus.HUNTER_TAGS) + corpus.text("lottery", ctx.rng)
        events.append(Event(at, "repost", user.id, remark, target=key))
    return n


def collateral_crisis(ctx: Context) -> Plan:
    rng = ctx.rng
    size = ctx.size or 120
    competitor = rng.choice(corpus.COMPETITORS)
    target = ctx.latest_post()
    events: list[Event] = []
    for offset in sorted(COLLATERAL_WINDOW * rng.betavariate(2.5, 3.5) for _ in range(size)):
        text = corpus.text("collateral", rng)
        for other in corpus.COMPETITORS:
            text = text.replace(other, competitor)
        user = ctx.user()
        if target is not None and rng.random() < 0.15:
            events.append(Event(offset, "comment", user.id, text, target=target))
        elif rng.random() < 0.5:
            events.append(Event(offset, "post", user.id, f"{text} @{ctx.account.screen_name}"))
        else:
            events.append(Event(offset, "post", user.id, text))
    return Plan(events, details={"competitor": competitor})


def organic_replay(ctx: Context) -> Plan:
    return _replay_data(ctx) if ctx.data else _replay_synthetic(ctx)


def _replay_data(ctx: Context) -> Plan:
    assert ctx.data is not None
    idx = ctx.data.pick_cascade(ctx.rng, ctx.size)
    root, rows = ctx.data.cascade(idx)
    if ctx.size:
        rows = rows[: ctx.size]
    author = ctx.user()
    info = root.get("user")
    if isinstance(info, dict):
        author.followers_count = int(info.get("followers") or author.followers_count)
        author.friends_count = int(info.get("friends") or author.friends_count)
        author.statuses_count = int(info.get("messages") or author.statuses_count)
        author.verified = bool(info.get("verified"))
        author.verified_type = int(info.get("verified_type", -1))
        author.gender = info.get("gender") if info.get("gender") in ("m", "f") else author.gender
    root_time = min(float(root["time"]), rows[0]["ts"])
    events = [Event(0.0, "post", author.id, root["text"], key="root", attitudes=int(root.get("likes") or 0))]
    users: dict[str, int] = {}
    placed: dict[str, float] = {}
    for row in rows:
        offset = row["ts"] - root_time
        parent = row["parent"]
        target = parent if parent in placed and placed[parent] <= offset else "root"
        uid = users.setdefault(row["uid"], ctx.user().id)
        events.append(Event(offset, "repost", uid, row["text"].strip(), target=target, key=row["mid"]))
        placed[row["mid"]] = offset
    events.sort(key=lambda e: e.offset)
    return Plan(events, root="root", details={"source": "ced", "cascade": root["cascade"], "reposts": len(rows)})


def _replay_synthetic(ctx: Context) -> Plan:
    """A self-exciting cascade: each repost either answers the root or an earlier repost (the popular ones
    attract more), after a heavy-tailed (lognormal) delay. Redrawn, deterministically, until its gaps are as
    irregular as real cascades'."""
    rng = ctx.rng
    size = ctx.size or rng.randint(120, 300)
    for _ in range(50):
        times, parents = [0.0], [-1]
        kids = [0]
        for _i in range(size):
            root_share = 0.6  # most reposts answer the source post directly, as on CED
            parent = (
                0 if rng.random() < root_share else rng.choices(range(len(times)), weights=[k + 1 for k in kids])[0]
            )
            delay = min(rng.lognormvariate(math.log(120), 1.8), MAX_SYNTHETIC_DELAY)
            times.append(times[parent] + delay)
            parents.append(parent)
            kids.append(0)
            kids[parent] += 1
        if _cv(sorted(times[1:])) > ORGANIC_MIN_CV:
            break
    author = ctx.user()
    author.followers_count = rng.randint(20_000, 400_000)
    events = [Event(0.0, "post", author.id, corpus.text(rng.choice(["neutral", "praise", "complaint"]), rng), key="n0")]
    for i in range(1, len(times)):
        remark = "" if rng.random() < 0.4 else corpus.text("repost", rng)  # 40 % empty, as measured on CED
        events.append(Event(times[i], "repost", ctx.user().id, remark, target=f"n{parents[i]}", key=f"n{i}"))
    events.sort(key=lambda e: e.offset)
    return Plan(events, root="n0", details={"source": "synthetic"})


def _cv(times: list[float]) -> float:
    gaps = [b - a for a, b in itertools.pairwise(times)]
    if len(gaps) < 2 or statistics.fmean(gaps) == 0:
        return 0.0
    return statistics.pstdev(gaps) / statistics.fmean(gaps)


WITH_STATUS = frozenset({"lottery_hunters"})  # scenarios that can revolve around an existing own post
SCENARIOS: dict[str, Callable[[Context], Plan]] = {
    "negative_spike": negative_spike,
    "bot_attack": bot_attack,
    "bot_attack_jittered": partial(bot_attack, style=AttackStyle(jitter=True)),
    "bot_attack_paraphrased": partial(bot_attack, style=AttackStyle(paraphrase=True)),
    "bot_attack_aged": partial(bot_attack, style=AttackStyle(aged=True)),
    "bot_attack_in_cascade": partial(bot_attack, style=AttackStyle(in_cascade=True)),
    "bot_attack_stealth": partial(
        bot_attack, style=AttackStyle(jitter=True, paraphrase=True, aged=True, in_cascade=True)
    ),
    "kol_cascade": kol_cascade,
    "lottery_hunters": lottery_hunters,
    "collateral_crisis": collateral_crisis,
    "organic_replay": organic_replay,
}


# ---------------------------------------------------------------------- releasing events
@dataclass
class Run:
    id: int
    scenario: str
    plan: Plan
    start: float
    speed: float
    instant: bool
    refs: dict[str, int] = field(default_factory=dict)
    released: int = 0
    skipped: int = 0
    task: asyncio.Task | None = None

    def at(self, event: Event) -> float:
        return self.start + event.offset / self.speed

    def summary(self) -> dict:
        events = self.plan.events
        root = self.refs.get(self.plan.root) if self.plan.root else None
        return {
            "run": self.id,
            "scenario": self.scenario,
            "events": len(events),
            "released": self.released,
            "skipped": self.skipped,
            "done": self.released + self.skipped >= len(events),
            "root": str(root) if root else None,
            "started_at": _iso(self.start),
            "ends_at": _iso(self.at(events[-1])) if events else _iso(self.start),
            "speed": self.speed,
            "instant": self.instant,
            **self.plan.details,
        }


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, CST).isoformat(timespec="milliseconds")


class Traffic:
    """Applies events to the platform (and pushes what a fan-service account would be told), runs scenarios and
    the ambient generator."""

    def __init__(self, platform: Platform, pusher: Pusher, data: DataSource | None):
        self.platform = platform
        self.pusher = pusher
        self.data = data
        self.runs: list[Run] = []
        self.ambient_task: asyncio.Task | None = None
        self.ambient_rate = 0.0

    # -- side effects a fan causes
    def fan_message(self, fan: User, own: User, text: str, at: float | None = None) -> dict:
        message = self.platform.send_message(fan, own, text, at=at)
        pushed = self.pusher.push(
            message_body(sender_id=fan.id, receiver_id=own.id, text=text, created_at=weibo_time(message.created_at))
        )
        return {"message": self.platform.message_json(message), "pushed": pushed}

    def fan_follow(self, fan: User, own: User, *, follow: bool = True, at: float | None = None) -> dict:
        changed = self.platform.follow(fan, own, at=at) if follow else self.platform.unfollow(fan, own)
        pushed = False
        if changed:
            at = self.platform.now() if at is None else at
            self.platform.fan_event(own.id, fan.id, "follow" if follow else "unfollow", at)
            pushed = self.pusher.push(
                event_body(
                    sender_id=fan.id,
                    receiver_id=own.id,
                    subtype="follow" if follow else "unfollow",
                    created_at=weibo_time(at),
                )
            )
        return {
            "changed": changed,
            "pushed": pushed,
            "follower": self.platform.user_json(fan),
            "followers_count": own.followers_count,
        }

    def fan_action(self, fan: User, own: User, event: str, *, at: float | None = None) -> dict:
        """A fan subscribes, clicks a menu, scans a QR code or @mentions the account: the platform pushes
        the event and the private-message window follows it."""
        at = self.platform.now() if at is None else at
        self.platform.fan_event(own.id, fan.id, event, at)
        body = event_body(sender_id=fan.id, receiver_id=own.id, subtype=event, created_at=weibo_time(at))
        if event == "mention":
            body = {**body, "type": "mention"}
        return {"pushed": self.pusher.push(body)}

    def apply(self, event: Event, at: float, refs: dict[str, int]) -> int | None:
        """Release one event at ``at``; the id of what it created, or None if its target is gone (or it creates
        nothing, like a follow)."""
        target = refs.get(event.target) if isinstance(event.target, str) else event.target
        return getattr(self, f"_apply_{event.kind}")(event, self.platform.users[event.user], at, target or 0)

    def _live_status(self, sid: int) -> Status | None:
        status = self.platform.statuses.get(sid)
        return None if status is None or status.deleted else status

    def _apply_post(self, event: Event, user: User, at: float, target: int) -> int | None:
        return self.platform.add_status(user, event.text, at=at, attitudes=event.attitudes).id

    def _apply_repost(self, event: Event, user: User, at: float, target: int) -> int | None:
        parent = self._live_status(target)
        if parent is None:
            return None
        return self.platform.repost(user, parent, event.text, at=at, is_comment=event.is_comment).id

    def _apply_comment(self, event: Event, user: User, at: float, target: int) -> int | None:
        status = self._live_status(target)
        return None if status is None else self.platform.add_comment(user, status, event.text, at=at).id

    def _apply_reply(self, event: Event, user: User, at: float, target: int) -> int | None:
        comment = self.platform.comments.get(target)
        status = self._live_status(comment.status_id) if comment else None
        if comment is None or status is None:
            return None
        text = f"回复@{self.platform.users[comment.user_id].screen_name}:{event.text}"
        return self.platform.add_comment(user, status, text, at=at, reply_to=comment).id

    def _apply_message(self, event: Event, user: User, at: float, target: int) -> int | None:
        own = self.platform.users[event.to or 0]
        return self.fan_message(user, own, event.text, at)["message"]["id"]

    def _apply_follow(self, event: Event, user: User, at: float, target: int) -> int | None:
        self.fan_follow(user, self.platform.users[event.to or 0], at=at)
        return None

    def _apply_unfollow(self, event: Event, user: User, at: float, target: int) -> int | None:
        self.fan_follow(user, self.platform.users[event.to or 0], follow=False, at=at)
        return None

    # -- scenarios
    def start(
        self,
        name: str,
        *,
        account: User,
        speed: float = 1.0,
        instant: bool = False,
        size: int | None = None,
        seed: int | None = None,
        status: int | None = None,
    ) -> dict:
        builder = SCENARIOS[name]
        rng = random.Random(seed if seed is not None else self.platform.rng.randrange(2**32))
        now = self.platform.now()
        ctx = Context(self.platform, rng, account, size, self.data, start=now, status=status)
        plan = builder(ctx)
        plan.events.sort(key=lambda e: e.offset)  # stable: equal offsets keep the builder's order
        total = plan.events[-1].offset if plan.events else 0.0
        start = now - total / speed if instant else now
        run = Run(len(self.runs) + 1, name, plan, start, speed, instant, refs=dict(plan.refs))
        self.runs.append(run)
        self._release_due(run, now)
        if run.released + run.skipped < len(plan.events):
            run.task = asyncio.get_running_loop().create_task(self._release_later(run))
        return run.summary()

    def _release_due(self, run: Run, now: float) -> None:
        events = run.plan.events
        while run.released + run.skipped < len(events):
            event = events[run.released + run.skipped]
            at = run.at(event)
            if at > now:
                return
            created = self.apply(event, at, run.refs)
            if created is None and event.kind not in ("follow", "unfollow"):
                run.skipped += 1
            else:
                run.released += 1
            if created is not None and event.key:
                run.refs[event.key] = created

    async def _release_later(self, run: Run) -> None:
        events = run.plan.events
        try:
            while run.released + run.skipped < len(events):
                wait = run.at(events[run.released + run.skipped]) - self.platform.now()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._release_due(run, self.platform.now())
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("scenario run %d (%s) stopped", run.id, run.scenario)

    def stop_all(self) -> None:
        for run in self.runs:
            if run.task is not None:
                run.task.cancel()
        self.runs.clear()

    # -- ambient traffic
    def set_ambient(self, per_minute: float) -> None:
        if self.ambient_task is not None:
            self.ambient_task.cancel()
            self.ambient_task = None
        self.ambient_rate = per_minute
        if per_minute > 0:
            self.ambient_task = asyncio.get_running_loop().create_task(self._ambient(per_minute))

    async def _ambient(self, per_minute: float) -> None:
        rng = random.Random(self.platform.rng.randrange(2**32))
        while True:
            await asyncio.sleep(rng.expovariate(per_minute / 60))  # Poisson arrivals
            try:
                self.ambient_event(rng)
            except Exception:
                log.exception("ambient event failed")

    def ambient_text(self, kind: str, rng: random.Random) -> str:
        if self.data and kind in ("praise", "complaint", "neutral") and rng.random() < REAL_TEXT_SHARE:
            return rng.choice(self.data.texts()[kind])
        return corpus.text(kind, rng)

    def _fan(self, rng: random.Random, own: User) -> User:
        """Mostly someone who already follows the account, sometimes a newcomer."""
        fans = self.platform.followers.get(own.id) or {}
        if fans and rng.random() < 0.7:
            return self.platform.users[rng.choice(list(fans))]
        return self.platform.make_user(rng, kind="zombie" if rng.random() < 0.1 else "normal")

    def ambient_event(self, rng: random.Random) -> str:
        """One ambient event now; returns its kind."""
        platform = self.platform
        own = platform.users[rng.choice(platform.own)]
        kind = pick_weighted(rng, AMBIENT_MIX)
        recent = [
            sid
            for sid in platform.timelines.get(own.id, [])[-AMBIENT_RECENT_POSTS * 3 :]
            if platform.statuses[sid].retweeted_id is None
        ][-AMBIENT_RECENT_POSTS:]
        if kind in ("comment", "repost", "reply") and not recent:
            kind = "mention"
        fan = self._fan(rng, own)
        sentiment = pick_weighted(rng, SENTIMENT_MIX)
        if kind == "mention":
            platform.add_status(fan, f"@{own.screen_name} {self.ambient_text(sentiment, rng)}")
        elif kind == "comment":
            platform.add_comment(fan, platform.statuses[_newest_biased(rng, recent)], self.ambient_text(sentiment, rng))
        elif kind == "reply":
            post = platform.statuses[_newest_biased(rng, recent)]
            thread = platform.status_comments.get(post.id) or []
            if thread:
                parent = platform.comments[rng.choice(thread[-20:])]
                text = f"回复@{platform.users[parent.user_id].screen_name}:{self.ambient_text(sentiment, rng)}"
                platform.add_comment(fan, post, text, reply_to=parent)
            else:
                platform.add_comment(fan, post, self.ambient_text(sentiment, rng))
        elif kind == "repost":
            post: Status = platform.statuses[_newest_biased(rng, recent)]
            chain = platform.status_reposts.get(post.id) or []
            parent = platform.statuses[rng.choice(chain[-20:])] if chain and rng.random() < 0.35 else post
            platform.repost(fan, parent, "" if rng.random() < 0.4 else corpus.text("repost", rng))
        elif kind == "message":
            self.fan_message(fan, own, corpus.text("private_message", rng))
        elif kind == "follow":
            self.fan_follow(platform.make_user(rng), own)
        else:
            fans = platform.followers.get(own.id) or {}
            if fans:
                self.fan_follow(platform.users[rng.choice(list(fans))], own, follow=False)
        return kind


def _newest_biased(rng: random.Random, ids: list[int]) -> int:
    """Newer posts draw more reactions: weight by recency rank."""
    return rng.choices(ids, weights=range(1, len(ids) + 1))[0]
