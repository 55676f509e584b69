"""Start-up with a broken or missing environment stops with a message naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3y-" + "x7Qp9" * 12


def manage(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL",
                                "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    environment.update(WEIBO_OPS_VAR_DIR=str(tmp_path), **env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=120, check=False)


def test_check_deploy_is_clean_in_production_mode(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, DEBUG="0",
                    SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="weibo.example.com")
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
