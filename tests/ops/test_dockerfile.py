"""The Dockerfile and .dockerignore, checked without Docker (test_production_server.py runs
the image's commands)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) pairs, continuation lines joined, comments dropped."""
    text = (BASE_DIR / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            instructions.append((instruction.upper(), arguments.strip()))
    return instructions


def test_dockerfile_builds_from_python_3_11_slim(dockerfile):
    froms = [arguments for instruction, arguments in dockerfile if instruction == "FROM"]

    assert froms == ["python:3.11-slim"]


def test_dockerfile_runs_as_a_non_root_user(dockerfile):
    users = [arguments for instruction, arguments in dockerfile if instruction == "USER"]

    assert users, "no USER: the container would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    last_user = max(i for i, (instruction, _) in enumerate(dockerfile) if instruction == "USER")
    assert all(instruction != "RUN" for instruction, _ in dockerfile[last_user:]), "RUN after USER"


def test_dockerfile_installs_the_pinned_requirements(dockerfile):
    runs = [arguments for instruction, arguments in dockerfile if instruction == "RUN"]

    assert any(re.search(r"pip install .*-r requirements\.txt", run) for run in runs)
    for line in (BASE_DIR / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\],]+==[\w.]+", line), f"not pinned: {line}"


def test_dockerfile_collects_static_with_a_build_only_secret(dockerfile):
    [collect] = [arguments for instruction, arguments in dockerfile if "collectstatic" in arguments]

    assert "DJANGO_ENV=production" in collect
    assert re.search(r"\bSECRET_KEY=\S+", collect)
    # A key in ENV or ARG would be baked into the image's metadata.
    for instruction, arguments in dockerfile:
        if instruction in {"ENV", "ARG"}:
            assert "SECRET_KEY" not in arguments


def test_dockerfile_probes_healthz_and_serves_with_gunicorn(dockerfile):
    [healthcheck] = [arguments for instruction, arguments in dockerfile if instruction == "HEALTHCHECK"]
    [command] = [arguments for instruction, arguments in dockerfile if instruction == "CMD"]

    assert "/healthz" in healthcheck
    assert "gunicorn" in command and "gunicorn.conf.py" in command


def test_dockerignore_keeps_local_state_and_secrets_out():
    ignored = set((BASE_DIR / ".dockerignore").read_text().split())

    assert {".env", ".secret_key", ".venv", "db.sqlite3*", ".git"} <= ignored


def test_the_app_user_owns_the_directory_it_writes_to(dockerfile):
    # Gunicorn's control socket (gunicorn.conf.py), beat's schedule and the catalog snapshots
    # (a volume mounted on /app/var/snapshots starts with the owner the image gives it) live
    # in /app/var.
    runs = " ".join(arguments for instruction, arguments in dockerfile if instruction == "RUN")

    assert re.search(r"useradd .*--uid 10001 .*\bapp\b", runs)
    assert "mkdir -p /app/var/snapshots" in runs
    assert "chown -R app:app /app/var" in runs
    assert [arguments for instruction, arguments in dockerfile if instruction == "WORKDIR"] == ["/app"]
