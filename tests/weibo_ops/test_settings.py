"""Start-up with a broken or missing environment stops with a message naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.embedded  # the embedded defaults are what these settings produce

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3y-" + "x7Qp9" * 12
FERNET_KEY = "p2P0d3Yx1m3W2gmUj2nDYHgbT0S3XVB1x0J8q3cH1wA="
PRODUCTION = {"DEBUG": "0", "SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "weibo.example.com",
              "WEIBO_APP_KEY": "123456", "WEIBO_APP_SECRET": "s3cret", "WEIBO_TOKEN_KEYS": FERNET_KEY}


def manage(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL",
                                "DJANGO_ALLOW_ASYNC_UNSAFE"} and not k.startswith("WEIBO_")}
    environment.update(WEIBO_OPS_VAR_DIR=str(tmp_path), **env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=120, check=False)


def test_check_deploy_is_clean_in_production_mode(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(("env", "named"), [
    ({"DEBUG": "0", "ALLOWED_HOSTS": "weibo.example.com"}, "SECRET_KEY is not set"),
    ({"DEBUG": "0", "SECRET_KEY": "short"}, "SECRET_KEY is too weak"),
    ({"DEBUG": "0", "SECRET_KEY": STRONG_KEY}, "ALLOWED_HOSTS is not set"),
    ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
    ({"DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL has the scheme 'mysql'"),
    ({"DATABASE_URL": "postgres://u@h:5432"}, "DATABASE_URL names no database"),
    ({"REDIS_URL": "http://localhost:6379"}, "REDIS_URL="),
    ({"LOGIN_FAILURE_LIMIT": "many"}, "LOGIN_FAILURE_LIMIT='many' is not a whole number"),
    ({"API_RATE": "lots"}, "API_RATE='lots' is not a rate"),
    ({**PRODUCTION, "WEIBO_APP_SECRET": ""}, "WEIBO_APP_KEY and WEIBO_APP_SECRET are needed"),
    ({**PRODUCTION, "WEIBO_TOKEN_KEYS": ""}, "WEIBO_TOKEN_KEYS is not set"),
    ({"WEIBO_TOKEN_KEYS": "not-a-key"}, "WEIBO_TOKEN_KEYS holds a key that is not a Fernet key"),
    ({"WEIBO_RATE_LIMITS": "calls=lots"}, "WEIBO_RATE_LIMITS has 'calls=lots'"),
    ({"WEIBO_RATE_LIMITS": "tweets=3"}, "WEIBO_RATE_LIMITS has 'tweets=3'"),
    ({"WEIBO_API_URL": "api.weibo.com"}, "WEIBO_API_URL='api.weibo.com' is not an http(s) URL"),
    ({"WEIBO_PUSH_TOKEN": "old-token"}, "WEIBO_PUSH_TOKEN is no longer read"),
])
def test_a_bad_environment_stops_start_up_naming_the_variable(tmp_path, env, named):
    result = manage("check", tmp_path=tmp_path, **env)
    assert result.returncode != 0
    assert named in result.stderr


def test_local_mode_keeps_its_generated_secret_key(tmp_path):
    assert manage("check", tmp_path=tmp_path).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert manage("check", tmp_path=tmp_path).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    # The Weibo token key is generated the same way, readable only by this user. Pushes are signed with the
    # app secret: no push token is generated.
    assert oct((tmp_path / "weibo_token_key").stat().st_mode & 0o777) == "0o600"
    assert not (tmp_path / "weibo_push_token").exists()
