# The two commands: `make run` serves the API on :8000 (or PORT), `make test` runs the suite.
# Both create .venv on first use; nothing else needs installing beforehand but Python 3.11.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

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

# What settings.py adds to the environment from .env (real variables win), as `export` lines.
# Make sees only the real environment: `run` evaluates these first, so that REDIS_URL, PORT or
# CELERY_CONCURRENCY set in .env alone choose, bind and size the stack as the settings see it
# (with REDIS_URL only in .env, Gunicorn alone would queue tasks that nothing ever runs).
DOTENV_EXPORTS = DJANGO_SETTINGS_MODULE=music_discovery.settings $(BIN)/python -c 'import os, shlex; \
	before = set(os.environ); import music_discovery.settings; \
	print("".join(f"export {k}={shlex.quote(v)}\n" for k, v in os.environ.items() if k not in before))'

# With a broker (REDIS_URL), the Procfile's web, workers and beat under honcho; without one,
# Gunicorn alone, running tasks in-process. honcho reads no .env of its own (`-e /dev/null`):
# it would put .env's values over the real environment, the reverse of settings.py's order.
# Its web process gets `-p` as PORT, so that is Gunicorn's port, 8000 unless PORT says.
run: migrate
	$(BIN)/python manage.py load_music playlist.json
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@exports="$$($(DOTENV_EXPORTS))" && eval "$$exports" && \
	if [ -n "$$REDIS_URL" ]; then \
		mkdir -p var && set -x && exec $(BIN)/honcho start -f Procfile -e /dev/null -p "$${PORT:-8000}"; \
	else \
		set -x && exec $(BIN)/gunicorn music_discovery.wsgi; \
	fi

test: venv-dev
	DJANGO_ENV=test $(BIN)/pytest $(PYTEST_ARGS)

# ruff (lint and format), mypy (types, with the Django and DRF stubs), the import contracts
# between apps (import-linter), all configured in pyproject.toml, and migrations in step with
# the models. bench/analytics.py gets a mypy run of its own (pyproject.toml says why); that run
# leaves the overrides for libraries it does not import unused, which is no stale section.
lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_ENV=test $(BIN)/mypy
	DJANGO_ENV=test $(BIN)/mypy --no-warn-unused-configs bench/analytics.py
	$(BIN)/lint-imports
	DJANGO_ENV=test $(BIN)/python manage.py makemigrations --check --dry-run

bench: venv-dev
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) staticfiles var .pytest_cache .mypy_cache .import_linter_cache .grimp_cache
