"""``manage.py verify_draw``: the draw re-run from the published data alone (no database), as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from campaigns import draw

ROOT = Path(__file__).resolve().parents[2]
SEED = "5f" * 32
UIDS = [str(1000000000 + i * 7919) for i in range(200)]


def run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    # No database and no Redis in the environment: the command must not need them.
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "WEIBO_OPS_REQUIRE_SERVERS"}}
    env["WEIBO_OPS_VAR_DIR"] = str(tmp_path / "var")
    return subprocess.run([sys.executable, "manage.py", "verify_draw", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def published(tmp_path):
    text = draw.participants_text(UIDS)
    (tmp_path / "list.txt").write_text(text)
    winners = draw.winners(UIDS, SEED, 3)
    (tmp_path / "winners.txt").write_text("\n".join(winners) + "\n")
    return tmp_path, draw.digest(text), winners


def test_matching_draw_verifies_and_prints_the_winners(published):
    folder, digest, winners = published
    result = run("--participants", str(folder / "list.txt"), "--seed", SEED, "--winners", "3",
                 "--commitment", draw.seed_commitment(SEED), "--digest", digest,
                 "--expect-winners", str(folder / "winners.txt"), tmp_path=folder)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "participants: 200"
    assert lines[2:5] == [f"  {rank}. {uid}" for rank, uid in enumerate(winners, start=1)]
    assert lines[5:] == ["seed vs commitment: MATCHES", "list vs digest: MATCHES", "winners vs published: MATCHES",
                         "verified: the published data gives the published result."]


def test_a_wrong_seed_is_a_mismatch(published):
    folder, digest, _winners = published
    result = run("--participants", str(folder / "list.txt"), "--seed", "00" * 32, "--winners", "3",
                 "--commitment", draw.seed_commitment(SEED), "--digest", digest,
                 "--expect-winners", str(folder / "winners.txt"), tmp_path=folder)
    assert result.returncode == 1
    assert "seed vs commitment: DOES NOT MATCH" in result.stdout
    assert "winners vs published: DOES NOT MATCH" in result.stdout
    assert "the draw does NOT verify" in result.stderr


def test_a_changed_list_is_a_mismatch(published):
    folder, digest, _winners = published
    (folder / "other.txt").write_text(draw.participants_text(UIDS[:-1]))
    result = run("--participants", str(folder / "other.txt"), "--seed", SEED, "--winners", "3",
                 "--commitment", draw.seed_commitment(SEED), "--digest", digest, tmp_path=folder)
    assert result.returncode == 1
    assert "list vs digest: DOES NOT MATCH" in result.stdout
    assert "winners vs published: not checked" in result.stdout


@pytest.mark.parametrize(("content", "message"), [
    (None, "participants file '{path}' does not exist."),
    ("1001\nalice\n", "participants file '{path}', line 2: 'alice' is not a Weibo uid (digits only)."),
    ("\n\n", "participants file '{path}' holds no uid."),
    (b"\xff\xfe\x00garbage", "cannot read the participants file '{path}'"),
])
def test_a_bad_file_gets_a_clear_error(tmp_path, content, message):
    path = tmp_path / "list.txt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    result = run("--participants", str(path), "--seed", SEED, "--winners", "1",
                 "--commitment", draw.seed_commitment(SEED), tmp_path=tmp_path)
    assert result.returncode == 2
    assert message.format(path=path) in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_commitment_is_refused(published):
    folder, _digest, _winners = published
    result = run("--participants", str(folder / "list.txt"), "--seed", SEED, "--winners", "3",
                 "--commitment", "abc", tmp_path=folder)
    assert result.returncode == 2
    assert "--commitment must be a SHA-256 in hex" in result.stderr
