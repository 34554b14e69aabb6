# RetailHub: `make demo` to see it, `make test` to prove it.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA ?= $(abspath ../shared/data)
PORT ?= 8000
SERVE ?= 1

export RETAILHUB_SAMPLE_DATA ?= $(DATA)

.PHONY: venv demo test lint bench services clean

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# The demo: embedded SQLite and in-process tasks unless DATABASE_URL / CELERY_BROKER_URL are set.
demo: venv
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} ./scripts/demo.sh $(SERVE) $(PORT)

test: venv lint
	./scripts/services.sh
	./scripts/browser.sh
	DJANGO_SETTINGS_MODULE=retailhub.settings.test $(BIN)/python -m pytest

# The house's rules, checked: style, formatting and the dependencies between apps.
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# The forecasting peers (statsforecast needs pandas < 3) live in their own virtualenv.
PEER_STAMP := .venv-bench/.installed
$(PEER_STAMP): requirements-forecast-peers.txt
	test -x .venv-bench/bin/python || $(PYTHON) -m venv .venv-bench
	.venv-bench/bin/pip install --quiet -r requirements-forecast-peers.txt
	touch $(PEER_STAMP)

bench: venv $(PEER_STAMP)
	./scripts/services.sh
	$(BIN)/pip install --quiet -r requirements-bench.txt
	$(BIN)/python bench/import_orders.py
	$(BIN)/python bench/worker_scaling.py
	$(BIN)/python bench/recommendations.py
	$(BIN)/python bench/segments.py
	$(BIN)/python bench/forecasts.py
	$(BIN)/python bench/uplift.py
	$(BIN)/python bench/offer_policy.py
	command -v wrk >/dev/null || apt-get install -y -qq wrk
	$(BIN)/python bench/widget_load.py
	$(BIN)/python bench/pricing.py

services:
	./scripts/services.sh

clean:
	rm -rf $(VENV) .venv-bench var
