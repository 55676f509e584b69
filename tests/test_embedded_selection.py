"""The embedded pass of ``make test`` (SQLite, filesystem broker, file cache) runs only the tests marked
``embedded``: what behaves differently there. This keeps that selection honest: every module that takes
locks or transactions, queues tasks or uses the cache must have a test in it, or a change to it would be
tested on PostgreSQL and Redis only, and the embedded defaults of ``make run`` could break unseen."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.marks import module_marks
from tests.test_architecture import APPS, imports_of, project_modules

pytestmark = pytest.mark.platform_free  # reads source files only

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
# Names whose import means the module uses the database's locking and transactions, or the cache.
BACKEND_IMPORTS = {("django.db", "transaction"), ("django.db", "connection"), ("django.db", "connections"),
                   ("django.core.cache", "cache"), ("django.core.cache", "caches")}
# Calls that lock rows, queue a task on the broker or run raw SQL.
BACKEND_CALLS = {"select_for_update", "delay", "apply_async", "send_task", "raw", "cursor"}
NOT_APP_CODE = {"settings", "urls", "wsgi", "asgi", "migrations"}  # configuration, read by every test


def touches_backends(source: str) -> set[str]:
    """What in ``source`` behaves differently on SQLite, the filesystem broker or the file cache."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {f"{node.module}.{a.name}" for a in node.names if (node.module, a.name) in BACKEND_IMPORTS}
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in BACKEND_CALLS:
            found.add(f".{node.func.attr}()")
    return found


def is_embedded(source: str) -> bool:
    """The module's own ``pytestmark`` names ``pytest.mark.embedded``: the whole file is in the embedded pass."""
    return "embedded" in module_marks(source)


def commands_run(source: str) -> set[str]:
    """Management commands a test runs by name: ``call_command("x")``, or every command ``make run`` runs."""
    names = set(re.findall(r"call_command\(\s*[\"'](\w+)[\"']", source))
    if re.search(r"[\"']make[\"'],\s*[\"']run[\"']", source):
        started = (ROOT / "Makefile").read_text() + (ROOT / "Procfile").read_text()
        names |= set(re.findall(r"manage\.py\s+(\w+)", started))
    return names


def embedded_coverage() -> tuple[set[str], set[str], set[str]]:
    """The project modules embedded tests import, the commands they run, and the apps whose pages and API
    they drive (a test_pages*.py or test_api.py of tests/APP/)."""
    modules, commands, driven = set(), set(), set()
    for path in sorted(TESTS.rglob("test_*.py")):
        source = path.read_text("utf-8")
        if not is_embedded(source):
            continue
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        modules |= set(imports_of(source, module))
        commands |= commands_run(source)
        where = path.relative_to(TESTS).parts
        if len(where) > 1 and where[0] in APPS and re.match(r"test_(pages\w*|api)\.py$", path.name):
            driven.add(where[0])
    return modules, commands, driven


def reached(modules: set[str]) -> set[str]:
    """``modules`` and what they import of their own app, and so on: the code an embedded test runs when it
    calls them (ingest routes through fans.routing, say)."""
    graph = {module: {m for m in imports_of(path.read_text("utf-8"), module) if m.split(".")[0] == module.split(".")[0]}
             for module, path in project_modules()}
    seen, todo = set(), [m for m in modules if m in graph]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += [m for m in graph[module] if m in graph]
    return seen | modules


def covered(module: str, modules: set[str], commands: set[str], driven: set[str]) -> bool:
    parts = module.split(".")
    if module in modules:
        return True
    if "commands" in parts[:-1]:
        return parts[-1] in commands
    is_http = parts[-1].startswith("views") or parts[-1] == "serializers" or "api" in parts[1:-1]
    return is_http and parts[0] in driven


def test_every_module_touching_the_backends_has_an_embedded_test():
    modules, commands, driven = embedded_coverage()
    modules = reached(modules)
    missing = {}
    for module, path in project_modules():
        if module.split(".")[-1] in NOT_APP_CODE:
            continue
        uses = touches_backends(path.read_text("utf-8"))
        if uses and not covered(module, modules, commands, driven):
            missing[module] = sorted(uses)
    assert not missing, (
        "These modules lock, use transactions, queue tasks or use the cache, and no test marked "
        "`embedded` imports them (or runs the command, or drives the app's pages or API). Mark the test "
        f"file that exercises each with pytest.mark.embedded (README, Tests): {missing}")


def test_the_detection_sees_what_it_is_for():
    assert touches_backends("from django.db import transaction\n") == {"django.db.transaction"}
    assert touches_backends("x = Model.objects.select_for_update().get(pk=1)\n") == {".select_for_update()"}
    assert touches_backends("task.delay(1)\nfrom django.core.cache import cache\n") == {
        ".delay()", "django.core.cache.cache"}
    assert touches_backends("from django.db import models\nModel.objects.filter(pk=1).update(x=2)\n") == set()
    assert is_embedded("pytestmark = [pytest.mark.embedded, pytest.mark.django_db]")
    assert not is_embedded("pytestmark = pytest.mark.django_db  # not embedded")
    assert is_embedded("pytestmark = pytest.mark.embedded  # why")
    assert not is_embedded('def test_x():\n    pytestmark = "pytest.mark.embedded"\n')
    assert not is_embedded((TESTS / "test_embedded_selection.py").read_text("utf-8"))
    spread = "pytestmark = [\n    pytest.mark.embedded,\n    pytest.mark.django_db(transaction=True),\n]"
    assert module_marks(spread) == {"embedded", "django_db"}
    assert commands_run('call_command("seed_demo", quiet=True)') == {"seed_demo"}
    assert "seed_demo_content" in commands_run('subprocess.Popen(["make", "run"])')
    assert covered("content.api.views", set(), set(), {"content"})
    assert not covered("content.publishing", {"content.services"}, set(), {"content"})
    assert "fans.routing" in reached({"fans.ingest"}) and "sentiment.pipeline" not in reached({"fans.ingest"})
