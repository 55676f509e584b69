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
        """(label, probability of that label) per text, in order."""
        probs = self.proba(texts)
        best = probs.argmax(axis=1)
        return [(LABELS[k], float(probs[i, k])) for i, k in enumerate(best)]


_cache: dict[Path, Classifier] = {}
_lock = threading.Lock()


def default_model_dir() -> Path:
    from django.conf import settings

    return Path(getattr(settings, "SENTIMENT_MODEL_DIR", Path(__file__).resolve().parent / "model"))


def get_classifier(path: str | Path | None = None) -> Classifier:
    """The classifier of ``path`` (default ``settings.SENTIMENT_MODEL_DIR``), loaded once per process."""
    key = Path(path if path is not None else default_model_dir()).resolve()
    classifier = _cache.get(key)
    if classifier is None:
        with _lock:
            classifier = _cache.get(key)
            if classifier is None:
                classifier = _cache[key] = Classifier.load(key)
    return classifier


def clear_cache() -> None:
    with _lock:
        _cache.clear()
