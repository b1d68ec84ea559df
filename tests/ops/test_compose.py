"""The production stack, checked without Docker: docker-compose.yml, nginx.conf, the
Dockerfile and .env.example must agree with each other and with settings.py."""

import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
APP_SERVICES = ("migrate", "web", "worker", "beat")


@pytest.fixture(scope="module")
def compose_text() -> str:
    return (BASE_DIR / "docker-compose.yml").read_text()


@pytest.fixture(scope="module")
def compose(compose_text) -> dict:
    return yaml.safe_load(compose_text)


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def env_example() -> dict[str, set[str]]:
    """Variables of .env.example: `active` ones are set, `documented` also counts the
    commented-out `# NAME=default` lines."""
    active, documented = set(), set()
    for line in (BASE_DIR / ".env.example").read_text().splitlines():
        if match := re.match(r"^([A-Z][A-Z0-9_]*)=", line):
            active.add(match[1])
        if match := re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=", line):
            documented.add(match[1])
    return {"active": active, "documented": documented}


def healthcheck_command(service: dict) -> str:
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(test[1:])


def command_of(service: dict) -> str:
    command = service["command"]
    return command if isinstance(command, str) else " ".join(command)


# --- services --------------------------------------------------------------------------------


def test_the_stack_has_every_service(services):
    assert set(services) == {"db", "redis", "migrate", "web", "worker", "beat", "nginx"}


def test_db_is_postgres_16_with_a_tcp_readiness_probe(services, compose):
    db = services["db"]

    assert db["image"].split(":")[0] == "postgres"
    assert db["image"].split(":")[1].startswith("16")
    probe = healthcheck_command(db)
    # Over TCP: the image's first-run initialisation serves the Unix socket only.
    assert re.search(r"pg_isready -h 127\.0\.0\.1\b", probe)
    volume, _, target = db["volumes"][0].partition(":")
    assert target == "/var/lib/postgresql/data"
    assert volume in compose["volumes"], "postgres data must live in a named volume"


def test_redis_is_probed_and_never_evicts(services):
    redis = services["redis"]

    assert "redis-cli ping" in healthcheck_command(redis)
    command = command_of(redis)
    assert "--maxmemory-policy noeviction" in command


def test_migrate_runs_once_then_loads_the_catalog(services):
    migrate = services["migrate"]

    command = command_of(migrate)
    assert "manage.py migrate --noinput" in command
    assert "manage.py load_music playlist.json" in command
    assert command.index("migrate --noinput") < command.index("load_music")
    assert migrate["restart"] == "no"
    assert (BASE_DIR / "playlist.json").is_file(), "the image must contain the catalog it loads"


def test_web_runs_gunicorn_with_its_config_and_a_liveness_probe(services):
    web = services["web"]

    assert command_of(web).startswith("gunicorn --config gunicorn.conf.py music_discovery.wsgi")
    assert "/healthz" in healthcheck_command(web)
    assert "ports" not in web, "web is reached through nginx only"


def test_worker_and_beat_run_celery(services):
    assert command_of(services["worker"]).startswith("celery -A music_discovery worker")
    assert command_of(services["beat"]).startswith("celery -A music_discovery beat")


def test_exactly_one_beat(services):
    beat = services["beat"]

    assert beat["deploy"]["replicas"] == 1
    assert "scale" not in beat


def test_nginx_mounts_its_config_and_publishes_http(services):
    nginx = services["nginx"]

    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in nginx["volumes"]
    assert any(str(port).endswith(":80") for port in nginx["ports"])


# --- startup order -----------------------------------------------------------------------


EXPECTED_DEPENDENCIES = {
    "migrate": {"db": "service_healthy", "redis": "service_healthy"},
    "web": {"db": "service_healthy", "redis": "service_healthy", "migrate": "service_completed_successfully"},
    "worker": {
        "db": "service_healthy",
        "redis": "service_healthy",
        "migrate": "service_completed_successfully",
    },
    "beat": {"redis": "service_healthy", "migrate": "service_completed_successfully"},
    "nginx": {"web": "service_healthy"},
}


@pytest.mark.parametrize("name", sorted(EXPECTED_DEPENDENCIES))
def test_depends_on_with_conditions(services, name):
    depends_on = services[name]["depends_on"]

    assert {dep: spec["condition"] for dep, spec in depends_on.items()} == EXPECTED_DEPENDENCIES[name]


def test_every_awaited_health_has_a_real_healthcheck(services):
    for name, service in services.items():
        for dependency, spec in service.get("depends_on", {}).items():
            target = services[dependency]
            if spec["condition"] == "service_healthy":
                assert "test" in target.get("healthcheck", {}), f"{name} waits on {dependency}'s health"
                assert not target["healthcheck"].get("disable"), f"{dependency}'s healthcheck is disabled"
            if spec["condition"] == "service_completed_successfully":
                assert target.get("restart") == "no", f"{dependency} must run once"


def test_services_without_a_probe_of_their_own_do_not_inherit_the_web_one(services):
    # The image's HEALTHCHECK calls /healthz, which only web serves.
    for name in ("migrate", "beat"):
        assert services[name]["healthcheck"] == {"disable": True}
    assert "inspect ping" in healthcheck_command(services["worker"])


# --- configuration and secrets ---------------------------------------------------------------


SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY$")


def test_app_services_share_one_configuration_from_env_file(services):
    for name in APP_SERVICES:
        service = services[name]
        assert service["env_file"] == ".env"
        assert service["environment"]["DJANGO_ENV"] == "production"
        assert service["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert "@db:5432/" in service["environment"]["DATABASE_URL"]


def test_no_secret_is_written_in_the_compose_file(services):
    for name, service in services.items():
        environment = service.get("environment", {})
        for key, value in environment.items():
            if SECRET_NAME.search(key):
                assert re.fullmatch(r"\$\{[A-Z_]+(:[-?][^}]*)?\}", str(value)), f"{name}.{key} is inline"
        if "DATABASE_URL" in environment:
            assert re.fullmatch(
                r"postgres://\$\{POSTGRES_USER[^}]*\}:\$\{POSTGRES_PASSWORD:\?[^}]*\}@db:5432/\$\{POSTGRES_DB[^}]*\}",
                environment["DATABASE_URL"],
            ), "the database credentials come from .env"


def test_the_database_password_is_required_not_defaulted(compose_text):
    uses = re.findall(r"\$\{POSTGRES_PASSWORD([^}]*)\}", compose_text)

    assert uses and all(use.startswith(":?") for use in uses)


def compose_variables(text: str) -> set[str]:
    # `$${NAME}` is escaped for the container's shell, not interpolated by Compose.
    return set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", text))


def test_every_compose_variable_is_in_env_example(compose_text, env_example):
    used = compose_variables(compose_text)
    # `${NAME}` and `${NAME:?message}` have no default: the operator must set them.
    required = set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:\}|:\?)", compose_text))

    assert used >= {"POSTGRES_PASSWORD", "POSTGRES_USER", "POSTGRES_DB", "HTTP_PORT"}
    assert used - env_example["documented"] == set()
    assert required == {"POSTGRES_PASSWORD"}
    assert required - env_example["active"] == set()


def settings_variables() -> dict[str, bool]:
    """Each variable settings.py reads with django-environ, and whether it has a default."""
    source = (BASE_DIR / "music_discovery" / "settings.py").read_text()
    found: dict[str, bool] = {}
    for match in re.finditer(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"([^)]*)\)", source):
        found[match[1]] = found.get(match[1], False) or "default" in match[2]
    return found


def test_settings_variables_are_found():
    found = settings_variables()

    assert {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "LOG_FORMAT"} <= set(found)


def test_what_production_needs_is_provided(env_example, services):
    required = {name for name, has_default in settings_variables().items() if not has_default}
    # Defaulted for development, refused when empty in production.
    required |= {"DJANGO_ENV", "SECRET_KEY", "ALLOWED_HOSTS"}

    for name in APP_SERVICES:
        provided = env_example["active"] | set(services[name]["environment"])
        assert required - provided == set(), name


def test_every_setting_and_gunicorn_variable_is_documented(env_example):
    gunicorn = (BASE_DIR / "gunicorn.conf.py").read_text()
    read = set(settings_variables()) | set(re.findall(r"environ\.get\(\s*['\"]([A-Z][A-Z0-9_]*)", gunicorn))

    missing = read - env_example["documented"]
    assert missing == set(), f"document these in .env.example: {sorted(missing)}"


def test_env_example_defines_each_variable_once():
    names = re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (BASE_DIR / ".env.example").read_text(), re.M)

    assert len(names) == len(set(names))


def test_env_example_ships_no_secret_value():
    for line in (BASE_DIR / ".env.example").read_text().splitlines():
        name, _, value = line.partition("=")
        if not line.startswith("#") and SECRET_NAME.search(name):
            assert value == "", f"{name} must be left for the operator to fill in"


# --- nginx.conf ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nginx_conf() -> str:
    text = (BASE_DIR / "nginx.conf").read_text()
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def directives(conf: str, name: str) -> list[str]:
    return [value.strip() for value in re.findall(rf"^\s*{name}\s+([^;{{\n]+);", conf, re.M)]


def test_nginx_caps_request_bodies_and_answers_json(nginx_conf):
    [limit] = directives(nginx_conf, "client_max_body_size")
    assert re.fullmatch(r"\d+[kKmM]?", limit)
    assert "error_page 413" in nginx_conf
    assert '{"detail": "Request body too large."}' in nginx_conf


def test_nginx_proxies_to_web(nginx_conf):
    assert directives(nginx_conf, "server") == ["web:8000"]
    assert "proxy_pass http://web;" in nginx_conf


def test_nginx_overwrites_forwarded_headers(nginx_conf):
    headers = dict(value.split(None, 1) for value in directives(nginx_conf, "proxy_set_header"))

    assert headers["X-Forwarded-For"] == "$remote_addr"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["Host"] == "$host"
    assert headers["X-Request-ID"] == "$request_id"
    # Appending would pass on whatever a client claims to be.
    assert "$proxy_add_x_forwarded_for" not in nginx_conf
    assert "$http_x_forwarded" not in nginx_conf


def test_nginx_has_timeouts_gzip_and_static(nginx_conf):
    for timeout in ("proxy_connect_timeout", "proxy_read_timeout", "client_body_timeout"):
        assert directives(nginx_conf, timeout), timeout
    assert directives(nginx_conf, "gzip") == ["on"]
    assert "location /static/" in nginx_conf


def test_nginx_waits_longer_than_gunicorn():
    gunicorn_timeout = int(
        re.search(r"GUNICORN_TIMEOUT\", \"(\d+)\"", (BASE_DIR / "gunicorn.conf.py").read_text())[1]
    )
    conf = (BASE_DIR / "nginx.conf").read_text()
    [read_timeout] = directives(conf, "proxy_read_timeout")

    assert int(read_timeout.rstrip("s")) > gunicorn_timeout


def test_nginx_healthcheck_path_exists(services, nginx_conf):
    path = re.search(r"http://127\.0\.0\.1(/\S*)", healthcheck_command(services["nginx"]))[1]

    assert f"location = {path} " in nginx_conf


# --- Dockerfile ------------------------------------------------------------------------------


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


def test_a_copied_env_example_leaves_make_run_and_make_test_alone(env_example):
    # settings.py reads .env too: an active DJANGO_ENV=production or SECURE_SSL_REDIRECT=true
    # there would turn every local request and test into a redirect.
    read_by_settings = set(settings_variables())

    assert env_example["active"] & read_by_settings == {"SECRET_KEY", "ALLOWED_HOSTS"}


def test_web_gets_time_to_finish_requests_on_stop(services):
    graceful = int(
        re.search(r"^graceful_timeout = (\d+)", (BASE_DIR / "gunicorn.conf.py").read_text(), re.M)[1]
    )
    grace = services["web"]["stop_grace_period"]

    assert int(grace.rstrip("s")) > graceful
