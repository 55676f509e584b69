"""The import directions of CONVENTIONS.md, read from every module's imports with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "weibo_ops"
BASE = ["team", "positioning"]
DUTIES = ["content", "fans", "sentiment", "campaigns", "promotion", "partnerships"]
APPS = [PROJECT, *BASE, *DUTIES, "reports"]
PUBLIC = {"selectors", "services"}  # what one duty app may use of another


def imports_of(source: str, module: str) -> list[str]:
    """Absolute names of the project modules that ``source`` (the module ``module``) imports."""
    names = []
    package = module.split(".")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level]
                target = ".".join([*base, node.module] if node.module else base)
                names += [f"{target}.{alias.name}" if not node.module else target for alias in node.names]
            elif node.module:
                # ``from content import selectors`` uses content.selectors; the package itself is empty.
                package_only = "." not in node.module and node.module in APPS
                names += [] if package_only else [node.module]
                names += [f"{node.module}.{alias.name}" for alias in node.names]
    return [n for n in names if n.split(".")[0] in APPS]


def violation(importer: str, imported: str) -> str | None:
    """Why ``importer`` may not import ``imported``, or None when it may."""
    source_app, target_app = importer.split(".", maxsplit=1)[0], imported.split(".", maxsplit=1)[0]
    if source_app == target_app:
        return None
    if target_app == "reports":
        return "nothing imports reports"
    if source_app == PROJECT:
        return "weibo_ops imports no app"
    if target_app == PROJECT:
        return None
    if source_app == "team":
        return "team imports only weibo_ops"
    if source_app == "positioning":
        return None if target_app == "team" else "positioning imports only team and weibo_ops"
    if target_app in BASE:
        return None
    if source_app == "reports":
        return None if imported.split(".")[1:2] == ["selectors"] else "reports reads other apps' selectors only"
    if source_app in DUTIES:
        part = imported.split(".")[1:2]
        return None if part and part[0] in PUBLIC else f"{source_app} may use only {target_app}'s selectors/services"
    return None


def project_modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            yield module.removesuffix(".__init__"), path


def duty_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {app: set() for app in APPS}
    for module, path in project_modules():
        for imported in imports_of(path.read_text(), module):
            if imported.split(".")[0] != module.split(".")[0]:
                graph[module.split(".")[0]].add(imported.split(".")[0])
    return graph


def test_every_import_follows_the_directions():
    problems = []
    for module, path in project_modules():
        for imported in imports_of(path.read_text(), module):
            reason = violation(module, imported)
            if reason:
                problems.append(f"{path.relative_to(ROOT)}: imports {imported}: {reason}")
    assert problems == []


def test_apps_do_not_import_each_other_in_a_cycle():
    graph = duty_graph()

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in graph[start])

    assert [app for app in APPS if reaches(app, app, {app})] == []


def test_the_checker_catches_what_it_should():
    """The rules above must be able to fail: feed them imports that break each one."""
    assert violation("team.views", "positioning.models") == "team imports only weibo_ops"
    assert violation("weibo_ops.urls", "team.views") == "weibo_ops imports no app"
    assert violation("content.services", "reports.views") == "nothing imports reports"
    assert violation("content.services", "fans.models") == "content may use only fans's selectors/services"
    assert violation("reports.views", "content.models") == "reports reads other apps' selectors only"
    assert violation("positioning.services", "content.services") == "positioning imports only team and weibo_ops"
    assert violation("content.services", "fans.selectors") is None
    assert violation("content.services", "positioning.models") is None
    assert imports_of("from ..models import Account\nfrom team import services", "positioning.api.views") == [
        "positioning.models", "team.services"]
    assert imports_of("from content import models", "reports.views") == ["content.models"]
    assert violation("reports.views", imports_of("from content import models", "reports.views")[0])


SANDBOX = "weibo_sandbox"
# `manage.py weibo_sandbox` starts the local platform for `make run`: it builds the sandbox, reads none of its numbers.
SANDBOX_LAUNCHER = "positioning.management.commands.weibo_sandbox"


def sandbox_imports(source: str) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.append(node.module)
    return [n for n in names if n.split(".")[0] == SANDBOX]


def test_app_code_never_reads_the_sandbox():
    """The sandbox plays Weibo; a threshold it assumes (posts a minute, word lists) must never become the app's
    own number by import: the app reads its own settings."""
    found = [f"{path.relative_to(ROOT)}: {name}" for module, path in project_modules() if module != SANDBOX_LAUNCHER
             for name in sandbox_imports(path.read_text())]
    assert found == []
    assert sandbox_imports("from weibo_sandbox.platform import Platform\nimport weibo_sandbox.rules") == [
        "weibo_sandbox.platform", "weibo_sandbox.rules"]
