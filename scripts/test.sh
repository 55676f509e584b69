#!/usr/bin/env bash
# make test: install what the tests need, start private PostgreSQL and Redis servers for this run,
# and run the whole suite twice: on the embedded defaults (SQLite, filesystem broker) and on
# PostgreSQL + Redis, browser tests included. A missing service fails the run; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

say() { printf '\n== %s\n' "$*"; }

# --- 1. System packages -----------------------------------------------------------------------
pg_bin=""
find_pg() {
  pg_bin=""
  local candidate
  for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/pg_ctl" ] && pg_bin=$candidate
  done
  if [ -z "$pg_bin" ] && command -v pg_ctl >/dev/null 2>&1; then pg_bin=$(dirname "$(command -v pg_ctl)"); fi
}
find_pg
missing=()
[ -n "$pg_bin" ] || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
{ command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh | grep -q .; } || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -gt 0 ]; then
  say "Installing system packages: ${missing[*]}"
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "These are missing and this is not a Debian/Ubuntu machine: ${missing[*]}." >&2
    echo "Install a PostgreSQL server (initdb, pg_ctl), redis-server, Chromium at /usr/bin/chromium" >&2
    echo "and a CJK font (Noto Sans CJK), then run make test again." >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "Run as root or install sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  find_pg
  [ -n "$pg_bin" ] || { echo "PostgreSQL was installed but pg_ctl is not found." >&2; exit 1; }
fi

# --- 2. Python packages ------------------------------------------------------------------------
if [ ! -f .venv/.installed-dev ] || [ requirements.txt -nt .venv/.installed-dev ] || [ requirements-dev.txt -nt .venv/.installed-dev ]; then
  say "Installing Python packages"
  bash scripts/venv.sh "${PYTHON:-python3.11}" requirements-dev.txt
  touch .venv/.installed-dev .venv/.installed
fi
py=$root/.venv/bin/python

# --- 3. Private PostgreSQL and Redis ------------------------------------------------------------
run_dir=$(mktemp -d /tmp/weibo-ops-test.XXXXXX)
chmod 755 "$run_dir"
pg_user=""
if [ "$(id -u)" = 0 ]; then
  # PostgreSQL refuses to run as root: run the private server as an unprivileged user.
  if id postgres >/dev/null 2>&1; then pg_user=postgres; else pg_user=nobody; fi
fi
as_pg() { if [ -n "$pg_user" ]; then runuser -u "$pg_user" -- "$@"; else "$@"; fi; }
cleanup() {
  set +e
  [ -f "$run_dir/pg/postmaster.pid" ] && as_pg "$pg_bin/pg_ctl" -D "$run_dir/pg" -m immediate -w stop >/dev/null 2>&1
  if [ -f "$run_dir/redis.pid" ]; then
    redis_pid=$(cat "$run_dir/redis.pid")
    kill "$redis_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$redis_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$run_dir" 2>/dev/null || { sleep 1; rm -rf "$run_dir"; }
}
trap cleanup EXIT INT TERM

free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pg_port=$(free_port)
redis_port=$(free_port)

say "Starting PostgreSQL on 127.0.0.1:$pg_port and Redis on 127.0.0.1:$redis_port (private, in $run_dir)"
mkdir -p "$run_dir/pg" "$run_dir/sock"
[ -n "$pg_user" ] && chown "$pg_user" "$run_dir/pg" "$run_dir/sock"
as_pg "$pg_bin/initdb" -D "$run_dir/pg" -U weibo --auth=trust -E UTF8 --no-locale >"$run_dir/initdb.log" 2>&1 \
  || { cat "$run_dir/initdb.log"; echo "initdb failed" >&2; exit 1; }
as_pg "$pg_bin/pg_ctl" -D "$run_dir/pg" -l "$run_dir/sock/pg.log" -w -t 60 \
  -o "-p $pg_port -k $run_dir/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null || { cat "$run_dir/sock/pg.log"; echo "PostgreSQL did not start" >&2; exit 1; }
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
  --dir "$run_dir" --pidfile "$run_dir/redis.pid" --logfile "$run_dir/redis.log"
for _ in $(seq 50); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -p "$redis_port" ping >/dev/null || { cat "$run_dir/redis.log"; echo "Redis did not start" >&2; exit 1; }

# --- 4. Static checks ---------------------------------------------------------------------------
export WEIBO_OPS_VAR_DIR=$run_dir/var-checks
say "ruff"
.venv/bin/ruff check .
say "Migrations are committed"
"$py" manage.py makemigrations --check --dry-run >/dev/null || { "$py" manage.py makemigrations --check --dry-run; exit 1; }
say "Translations are compiled"
"$py" scripts/compile_messages.py --check

# --- 5. The suite, twice -----------------------------------------------------------------------
pytest_args=("$@")
say "Test suite on the embedded defaults: SQLite, filesystem broker, file cache"
env -u DATABASE_URL -u REDIS_URL WEIBO_OPS_VAR_DIR="$run_dir/var-sqlite" \
  "$py" -m pytest -m "not browser" "${pytest_args[@]}"

# Tests marked platform_free do not use the database, broker or cache the suite runs on (the sentiment model,
# the attack detector on the real cascades, the matcher, the sandbox's own tests, `make run` with its own
# embedded defaults): the embedded pass ran them, and they would only repeat themselves here.
say "Test suite on PostgreSQL and Redis, with the browser tests"
DATABASE_URL="postgres://weibo@127.0.0.1:$pg_port/weibo_ops" \
REDIS_URL="redis://127.0.0.1:$redis_port/0" \
WEIBO_OPS_VAR_DIR="$run_dir/var-postgres" \
WEIBO_OPS_REQUIRE_SERVERS=1 \
  "$py" -m pytest -m "not platform_free" "${pytest_args[@]}"
