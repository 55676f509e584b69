"""The shipped sentiment model against SnowNLP on the validation files, one core, in about a minute.

For each validation file (SMP2020 usual_eval and virus_eval in three classes; the seeded weibo2018
held-out split that training never sees, positive vs negative) prints JSON with macro-F1, per-class
recall, accuracy and batch texts/s of the model on the whole file, and the model and SnowNLP side by
side on the same seeded sample (SnowNLP reads about 160 texts/s, so it gets at most --sample texts per
file). SnowNLP gives a positivity probability p; three classes: p < 0.4 negative, p > 0.6 positive,
else neutral; on weibo2018: p >= 0.5 positive, else negative. Progress goes to stderr.

    .venv/bin/python bench/sentiment_eval.py [--data ../shared/data/sentiment] [--model sentiment/model]
        [--sample 500] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

# One core, as the figures claim. numpy (imported by sentiment.*) reads these when it is first imported,
# so the project's modules are imported inside the functions, after this.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BATCH = 1000  # texts per proba call, as classify_sentiment does
LOW, HIGH = 0.4, 0.6  # SnowNLP positivity thresholds for three classes


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def model_run(classifier, texts: list[str], binary: bool) -> tuple[list[str], float]:
    started = time.perf_counter()
    probs = [classifier.proba(texts[i:i + BATCH]) for i in range(0, len(texts), BATCH)]
    elapsed = time.perf_counter() - started
    import numpy as np

    from sentiment.training import decide

    return decide(np.vstack(probs), binary=binary), len(texts) / elapsed


def snownlp_run(texts: list[str], binary: bool) -> tuple[list[str], float]:
    from snownlp import SnowNLP

    started = time.perf_counter()
    guess = []
    for text in texts:
        p = SnowNLP(text).sentiments if text.strip() else 0.5
        if binary:
            guess.append("positive" if p >= 0.5 else "negative")
        else:
            guess.append("negative" if p < LOW else "positive" if p > HIGH else "neutral")
    return guess, len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "sentiment")
    parser.add_argument("--model", type=Path, default=ROOT / "sentiment" / "model")
    parser.add_argument("--sample", type=int, default=500, help="texts per file for the side-by-side with SnowNLP")
    parser.add_argument("--seed", type=int, default=0, help="weibo2018 split and sample (training's default is 0)")
    args = parser.parse_args()
    from sentiment.classifier import Classifier
    from sentiment.training import load_validation, score

    classifier = Classifier.load(args.model)
    validation = load_validation(args.data, args.seed)
    report = {
        "model": str(args.model), "features": classifier.meta["features"],
        "model_size_bytes": sum(p.stat().st_size for p in args.model.iterdir() if p.is_file()),
        "threads": 1, "batch": BATCH,
        "class_offsets": dict(zip(classifier.meta["labels"], classifier.offset.round(4).tolist(), strict=True)),
        "snownlp_mapping": {"three_class": f"p < {LOW} negative, p > {HIGH} positive, else neutral",
                            "two_class": "p >= 0.5 positive, else negative"},
        "snownlp_sample": f"at most {args.sample} texts per file, seeded (seed {args.seed}); "
                          "the model is scored on the same texts in 'same_sample'",
        "files": {},
    }
    for name, pairs in validation.items():
        binary = name.startswith("weibo2018")
        texts, truth = [t for t, _ in pairs], [label for _, label in pairs]
        say(f"{name}: model on {len(texts)} texts")
        guess, speed = model_run(classifier, texts, binary)
        sample = sorted(random.Random(args.seed).sample(range(len(pairs)), min(args.sample, len(pairs))))
        s_texts, s_truth = [texts[i] for i in sample], [truth[i] for i in sample]
        say(f"{name}: SnowNLP on {len(sample)} texts")
        snow_guess, snow_speed = snownlp_run(s_texts, binary)
        report["files"][name] = {
            "decision": "positive vs negative" if binary else "argmax of 3 classes (surprise dropped)",
            "model": score(truth, guess) | {"texts_per_s": round(speed)},
            "same_sample": {
                "model": score(s_truth, [guess[i] for i in sample]),
                "snownlp": score(s_truth, snow_guess) | {"texts_per_s": round(snow_speed)},
            },
        }
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
