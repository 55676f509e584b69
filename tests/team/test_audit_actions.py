"""Every audit action the code records has words in ``team.models.AUDIT_ACTIONS``: the audit log (and the
dashboard's and account page's recent changes, which read the same ``action_label``) never shows a raw key
such as ``incident.open``."""

from __future__ import annotations

import ast
from pathlib import Path

from django.utils import translation

from team.models import AUDIT_ACTIONS, AuditEvent

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".venv", "tests", "migrations", "node_modules", "var"}
AUDITING = {"audit_record", "audited_create", "audited_update"}


def _recorded_actions() -> dict[str, str]:
    """Every string passed as ``action=`` to an auditing call, with where it is."""
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        # Hidden folders hold virtual environments (.venv, .venv-production) and caches, not our code.
        if SKIP & set(parts) or any(part.startswith(".") for part in parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in AUDITING:
                continue
            for keyword in node.keywords:
                if keyword.arg == "action":
                    for value in ast.walk(keyword.value):
                        if isinstance(value, ast.Constant) and isinstance(value.value, str):
                            found[value.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_every_recorded_action_has_a_label():
    recorded = _recorded_actions()
    assert {"incident.open", "incident.grade", "post.approve", "inbox.untag", "fan.tags"} <= set(recorded)
    missing = {action: where for action, where in recorded.items() if action not in AUDIT_ACTIONS}
    assert missing == {}


def test_an_unknown_action_reads_as_words_not_as_its_key():
    with translation.override("en"):
        assert AuditEvent(action="incident.open").action_label == "opened an incident"
        assert AuditEvent(action="something.new").action_label == "other action"
