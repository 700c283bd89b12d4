# The two entry points of the README, plus helpers. Everything runs from the project's own venv.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
# Models follow the one rule of every shelfsight command: $SHELFSIGHT_MODELS_DIR when set (in the environment or
# as `make ... SHELFSIGHT_MODELS_DIR=DIR`; .ci/run sets it to ../shared/models); else ../shared/models beside the
# clone when it exists; else ~/.cache/shelfsight/models. `shelfsight models fetch` and `make demo` download into
# that folder (models/registry.py, models_folder). Footage: ../shared/footage by default.
ifdef SHELFSIGHT_MODELS_DIR
export SHELFSIGHT_MODELS_DIR
endif
export SHELFSIGHT_FOOTAGE_DIR ?= $(abspath ../shared/footage)
DEMO_FOOTAGE ?= $(SHELFSIGHT_FOOTAGE_DIR)/supermarket_checkout_overhead_1280x720.mp4

.PHONY: demo detect-footage test check lint typecheck bench clean

$(BIN)/python:
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Runtime install: no torch, no ultralytics.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

# Test install: adds the [export] extra (tests build Ultralytics end-to-end and pose models themselves) and
# [eval] (TrackEval for the tracking metrics).
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,export,eval]'
	touch $@ $(VENV)/.installed-run

# Synthetic store -> detect -> track -> events -> spool -> ZeroMQ -> aggregator + dashboard (SQLite), left running.
# Checks the models first: fetches the missing ones, or stops naming each with the command to get it.
PORT ?= 8000
demo: $(VENV)/.installed-run
	$(BIN)/shelfsight demo --out runs/demo --port $(PORT)

# The person detector alone on the real footage: annotated video and JSON lines.
detect-footage: $(VENV)/.installed-run
	$(BIN)/shelfsight detect "$(DEMO_FOOTAGE)" --out runs/detect

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

# The dashboard's PostgreSQL tests need a server: a throwaway one on 127.0.0.1 unless one is given, stopped again
# when the tests end.
# The edge runtime's RTSP tests need GStreamer's RTSP server: installed from Debian's packages when missing.
# The MQTT integration tests need the mosquitto broker: the same.
test: lint typecheck
	bash .ci/rtsp-server.sh
	bash .ci/chromium.sh
	bash .ci/mosquitto.sh
	bash .ci/with-postgres.sh $(BIN)/pytest

# The fast loop while coding: lint, types and the unit tests (no processes, servers, browser or apt-get; the
# `integration` and `slow` markers in pyproject.toml say which tests are left out). `make test` runs everything.
check: lint typecheck
	$(BIN)/pytest -q -m "not integration and not slow"

bench: $(VENV)/.installed-run
	$(BIN)/python -m bench.bench_detector

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache .mypy_cache
