"""`make run` chooses, binds and sizes its stack from what the settings read: the environment,
then .env. Checked without starting anything: the Makefile runs in a copy of the project
whose venv holds stand-ins for Gunicorn and honcho (they write down how they were started)
and a python that skips `manage.py` and runs everything else for real."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)

# Writes its command line and the environment it was started with, then exits.
STAND_IN = f"""#!{sys.executable}
import json, os, sys
with open(os.environ["STARTED_LOG"], "w") as log:
    json.dump({{"argv": sys.argv, "env": dict(os.environ)}}, log)
"""

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@pytest.fixture
def project(tmp_path) -> Path:
    """The files `make run` reads, copied (settings.py reads .env beside its own package), and
    a venv that is already installed as far as the Makefile can tell."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("Makefile", "Procfile", "requirements.txt", "requirements-dev.txt"):
        shutil.copy2(BASE_DIR / name, root / name)
    shutil.copytree(
        BASE_DIR / "music_discovery", root / "music_discovery", ignore=shutil.ignore_patterns("__pycache__")
    )
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").write_text(
        f'#!/bin/sh\n[ "$1" = manage.py ] && exit 0\nexec {sys.executable} "$@"\n'
    )
    for name in ("gunicorn", "honcho"):
        (bin_dir / name).write_text(STAND_IN)
    for script in bin_dir.iterdir():
        script.chmod(0o755)
    (root / ".venv" / ".runtime-installed").touch()
    return root


def make_run(project: Path, dotenv: str | None = None, **env: str) -> dict:
    """`make run` in `project` with `env` as the only settings variables and `dotenv` as its
    .env; what Gunicorn or honcho was started with."""
    if dotenv is not None:
        (project / ".env").write_text(dotenv)
    log = project / "started.json"
    child_env = {k: v for k, v in os.environ.items() if k in {"PATH", "LANG", "LC_ALL"}}
    child_env.update(env, STARTED_LOG=str(log), HOME=str(project))
    result = subprocess.run(
        ["make", "--no-print-directory", "run"],
        cwd=project,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    started = json.loads(log.read_text())
    started["command"] = Path(started["argv"][0]).name
    return started


def test_without_redis_gunicorn_serves_alone_on_port_8000(project):
    started = make_run(project)

    assert started["command"] == "gunicorn"
    assert "REDIS_URL" not in started["env"]
    assert "PORT" not in started["env"]  # gunicorn.conf.py's default, 8000


def test_redis_url_in_dotenv_alone_starts_the_workers_and_beat(project):
    """The case that queued tasks nothing ran: settings.py saw the broker, Make did not."""
    started = make_run(project, "REDIS_URL='redis://127.0.0.1:6379/15'\n")

    assert started["command"] == "honcho"
    assert started["argv"][1:] == ["start", "-f", "Procfile", "-e", "/dev/null", "-p", "8000"]
    assert started["env"]["REDIS_URL"] == "redis://127.0.0.1:6379/15"


def test_port_and_database_from_dotenv_reach_gunicorn(project):
    started = make_run(project, "PORT=8123\nDATABASE_URL='postgres://u@127.0.0.1:5432/from_dotenv'\n")

    assert started["command"] == "gunicorn"
    assert started["env"]["PORT"] == "8123"
    assert started["env"]["DATABASE_URL"] == "postgres://u@127.0.0.1:5432/from_dotenv"


def test_the_environment_wins_over_dotenv_as_in_the_settings(project):
    started = make_run(
        project,
        "REDIS_URL='redis://127.0.0.1:6379/14'\nPORT=8123\nDATABASE_URL='postgres://u@127.0.0.1:5432/from_dotenv'\n",
        PORT="8200",
        DATABASE_URL="postgres://u@127.0.0.1:5432/from_environment",
    )

    assert started["command"] == "honcho"
    assert started["argv"][-2:] == ["-p", "8200"]
    # honcho reads no .env of its own, which would put from_dotenv back over the environment.
    assert started["env"]["DATABASE_URL"] == "postgres://u@127.0.0.1:5432/from_environment"


def test_an_empty_redis_url_in_the_environment_keeps_dotenv_s_out(project):
    """settings.py reads an empty REDIS_URL as none, and .env does not replace a variable set."""
    started = make_run(project, "REDIS_URL='redis://127.0.0.1:6379/15'\n", REDIS_URL="")

    assert started["command"] == "gunicorn"
