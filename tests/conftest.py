from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.marks import module_marks

ROOT = Path(__file__).resolve().parent.parent

# The Weibo sandbox as a real process on a free port: ``sandbox``, ``fresh_sandbox``, ``sandbox_with_data``.
pytest_plugins = ["tests.sandbox_fixture"]

# Fixtures that start or need a server process: a test using one is not for ``make test-fast``.
SERVER_FIXTURES = {"sandbox", "fresh_sandbox", "sandbox_with_data", "weibo", "live_server", "browser", "page"}
SERVER_MARKERS = {"browser", "worker"}  # a real Chromium, a real Celery worker and beat, ``make run``
SERIAL_GROUP = "servers"


def serial_files() -> set[str]:
    """Test files that start real servers and wait on their clocks (marked worker or browser at module
    level). Under pytest-xdist they all run in one process, one after another, so that no two of them wait
    on their clocks at the same time; every other test goes wherever a process is free."""
    return {path.relative_to(ROOT).as_posix() for path in sorted((ROOT / "tests").rglob("test_*.py"))
            if module_marks(path.read_text("utf-8")) & SERVER_MARKERS}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``-n 2`` (``--dist load`` or ``loadscope``): every test is a unit of its own, but for the serial files,
    which are one unit, sent out first (the largest unit; xdist's --loadscope-reorder, on by default).

    pytest-xdist's own loadgroup marks a test by renaming its node id, which pytest 9.2 no longer allows: the
    same grouping through the scheduler's documented hook instead. Other --dist modes keep xdist's own."""
    if config.getvalue("dist") not in {"load", "loadscope"}:
        return None
    from xdist.scheduler import LoadScopeScheduling

    serial = serial_files()

    class ServersInOneProcess(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return SERIAL_GROUP if nodeid.split("::", 1)[0] in serial else nodeid

    return ServersInOneProcess(config, log)


def _hand_on_test_worker_settings() -> None:
    """Under pytest-xdist the settings gave this process its own var/ folder and Redis database (see
    TEST_WORKER in weibo_ops/settings.py). The workers, beat, ``manage.py`` and ``make run`` that tests
    start read the environment: they get the resolved values, and no xdist name to add a second time."""
    from django.conf import settings

    if not settings.TEST_WORKER:
        return
    os.environ["WEIBO_OPS_VAR_DIR"] = str(settings.VAR_DIR)
    if settings.REDIS_URL:
        os.environ["REDIS_URL"] = settings.REDIS_URL
    os.environ.pop("PYTEST_XDIST_WORKER", None)


_hand_on_test_worker_settings()


def pytest_addoption(parser):
    parser.addoption("--fast", action="store_true",
                     help="only the tests that need no server: no sandbox, worker, browser or live server "
                          "(make test-fast)")
    # Written --app=NAME: pytest reads a separate NAME before this option is known, as a path to test.
    parser.addoption("--app", action="append", default=[],
                     help="with --fast: also every test of tests/NAME/, servers included; repeatable (--app=NAME)")


def needs_server(item) -> bool:
    return bool(SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))) or any(
        item.get_closest_marker(name) for name in SERVER_MARKERS)


def pytest_collection_modifyitems(config, items):
    serial = serial_files()
    strays = sorted({item.path.relative_to(ROOT).as_posix() for item in items
                     if any(item.get_closest_marker(name) for name in SERVER_MARKERS)} - serial)
    if strays:
        raise pytest.UsageError(f"mark worker and browser tests in the module's pytestmark, so that they run "
                                f"one after another: {', '.join(strays)}")
    if not config.getoption("--fast"):
        return
    apps = set(config.getoption("--app"))
    keep, drop = [], []
    for item in items:
        where = item.path.relative_to(ROOT / "tests").parts
        in_app = len(where) > 1 and where[0] in apps
        (drop if needs_server(item) and not in_app else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_sessionstart(session):
    """In the PostgreSQL + Redis run, those servers must really be there: a missing one fails the
    run instead of letting the suite pass on the embedded defaults."""
    if os.environ.get("WEIBO_OPS_REQUIRE_SERVERS") != "1":
        return
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if not engine.endswith("postgresql"):
        pytest.exit(f"WEIBO_OPS_REQUIRE_SERVERS=1 but the database engine is {engine}: set DATABASE_URL", 3)
    if not settings.REDIS_URL:
        pytest.exit("WEIBO_OPS_REQUIRE_SERVERS=1 but REDIS_URL is not set", 3)
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.exit(f"Redis at REDIS_URL does not answer: {exc}", 3)
    import psycopg2

    db = settings.DATABASES["default"]
    try:
        psycopg2.connect(dbname="postgres", user=db["USER"], host=db["HOST"], port=db["PORT"],
                         password=db.get("PASSWORD") or None, connect_timeout=3).close()
    except psycopg2.Error as exc:
        pytest.exit(f"PostgreSQL at DATABASE_URL does not answer: {exc}", 3)


@pytest.fixture
def english():
    """Messages in English, whatever the default language: for tests that read a reason's words."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The demo's eight people would cost seconds per test with the production hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clean_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """A request with another Accept-Language leaves that language active in the thread; the next
    test starts in the default language again."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@dataclass
class Demo:
    brand: object
    accounts: dict
    people: dict


@pytest.fixture
def demo(db) -> Demo:
    """The demo brand of ``make run``: four accounts, eight people, two playbooks."""
    from positioning.models import Account, Brand
    from team.models import User

    call_command("seed_demo", quiet=True)
    brand = Brand.objects.get(name="鲜牧乳业")
    return Demo(
        brand=brand,
        accounts={a.name: a for a in Account.objects.filter(brand=brand)},
        people={u.username: u for u in User.objects.all()},
    )


def speaks(person, language: str | None):
    """The app speaks each person's stored language, never the browser's (Accept-Language is ignored):
    a test that reads English words signs its person in with ``language="en"``, which stores the choice
    as the header's language switch does."""
    from team.services import person_language_set

    if language is not None:
        person_language_set(person=person, language=language)


@pytest.fixture
def login(client, request):
    """``login(user)``: the test client, signed in as ``user``; ``login(user, language="en")`` first sets
    the person's language (see ``speaks``). A test module that reads English says ``LANGUAGE = "en"`` once:
    every person it signs in has then chosen English, unless a call says otherwise."""
    default = getattr(request.module, "LANGUAGE", None)

    def _login(user, language: str | None = None):
        speaks(user, language or default)
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login


@pytest.fixture
def api(db, request):
    """``api(user)``: a DRF test client signed in as ``user`` (or anonymous); ``api(user, language="en")``
    first sets the person's language (see ``speaks``). Signed in with a session, as the pages are, so that
    the language middleware sees the person: DRF's force_authenticate would skip it."""
    from rest_framework.test import APIClient

    default = getattr(request.module, "LANGUAGE", None)  # as for ``login``

    def _api(user=None, language: str | None = None):
        client = APIClient()
        if user is not None:
            speaks(user, language or default)
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _api


@pytest.fixture
def weibo(settings, fresh_sandbox):
    """The app pointed at a freshly reset sandbox (over real HTTP on 127.0.0.1), budgets cleared."""
    from weibo_ops.weibo.budget import default_budget

    settings.WEIBO_API_URL, settings.WEIBO_BIZ_API_URL = fresh_sandbox.url, fresh_sandbox.biz_url
    settings.WEIBO_APP_KEY, settings.WEIBO_APP_SECRET = fresh_sandbox.app_key, fresh_sandbox.app_secret
    settings.WEIBO_SAFE_DOMAIN = fresh_sandbox.safe_domain
    default_budget.cache_clear()
    yield fresh_sandbox
    default_budget.cache_clear()
