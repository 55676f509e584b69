#!/usr/bin/env bash
# Proves that requirements.txt alone is a working production install: a virtual environment with
# nothing else in it (.venv-production/, rebuilt only when requirements.txt changes) passes
# `manage.py check --deploy` in production mode against PostgreSQL and Redis, loads the app in
# gunicorn, and starts a Celery worker on Redis that answers a ping and runs a task sent through
# the broker. A package that only the test requirements bring in fails here, not in production.
#
#   scripts/check_production_install.sh DATABASE_URL REDIS_URL
#
# The database must exist (nothing is written to it); the Redis database is used for one task.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
database_url=${1:?usage: $0 DATABASE_URL REDIS_URL}
redis_url=${2:?usage: $0 DATABASE_URL REDIS_URL}
python=${PYTHON:-python3.11}
venv=$root/.venv-production

if [ ! -f "$venv/.installed" ] || [ requirements.txt -nt "$venv/.installed" ]; then
  echo "Building $venv from requirements.txt alone ..."
  bash scripts/ensure-python.sh "$python"
  rm -rf "$venv"  # from scratch: a package dropped from requirements.txt must not linger
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
  touch "$venv/.installed"
fi

work=$(mktemp -d /tmp/weibo-ops-production.XXXXXX)
worker_pid=""
finish() {
  set +e
  if [ -n "$worker_pid" ] && kill -0 "$worker_pid" 2>/dev/null; then
    kill "$worker_pid"
    for _ in $(seq 100); do kill -0 "$worker_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$worker_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap finish EXIT INT TERM

# Production mode with only what the settings ask for: nothing from the developer's environment.
secret_key=$("$venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))')
token_key=$("$venv/bin/python" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')
production=(env -i "PATH=$venv/bin:/usr/local/bin:/usr/bin:/bin" "HOME=$work" "LANG=C.UTF-8"
  DEBUG=0 "SECRET_KEY=$secret_key" ALLOWED_HOSTS=weibo.example.com
  WEIBO_APP_KEY=production-check WEIBO_APP_SECRET=production-check "WEIBO_TOKEN_KEYS=$token_key"
  "DATABASE_URL=$database_url" "REDIS_URL=$redis_url"
  "WEIBO_OPS_VAR_DIR=$work/var")

echo "manage.py check --deploy (production settings, PostgreSQL, Redis)"
"${production[@]}" python manage.py check --deploy --database default --fail-level WARNING

echo "gunicorn loads the app"
"${production[@]}" gunicorn --check-config weibo_ops.wsgi

echo "Celery worker on Redis"
node="production-check-$$@$(hostname)"
"${production[@]}" celery -A weibo_ops worker --pool threads --concurrency 1 --hostname "$node" \
  --loglevel WARNING >"$work/worker.log" 2>&1 &
worker_pid=$!
answered=""
for _ in $(seq 30); do
  kill -0 "$worker_pid" 2>/dev/null || break
  if "${production[@]}" celery -A weibo_ops inspect ping --destination "$node" --timeout 1 >/dev/null 2>&1; then
    answered=1
    break
  fi
done
if [ -z "$answered" ]; then
  cat "$work/worker.log" >&2
  echo "The Celery worker installed from requirements.txt alone did not start or answer a ping." >&2
  exit 1
fi
# A task through the broker, run by the worker, seen in the cache: the whole path /healthz reads.
"${production[@]}" python manage.py shell -v 0 -c '
import time
from django.core.cache import cache
from weibo_ops.celery import HEARTBEAT_TASK, QUEUE_HEARTBEAT_KEY, app
cache.delete(QUEUE_HEARTBEAT_KEY)
app.send_task(HEARTBEAT_TASK)
deadline = time.monotonic() + 20  # seconds
while cache.get(QUEUE_HEARTBEAT_KEY) is None:
    if time.monotonic() > deadline:
        raise SystemExit("The worker did not run a task sent through Redis within 20 s.")
    time.sleep(0.1)
' || { cat "$work/worker.log" >&2; exit 1; }
kill "$worker_pid"
wait "$worker_pid" || { cat "$work/worker.log" >&2; echo "The Celery worker did not stop cleanly." >&2; exit 1; }
worker_pid=""
echo "The production install (requirements.txt alone) works."
