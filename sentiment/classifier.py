"""Three-class sentiment of Weibo text (negative / neutral / positive) at run time, with numpy only.

The model is a character 1–3-gram TF-IDF (sublinear tf, smoothed idf, L2 norm) followed by a
multinomial logistic regression, exported by ``sentiment.training`` as plain arrays:

    meta.json     labels, normalisation version, n-gram order, training sets, validation figures
    vocab.json    the n-grams as a JSON list: an n-gram's position is its column
    weights.npz   ``coef`` (columns x 3) float32, ``intercept`` (3,), ``idf`` (columns,), no pickle;
                  optionally ``offset`` (3,): per-class logit offsets fitted by training on held-out parts
                  of the training files (a prior-shift correction), added to the scores; absent = zeros

``normalise`` and ``ngrams`` are the single definition used by training and inference alike.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections.abc import Iterable
from itertools import repeat
from operator import add
from pathlib import Path

import numpy as np

LABELS = ("negative", "neutral", "positive")
NEUTRAL = LABELS.index("neutral")
NEGATIVE = LABELS.index("negative")
POSITIVE = LABELS.index("positive")
# Bumped whenever ``normalise`` or ``ngrams`` change: a model trained with another version is refused.
NORMALISATION_VERSION = 1
NGRAM_RANGE = (1, 3)  # characters, as ``ngrams`` builds them; 1-4 grams measured no better
FORMAT = "weibo-ops-sentiment/1"

# weibo2018 shows topics and links escaped as {%#话题#%} / {%网页链接%}; Weibo itself shows the inner text.
_ESCAPE = re.compile(r"\{%(.*?)%\}")
_URL = re.compile(r"(?:https?://|www\.)[0-9a-z./?=&%#_~+:-]*|\bt\.cn/[0-9a-z]+", re.IGNORECASE)
# A repost chain "//@某人:" keeps its text but loses the name: names are noise that the model would learn.
_REPOST = re.compile(r"//\s*@[^\s:@/]{1,30}\s*:")  # runs after NFKC, so ':' covers '：'
# "@name " or "@name:" only: without that terminator the name's end is unknown ("@某银行破公司赶紧倒闭吧"),
# and dropping the rest of the post would lose what it says.
_MENTION = re.compile(r"@[^\s:@/,。!?、()\[\]]{1,30}(?=[\s:])")
_REPEAT = re.compile(r"(.)\1{3,}")  # 哈哈哈哈哈哈 / !!!!!! are capped at three
_SPACE = re.compile(r"\s+")
_RESIDUE = "@/ "  # what is left of a text made only of links, names and repost marks

# The rule layer over the model (``plain_question``). Brand mentions are full of product questions and requests
# ("一岁半宝宝能喝吗", "能开发票吗"); the training sets hold few, and the model reads their 吗/？ and product words as
# complaints. A question or request is neutral unless it carries a complaint, so a negative verdict on a question
# without any complaint marker becomes neutral. Measured on the held-out questions of the tests, not on the demo.
_QUESTION = re.compile(
    r"请问|想问|问一下|问下|求问|请教|求推荐|求解答|有懂的|有人知道|能不能|可不可以|是否|有没有|哪里|哪儿|哪家|多少钱|几点"
    r"|几天能|几(?:天|点|号|次|个)[^,.!?;，。！？；]{0,4}[?？]|什么时候|怎么样|什么区别|支持|申请|(?:能|可以|会|要|需要)[^,.!?;，。！？；]{0,12}[吗么][?？]*$"
    r"|[吗么][?？]|吗$|多久|怎么(?:领|查|用)|(\w)[不没]\1[^,.!?;，。！？；]{0,12}[?？]")  # last: A-not-A (招不招…？)
# Markers of a complaint: waiting, failure, harm, anger, money back, distrust. Any one keeps a question negative.
_COMPLAINT = re.compile(
    r"还没|还不|还是没|怎么还|怎么又|又是|一直没|一直不|没送|没发|没到|天没|没人|不回|不理|不管|不给|敷衍|拖|催|几天了|[一二两三四五六七八九十\d]+天了"
    r"|[一二两三四五六七八九十\d]+(?:个)?(?:小时|周|星期|月)了|投诉|差评|退款|退钱|赔|维权|曝光|举报|12315|消协"
    r"|垃圾|坑|骗|假货|失望|无语|气死|生气|愤怒|恶心|吐了|服了|凭什么|为什么要|到底|究竟|居然|竟然|难道"
    r"|变质|过期|酸的|是酸|味道不对|不新鲜|有问题|质量问题|坏了|坏的|发霉|异物|虫|臭|馊|酸了|胀|漏|破了|烂|拉肚子|腹泻|呕吐|过敏|中毒|住院|难喝|难吃|太差|很差|真差"
    r"|避雷|踩雷|翻车|智商税|割韭菜|差劲|离谱|越来越差|差了|说法|处理结果|尽快处理|给个交代|涨价|白花|心累|气到|谁敢"
    r"|不明|担心|烦|崩溃|火大|憋屈|恐惧|怕|难过|伤心|哭|疼|痛|死|恨|破|傻|醉了|气|骂|讨厌|郁闷|委屈|惨|折磨|难受|吓|累|心酸"
    r"|碧池|草|特么|妈的|尼玛|fuck|无奈|白[开买花等]|才能|有完没完|不要脸|扯|\[(?:怒|怒骂|抓狂|哼|委屈|悲伤|泪|衰|生病|吐|鄙视)\]|[!！]{2,}")


# Explicit praise or loyalty (the buyer's own verdict). With no complaint marker, such a text is not negative: the
# model reads the negated faults that praise names ("一点都不腥", "不贵") as complaints.
_PRAISE = re.compile(r"吹爆|回购|好评|五星|推荐给|安利|真香|爱了|yyds|绝绝子|点赞|超赞|太赞|好喝到|好吃到|宝藏|必买"
                     r"|囤货")

QUESTION_MAX_CHARS = 60  # a longer text with a question in it is a story or a rant, not an enquiry


def plain_question(text: str) -> bool:
    """True for a short question or request that carries no complaint (``_QUESTION``, no ``_COMPLAINT`` marker)."""
    clean = normalise(text)
    return len(clean) <= QUESTION_MAX_CHARS and bool(_QUESTION.search(clean)) and not _COMPLAINT.search(clean)


def plain_praise(text: str) -> bool:
    """True for a text that gives explicit praise or loyalty (``_PRAISE``) and carries no complaint marker."""
    clean = normalise(text)
    return bool(_PRAISE.search(clean)) and not _COMPLAINT.search(clean)


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), escapes opened, URLs and @names dropped, lower case, runs capped."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _ESCAPE.sub(r"\1", text)
    text = _URL.sub(" ", text)
    text = _REPOST.sub(" // ", text)
    text = _MENTION.sub("@", text)
    text = text.lower()
    text = _REPEAT.sub(r"\1\1\1", text)
    return _SPACE.sub(" ", text).strip()


def ngrams(text: str) -> list[str]:
    """Character 1-, 2- and 3-grams of an already normalised text (the analyzer of training and run time).
    Built with ``map`` rather than slicing in a loop: this is the hot path of ``Classifier.proba``."""
    bigrams = list(map(add, text, text[1:]))
    return [*text, *bigrams, *map(add, bigrams, text[2:])]


def says_nothing(clean: str) -> bool:
    """True for a normalised text made only of what links, @names and repost marks leave behind."""
    return not clean.strip(_RESIDUE)


def analyse(text: str) -> list[str]:
    return ngrams(normalise(text))


class ModelError(RuntimeError):
    """The model directory is missing, incomplete or of another normalisation version."""


class Classifier:
    def __init__(self, *, vocab: list[str], coef: np.ndarray, intercept: np.ndarray, idf: np.ndarray,
                 meta: dict, offset: np.ndarray | None = None) -> None:
        offset = np.zeros(len(LABELS)) if offset is None else np.asarray(offset, dtype=np.float64)
        if (coef.shape != (len(vocab), len(LABELS)) or idf.shape != (len(vocab),)
                or intercept.shape != (len(LABELS),) or offset.shape != (len(LABELS),)):
            raise ModelError(f"inconsistent model arrays: coef {coef.shape}, idf {idf.shape}, "
                             f"intercept {intercept.shape}, offset {offset.shape}, vocabulary {len(vocab)}")
        self.index = {gram: column for column, gram in enumerate(vocab)}
        self.coef = np.ascontiguousarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.offset = offset
        self.idf = np.asarray(idf, dtype=np.float64)
        self.meta = meta

    @classmethod
    def load(cls, path: str | Path) -> Classifier:
        path = Path(path)
        try:
            meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
            vocab = json.loads((path / "vocab.json").read_text(encoding="utf-8"))
            with np.load(path / "weights.npz", allow_pickle=False) as arrays:
                coef, intercept, idf = arrays["coef"], arrays["intercept"], arrays["idf"]
                offset = arrays["offset"] if "offset" in arrays.files else None
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"cannot load the sentiment model in {path}: {exc}") from exc
        if meta.get("format") != FORMAT or meta.get("normalisation_version") != NORMALISATION_VERSION:
            raise ModelError(f"{path} holds format {meta.get('format')!r} normalisation "
                             f"{meta.get('normalisation_version')!r}; this code reads {FORMAT!r} "
                             f"normalisation {NORMALISATION_VERSION}: retrain with manage.py train_sentiment")
        if tuple(meta.get("labels", ())) != LABELS:
            raise ModelError(f"{path} has labels {meta.get('labels')!r}, expected {list(LABELS)}")
        return cls(vocab=vocab, coef=coef, intercept=intercept, idf=idf, meta=meta, offset=offset)

    def _features(self, texts: Iterable[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Sparse TF-IDF rows of a batch as (row, column, value) triples plus which texts were empty."""
        lookup = self.index.get
        columns: list[int] = []
        lengths: list[int] = []
        empty: list[bool] = []
        for text in texts:
            clean = normalise(text)
            empty.append(says_nothing(clean))
            grams = ngrams(clean)
            columns.extend(map(lookup, grams, repeat(-1)))
            lengths.append(len(grams))
        n_rows, width = len(lengths), len(self.index)
        found = np.asarray(columns, dtype=np.int64)
        rows = np.repeat(np.arange(n_rows, dtype=np.int64), lengths)
        known = found >= 0
        keys, counts = np.unique(rows[known] * width + found[known], return_counts=True)
        rows, cols = keys // width, keys % width
        values = (1.0 + np.log(counts)) * self.idf[cols]
        norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=n_rows))
        values /= norms[rows]
        return rows, cols, values, np.asarray(empty, dtype=bool)

    def decision(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Class scores (regression logits plus the calibrated per-class offsets) and which texts were empty."""
        rows, cols, values, empty = self._features(texts)
        scores = np.tile(self.intercept + self.offset, (len(texts), 1))
        for k in range(len(LABELS)):
            scores[:, k] += np.bincount(rows, weights=values * self.coef[cols, k], minlength=len(texts))
        return scores, empty

    def proba(self, texts: list[str]) -> np.ndarray:
        """(n, 3) probabilities in LABELS order. A text that is empty once normalised (nothing but
        links, @names, repost marks or spaces) expresses no sentiment: it is neutral with probability 1."""
        if not texts:
            return np.zeros((0, len(LABELS)))
        scores, empty = self.decision(list(texts))
        scores -= scores.max(axis=1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=1, keepdims=True)
        probs[empty] = np.eye(len(LABELS))[NEUTRAL]
        return probs

    def predict(self, texts: list[str]) -> list[tuple[str, float]]:
        """(label, probability of that label) per text, in order, after the rule layer: explicit praise without a
        complaint (``plain_praise``) is never negative (the negative probability then counts as positive), nor is
        a question or request without a complaint (``plain_question``; it then counts as neutral)."""
        texts = list(texts)
        probs = self.proba(texts)
        best = probs.argmax(axis=1)
        out = []
        for i, k in enumerate(best):
            if k == NEGATIVE and plain_praise(texts[i]):
                out.append((LABELS[POSITIVE], float(probs[i, POSITIVE] + probs[i, NEGATIVE])))
            elif k == NEGATIVE and plain_question(texts[i]):
                out.append((LABELS[NEUTRAL], float(probs[i, NEUTRAL] + probs[i, NEGATIVE])))
            else:
                out.append((LABELS[k], float(probs[i, k])))
        return out


_cache: dict[Path, tuple[float, Classifier]] = {}
_lock = threading.Lock()


def _stamp(path: Path) -> float:
    try:
        return (path / "meta.json").stat().st_mtime
    except OSError:
        return 0.0


def _read_meta(path: Path) -> dict:
    try:
        return json.loads((path / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def default_model_dir() -> Path:
    """The model in use: the model fine-tuned on the people's corrections (``settings.SENTIMENT_TUNED_MODEL_DIR``,
    written by ``sentiment.retraining``) when it was tuned from the shipped model now deployed, else the shipped
    one (``settings.SENTIMENT_MODEL_DIR``)."""
    from django.conf import settings

    base = Path(getattr(settings, "SENTIMENT_MODEL_DIR", Path(__file__).resolve().parent / "model"))
    tuned = getattr(settings, "SENTIMENT_TUNED_MODEL_DIR", None)
    if tuned and _stamp(Path(tuned)):
        tune = _read_meta(Path(tuned)).get("fine_tune") or {}
        if (tune.get("base_dir") == str(base.resolve())
                and tune.get("base_trained_at") == _read_meta(base).get("trained_at")):
            return Path(tuned)
    return base


def get_classifier(path: str | Path | None = None) -> Classifier:
    """The classifier of ``path`` (default ``default_model_dir()``), loaded once per process and again when its
    ``meta.json`` changes (a nightly fine-tune replaces the model under running workers)."""
    key = Path(path if path is not None else default_model_dir()).resolve()
    stamp = _stamp(key)
    cached = _cache.get(key)
    if cached is None or cached[0] != stamp:
        with _lock:
            cached = _cache.get(key)
            if cached is None or cached[0] != stamp:
                cached = _cache[key] = (stamp, Classifier.load(key))
    return cached[1]


def clear_cache() -> None:
    with _lock:
        _cache.clear()
