# NLU targets, included by the top-level Makefile (`include nlu/nlu.mk`), which defines BIN and
# the `setup` target. Rasa lives in its own Python 3.10 environment (.venv-rasa): Rasa 3.6 does
# not run on the service's Python 3.11, and the service never needs it.

RASA_VENV ?= .venv-rasa
RASA_DIR ?= var/rasa
RASA_PORT ?= 5005
RASA_ENV := RASA_TELEMETRY_ENABLED=false RASA_CACHE_DIRECTORY=$(RASA_DIR)/cache

.PHONY: nlu-train nlu-eval nlu-lexicon rasa-setup rasa-train rasa-run

## nlu-train: train the embedded model into var/nlu-model.pkl (the service also trains on demand)
nlu-train: setup
	$(BIN)/python -m nlu.train

## nlu-eval: held-out figures; with RASA_URL set, Rasa's figures side by side; then the held-out
## citizens' questions (nlu/eval/citizens.yml): refusals counted, wrong-procedure answers must be
## 0. With EVAL_URL=http://127.0.0.1:8000 (a running `make run`, started with
## SANDBOX_CATALOGUE=$(EVAL_CATALOGUE)), the same questions by SMS, answers checked against the
## catalogue's facts, and a procedure added while the service runs.
EVAL_CATALOGUE ?= var/eval-catalogue.yaml
nlu-eval: setup
	$(BIN)/python -m nlu.evaluate
	$(BIN)/python -m nlu.citizens $(if $(EVAL_URL),--url $(EVAL_URL) --catalogue $(EVAL_CATALOGUE))

## nlu-lexicon: the lexicon in Rasa format, from the shipped catalogue (generated, not committed;
## the service builds its own from the live catalogue at start and at each refresh)
nlu-lexicon: setup
	$(BIN)/python -m nlu.lexicon --out $(RASA_DIR)/nlu/lexicon.yml

$(RASA_VENV)/bin/rasa:
	@py=""; for c in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/bin/python3.10; do \
	  if "$$c" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then \
	    py="$$c"; break; fi; done; \
	test -n "$$py" || { echo "rasa-setup: python3.10 not found" >&2; exit 1; }; \
	"$$py" -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet --upgrade pip
	$(RASA_VENV)/bin/pip install --quiet 'rasa==3.6.*'

## rasa-setup: the Rasa 3.6 environment (heavy: about 2 GB)
rasa-setup: $(RASA_VENV)/bin/rasa

## rasa-train: train Rasa (DIET) on nlu/data into var/rasa/models
rasa-train: rasa-setup nlu-lexicon
	mkdir -p $(RASA_DIR)/models
	cp nlu/data/*.yml $(RASA_DIR)/nlu/
	$(RASA_ENV) $(RASA_VENV)/bin/rasa train nlu --config nlu/rasa/config.yml --nlu $(RASA_DIR)/nlu \
	  --out $(RASA_DIR)/models --fixed-model-name guichet-nlu

## rasa-run: serve the trained model on port 5005 (then: RASA_URL=http://127.0.0.1:5005)
rasa-run: rasa-setup
	$(RASA_ENV) $(RASA_VENV)/bin/rasa run --enable-api --port $(RASA_PORT) \
	  -m $(RASA_DIR)/models/guichet-nlu.tar.gz

## var/nlu-model.pkl: the embedded model's artefact, rebuilt when its data or code change
## (make `run` depend on it so that workers load it instead of training, and skip scikit-learn)
var/nlu-model.pkl: $(wildcard nlu/data/*.yml nlu/resources/*.yml nlu/*.py) \
  integrations/portal/sandbox/catalogue.yaml | setup
	$(BIN)/python -m nlu.train
