"""Train the sentiment model from the public sets (and the people's corrections) into a model directory."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

DEFAULT_DATA = Path(settings.BASE_DIR).parent / "shared" / "data" / "sentiment"


class Command(BaseCommand):
    help = ("Train the three-class sentiment model (char 1-3-gram TF-IDF + logistic regression) and write "
            "vocab.json, weights.npz and meta.json into --out. Same --seed, same figures.")

    def add_arguments(self, parser):
        parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                            help=f"folder with smp2020_ewect/, weibo2018/, weibo_senti_100k/ (default {DEFAULT_DATA})")
        parser.add_argument("--out", type=Path, help="model directory to write")
        parser.add_argument("--evaluate", type=Path, metavar="MODEL_DIR",
                            help="train nothing: print the validation figures of this existing model directory")
        parser.add_argument("--corrections", default="none",
                            help="none, all, or a brand name: also train on those corrected labels")
        parser.add_argument("--correction-weight", type=float, default=3.0,
                            help="how many times a corrected label counts (default 3)")
        parser.add_argument("--seed", type=int, default=0, help="chooses the weibo2018 held-out split (default 0)")

    def handle(self, *args, **options):
        from sentiment import training

        data: Path = options["data"]
        if not data.is_dir():
            raise CommandError(f"data directory {data} does not exist (expected ../shared/data/sentiment)")
        if options["evaluate"]:
            return self._evaluate(data, options["evaluate"], options["seed"])
        if options["out"] is None:
            raise CommandError("give --out (the model directory to write) or --evaluate MODEL_DIR")
        corrections = self._corrections(options["corrections"])
        recipe = training.Recipe(correction_weight=options["correction_weight"])
        try:
            meta = training.train(data, options["out"], seed=options["seed"], recipe=recipe,
                                  corrections=corrections, progress=self._say)
        except training.DataError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"cannot write the model into {options['out']}: {exc}") from exc
        self._report(meta, options["out"])

    def _evaluate(self, data: Path, model: Path, seed: int) -> None:
        from sentiment import training
        from sentiment.classifier import Classifier, ModelError

        try:
            classifier = Classifier.load(model)
            validation = training.validate(classifier, training.load_validation(data, seed))
        except (ModelError, training.DataError) as exc:
            raise CommandError(str(exc)) from exc
        self._figures(validation)

    def _corrections(self, scope: str):
        if scope == "none":
            return None
        from sentiment import training

        try:
            pairs = training.correction_pairs(None if scope == "all" else scope)
        except LookupError as exc:
            raise CommandError(f"{exc}: give --corrections none, all, or an existing brand name") from exc
        self._say(f"{len(pairs):,} corrected labels ({scope})")
        return pairs

    def _say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()

    def _figures(self, validation: dict) -> None:
        for name, result in validation.items():
            self._say(f"{name} (n={result['n']}, {result['decision']}): macro-F1 {result['macro_f1']:.4f}, "
                      f"accuracy {result['accuracy']:.4f}")
            for label in result["recall"]:
                self._say(f"  {label}: precision {result['precision'][label]:.4f}, "
                          f"recall {result['recall'][label]:.4f}, F1 {result['f1'][label]:.4f}")

    def _report(self, meta: dict, out: Path) -> None:
        self._figures(meta["validation"])
        size = sum(path.stat().st_size for path in out.iterdir() if path.is_file())
        self._say(f"wrote {meta['features']:,} n-grams, {size / 1e6:.2f} MB, into {out}")
