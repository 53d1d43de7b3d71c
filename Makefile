# Guichet Cloud: `make run` serves the marketplace, `make test` runs the suite.
# Both need only Python 3.11: they create .venv, install the lock, and start
# embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL are set.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install lint typecheck format lock stop check bench loadtest audit

$(STAMP): requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m config.launcher run

test: $(STAMP)
	$(PY) -m config.launcher test $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy with the Django and DRF plugins over the files listed in pyproject.toml
# ([tool.mypy]); the plugin reads the settings, which start no service.
typecheck: $(STAMP)
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: $(STAMP)
	$(PY) -m config.launcher manage makemigrations --check --dry-run

stop: $(STAMP)
	$(PY) -m config.launcher stop

lock: $(STAMP)
	$(VENV)/bin/pip-compile --quiet --no-emit-index-url --no-emit-find-links --extra dev --generate-hashes --strip-extras -o requirements.lock pyproject.toml

# Benchmarks at national scale (issue 6): seeds guichet_scale_<N> databases on
# the embedded server when needed, then measures. Not part of `make test`.
# e.g. make bench ARGS="--sizes 10000,100000,1000000 --runs 50"
bench: $(STAMP)
	$(PY) -m bench $(ARGS)

# Load test on loopback (issue 7): gunicorn + worker on the demo data, locust
# headless, ≥ 60 s at 50 users; prints p50/p95/p99, writes bench/loadtest.json,
# fails on any error. Not part of `make test`.
# e.g. make loadtest ARGS="--users 100 --duration 120"
loadtest: $(STAMP)
	$(PY) -m bench.loadtest $(ARGS)

# Known vulnerabilities in the locked dependencies (PyPI advisory database;
# needs network). --strict: a dependency that could not be audited fails too.
audit: $(STAMP)
	$(VENV)/bin/pip-audit -r requirements.lock --disable-pip --no-deps --strict --progress-spinner off
