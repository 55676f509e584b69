"""The Weibo sandbox as a real process for tests: ``sandbox`` (one per session), ``fresh_sandbox`` (reset
before the test) and ``sandbox_with_data`` (replaying the real data in ../shared/data).

Each starts ``python -m weibo_sandbox`` on a free port of 127.0.0.1, waits for /_sandbox/health, and stops it
at the end of the session. Registered for the whole suite with ``pytest_plugins`` in the root conftest."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT.parent / "shared" / "data"  # the shared folder beside the checkout (also in CI)
START_TIMEOUT = 20.0  # seconds for the sandbox to seed its world and answer /_sandbox/health
STOP_TIMEOUT = 10.0  # seconds to shut down cleanly (state saved) before it is killed
APP_KEY, APP_SECRET, SAFE_DOMAIN = "sandbox-app-key", "sandbox-app-secret", "xianmu.example.com"
REDIRECT_URI = "http://127.0.0.1:9/callback"  # never followed: the code is read from the Location header


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SandboxProcess:
    """A running sandbox and the helpers tests need to drive it."""

    def __init__(self, *args: str, seed: int = 7, env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.biz_url = f"{self.url}/c.api.weibo.com"  # the business host (c.api.weibo.com) as the sandbox serves it
        self.app_key, self.app_secret, self.safe_domain = APP_KEY, APP_SECRET, SAFE_DOMAIN
        self.args = ["--port", str(self.port), "--seed", str(seed), *args]
        # stderr to a file, not a pipe: a chatty server must never block on a pipe nobody reads
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process; closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "weibo_sandbox", *self.args],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
            env={**os.environ, **(env or {})},
        )
        self.http = httpx.Client(base_url=self.url, timeout=30, trust_env=False)
        self._wait_until_up()

    def errors(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")[-4000:]

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the sandbox exited with {self.process.returncode}:\n{self.errors()}")
            try:
                if self.http.get("/_sandbox/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the sandbox did not answer within {START_TIMEOUT} s:\n{self.errors()}")

    def admin(self, method: str, path: str, json: object = None) -> dict | list:
        """Call an admin endpoint; a non-2xx answer fails the test with the sandbox's message."""
        response = self.http.request(method, path, json=json)
        if not response.is_success:
            raise AssertionError(f"{method} {path} -> {response.status_code}: {response.text[:500]}")
        return response.json()

    def reset(self) -> None:
        self.admin("POST", "/_sandbox/reset")

    def authorize(self, uid: int | str = 5500000001) -> str:
        """An access token for an own account, through the same OAuth2 requests an app makes."""
        answer = self.http.post(
            "/oauth2/authorize",
            data={"client_id": self.app_key, "redirect_uri": REDIRECT_URI, "state": "s", "uid": str(uid)},
        )
        assert answer.status_code == 302, answer.text
        code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
        token = self.http.post(
            "/oauth2/access_token",
            data={
                "client_id": self.app_key,
                "client_secret": self.app_secret,
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
            },
        )
        assert token.status_code == 200, token.text
        return token.json()["access_token"]

    def stop(self) -> int | None:
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()
        return self.process.returncode


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxProcess]:
    data_dir = os.environ.get("WEIBO_SANDBOX_DATA_DIR")
    running = SandboxProcess(*(["--data-dir", data_dir] if data_dir else []))
    yield running
    running.stop()


@pytest.fixture
def fresh_sandbox(sandbox: SandboxProcess) -> SandboxProcess:
    sandbox.reset()
    return sandbox


@pytest.fixture(scope="session")
def sandbox_with_data() -> Iterator[SandboxProcess]:
    if not DATA_DIR.is_dir():
        pytest.fail(f"the real Weibo data is missing: expected {DATA_DIR} (shared/data beside the checkout)")
    running = SandboxProcess("--data-dir", str(DATA_DIR))
    yield running
    running.stop()
