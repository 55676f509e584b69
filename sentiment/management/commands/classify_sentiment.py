"""Label texts read from stdin, one per line: one JSON object per line on stdout, in the same order."""

from __future__ import annotations

import io
import itertools
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

BATCH = 1000  # lines per matrix multiply: big inputs stream with bounded memory


def _lines(stream):
    """Lines split on LF only (a stray CR inside a post is not a line break), without their LF or CRLF."""
    if hasattr(stream, "buffer"):
        stream = io.TextIOWrapper(stream.buffer, encoding="utf-8-sig", errors="replace", newline="\n")
    for line in stream:
        yield line.removesuffix("\n").removesuffix("\r")


class Command(BaseCommand):
    stealth_options = ("stdin",)  # call_command(..., stdin=StringIO(...)) in tests
    help = ('Read UTF-8 texts, one per line, from stdin and write {"label": ..., "score": ...} per line '
            "(score = probability of the label). An empty line is neutral.")

    def add_arguments(self, parser):
        parser.add_argument("--model", type=Path, default=None,
                            help="model directory (default settings.SENTIMENT_MODEL_DIR)")

    def handle(self, *args, **options):
        from sentiment.classifier import ModelError, get_classifier

        try:
            classifier = get_classifier(options["model"])
        except ModelError as exc:
            raise CommandError(str(exc)) from exc
        lines = _lines(options.get("stdin") or sys.stdin)
        while batch := list(itertools.islice(lines, BATCH)):
            out = [json.dumps({"label": label, "score": round(score, 6)}) for label, score in classifier.predict(batch)]
            self.stdout.write("\n".join(out))
            self.stdout.flush()
