"""The marks a test module gives all its tests: its module-level ``pytestmark``, read from the source with
``ast`` (no import), for the scheduler in conftest.py and the embedded-selection check."""

from __future__ import annotations

import ast


def module_marks(source: str) -> set[str]:
    """``{"embedded", "worker"}`` for ``pytestmark = [pytest.mark.embedded, pytest.mark.worker, ...]``."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets):
            values = node.value.elts if isinstance(node.value, ast.List | ast.Tuple) else [node.value]
            names = set()
            for value in values:
                mark = value.func if isinstance(value, ast.Call) else value  # pytest.mark.django_db(transaction=True)
                text = ast.unparse(mark)
                if text.startswith("pytest.mark."):
                    names.add(text.removeprefix("pytest.mark."))
            return names
    return set()
