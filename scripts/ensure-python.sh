#!/usr/bin/env bash
# Says clearly what to install when the Python that the project needs is missing.
set -euo pipefail
python=${1:-python3.11}
if ! command -v "$python" >/dev/null 2>&1; then
  echo "weibo-ops needs Python 3.11 ($python was not found)." >&2
  echo "On Debian/Ubuntu: sudo apt-get install python3.11 python3.11-venv" >&2
  echo "Elsewhere: install Python 3.11 and run: make run PYTHON=/path/to/python3.11" >&2
  exit 1
fi
version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$version" != "3.11" ]; then
  echo "weibo-ops needs Python 3.11; $python is Python $version." >&2
  echo "Install Python 3.11 and run: make run PYTHON=/path/to/python3.11" >&2
  exit 1
fi
