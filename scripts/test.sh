#!/usr/bin/env bash
# make test: install what the tests need, start private PostgreSQL and Redis servers for this run,
# and run the whole suite on PostgreSQL + Redis, browser tests included, and the tests marked
# `embedded` (what behaves differently there) on the embedded defaults: SQLite, filesystem broker,
# file cache; and first checks that requirements.txt alone is a working production install (a clean
# venv, check --deploy, a Celery worker on Redis). A missing service fails the run; nothing is
# skipped. Each stage's wall time is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

say() { printf '\n== %s\n' "$*"; }
stages=()
stage_started=$SECONDS
stage_name=""
stage() {  # stage NAME: ends the stage before (its wall time is kept) and starts NAME
  [ -n "$stage_name" ] && stages+=("$(printf '%-44s %4d s' "$stage_name" $((SECONDS - stage_started)))")
  stage_name=$1
  stage_started=$SECONDS
}
times_print() {
  [ ${#stages[@]} -gt 0 ] || [ -n "$stage_name" ] || return 0
  [ -n "$stage_name" ] && stage ""
  printf '\n== Wall time per stage\n'
  printf '%s\n' "${stages[@]}"
  printf '%-44s %4d s\n' "total" "$SECONDS"
}
stage "system packages"

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
stage "Python packages"
if [ ! -f .venv/.installed-dev ] || [ requirements.txt -nt .venv/.installed-dev ] || [ requirements-dev.txt -nt .venv/.installed-dev ]; then
  say "Installing Python packages"
  bash scripts/venv.sh "${PYTHON:-python3.11}" requirements-dev.txt
  touch .venv/.installed-dev .venv/.installed
fi
py=$root/.venv/bin/python

# --- 3. Private PostgreSQL and Redis ------------------------------------------------------------
stage "PostgreSQL and Redis start"
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
  times_print
  stages=()  # printed once, also when an interrupt and the exit both get here
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
stage "ruff, migrations, translations"
export WEIBO_OPS_VAR_DIR=$run_dir/var-checks
say "ruff"
.venv/bin/ruff check .
say "Migrations are committed"
"$py" manage.py makemigrations --check --dry-run >/dev/null || { "$py" manage.py makemigrations --check --dry-run; exit 1; }
say "Translations are compiled"
"$py" scripts/compile_messages.py --check

# --- 5. Production install ---------------------------------------------------------------------
# Production installs requirements.txt alone: a clean venv from it (cached in .venv-production/) must
# pass check --deploy on PostgreSQL and Redis and start a worker on Redis.
stage "production install (requirements.txt alone)"
say "Production install: requirements.txt alone, check --deploy, gunicorn, a Celery worker on Redis"
bash scripts/check_production_install.sh "postgres://weibo@127.0.0.1:$pg_port/postgres" "redis://127.0.0.1:$redis_port/0"

# --- 6. The suite ------------------------------------------------------------------------------
# Both passes use both cores (pytest-xdist, a database, var/ folder and Redis database per process); the
# tests that start real workers, browsers or `make run` run one after another in one of the processes.
parallel=(-n "${TEST_PROCESSES:-2}" --dist loadscope)
pytest_args=("$@")
pass_run() {  # pass_run ARGS...: pytest; with extra arguments a pass that selects nothing is not an error
  local status=0
  "$py" -m pytest "${parallel[@]}" "$@" "${pytest_args[@]}" || status=$?
  if [ "$status" = 5 ] && [ ${#pytest_args[@]} -gt 0 ]; then
    echo "(no test of this pass matches: $*)"
    return 0
  fi
  return "$status"
}

stage "tests on the embedded defaults (embedded)"
say "Tests marked embedded, on the embedded defaults: SQLite, filesystem broker, file cache"
(
  unset DATABASE_URL REDIS_URL
  export WEIBO_OPS_VAR_DIR="$run_dir/var-sqlite"
  pass_run -m embedded
)

# Tests marked both embedded and platform_free (`make run`, which brings its own embedded defaults) ran
# in the embedded pass and would only repeat themselves here.
stage "whole suite on PostgreSQL and Redis"
say "The whole suite on PostgreSQL and Redis, with the browser tests"
(
  export DATABASE_URL="postgres://weibo@127.0.0.1:$pg_port/weibo_ops"
  export REDIS_URL="redis://127.0.0.1:$redis_port/0"
  export WEIBO_OPS_VAR_DIR="$run_dir/var-postgres" WEIBO_OPS_REQUIRE_SERVERS=1
  pass_run -m "not (embedded and platform_free)"
)
stage ""  # the wall times are printed on the way out (cleanup), also when a stage failed
