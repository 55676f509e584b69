#!/usr/bin/env bash
# Creates .venv with Python 3.11 when it is missing, and installs a requirements file into it.
set -euo pipefail
python=${1:-python3.11}
requirements=${2:-requirements.txt}
cd "$(dirname "$0")/.."
bash scripts/ensure-python.sh "$python"
if [ ! -x .venv/bin/python ]; then
  if ! "$python" -m venv .venv; then
    rm -rf .venv
    echo "Could not create a virtual environment with $python." >&2
    echo "On Debian/Ubuntu: sudo apt-get install python3.11-venv" >&2
    exit 1
  fi
fi
echo "Installing $requirements into .venv ..."
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
