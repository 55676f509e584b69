"""Settings for weibo-ops.

Everything comes from the environment with safe local defaults (see README, "Configuration").
With no variables set the app is self-contained: SQLite and Celery's filesystem broker under
``var/``, Django's file cache. ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis.
A variable that is set but malformed stops start-up with a message naming it.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1 or 0 (true/false, yes/no, on/off).")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


VAR_DIR = Path(os.environ.get("WEIBO_OPS_VAR_DIR") or BASE_DIR / "var").resolve()
# The test suite runs in parallel processes (pytest-xdist names each in PYTEST_XDIST_WORKER: gw0, gw1, ...):
# each gets a var/ folder of its own, and below a Redis database of its own, so that one process's cache
# flush, queued task or SQLite file never reaches another's. tests/conftest.py hands the result on to the
# processes a test starts.
TEST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if TEST_WORKER:
    VAR_DIR = VAR_DIR / TEST_WORKER
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)


def _local_secret(name: str, make) -> str:
    """A secret generated once into ``var/`` for local mode, readable only by this user."""
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "")
    if key:
        if not DEBUG and (len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure")):
            raise ImproperlyConfigured(
                "SECRET_KEY is too weak for production: use at least 50 random characters, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
            )
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production mode (DEBUG=0) needs it: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )
    # Local mode: a random key kept in var/ so that sessions survive a restart.
    return _local_secret("secret_key", lambda: secrets.token_urlsafe(50))


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is not set. Production mode (DEBUG=0) needs the host names the app is "
        "served under, comma separated, e.g. ALLOWED_HOSTS=weibo.example.com."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "axes",
    "weibo_ops",
    "weibo_ops.weibo",
    "team",
    "positioning",
    "content",
    "campaigns",
    "fans",
    "sentiment",
    "reports",
    "promotion",
    "partnerships",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The person's language, not the browser's (instead of Django's LocaleMiddleware); reads the person.
    "team.middleware.PersonLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "weibo_ops.urls"
WSGI_APPLICATION = "weibo_ops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "weibo_ops.context_processors.navigation",
                "team.context_processors.notices",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    scheme = urlparse(DATABASE_URL).scheme
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL has the scheme {scheme!r}; use postgres://USER:PASSWORD@HOST:PORT/NAME "
            "(or leave it unset for the embedded SQLite database)."
        )
    try:
        _db = dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:  # dj-database-url raises plain ValueErrors of several kinds
        raise ImproperlyConfigured(f"DATABASE_URL cannot be read: {exc}") from None
    if _db["ENGINE"].endswith("postgresql") and not _db.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL names no database: add /NAME at the end.")
    DATABASES = {"default": _db}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": Path(os.environ.get("SQLITE_PATH") or VAR_DIR / "db.sqlite3"),
            # Tests use a file, not memory, so that a real worker process can open the same one.
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
            "OPTIONS": {
                # The web server, the worker and beat share this file: WAL lets readers go on
                # while one writes, IMMEDIATE takes the write lock up front instead of failing
                # half-way through a transaction, and the timeout waits for it (seconds).
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker, results and cache -------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL and urlparse(REDIS_URL).scheme not in {"redis", "rediss", "unix"}:
    raise ImproperlyConfigured(
        f"REDIS_URL={REDIS_URL.split('@')[-1]!r} is not a Redis URL: use redis://HOST:PORT/DB."
    )
if REDIS_URL and TEST_WORKER:
    _redis = urlparse(REDIS_URL)
    if _redis.scheme == "unix":
        raise ImproperlyConfigured("Parallel tests give each process a Redis database of its own: "
                                   "give REDIS_URL as redis://HOST:PORT/N, not a unix socket.")
    _redis_db = int(_redis.path.strip("/") or 0) + 1 + int(re.sub(r"\D", "", TEST_WORKER) or 0)
    if _redis_db > 15:
        raise ImproperlyConfigured(
            f"Parallel tests give each process a Redis database of its own: {TEST_WORKER} would need database "
            f"{_redis_db} of Redis's 16. Use REDIS_URL=redis://HOST:PORT/0 or fewer test processes."
        )
    REDIS_URL = _redis._replace(path=f"/{_redis_db}").geturl()

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "weibo-ops",
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}  # seconds; longest task
else:
    _celery_dir = VAR_DIR / "celery"
    for _sub in ("queue", "processed", "control"):
        (_celery_dir / _sub).mkdir(parents=True, exist_ok=True)
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT = "weibo_ops.broker:Transport"  # kombu's, with atomic writes (see broker.py)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_celery_dir / "control"),
        "polling_interval": 0.1,  # seconds between looks at the queue folder
    }
    CELERY_RESULT_BACKEND = None

CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task is acknowledged after it ran, so a killed worker's task is delivered again; services
# are written to be safe to run twice (CONVENTIONS, habit 4).
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "weibo_ops.beat:HeartbeatScheduler"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

# How often the worker and beat say they are alive, and after how long /healthz calls them down.
HEARTBEAT_INTERVAL = timedelta(seconds=env_int("HEARTBEAT_INTERVAL_SECONDS", 10, minimum=1))
HEARTBEAT_STALE_AFTER = timedelta(seconds=env_int("HEARTBEAT_STALE_SECONDS", 45, minimum=2))
# Content publishing.
# A target "publishing" for longer than this was left by a killed worker: it is checked with Weibo
# and, only if Weibo does not have it, sent again.
CONTENT_PUBLISH_STALE_SECONDS = env_int("CONTENT_PUBLISH_STALE_SECONDS", 300, minimum=5)
CONTENT_DISPATCH_SECONDS = env_int("CONTENT_DISPATCH_SECONDS", 2, minimum=1)  # how often due targets are queued
# A queued target whose task was lost (a killed worker held it) is queued again after this long unclaimed.
# More than content.publishing.LOOKAHEAD (5 s), or a task waiting for its ETA would count as lost.
CONTENT_REDISPATCH_SECONDS = env_int("CONTENT_REDISPATCH_SECONDS", 60, minimum=10)
# Posts one account sends in a minute at most: our own pacing. Weibo answers posting "too fast" with
# 20016 (and we then hold the account's posting for an hour) but publishes no number for it; 5 a minute
# is a cautious choice. The sandbox's post_burst_limit is its own setting, never read from here.
CONTENT_POSTS_PER_MINUTE = env_int("CONTENT_POSTS_PER_MINUTE", 5, minimum=1)

# A task with an ETA (a post due in a few seconds) starts within this many seconds of it; Celery's
# default of 1 s would make every scheduled post up to a second late.
CELERY_WORKER_TIMER_PRECISION = 0.1

# Fan interaction. Polling reads three list endpoints per account per poll; at the default 3 minutes
# that is 60 of an account's 150 calls an hour (WEIBO_API.md asks for 3-5 minutes at most).
FANS_POLL_SECONDS = env_int("FANS_POLL_SECONDS", 180, minimum=1)
# Beat looks for accounts due a poll this often: a newly connected account is read within a tick.
FANS_POLL_TICK_SECONDS = min(FANS_POLL_SECONDS, env_int("FANS_POLL_TICK_SECONDS", 30, minimum=1))
FANS_POLL_PAGES = env_int("FANS_POLL_PAGES", 3, minimum=1)  # pages of 200 per source per poll
FANS_POLL_RESERVE_CALLS = env_int("FANS_POLL_RESERVE_CALLS", 30, minimum=0)  # kept for replies and publishing
FANS_INGEST_LEASE_SECONDS = env_int("FANS_INGEST_LEASE_SECONDS", 120, minimum=5)  # a killed poller's hold
FANS_PUSH_SECONDS = env_int("FANS_PUSH_SECONDS", 5, minimum=1)  # how often pushed messages become items
FANS_REPLY_STALE_SECONDS = env_int("FANS_REPLY_STALE_SECONDS", 300, minimum=5)
FANS_SLA_NEAR_MINUTES = env_int("FANS_SLA_NEAR_MINUTES", 30, minimum=1)  # "about to breach" this long before
FANS_PROFILE_DAYS = env_int("FANS_PROFILE_DAYS", 7, minimum=1)  # a fan's profile is read again after this
FANS_PROFILE_BATCH = env_int("FANS_PROFILE_BATCH", 20, minimum=1)  # users/show calls per run (every 5 min)

# Opinion monitoring (sentiment/).
SENTIMENT_MODEL_DIR = Path(os.environ.get("SENTIMENT_MODEL_DIR") or BASE_DIR / "sentiment" / "model")
SENTIMENT_SEARCH_SECONDS = env_int("SENTIMENT_SEARCH_SECONDS", 300, minimum=1)  # Weibo: poll every 3–5 min at most
SENTIMENT_SEARCH_PAGES = env_int("SENTIMENT_SEARCH_PAGES", 3, minimum=1)  # pages of 50 per term per poll
SENTIMENT_SEARCH_RESERVE_CALLS = env_int("SENTIMENT_SEARCH_RESERVE_CALLS", 40, minimum=0)  # left for the rest
SENTIMENT_SEARCH_FIRST_HOURS = env_int("SENTIMENT_SEARCH_FIRST_HOURS", 24, minimum=1)  # a new group looks back
SENTIMENT_PIPELINE_BATCH = env_int("SENTIMENT_PIPELINE_BATCH", 500, minimum=1)  # raw items per pipeline run
SENTIMENT_CASCADE_SECONDS = env_int("SENTIMENT_CASCADE_SECONDS", 120, minimum=1)  # a watched post's reposts
SENTIMENT_CASCADE_WATCH_HOURS = env_int("SENTIMENT_CASCADE_WATCH_HOURS", 48, minimum=1)  # how long a post is watched
SENTIMENT_CASCADE_MIN_REPOSTS = env_int("SENTIMENT_CASCADE_MIN_REPOSTS", 20, minimum=1)  # a negative post worth it
SENTIMENT_INCIDENT_REGRADE_SECONDS = env_int("SENTIMENT_INCIDENT_REGRADE_SECONDS", 60, minimum=5)
CAMPAIGNS_TICK_SECONDS = env_int("CAMPAIGNS_TICK_SECONDS", 60, minimum=1)  # beat: due harvests, go live, overdue
CAMPAIGNS_HARVEST_SECONDS = env_int("CAMPAIGNS_HARVEST_SECONDS", 120, minimum=1)  # between reads of one campaign post
# The correction loop (sentiment/retraining.py): the model fine-tuned on people's corrections, nightly at this hour
# (Beijing time), written here; the public held-out sets it is measured on, when present.
SENTIMENT_TUNED_MODEL_DIR = Path(os.environ.get("SENTIMENT_TUNED_MODEL_DIR") or VAR_DIR / "sentiment-model")
SENTIMENT_DATA_DIR = Path(os.environ.get("SENTIMENT_DATA_DIR") or BASE_DIR.parent / "shared" / "data" / "sentiment")
SENTIMENT_RETRAIN_HOUR = env_int("SENTIMENT_RETRAIN_HOUR", 3, minimum=0)  # 0-23: quiet hours
if SENTIMENT_RETRAIN_HOUR > 23:
    raise ImproperlyConfigured("SENTIMENT_RETRAIN_HOUR must be an hour from 0 to 23")

CELERY_BEAT_SCHEDULE = {
    "heartbeat": {
        "task": "weibo_ops.heartbeat",  # weibo_ops.celery.HEARTBEAT_TASK; settings import no app code
        "schedule": HEARTBEAT_INTERVAL,
        # A heartbeat nobody ran in time is worthless: drop it rather than pile them up.
        "options": {"expires": HEARTBEAT_INTERVAL.total_seconds()},
    },
    "content-dispatch": {
        "task": "content.targets_dispatch",  # content.tasks.DISPATCH_TASK
        "schedule": timedelta(seconds=CONTENT_DISPATCH_SECONDS),
        "options": {"expires": 10},  # seconds: a late dispatch is replaced by the next one
    },
    "content-metrics": {
        "task": "content.metrics_collect",  # content.tasks.METRICS_TASK
        # The shortest reading interval of content.metrics.SCHEDULE is 10 minutes.
        "schedule": timedelta(minutes=env_int("CONTENT_METRICS_MINUTES", 5, minimum=1)),
        "options": {"expires": 240},  # seconds: a missed run is replaced by the next one
    },
    "fans-poll": {
        "task": "fans.inbox_poll",  # fans.tasks.POLL_TASK
        "schedule": timedelta(seconds=FANS_POLL_TICK_SECONDS),
        "options": {"expires": FANS_POLL_TICK_SECONDS},  # seconds: a late tick is replaced by the next one
    },
    "fans-pushes": {
        "task": "fans.pushes_ingest",  # fans.tasks.PUSHES_TASK
        "schedule": timedelta(seconds=FANS_PUSH_SECONDS),
        "options": {"expires": 30},
    },
    "fans-sweep": {
        "task": "fans.sweep",  # fans.tasks.SWEEP_TASK: lost replies, overdue tickets
        "schedule": timedelta(minutes=1),
        "options": {"expires": 60},
    },
    "fans-profiles": {
        "task": "fans.profiles_refresh",  # fans.tasks.PROFILES_TASK
        "schedule": timedelta(minutes=5),
        "options": {"expires": 240},
    },
    "fans-revisits": {
        "task": "fans.revisits_notify",  # fans.tasks.REVISITS_TASK: due revisits of loyal fans
        "schedule": timedelta(hours=1),
        "options": {"expires": 3000},  # seconds: a missed run is replaced by the next one
    },
    "sentiment-search": {
        "task": "sentiment.search_poll",  # sentiment.tasks.SEARCH_TASK
        "schedule": timedelta(seconds=min(SENTIMENT_SEARCH_SECONDS, 30)),  # each group is due once per interval
        "options": {"expires": 30},
    },
    "sentiment-pipeline": {
        "task": "sentiment.pipeline_run",  # sentiment.tasks.PIPELINE_TASK: anything a lost enqueue left
        "schedule": timedelta(seconds=30),
        "options": {"expires": 30},
    },
    "sentiment-cascades": {
        "task": "sentiment.cascades_poll",  # sentiment.tasks.CASCADES_TASK
        "schedule": timedelta(seconds=min(SENTIMENT_CASCADE_SECONDS, 30)),
        "options": {"expires": 30},
    },
    "sentiment-retrain": {
        "task": "sentiment.corrections_retrain",  # sentiment.tasks.RETRAIN_TASK: nightly, skips if nothing new
        "schedule": crontab(hour=SENTIMENT_RETRAIN_HOUR, minute=30),
        "options": {"expires": 3600},  # seconds: a run missed by an hour waits for the next night
    },
    "sentiment-incidents": {
        "task": "sentiment.incidents_regrade",  # sentiment.tasks.REGRADE_TASK: grades, overdue steps
        "schedule": timedelta(seconds=SENTIMENT_INCIDENT_REGRADE_SECONDS),
        "options": {"expires": 60},
    },
    "campaigns-harvest": {
        "task": "campaigns.harvests_poll",  # campaigns.tasks.HARVESTS_TASK: reposts and comments of live campaigns
        "schedule": timedelta(seconds=CAMPAIGNS_TICK_SECONDS),  # each post is read every CAMPAIGNS_HARVEST_SECONDS
        "options": {"expires": 60},
    },
    "campaigns-tick": {
        "task": "campaigns.tick",  # campaigns.tasks.TICK_TASK: go live, overdue tasks, pin reminders
        "schedule": timedelta(seconds=CAMPAIGNS_TICK_SECONDS),
        "options": {"expires": 60},
    },
    "weibo-connections-check": {
        "task": "positioning.weibo_connections_check",  # positioning.tasks.CHECK_CONNECTIONS_TASK
        # get_token_info spends no rate budget; a lost authorisation is found within this time.
        "schedule": timedelta(minutes=env_int("WEIBO_CONNECTION_CHECK_MINUTES", 15, minimum=1)),
        "options": {"expires": 600},  # seconds: a missed check is replaced by the next one
    },
    "weibo-tokens-expiry-warn": {
        "task": "positioning.weibo_tokens_expiry_warn",  # positioning.tasks.EXPIRY_WARN_TASK
        "schedule": timedelta(hours=1),  # warnings are days ahead; each token is warned about once
        "options": {"expires": 3000},  # seconds: a missed run is replaced by the next one
    },
}

# --- Authentication and login throttling ----------------------------------------------------
AUTH_USER_MODEL = "team.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "reports:dashboard"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)  # failed logins before lockout
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
# Lock the pair, not the whole IP: one office shares an address, and a colleague's typos must
# not lock everyone out.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)  # reverse proxies that append to X-Forwarded-For
# The same address for lockouts as for the audit log (weibo_ops.requests.client_ip).
AXES_CLIENT_IP_CALLABLE = "weibo_ops.requests.client_ip"

SESSION_COOKIE_AGE = 60 * 60 * 12  # seconds: one working day
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or VAR_DIR / "media")
MEDIA_URL = "/media/"

# --- REST API -------------------------------------------------------------------------------
API_RATE = os.environ.get("API_RATE", "600/minute").strip()
if not re.fullmatch(r"[1-9]\d*/(s|sec|second|m|min|minute|h|hour|d|day)", API_RATE):
    raise ImproperlyConfigured(f"API_RATE={API_RATE!r} is not a rate: write calls per period, e.g. 600/minute.")
REST_FRAMEWORK = {
    # Token first, so that a call without credentials gets 401 with "WWW-Authenticate: Token".
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "team.api.authentication.PersonTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "weibo_ops.api.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "weibo_ops.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": API_RATE},
}
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env_int("API_TOKEN_DAYS", 90, minimum=1)),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "weibo-ops API",
    "DESCRIPTION": "REST API of weibo-ops: the brand, its Weibo account matrix and its operation.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],  # not for anonymous visitors
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Posts and targets both have a "state" with their own choices: name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "PostStateEnum": "content.models.PostState",
        "TargetStateEnum": "content.models.TargetState",
        # Inbox items, replies and tickets each have a "state" too; kinds and priorities recur in rules.
        "InboxStateEnum": "fans.models.State",
        "ReplyStateEnum": "fans.models.ReplyState",
        "TicketStateEnum": "fans.models.TicketState",
        "InboxKindEnum": "fans.models.Kind",
        "PriorityEnum": "fans.models.Priority",
        "BulkActionEnum": ["assign", "tag", "untag", "close"],
        # Monitoring has its own sources, kinds, types and states beside the inbox's.
        "InboxSourceEnum": "fans.models.Source",
        "GroupKindEnum": "sentiment.models.GroupKind",
        "AlertKindEnum": "sentiment.models.AlertKind",
        "IncidentTypeEnum": "sentiment.models.IncidentType",
        "IncidentStateEnum": "sentiment.models.IncidentState",
        "MentionSourceEnum": "sentiment.models.MentionSource",
        "SentimentEnum": "sentiment.models.Sentiment",
        # Campaigns: activities, campaigns, tasks, prizes and prize delivery each have a "state".
        "ActivityStateEnum": "campaigns.models.ActivityState",
        "CampaignStateEnum": "campaigns.models.CampaignState",
        "TaskStateEnum": "campaigns.models.TaskState",
        "PrizeStateEnum": "campaigns.models.PrizeState",
        "DeliveryStateEnum": "campaigns.models.DeliveryState",
        # Team: absences have a kind, handovers a state.
        "AbsenceKindEnum": "team.models.AbsenceKind",
        "HandoverStateEnum": "team.models.HandoverState",
    },
}

# --- Production hardening -------------------------------------------------------------------
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "weibo-ops@localhost")
# People get in-app notices always; email as well only when a mail backend has been configured.
EMAIL_NOTIFICATIONS = env_bool("EMAIL_NOTIFICATIONS", "EMAIL_BACKEND" in os.environ or "EMAIL_HOST" in os.environ)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)

# Outgoing webhooks go only to addresses on the internet (weibo_ops/webhooks.py); tests and the local demo turn
# this on to deliver to a receiver on 127.0.0.1. Never in production: any private address would become callable.
WEBHOOK_ALLOW_PRIVATE = env_bool("WEIBO_OPS_WEBHOOK_ALLOW_PRIVATE", False)

# --- Weibo ----------------------------------------------------------------------------------
# Locally every Weibo call goes to the sandbox (weibo_sandbox/) that `make run` starts; in
# production to the real platform. Only the base URLs differ: the same client speaks to both.
WEIBO_SANDBOX_PORT = env_int("WEIBO_SANDBOX_PORT", 8100, minimum=1)
_sandbox_url = f"http://127.0.0.1:{WEIBO_SANDBOX_PORT}"
WEIBO_API_URL = os.environ.get("WEIBO_API_URL", _sandbox_url if DEBUG else "https://api.weibo.com").rstrip("/")
# The business API's host (c.api.weibo.com); the sandbox serves it under /c.api.weibo.com.
WEIBO_BIZ_API_URL = os.environ.get(
    "WEIBO_BIZ_API_URL",
    f"{_sandbox_url}/c.api.weibo.com" if _sandbox_url == WEIBO_API_URL else "https://c.api.weibo.com",
).rstrip("/")
for _name, _url in (("WEIBO_API_URL", WEIBO_API_URL), ("WEIBO_BIZ_API_URL", WEIBO_BIZ_API_URL)):
    if urlparse(_url).scheme not in {"http", "https"} or not urlparse(_url).netloc:
        raise ImproperlyConfigured(f"{_name}={_url!r} is not an http(s) URL, e.g. https://api.weibo.com.")
WEIBO_USES_SANDBOX = _sandbox_url == WEIBO_API_URL
# The sandbox's own app key; the real platform's come from the app registered at open.weibo.com.
WEIBO_APP_KEY = os.environ.get("WEIBO_APP_KEY", "sandbox-app-key" if WEIBO_USES_SANDBOX else "")
WEIBO_APP_SECRET = os.environ.get("WEIBO_APP_SECRET", "sandbox-app-secret" if WEIBO_USES_SANDBOX else "")
if not (WEIBO_APP_KEY and WEIBO_APP_SECRET):
    raise ImproperlyConfigured(
        "WEIBO_APP_KEY and WEIBO_APP_SECRET are needed to talk to the Weibo platform at "
        f"{WEIBO_API_URL}: copy them from your app at open.weibo.com (or leave WEIBO_API_URL unset "
        "locally to use the sandbox)."
    )
# Where Weibo sends people back after they authorise an account; must match the callback registered
# at open.weibo.com. Unset, it is derived from the request (fine locally and behind a correct proxy).
WEIBO_CALLBACK_URL = os.environ.get("WEIBO_CALLBACK_URL", "").strip()
# statuses/share only accepts text that links to the app's registered safe domain.
WEIBO_SAFE_DOMAIN = os.environ.get("WEIBO_SAFE_DOMAIN", "xianmu.example.com").strip().lower()
WEIBO_TIMEOUT = env_int("WEIBO_TIMEOUT_SECONDS", 10, minimum=1)  # seconds per HTTP call
# Days before a token's expiry that its account's owner and managers are warned (once per token).
WEIBO_TOKEN_EXPIRY_WARN_DAYS = env_int("WEIBO_TOKEN_EXPIRY_WARN_DAYS", 3, minimum=1)
# The server's outbound address, naming the per-IP budget that all processes share.
WEIBO_SERVER_IP = os.environ.get("WEIBO_SERVER_IP", "default").strip() or "default"


def _rate_limits(raw: str) -> dict[str, int]:
    """``calls=150,posts=30,...``: Weibo's hourly limits per account (and ``ip`` per server, ``biz`` the
    business API's per server IP)."""
    limits = {"calls": 150, "posts": 30, "comments": 60, "messages": 60, "ip": 10000, "biz": 50000}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, _, value = item.partition("=")
        if name.strip() not in limits or not value.strip().isascii() or not value.strip().isdigit() or int(value) < 1:
            raise ImproperlyConfigured(
                f"WEIBO_RATE_LIMITS has {item!r}: write name=calls per hour with names among "
                f"{', '.join(limits)}, e.g. calls=150,posts=30."
            )
        limits[name.strip()] = int(value)
    return limits


WEIBO_RATE_LIMITS = _rate_limits(os.environ.get("WEIBO_RATE_LIMITS", ""))


def _token_keys() -> list[str]:
    """Fernet keys for the Weibo tokens at rest: the first encrypts, every one decrypts (rotation)."""
    from cryptography.fernet import Fernet

    raw = os.environ.get("WEIBO_TOKEN_KEYS", "").strip()
    if not raw:
        if not DEBUG:
            raise ImproperlyConfigured(
                "WEIBO_TOKEN_KEYS is not set. Production mode (DEBUG=0) needs the key that encrypts "
                "Weibo tokens at rest: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'."
            )
        raw = _local_secret("weibo_token_key", lambda: Fernet.generate_key().decode())
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    for key in keys:
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                "WEIBO_TOKEN_KEYS holds a key that is not a Fernet key (32 url-safe base64-encoded "
                "bytes); generate one with cryptography's Fernet.generate_key()."
            ) from None
    return keys


WEIBO_TOKEN_KEYS = _token_keys()
# Weibo signs fan-service pushes with the app secret (open.weibo.com wiki, "消息推送服务"). A
# separate secret is only for an account whose fan-service developer mode shows another one.
if os.environ.get("WEIBO_PUSH_TOKEN", "").strip():
    raise ImproperlyConfigured(
        "WEIBO_PUSH_TOKEN is no longer read: Weibo signs fan-service pushes with the app secret "
        "(WEIBO_APP_SECRET). Remove WEIBO_PUSH_TOKEN; set WEIBO_PUSH_SECRET only if the fan-service "
        "page at open.weibo.com shows a different secret."
    )
WEIBO_PUSH_SECRET = os.environ.get("WEIBO_PUSH_SECRET", "").strip()  # empty: WEIBO_APP_SECRET signs
# Where the sandbox replays real Weibo posts and cascades from (tests, benchmarks); unset, it uses
# its own demo corpus.
WEIBO_SANDBOX_DATA_DIR = os.environ.get("WEIBO_SANDBOX_DATA_DIR", "").strip()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes announces itself on every start at INFO; its warnings (lockouts) still show.
    # httpx logs every request at INFO: the Weibo client's calls would drown the worker's log.
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}

# Peer benchmarks (positioning/benchmarks.py): read hourly until every subject has yesterday's row.
BENCHMARK_RESERVE_CALLS = env_int("BENCHMARK_RESERVE_CALLS", 40, minimum=0)  # of an account's hour: never spent
# The brand's app has the paid business API (c.api.weibo.com): peers' posts are read through its search.
BENCHMARK_BUSINESS_SEARCH = env_bool("BENCHMARK_BUSINESS_SEARCH", True)
CELERY_BEAT_SCHEDULE["positioning-benchmarks"] = {
    "task": "positioning.benchmarks_snapshot",  # positioning.tasks.BENCHMARKS_TASK
    "schedule": timedelta(hours=1),
    "options": {"expires": 3000},  # seconds: a missed run is replaced by the next one
}

# --- Duty roster (issue 17) -----------------------------------------------------------------------------------
CELERY_BEAT_SCHEDULE["fans-sla-uncovered"] = {
    "task": "fans.sla_uncovered",  # fans.tasks.UNCOVERED_TASK: a reply about to be late with nobody on inbox duty
    "schedule": timedelta(minutes=1),
    "options": {"expires": 60},  # seconds: a missed run is replaced by the next one
}
