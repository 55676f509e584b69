# The two commands of README.md. Everything else here serves them.
PYTHON ?= python3.11
PORT ?= 8000
SANDBOX_PORT ?= 8100
# The demo's first post goes out this long after start, the second half as long again later.
DEMO_DUE_SECONDS ?= 60
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test test-fast install lint messages clean-venv

run: install
	@$(PY) manage.py migrate --noinput
	@$(PY) manage.py seed_demo
	@$(PY) manage.py seed_demo_content --due-in $(DEMO_DUE_SECONDS)
	@$(PY) manage.py seed_demo_fans
	@$(PY) manage.py seed_demo_monitoring
	@$(PY) manage.py seed_demo_campaigns --due-in $$(( $(DEMO_DUE_SECONDS) + 30 ))
	@$(PY) manage.py seed_demo_roster
	@$(PY) manage.py seed_demo_handover
	@$(PY) manage.py seed_demo_kpis
	@$(PY) manage.py seed_demo_peers
	@echo ""
	@echo "  weibo-ops is starting: open http://127.0.0.1:$(PORT)/  (Ctrl-C stops everything)"
	@echo "  health: http://127.0.0.1:$(PORT)/healthz   API docs: http://127.0.0.1:$(PORT)/api/v1/docs/"
	@echo "  Weibo sandbox (plays the platform, connects the demo accounts): http://127.0.0.1:$(SANDBOX_PORT)/_sandbox/health"
	@echo ""
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" WEIBO_OPS_PORT=$(PORT) WEIBO_SANDBOX_PORT=$(SANDBOX_PORT) \
		exec $(VENV)/bin/honcho start

test:
	@bash scripts/test.sh

# The inner loop while working: the tests that need no server (no sandbox, worker, browser or live
# server), on the embedded defaults, on both cores; `make test-fast APP=fans` adds all of tests/fans/.
test-fast: $(VENV)/.installed-dev
	@var=$$(mktemp -d /tmp/weibo-ops-fast.XXXXXX); \
	env -u DATABASE_URL -u REDIS_URL WEIBO_OPS_VAR_DIR=$$var $(PY) -m pytest -q -n 2 --dist loadscope --fast \
		$(foreach app,$(APP),--app=$(app)) $(ARGS); status=$$?; rm -rf $$var; exit $$status

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	@bash scripts/venv.sh "$(PYTHON)" requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt
	@bash scripts/venv.sh "$(PYTHON)" requirements-dev.txt
	@touch $@ $(VENV)/.installed

lint: $(VENV)/.installed-dev
	@$(VENV)/bin/ruff check .

messages: $(VENV)/.installed-dev
	@$(PY) manage.py makemessages --locale zh_Hans --ignore ".venv/*" --ignore "var/*" --no-obsolete
	@$(PY) scripts/compile_messages.py
