"""The correction loop: people's corrections retrain the model on a schedule, and the gain is measured.

A full retrain (``manage.py train_sentiment``) takes many minutes; this one takes seconds. It fine-tunes the shipped
model (``settings.SENTIMENT_MODEL_DIR``) on the corrections: the vocabulary, idf and calibration offsets stay, and
the weights of the n-grams the corrected texts contain move to fit the corrected labels, held near the shipped
weights by an L2 pull (``PULL``), so the rest of what the model knows is kept. The result goes into
``settings.SENTIMENT_TUNED_MODEL_DIR`` with its own model card section; ``classifier.get_classifier`` uses it from
then on (it is ignored once a newer shipped model is deployed: it names the base it was tuned from).

The gain is measured, not assumed: a seeded ``HOLD_OUT`` share of the corrected texts is kept apart; the model is
tuned on the rest and both models are scored on the kept part (the brand's own text) and, when the public data is
there (``settings.SENTIMENT_DATA_DIR``), on the public held-out splits, so a loss elsewhere shows too.

Beat runs ``corrections_retrain`` every ``SENTIMENT_RETRAIN_HOURS`` (nightly by default); a lock in the cache keeps
two runs from overlapping, and a run without new corrections since the last one does nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
import uuid
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from .classifier import LABELS, Classifier, clear_cache, normalise, says_nothing

logger = logging.getLogger(__name__)

LOCK_KEY = "sentiment:retrain-lock"
LOCK_SECONDS = 30 * 60  # longer than any run (seconds on the demo); a crashed run frees the lock after this
HOLD_OUT = 0.2  # share of the corrected texts kept apart to measure the gain (seeded by the text)
MIN_CORRECTIONS = 5  # fewer corrected texts teach nothing and measure nothing
PULL = 1.0  # L2 pull of each tuned weight towards the shipped one: higher keeps more of the shipped model
MAX_ITER = 200  # L-BFGS iterations: converges in well under this on a few thousand corrections
PUBLIC_CHECKS = ("online_shopping_held_out", "usual_eval")  # public held-out sets scored before and after


def _held_out(text: str) -> bool:
    """Whether a corrected text is kept apart for measuring: by a hash of its text, so the same text is on the
    same side in every run (adding corrections never moves an old one across)."""
    digest = hashlib.sha256(normalise(text).encode("utf-8")).digest()
    return digest[0] / 256 < HOLD_OUT


def _rows(classifier: Classifier, texts: list[str]):
    from scipy.sparse import csr_matrix

    rows, cols, values, _empty = classifier._features(texts)
    return csr_matrix((values, (rows, cols)), shape=(len(texts), len(classifier.index)))


def fine_tune(base: Classifier, pairs: list[tuple[str, str]], *, weight: float = 3.0, pull: float = PULL) -> np.ndarray:
    """Weights (columns x 3) of ``base`` moved to fit ``pairs`` (text, label): minimises the weighted cross-entropy
    of the pairs plus ``pull``/2 times the squared distance to the base weights, over the n-grams the pairs use."""
    from scipy.optimize import minimize

    texts = [t for t, _ in pairs if not says_nothing(normalise(t))]
    y = np.array([LABELS.index(label) for t, label in pairs if not says_nothing(normalise(t))])
    coef = base.coef.copy()
    if not texts:
        return coef
    matrix = _rows(base, texts)
    used = np.unique(matrix.indices)
    x = matrix[:, used]
    w0 = base.coef[used]
    bias = base.intercept + base.offset
    onehot = np.eye(len(LABELS))[y]

    def loss(flat: np.ndarray) -> tuple[float, np.ndarray]:
        w = flat.reshape(w0.shape)
        scores = x @ w + bias
        scores -= scores.max(axis=1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=1, keepdims=True)
        data = -weight * float(np.sum(onehot * np.log(probs + 1e-12)))
        gradient = weight * (x.T @ (probs - onehot)) + pull * (w - w0)
        return data + pull / 2 * float(np.sum((w - w0) ** 2)), gradient.ravel()

    result = minimize(loss, w0.ravel(), jac=True, method="L-BFGS-B", options={"maxiter": MAX_ITER})
    coef[used] = result.x.reshape(w0.shape)
    return coef


def _figures(classifier: Classifier, pairs: list[tuple[str, str]], *, binary: bool = False) -> dict:
    from .training import figures

    return figures(classifier, pairs, binary=binary)


def _public_checks() -> dict[str, list[tuple[str, str]]]:
    from .training import DataError, load_validation

    data_dir = Path(settings.SENTIMENT_DATA_DIR)
    if not data_dir.is_dir():
        return {}
    try:
        validation = load_validation(data_dir, 0)
    except DataError as exc:
        logger.warning("sentiment retrain: public held-out sets not read (%s)", exc)
        return {}
    return {name: validation[name] for name in PUBLIC_CHECKS if name in validation}


def _write(out_dir: Path, base_dir: Path, base: Classifier, coef: np.ndarray, meta: dict) -> None:
    """Write the tuned model beside ``out_dir`` and swap it in with one rename, so a reader never sees half."""
    staging = out_dir.with_name(f"{out_dir.name}.new-{uuid.uuid4().hex[:8]}")
    staging.mkdir(parents=True)
    shutil.copyfile(base_dir / "vocab.json", staging / "vocab.json")
    np.savez_compressed(staging / "weights.npz", coef=coef.astype(np.float32),
                        intercept=base.intercept.astype(np.float32), idf=base.idf.astype(np.float32),
                        offset=np.asarray(base.offset, dtype=np.float64))
    (staging / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    card = (base_dir / "MODEL_CARD.md").read_text(encoding="utf-8") if (base_dir / "MODEL_CARD.md").exists() else ""
    (staging / "MODEL_CARD.md").write_text(card.rstrip() + "\n\n" + card_section(meta["fine_tune"]), encoding="utf-8")
    old = out_dir.with_name(f"{out_dir.name}.old-{uuid.uuid4().hex[:8]}")
    if out_dir.exists():
        out_dir.rename(old)
    staging.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)


def card_section(tune: dict) -> str:
    lines = [
        "## Fine-tuned on the people's corrections",
        f"Tuned {tune['tuned_at']} from the shipped model (trained {tune['base_trained_at']}) in "
        f"{tune['seconds']:.1f} s on {tune['trained_on']} corrected texts (each weighted x{tune['weight']:g}); "
        f"{tune['held_out']} corrected texts kept apart to measure the gain (`sentiment/retraining.py`).",
        "",
        "| held-out set | n | macro-F1 before | macro-F1 after | accuracy before | accuracy after |",
        "|---|---|---|---|---|---|",
    ]
    for name, pair in tune["figures"].items():
        before, after = pair["before"], pair["after"]
        lines.append(f"| {name} | {before['n']:,} | {before['macro_f1']:.4f} | {after['macro_f1']:.4f} | "
                     f"{before['accuracy']:.4f} | {after['accuracy']:.4f} |")
    return "\n".join(lines) + "\n"


def tuned_meta(path: Path | None = None) -> dict | None:
    """The fine-tune record of the tuned model, or None when there is none."""
    path = Path(path or settings.SENTIMENT_TUNED_MODEL_DIR) / "meta.json"
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("fine_tune")
    except (OSError, ValueError):
        return None


CHECK_NAMES = {
    "corrections_held_out": _("Corrected mentions kept apart"),
    "online_shopping_held_out": _("Product reviews (held out)"),
    "usual_eval": _("Everyday Weibo posts (SMP2020)"),
}


def model_learning() -> dict | None:
    """What the correction page shows of the loop: when the model last learnt from corrections, from how many, and
    macro-F1 before and after on each held-out set; None before the first run."""
    tune = tuned_meta()
    if not tune:
        return None
    return {"at": parse_datetime(tune["tuned_at"]), "trained_on": tune["trained_on"], "held_out": tune["held_out"],
            "rows": [{"name": CHECK_NAMES.get(name, name), "n": pair["before"]["n"],
                      "before": pair["before"]["macro_f1"], "after": pair["after"]["macro_f1"]}
                     for name, pair in tune["figures"].items()]}


def corrections_retrain(*, pairs: list[tuple[str, str]] | None = None, force: bool = False) -> dict | None:
    """Fine-tune the shipped model on every brand's corrections (or ``pairs``) into the tuned model directory;
    returns the fine-tune record, or None when another run holds the lock, there are too few corrections, or
    (unless ``force``) nothing changed since the last run. Safe to run twice."""
    token = uuid.uuid4().hex
    if not cache.add(LOCK_KEY, token, timeout=LOCK_SECONDS):
        logger.info("sentiment retrain: another run holds the lock")
        return None
    try:
        return _retrain(pairs, force)
    finally:
        if cache.get(LOCK_KEY) == token:
            cache.delete(LOCK_KEY)


def _retrain(pairs: list[tuple[str, str]] | None, force: bool) -> dict | None:
    from .training import correction_pairs

    started = time.monotonic()
    pairs = sorted(correction_pairs() if pairs is None else pairs)
    pairs = [(t, label) for t, label in pairs if label in LABELS and not says_nothing(normalise(t))]
    if len(pairs) < MIN_CORRECTIONS:
        return None
    fingerprint = hashlib.sha256(json.dumps(pairs, ensure_ascii=False).encode("utf-8")).hexdigest()
    base_dir = Path(settings.SENTIMENT_MODEL_DIR)
    base = Classifier.load(base_dir)
    base_trained_at = base.meta.get("trained_at", "")
    last = tuned_meta()
    if not force and last and last.get("corrections") == fingerprint and last.get("base_trained_at") == base_trained_at:
        return None
    kept = [p for p in pairs if _held_out(p[0])]
    train_part = [p for p in pairs if not _held_out(p[0])]
    weight = float(getattr(settings, "SENTIMENT_CORRECTION_WEIGHT", 3.0))
    coef = fine_tune(base, train_part, weight=weight)
    tuned = Classifier(vocab=list(base.index), coef=coef, intercept=base.intercept, idf=base.idf, meta=base.meta,
                       offset=base.offset)
    checks = {"corrections_held_out": kept} if kept else {}
    checks |= _public_checks()
    from .training import BINARY_VALIDATION

    figures = {name: {"before": _figures(base, rows, binary=name in BINARY_VALIDATION),
                      "after": _figures(tuned, rows, binary=name in BINARY_VALIDATION)}
               for name, rows in checks.items()}
    record = {
        "tuned_at": timezone.now().isoformat(timespec="seconds"), "base_trained_at": base_trained_at,
        "base_dir": str(base_dir.resolve()), "corrections": fingerprint, "trained_on": len(train_part),
        "held_out": len(kept), "weight": weight, "pull": PULL, "figures": figures,
        "seconds": round(time.monotonic() - started, 2),
    }
    meta = dict(base.meta) | {"fine_tune": record}
    _write(Path(settings.SENTIMENT_TUNED_MODEL_DIR), base_dir, base, coef, meta)
    clear_cache()
    logger.info("sentiment retrain: %s corrections in %.1f s", len(train_part), record["seconds"])
    return record
