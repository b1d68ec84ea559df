# The two commands: `make run` serves the API on :8000, `make test` runs the suite.
# Both create .venv on first use; nothing else needs installing beforehand but Python 3.11.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: run test lint bench venv venv-dev migrate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

venv: $(VENV)/.runtime-installed
venv-dev: $(VENV)/.dev-installed

migrate: venv
	$(BIN)/python manage.py migrate --noinput

run: migrate
	$(BIN)/python manage.py load_music playlist.json
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
ifdef REDIS_URL
	mkdir -p var
	$(BIN)/honcho start -f Procfile
else
	$(BIN)/gunicorn music_discovery.wsgi
endif

test: venv-dev
	DJANGO_ENV=test $(BIN)/pytest $(PYTEST_ARGS)

# ruff (lint and format), mypy (types, with the Django and DRF stubs) and the import
# contracts between apps (import-linter); all three configured in pyproject.toml.
lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_ENV=test $(BIN)/mypy
	DJANGO_ENV=test $(BIN)/mypy bench/analytics.py
	$(BIN)/lint-imports
	DJANGO_ENV=test $(BIN)/python manage.py makemigrations --check --dry-run

bench: venv-dev
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) staticfiles var .pytest_cache .mypy_cache .import_linter_cache .grimp_cache
