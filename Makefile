# Guichet: `make run` serves with embedded defaults, `make test` runs the whole suite.
# Every target sets up what it needs on a fresh machine (venv, packages, catalogues, Redis).
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
STAMP := $(VENV)/.installed-$(shell cat $(LOCK) pyproject.toml | md5sum | cut -c1-8)
PORT ?= 8000
HOST ?= 127.0.0.1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup run test lint lock bench ussd worker sandbox-portal \
	dead-letter sms-dead-letter i18n i18n-compile i18n-report i18n-export i18n-import redis-server browser clean

# Install exactly what the lock file says (hashes checked, nothing resolved here), then the project
# itself without touching its dependencies. `pip check` fails when pyproject.toml asks for a
# package the lock does not have: run `make lock` on purpose to change the lock.
$(STAMP): $(LOCK) pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes --no-deps -r $(LOCK)
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	$(BIN)/pip check
	@rm -f $(VENV)/.installed-*
	@touch $@

# Re-resolve every dependency (newest versions allowed by pyproject.toml) into the lock, with
# hashes. The only way the lock changes; commit the result after `make test` passes on it.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --upgrade \
	  --python-version 3.11 --no-header -o $(LOCK)

setup: $(STAMP) i18n-compile

# Catalogues: every locales/<lang>/LC_MESSAGES/messages.po (French is the source and has none).
# dialogs/catalogues.py, not pybabel: pybabel refuses `fon` and drops its Plural-Forms header.
# Compile .po -> .mo, entries marked "# unreviewed" included.
i18n-compile: $(STAMP)
	$(BIN)/python -m dialogs.catalogues compile

# Extract every marked string into locales/messages.pot, merge it into each catalogue, compile.
i18n: $(STAMP)
	$(BIN)/python -m dialogs.catalogues extract
	$(BIN)/python -m dialogs.catalogues update
	$(MAKE) i18n-compile

# Per language: share translated, share reviewed by a native speaker.
i18n-report: $(STAMP)
	@$(BIN)/python -m dialogs.catalogues report

# Reviewers' spreadsheets: one CSV per language in $(I18N_DIR) (msgid, context, translation,
# reviewed yes/no, english); i18n-import reads them back (nothing is written if a row is wrong).
I18N_DIR ?= var/i18n
i18n-export: $(STAMP)
	$(BIN)/python -m dialogs.catalogues export --dir $(I18N_DIR) $(if $(LANG_CODE),--lang $(LANG_CODE))

i18n-import: $(STAMP)
	$(BIN)/python -m dialogs.catalogues import --dir $(I18N_DIR) $(if $(LANG_CODE),--lang $(LANG_CODE))
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
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

# Style, the import rules of DESIGN.md (pyproject.toml [tool.importlinter]) and types.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: setup redis-server
	$(BIN)/python bench/ussd.py
	$(BIN)/python bench/sms.py
	$(BIN)/python bench/events.py
	$(BIN)/python bench/catalogue_scale.py
	$(BIN)/python bench/insights.py
	$(BIN)/python bench/insights_query.py
	$(BIN)/python bench/catalogue_screens.py

# Dial the running service from a terminal: make ussd [URL=http://127.0.0.1:8000] [PHONE=+229...]
ussd: $(STAMP)
	$(BIN)/python -m channels.ussd.terminal $(if $(URL),--url $(URL)) $(if $(PHONE),--phone $(PHONE))

worker: setup
	$(BIN)/python -m channels.worker --with-scheduler --url "$${REDIS_URL:?set REDIS_URL}"

# Operators: messages no retry will send, every channel (replayed through the channel's sender).
# make dead-letter ARGS="list" | ARGS="replay KEY" | ARGS="resume"; sms-dead-letter is its former name.
dead-letter: setup
	$(BIN)/flask --app 'channels.app:create_app()' dead-letter $(or $(ARGS),list)

sms-dead-letter: dead-letter

# Call centre. make agent-add ARGS="--login awa --name 'Awa D.' --role agent --languages fr,fon"
# asks the password twice (AGENT_PASSWORD=... or --password-stdin for scripts).
# db-upgrade brings every table to the newest schema (one Alembic history, channels/migrations);
# the app runs the same upgrade at start, one worker at a time.
# Retention: make purge [DAYS=N] deletes the personal data every table keeps beyond its
# RETENTION_* setting (DAYS overrides the transcripts'); make worker also runs it every 6 hours.
# agent-purge is its former name.
.PHONY: db-upgrade agent-add agent-purge purge
db-upgrade: $(STAMP)
	$(BIN)/python -m channels.migrate upgrade

agent-add: db-upgrade
	$(BIN)/python -m channels.agent.accounts add $(ARGS)

purge: $(STAMP)
	$(BIN)/python -m channels.retention purge $(if $(DAYS),--days $(DAYS))

agent-purge: purge

# nlu-import-labelled: the questions supervisors labelled on /agent/insights, as Rasa NLU data
# in nlu/data/labelled.yml (review it; the next make nlu-train / start trains on it)
.PHONY: nlu-import-labelled
nlu-import-labelled: db-upgrade
	$(BIN)/python -m channels.agent.labelled $(ARGS)

sandbox-portal: setup
	$(BIN)/python -m integrations.portal.sandbox --host $(HOST) --port $${SANDBOX_PORT:-8081} --db var/sandbox-portal.db

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

include nlu/nlu.mk
