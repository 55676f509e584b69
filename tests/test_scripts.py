"""The set-up scripts behind make run and make test say clearly what is missing."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return subprocess.run(["bash", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)


def test_make_run_without_python_3_11_says_what_to_install():
    result = run("scripts/ensure-python.sh", "python-that-does-not-exist")
    assert result.returncode == 1
    assert "weibo-ops needs Python 3.11" in result.stderr
    assert "apt-get install python3.11 python3.11-venv" in result.stderr


def test_make_run_with_another_python_version_says_so(tmp_path):
    fake = tmp_path / "python3.11"
    fake.write_text("#!/bin/sh\necho 3.9\n")
    fake.chmod(0o755)
    result = run("scripts/ensure-python.sh", str(fake))
    assert result.returncode == 1
    assert "is Python 3.9" in result.stderr


def test_the_python_running_the_tests_is_accepted():
    import sys

    assert run("scripts/ensure-python.sh", sys.executable).returncode == 0
