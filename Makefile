# Guichet: `make run` serves with embedded defaults, `make test` runs the whole suite.
# Every target sets up what it needs on a fresh machine (venv, packages, catalogues, Redis).
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-8)
PORT ?= 8000
HOST ?= 127.0.0.1
LANGS := en
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup run test lint bench ussd worker sandbox-portal sms-dead-letter i18n i18n-compile \
	redis-server browser clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: $(STAMP) i18n-compile

# Compile the gettext catalogues (.po -> .mo); French is the source language and has none.
i18n-compile: $(STAMP)
	@for lang in $(LANGS); do \
	  $(BIN)/pybabel compile -d locales -D messages -l $$lang 2>&1 | grep -v "^compiling" ; test $${PIPESTATUS[0]} -eq 0 || exit 1; done

# Extract every marked string and merge it into each catalogue, then compile.
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output -o locales/messages.pot .
	@for lang in $(LANGS); do \
	  $(BIN)/pybabel update --no-fuzzy-matching -i locales/messages.pot -d locales -D messages -l $$lang; done
	$(MAKE) i18n-compile

# Tests start their own redis-server; install it when the machine lacks it (root on CI machines).
redis-server:
	@command -v redis-server >/dev/null || { \
	  echo "installing redis-server"; \
	  (apt-get update -qq && apt-get install -y -qq redis-server) >/dev/null 2>&1 || \
	  echo "could not install redis-server: Redis tests will fail under CI=true"; }

# Browser tests drive Debian's chromium (never a downloaded browser); install it when missing.
browser:
	@test -x /usr/bin/chromium || { \
	  echo "installing chromium"; \
	  (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 || \
	  echo "could not install chromium: browser tests will fail under CI=true"; }

run: setup var/nlu-model.pkl
	$(BIN)/gunicorn -c python:channels.gunicorn_conf 'channels.app:create_app()'

test: setup redis-server browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

bench: setup redis-server
	$(BIN)/python bench/ussd.py
	$(BIN)/python bench/sms.py

# Dial the running service from a terminal: make ussd [URL=http://127.0.0.1:8000] [PHONE=+229...]
ussd: $(STAMP)
	$(BIN)/python -m channels.ussd.terminal $(if $(URL),--url $(URL)) $(if $(PHONE),--phone $(PHONE))

worker: setup
	$(BIN)/python -m channels.worker --with-scheduler --url "$${REDIS_URL:?set REDIS_URL}"

# Operators: SMS no retry will send. make sms-dead-letter ARGS="list" | ARGS="replay KEY" | ARGS="resume"
sms-dead-letter: setup
	$(BIN)/python -m channels.sms.deadletter $(or $(ARGS),list)

sandbox-portal: setup
	$(BIN)/python -m integrations.portal.sandbox --host $(HOST) --port $${SANDBOX_PORT:-8081} --db var/sandbox-portal.db

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

include nlu/nlu.mk
