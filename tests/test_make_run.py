"""The first README command, as a newcomer runs it: make run brings up web, worker, beat and the Weibo
sandbox on the embedded defaults, connects the demo accounts to the sandbox through OAuth, and Ctrl-C
(SIGINT to the process group) stops every one of them."""

import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# make run brings its own embedded database and broker whatever the suite runs on: it runs once.
# embedded: make run on the embedded defaults
pytestmark = [pytest.mark.embedded, pytest.mark.worker, pytest.mark.platform_free]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for child in Path(f"/proc/{parent}/task/{parent}/children").read_text().split() if Path(
                f"/proc/{parent}").exists() else []:
            found.add(int(child))
            todo.append(int(child))
    return found


def test_make_run_serves_the_chinese_login_and_ctrl_c_stops_everything(tmp_path):
    port, sandbox_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "SQLITE_PATH"}
           and not k.startswith("WEIBO_")}
    env.update(WEIBO_OPS_VAR_DIR=str(tmp_path / "var"), HEARTBEAT_INTERVAL_SECONDS="1")
    log = open(tmp_path / "make-run.log", "w")  # noqa: SIM115
    # The demo's posts go out 10 and 15 s after start instead of 60 and 90: the same path, less waiting.
    process = subprocess.Popen(["make", "run", f"PORT={port}", f"SANDBOX_PORT={sandbox_port}", "DEMO_DUE_SECONDS=10"],
                               cwd=ROOT, env=env,
                               stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    children: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline:
            try:
                status, body = get(f"http://127.0.0.1:{port}/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        output = (tmp_path / "make-run.log").read_text()
        assert status == 200, output[-3000:]
        assert f"open http://127.0.0.1:{port}/" in output
        assert "operator" in output and "weibo-demo-2026" in output
        status, body = get(f"http://127.0.0.1:{port}/login/")
        assert status == 200
        assert "登录微博运营" in body
        # The sandbox plays Weibo, and every demo account is connected to it through OAuth.
        status, body = get(f"http://127.0.0.1:{sandbox_port}/_sandbox/health")
        assert status == 200 and '"own_accounts":4' in body.replace(" ", "")
        database = tmp_path / "var" / "db.sqlite3"
        connected = 0
        while time.monotonic() < deadline and connected < 4:
            with sqlite3.connect(database, timeout=20) as db:
                connected = db.execute(
                    "SELECT COUNT(*) FROM positioning_weiboconnection WHERE state = 'connected'").fetchone()[0]
            time.sleep(0.5)
        assert connected == 4, (tmp_path / "make-run.log").read_text()[-3000:]
        # The demo's posts due in the first minutes go out to the sandbox through the real worker.
        published = 0
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and published < 3:
            with sqlite3.connect(database, timeout=20) as db:
                published = db.execute("SELECT COUNT(*) FROM content_posttarget WHERE state = 'published' "
                                       "AND mid != ''").fetchone()[0]
            time.sleep(1)
        assert published == 3, (tmp_path / "make-run.log").read_text()[-3000:]
        # The inbox fills from the sandbox: the first poll of every connected account, and the rules route.
        polled, items = 0, 0
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and (polled < 4 or not items):
            with sqlite3.connect(database, timeout=20) as db:
                polled = db.execute("SELECT COUNT(DISTINCT account_id) FROM fans_ingestcursor "
                                    "WHERE polled_at IS NOT NULL").fetchone()[0]
                items = db.execute("SELECT COUNT(*) FROM fans_interaction").fetchone()[0]
            time.sleep(1)
        assert polled == 4 and items > 0, (polled, items, (tmp_path / "make-run.log").read_text()[-3000:])
        # Monitoring hears the brand: every keyword group searched, mentions from the search and the inbox. A post
        # both see is stored once, from whichever stored it first; comments come from the inbox only.
        searched, sources = 0, set()

        def heard() -> bool:
            return "search" in sources and bool(sources & {"mentions", "comments"})

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and (searched < 4 or not heard()):
            with sqlite3.connect(database, timeout=20) as db:
                searched = db.execute("SELECT COUNT(*) FROM sentiment_rulegroup WHERE searched_until IS NOT NULL"
                                      ).fetchone()[0]
                sources = {row[0] for row in db.execute("SELECT DISTINCT source FROM sentiment_mention")}
            time.sleep(1)
        assert searched == 4 and heard(), (
            searched, sources, (tmp_path / "make-run.log").read_text()[-3000:])
        children = descendants(process.pid)
        assert len(children) >= 5  # honcho, web, worker, beat, sandbox (and their children)

        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        process.wait(timeout=30)
        time.sleep(1)
        alive = [pid for pid in children if Path(f"/proc/{pid}").exists()
                 and "zombie" not in Path(f"/proc/{pid}/status").read_text()]
        assert alive == [], f"still running after Ctrl-C: {alive}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
