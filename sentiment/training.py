"""Offline training of the sentiment model (scikit-learn here only; the run time is ``sentiment.classifier``).

Reads the public sets beside the repository (``../shared/data/sentiment``), maps them to three classes,
fits a character 1–3-gram TF-IDF + logistic regression, keeps the n-grams with the largest weights,
refits, checks that the numpy run time reproduces scikit-learn's probabilities, and exports plain arrays.

Prior-shift calibration: the mixed training set has other class shares than everyday Weibo, so before
the final fit the same recipe is fitted once without a seeded dev part (``Recipe.dev_share``) of
usual_train, virus_train and the weibo2018 training part, and three per-class logit offsets are chosen on
that dev part to maximise macro-F1 (``fit_offsets``). The final model is fitted on everything and ships
the offsets (``weights.npz`` ``offset``). The eval files are never used for any choice.

Three-class mapping: SMP2020-EWECT happy → positive; angry, sad, fear → negative; neutral → neutral;
surprise dropped. weibo2018 1/0 → positive/negative. weibo_senti_100k 1/0 → positive/negative with
its emoticons stripped (its labels were derived from them). osmdataset2022 0 → positive, 1–3 → negative.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from sentiment.classifier import (
    FORMAT,
    LABELS,
    NGRAM_RANGE,
    NORMALISATION_VERSION,
    Classifier,
    analyse,
    normalise,
    says_nothing,
)

SMP_MAP = {"happy": "positive", "angry": "negative", "sad": "negative", "fear": "negative", "neutral": "neutral"}
BINARY_MAP = {"1": "positive", "0": "negative"}
OSM_MAP = {"0": "positive", "1": "negative", "2": "negative", "3": "negative"}
EMOTICON = re.compile(r"\[[^\[\]\s]{1,10}\]")  # the data README's pattern for weibo_senti_100k
WEIBO2018_HELD_OUT = 0.2  # share of weibo2018/train.txt never trained on, chosen by the seed
PARITY_TOLERANCE = 1e-4  # numpy run time against scikit-learn, probability units

FILES = {
    "usual_train": "smp2020_ewect/usual_train.json",
    "virus_train": "smp2020_ewect/virus_train.txt",
    "usual_eval": "smp2020_ewect/usual_eval_labeled.txt",
    "virus_eval": "smp2020_ewect/virus_eval_labeled.txt",
    "weibo2018": "weibo2018/train.txt",
    "weibo_senti_100k": "weibo_senti_100k/dev.tsv",
    "osm_review": "osmdataset2022/train_review.txt",
    "osm_label": "osmdataset2022/train_label.txt",
    "online_shopping": "online_shopping_9cats/train.csv",
}
ONLINE_SHOPPING_HELD_OUT = 0.2  # share of online_shopping_9cats never trained on, per category, chosen by the seed
# Validation sets without a neutral class: scored positive against negative.
BINARY_VALIDATION = ("weibo2018_held_out", "online_shopping_held_out")

Pairs = list[tuple[str, str]]


class DataError(ValueError):
    """A data file is missing, unreadable or not in its documented format."""


@dataclass(frozen=True)
class Recipe:
    c: float = 3.0  # inverse regularisation of the logistic regression
    max_features: int = 100_000  # n-grams kept after the first fit, by largest absolute weight
    min_df: int = 2  # n-grams seen in one text only are dropped before the first fit
    sources: tuple[str, ...] = ("usual_train", "virus_train", "weibo2018_train", "weibo_senti_100k",
                                "online_shopping_train")
    source_weights: dict[str, float] = field(default_factory=dict)  # per source, default 1
    correction_weight: float = 3.0  # a brand's own corrected labels count this many times
    # Source-aware weights: each source's rows are weighted per class so that its class shares match this
    # source's (everyday Weibo: usual_train), restricted to the classes it has; None = every row 1.
    prior_source: str | None = "usual_train"
    calibrate: bool = True  # fit per-class logit offsets on a dev part of the training files
    dev_share: float = 0.15  # share of each dev source held out (seeded) for the offsets
    dev_sources: tuple[str, ...] = ("usual_train", "virus_train", "weibo2018_train")  # carved, reported
    offset_sources: tuple[str, ...] = ("usual_train", "virus_train")  # offsets maximise their mean macro-F1
    max_iter: int = 2000


MIN_DEV_PER_CLASS = 30  # fewer rows of a class in a dev part: no calibration (offsets stay zero)
OFFSET_GRID = np.round(np.arange(-2.0, 2.0001, 0.05), 2)  # negative and positive offsets; neutral's is 0


@dataclass
class Dataset:
    train: dict[str, Pairs]
    validation: dict[str, Pairs]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DataError(f"missing data file {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc


def load_smp(path: Path) -> Pairs:
    try:
        rows = json.loads(_read(path))
        return [(row["content"], SMP_MAP[row["label"]]) for row in rows if row["label"] in SMP_MAP]
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{path} is not a JSON list of {{id, content, label}}: {exc}") from exc


def load_weibo2018(path: Path) -> Pairs:
    pairs = []
    for number, row in enumerate(csv.reader(_read(path).splitlines()), start=1):
        if number == 1 and row[:2] == ["mid", "label"]:
            continue
        if len(row) < 3 or row[1] not in BINARY_MAP:
            raise DataError(f"{path} line {number} is not mid,label(0|1),text")
        pairs.append((",".join(row[2:]), BINARY_MAP[row[1]]))
    return pairs


def load_senti100k(path: Path) -> Pairs:
    pairs = []
    for number, line in enumerate(_read(path).splitlines(), start=1):
        label, _, text = line.partition("\t")
        if number == 1 and label == "label":
            continue
        if label not in BINARY_MAP:
            raise DataError(f"{path} line {number} is not label(0|1)<TAB>text")
        stripped = EMOTICON.sub(" ", text).strip()
        if stripped:
            pairs.append((stripped, BINARY_MAP[label]))
    return pairs


def load_osm(reviews: Path, labels: Path) -> Pairs:
    texts, marks = _read(reviews).splitlines(), _read(labels).splitlines()
    if len(texts) != len(marks) or any(mark.strip() not in OSM_MAP for mark in marks):
        raise DataError(f"{reviews} and {labels} must have as many lines, labels 0-3")
    # The reviews come segmented by spaces; the model reads raw characters, so the spaces go.
    return [(text.replace(" ", ""), OSM_MAP[mark.strip()]) for text, mark in zip(texts, marks, strict=True)]


def load_online_shopping(path: Path) -> list[tuple[str, str, str]]:
    """(category, text, label) rows of online_shopping_9cats/train.csv (``cat,label,review``; 1 positive, 0 negative).
    A review that appears more than once is kept once (first row), so that no text is both trained on and held
    out; empty reviews are dropped."""
    rows, seen = [], set()
    for number, row in enumerate(csv.reader(_read(path).lstrip("\ufeff").splitlines()), start=1):
        if number == 1 and row[:2] == ["cat", "label"]:
            continue
        if len(row) < 3 or row[1] not in BINARY_MAP:
            raise DataError(f"{path} line {number} is not cat,label(0|1),review")
        text = ",".join(row[2:]).lstrip("\ufeff").strip()
        key = normalise(text)
        if says_nothing(key) or key in seen:
            continue
        seen.add(key)
        rows.append((row[0], text, BINARY_MAP[row[1]]))
    return rows


def split_online_shopping(rows: list[tuple[str, str, str]], seed: int) -> tuple[Pairs, Pairs]:
    """(train part, held-out part): within each category, a seeded ``ONLINE_SHOPPING_HELD_OUT`` share (rounded)
    is held out, so every category is in both parts in its own proportion. Deterministic for a seed."""
    by_category: dict[str, list[tuple[str, str]]] = {}
    for category, text, label in rows:
        by_category.setdefault(category, []).append((text, label))
    train_part: Pairs = []
    held_part: Pairs = []
    for number, category in enumerate(sorted(by_category)):
        pairs = by_category[category]
        order = np.random.default_rng(seed * 1000 + 500 + number).permutation(len(pairs))
        held = set(order[:round(len(pairs) * ONLINE_SHOPPING_HELD_OUT)].tolist())
        train_part += [p for i, p in enumerate(pairs) if i not in held]
        held_part += [p for i, p in enumerate(pairs) if i in held]
    return train_part, held_part


def split_weibo2018(pairs: Pairs, seed: int) -> tuple[Pairs, Pairs]:
    """(train part, held-out part): a seeded shuffle, the same in training and in bench/sentiment_eval.py."""
    order = np.random.default_rng(seed).permutation(len(pairs))
    held = set(order[:round(len(pairs) * WEIBO2018_HELD_OUT)].tolist())
    return ([p for i, p in enumerate(pairs) if i not in held], [p for i, p in enumerate(pairs) if i in held])


def load_validation(data_dir: Path, seed: int) -> dict[str, Pairs]:
    _, held_out = split_weibo2018(load_weibo2018(data_dir / FILES["weibo2018"]), seed)
    validation = {
        "usual_eval": load_smp(data_dir / FILES["usual_eval"]),
        "virus_eval": load_smp(data_dir / FILES["virus_eval"]),
        "weibo2018_held_out": held_out,
    }
    if (data_dir / FILES["online_shopping"]).exists():
        validation["online_shopping_held_out"] = split_online_shopping(
            load_online_shopping(data_dir / FILES["online_shopping"]), seed)[1]
    return validation


def load_dataset(data_dir: Path, *, seed: int, sources: Sequence[str]) -> Dataset:
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(f"data directory {data_dir} does not exist")
    weibo_train, weibo_held = split_weibo2018(load_weibo2018(data_dir / FILES["weibo2018"]), seed)
    shopping_path = data_dir / FILES["online_shopping"]
    shopping = split_online_shopping(load_online_shopping(shopping_path), seed) if (
        shopping_path.exists() or "online_shopping_train" in sources) else None
    loaders: dict[str, Callable[[], Pairs]] = {
        "usual_train": lambda: load_smp(data_dir / FILES["usual_train"]),
        "virus_train": lambda: load_smp(data_dir / FILES["virus_train"]),
        "weibo2018_train": lambda: weibo_train,
        "weibo_senti_100k": lambda: load_senti100k(data_dir / FILES["weibo_senti_100k"]),
        "osmdataset2022": lambda: load_osm(data_dir / FILES["osm_review"], data_dir / FILES["osm_label"]),
        "online_shopping_train": lambda: shopping[0],
    }
    unknown = set(sources) - set(loaders)
    if unknown:
        raise DataError(f"unknown training sources {sorted(unknown)}; known: {sorted(loaders)}")
    validation = {
        "usual_eval": load_smp(data_dir / FILES["usual_eval"]),
        "virus_eval": load_smp(data_dir / FILES["virus_eval"]),
        "weibo2018_held_out": weibo_held,
    }
    if shopping is not None:
        validation["online_shopping_held_out"] = shopping[1]
    return Dataset(train={name: loaders[name]() for name in sources}, validation=validation)


def prior_weights(train_sets: dict[str, Pairs], recipe: Recipe) -> dict[str, list[float]]:
    """Per-row weights of each source: ``source_weights`` times, with ``prior_source``, the ratio of that
    source's class shares (renormalised over the classes the row's source has) to the row's source's own."""
    weights = {}
    reference = train_sets.get(recipe.prior_source) if recipe.prior_source else None
    target = Counter(label for _, label in reference) if reference else None
    for name, pairs in train_sets.items():
        base = recipe.source_weights.get(name, 1.0)
        own = Counter(label for _, label in pairs)
        if not target or not pairs:
            weights[name] = [base] * len(pairs)
            continue
        total = sum(target[label] for label in own)
        ratio = {label: (target[label] / total) / (own[label] / len(pairs)) if total else 1.0 for label in own}
        weights[name] = [base * ratio[label] for _, label in pairs]
    return weights


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def fit(texts: Sequence[str], labels: Sequence[str], weights: Sequence[float], recipe: Recipe,
        progress: Callable[[str], None] = print) -> dict:
    """Two fits: all n-grams (min_df), then the ``max_features`` with the largest weights. Returns arrays."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    tokens = [analyse(text) for text in texts]
    y = np.array([LABELS.index(label) for label in labels])
    w = np.asarray(weights, dtype=np.float64)

    def one_fit(vectorizer):
        matrix = vectorizer.fit_transform(tokens)
        model = LogisticRegression(C=recipe.c, class_weight="balanced", max_iter=recipe.max_iter)
        model.fit(matrix, y, sample_weight=w)
        return vectorizer, model

    options = {"analyzer": _identity, "sublinear_tf": True, "dtype": np.float64}
    vectorizer, model = one_fit(TfidfVectorizer(min_df=recipe.min_df, **options))
    names = vectorizer.get_feature_names_out()
    progress(f"first fit: {len(names):,} n-grams from {len(texts):,} texts")
    if len(names) > recipe.max_features:
        strongest = np.argsort(-np.abs(model.coef_).max(axis=0), kind="stable")[:recipe.max_features]
        kept = sorted(names[strongest].tolist())
        vectorizer, model = one_fit(TfidfVectorizer(vocabulary=kept, **options))
        progress(f"refit on the {len(kept):,} strongest n-grams")
    return {
        "vocab": vectorizer.get_feature_names_out().tolist(),
        "coef": model.coef_.T.astype(np.float32),
        "intercept": model.intercept_.astype(np.float32),
        "idf": vectorizer.idf_.astype(np.float32),
        "offset": np.zeros(len(LABELS)),
        "sklearn_scores": lambda batch: model.decision_function(vectorizer.transform([analyse(t) for t in batch])),
    }


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(scores)
    return probs / probs.sum(axis=1, keepdims=True)


def carve_dev(pairs: Pairs, seed: int, share: float) -> tuple[Pairs, Pairs]:
    """(rest, dev): a seeded share of a training file held out for calibration."""
    order = np.random.default_rng(seed).permutation(len(pairs))
    held = set(order[:round(len(pairs) * share)].tolist())
    return ([p for i, p in enumerate(pairs) if i not in held], [p for i, p in enumerate(pairs) if i in held])


def macro_f1_with(scores: np.ndarray, truth: np.ndarray, offset: np.ndarray) -> float:
    """Macro-F1 of argmax(scores + offset) over the classes present in ``truth`` (label indices)."""
    guess = (scores + offset).argmax(axis=1)
    f1 = []
    for k in np.unique(truth):
        tp = np.sum((guess == k) & (truth == k))
        f1.append(2 * tp / (np.sum(guess == k) + np.sum(truth == k)))
    return float(np.mean(f1))


def fit_offsets(parts: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Per-class logit offsets (neutral's fixed at 0) maximising the mean macro-F1 over ``parts``
    ((scores, truth) pairs) on ``OFFSET_GRID``; ties go to the smallest offsets."""
    neg, pos = LABELS.index("negative"), LABELS.index("positive")
    best, best_key = np.zeros(len(LABELS)), None
    for a in OFFSET_GRID:
        for c in OFFSET_GRID:
            offset = np.zeros(len(LABELS))
            offset[neg], offset[pos] = a, c
            key = (round(float(np.mean([macro_f1_with(s, t, offset) for s, t in parts])), 10), -abs(a) - abs(c))
            if best_key is None or key > best_key:
                best, best_key = offset, key
    return best


def _dev_figures(scores: np.ndarray, pairs: Pairs, offset: np.ndarray, binary: bool) -> dict:
    guess = decide(_softmax(scores + offset), binary=binary)
    return score([label for _, label in pairs], guess)


def calibrate(train_sets: dict[str, Pairs], extra: tuple[list[str], list[str], list[float]], seed: int,
              recipe: Recipe, progress: Callable[[str], None] = print) -> tuple[np.ndarray, dict]:
    """Fit the recipe without a seeded dev part of ``recipe.dev_sources``, choose the offsets on the dev parts of
    ``recipe.offset_sources`` and return (offsets, report with dev figures before and after)."""
    dev: dict[str, Pairs] = {}
    kept: dict[str, Pairs] = {}
    for number, (name, pairs) in enumerate(train_sets.items()):
        kept[name] = pairs
        if name in recipe.dev_sources:
            kept[name], dev[name] = carve_dev(pairs, seed * 1000 + 17 + number, recipe.dev_share)
    texts, labels, weights = list(extra[0]), list(extra[1]), list(extra[2])
    for name, row_weights in prior_weights(kept, recipe).items():
        texts += [t for t, _ in kept[name]]
        labels += [label for _, label in kept[name]]
        weights += row_weights
    offset_parts = [name for name in recipe.offset_sources if name in dev]
    short = [name for name in offset_parts
             if min(Counter(label for _, label in dev[name]).get(label, 0) for label in LABELS) < MIN_DEV_PER_CLASS]
    if not offset_parts or short or len(set(labels)) < len(LABELS):
        progress(f"calibration skipped: dev parts too small ({short or 'no offset source'}); offsets 0")
        return np.zeros(len(LABELS)), {"offsets": dict.fromkeys(LABELS, 0.0), "skipped": "dev parts too small"}
    progress(f"calibration fit without the dev parts {({k: len(v) for k, v in dev.items()})}")
    arrays = fit(texts, labels, weights, recipe, progress)
    scores = {name: arrays["sklearn_scores"]([t for t, _ in pairs]) for name, pairs in dev.items()}
    truth = {name: np.array([LABELS.index(label) for _, label in pairs]) for name, pairs in dev.items()}
    offset = fit_offsets([(scores[name], truth[name]) for name in offset_parts])
    zero = np.zeros(len(LABELS))
    report = {
        "offsets": {label: round(float(v), 2) for label, v in zip(LABELS, offset, strict=True)},
        "fitted_on": offset_parts, "dev_share": recipe.dev_share, "dev_rows": {k: len(v) for k, v in dev.items()},
        "dev_before": {k: _dev_figures(scores[k], dev[k], zero, k.startswith("weibo2018")) for k in dev},
        "dev_after": {k: _dev_figures(scores[k], dev[k], offset, k.startswith("weibo2018")) for k in dev},
    }
    progress(f"offsets {report['offsets']}; dev macro-F1 / accuracy before -> after: " + ", ".join(
        f"{k} {report['dev_before'][k]['macro_f1']:.4f} -> {report['dev_after'][k]['macro_f1']:.4f}" for k in dev))
    return offset, report


def score(truth: Sequence[str], guess: Sequence[str]) -> dict:
    """Macro-F1 over the classes present in ``truth``, per-class precision, recall and F1, and accuracy."""
    precision, recall, f1 = {}, {}, {}
    for label in [label for label in LABELS if label in set(truth)]:
        tp = sum(1 for t, g in zip(truth, guess, strict=True) if t == g == label)
        predicted, actual = sum(1 for g in guess if g == label), sum(1 for t in truth if t == label)
        precision[label] = tp / predicted if predicted else 0.0
        recall[label] = tp / actual
        f1[label] = 2 * precision[label] * recall[label] / (precision[label] + recall[label]) if tp else 0.0
    accuracy = sum(1 for t, g in zip(truth, guess, strict=True) if t == g) / len(truth) if truth else 0.0
    return {"n": len(truth), "macro_f1": round(float(np.mean(list(f1.values()))), 4) if f1 else 0.0,
            "accuracy": round(accuracy, 4),
            "precision": {label: round(value, 4) for label, value in precision.items()},
            "recall": {label: round(value, 4) for label, value in recall.items()},
            "f1": {label: round(value, 4) for label, value in f1.items()}}


def decide(probs: np.ndarray, *, binary: bool = False) -> list[str]:
    """Argmax of the three classes, or with ``binary`` positive against negative only (weibo2018 has no neutral)."""
    if binary:
        pos, neg = LABELS.index("positive"), LABELS.index("negative")
        return [LABELS[pos] if p >= n else LABELS[neg] for p, n in zip(probs[:, pos], probs[:, neg], strict=True)]
    return [LABELS[k] for k in probs.argmax(axis=1)]


def figures(classifier: Classifier, pairs: Pairs, *, binary: bool = False, rules: bool = False) -> dict:
    """Scores of the model on ``pairs``; with ``rules`` (3 classes only), of the labels the app stores: the model
    and its rule layer (``Classifier.predict``)."""
    texts = [text for text, _ in pairs]
    if rules and not binary:
        guess = [label for label, _ in classifier.predict(texts)]
    else:
        guess = decide(classifier.proba(texts), binary=binary)
    result = score([label for _, label in pairs], guess)
    decision = "positive vs negative" if binary else "argmax of 3 classes" + (" + rules" if rules else "")
    return result | {"decision": decision}


def validate(classifier: Classifier, validation: dict[str, Pairs]) -> dict:
    """The model alone on every set, and on the three-class sets also as the app labels (model + rules)."""
    out = {name: figures(classifier, pairs, binary=name in BINARY_VALIDATION) for name, pairs in validation.items()}
    out |= {f"{name} + rules": figures(classifier, pairs, rules=True)
            for name, pairs in validation.items() if name not in BINARY_VALIDATION}
    return out


def export(out_dir: Path, arrays: dict, meta: dict) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "vocab.json").write_text(json.dumps(arrays["vocab"], ensure_ascii=False, separators=(",", ":")),
                                        encoding="utf-8")
    np.savez_compressed(out_dir / "weights.npz", coef=arrays["coef"], intercept=arrays["intercept"], idf=arrays["idf"],
                        offset=np.asarray(arrays["offset"], dtype=np.float64))
    (out_dir / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _check_parity(out_dir: Path, arrays: dict, validation: dict[str, Pairs]) -> float:
    # Texts that say nothing are neutral by rule at run time, whatever the regression says: not compared.
    texts = [text for pairs in validation.values() for text, _ in pairs if not says_nothing(normalise(text))][:3000]
    if not texts:
        return 0.0
    runtime = Classifier.load(out_dir).proba(texts)
    difference = float(np.abs(runtime - _softmax(arrays["sklearn_scores"](texts) + arrays["offset"])).max())
    if difference > PARITY_TOLERANCE:
        raise RuntimeError(f"numpy run time differs from scikit-learn by {difference:.2e} (> {PARITY_TOLERANCE})")
    return difference


def train(data_dir: Path, out_dir: Path, *, seed: int = 0, recipe: Recipe | None = None,
          corrections: Pairs | None = None, progress: Callable[[str], None] = print) -> dict:
    """Train on the public sets (plus ``corrections``, (text, label) pairs weighted by the recipe), export
    the model into ``out_dir`` and return its meta (incl. validation figures). Same seed, same model."""
    recipe = recipe or Recipe()
    data = load_dataset(Path(data_dir), seed=seed, sources=recipe.sources)
    texts, labels, weights = [], [], []
    row_weights = prior_weights(data.train, recipe)
    for name, pairs in data.train.items():
        texts += [t for t, _ in pairs]
        labels += [label for _, label in pairs]
        weights += row_weights[name]
        progress(f"{name}: {len(pairs):,} texts {dict(sorted(Counter(label for _, label in pairs).items()))}")
    corrections = [(t, label) for t, label in corrections or [] if label in LABELS and t.strip()]
    if corrections:
        texts += [t for t, _ in corrections]
        labels += [label for _, label in corrections]
        weights += [recipe.correction_weight] * len(corrections)
        progress(f"corrections: {len(corrections):,} texts, each weighted x{recipe.correction_weight:g}")
    if len(set(labels)) < len(LABELS):
        raise DataError(f"training needs all of {list(LABELS)}; got {sorted(set(labels))}")
    offset, calibration = np.zeros(len(LABELS)), {"offsets": dict.fromkeys(LABELS, 0.0), "skipped": "off"}
    if recipe.calibrate:
        extra = ([t for t, _ in corrections], [label for _, label in corrections],
                 [recipe.correction_weight] * len(corrections))
        offset, calibration = calibrate(data.train, extra, seed, recipe, progress)
        progress("final fit on everything")
    arrays = fit(texts, labels, weights, recipe, progress)
    arrays["offset"] = offset
    meta = {
        "format": FORMAT,
        "labels": list(LABELS),
        "normalisation_version": NORMALISATION_VERSION,
        "ngram_range": list(NGRAM_RANGE),
        "features": len(arrays["vocab"]),
        "tf": "1 + ln(count)", "idf": "ln((1 + n) / (1 + df)) + 1", "norm": "l2",
        "recipe": {k: v for k, v in asdict(recipe).items() if k != "max_iter"},
        "seed": seed,
        "training_sets": {name: len(pairs) for name, pairs in data.train.items()} | (
            {"corrections": len(corrections)} if corrections else {}),
        "calibration": calibration,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    export(Path(out_dir), arrays, meta)
    meta["parity_max_abs_diff"] = _check_parity(Path(out_dir), arrays, data.validation)
    progress("validating")
    meta["validation"] = validate(Classifier.load(out_dir), data.validation)
    export(Path(out_dir), arrays, meta)
    return meta


def correction_pairs(brand_name: str | None = None) -> Pairs:
    """(text, label) of the people's corrections, all brands or one; a text corrected twice counts once,
    with its latest label. Raises ``LookupError`` for an unknown brand."""
    from positioning.models import Brand
    from sentiment.models import SentimentCorrection

    rows = SentimentCorrection.objects.order_by("-created_at", "-id")
    if brand_name is not None:
        brand = Brand.objects.filter(name=brand_name).first()
        if brand is None:
            raise LookupError(f"no brand named {brand_name!r}")
        rows = rows.filter(brand=brand)
    latest: dict[str, str] = {}
    for text, label in rows.values_list("text", "label").iterator():
        latest.setdefault(text, label)
    return list(latest.items())
