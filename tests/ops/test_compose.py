"""The production stack, checked without Docker: docker-compose.yml and .env.example must
agree with each other, with settings.py and with the README's recipe (nginx.conf and the
Dockerfile: test_nginx_conf.py, test_dockerfile.py; the recipe run for real: test_nginx.py)."""

import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from tests.ops import stack

BASE_DIR = Path(settings.BASE_DIR)
APP_SERVICES = ("migrate", "web", "worker", "worker-recommendations", "beat")


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
    assert set(services) == {
        "db",
        "redis",
        "cache",
        "migrate",
        "web",
        "worker",
        "worker-recommendations",
        "beat",
        "nginx",
    }


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


def redis_option(service: dict, option: str) -> str | None:
    command = service["command"]
    return command[command.index(option) + 1] if option in command else None


def size_in_bytes(size: str) -> int:
    number, unit = re.fullmatch(r"(\d+)\s*([kmg]?)b?", size.lower()).groups()
    return int(number) * 1024 ** " kmg".index(unit or " ")


def test_the_task_queue_is_bounded_and_never_evicts(services):
    redis = services["redis"]

    assert "redis-cli ping" in healthcheck_command(redis)
    assert redis_option(redis, "--maxmemory-policy") == "noeviction"
    assert redis_option(redis, "--appendonly") == "yes"
    assert redis["volumes"][0].endswith(":/data")


def test_the_cache_is_a_bounded_redis_of_its_own_that_evicts(services):
    cache = services["cache"]

    assert cache["image"] == services["redis"]["image"]
    assert "redis-cli ping" in healthcheck_command(cache)
    # Evicts entries with a TTL (every cache entry), never the ratings' dirty set (none).
    assert redis_option(cache, "--maxmemory-policy") == "volatile-lru"
    assert redis_option(cache, "--appendonly") == "no"
    assert "volumes" not in cache


@pytest.mark.parametrize("name", ["redis", "cache"])
def test_redis_memory_is_bounded_below_its_container_limit(services, name):
    service = services[name]
    maxmemory = size_in_bytes(redis_option(service, "--maxmemory"))
    limit = size_in_bytes(service["deploy"]["resources"]["limits"]["memory"])

    # Room for the server itself and, for the queue, the fork of an AOF rewrite.
    assert 0 < maxmemory <= limit * 2 // 3


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


def _queues(command: str) -> set[str]:
    found = re.search(r"-Q\s+(\S+)", command)
    return set(found[1].split(",")) if found else {settings.DEFAULT_QUEUE}


def test_every_queue_a_task_is_routed_to_has_a_worker(services):
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {settings.DEFAULT_QUEUE}
    in_compose = set().union(
        *(_queues(command_of(s)) for name, s in services.items() if name.startswith("worker"))
    )
    procfile = (BASE_DIR / "Procfile").read_text().splitlines()
    in_procfile = set().union(*(_queues(line) for line in procfile if " worker " in line))

    assert routed == in_compose == in_procfile == {"celery", "recommendations"}
    assert "recommendations" in _queues(command_of(services["worker-recommendations"]))


def test_exactly_one_beat(services):
    beat = services["beat"]

    assert beat["deploy"]["replicas"] == 1
    assert "scale" not in beat


def test_nginx_mounts_its_config_and_publishes_http(services):
    nginx = services["nginx"]

    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in nginx["volumes"]
    assert any(str(port).endswith(":80") for port in nginx["ports"])


# --- startup order -----------------------------------------------------------------------


SERVERS = {"db": "service_healthy", "redis": "service_healthy", "cache": "service_healthy"}
EXPECTED_DEPENDENCIES = {
    "migrate": SERVERS,
    "web": {**SERVERS, "migrate": "service_completed_successfully"},
    "worker": {**SERVERS, "migrate": "service_completed_successfully"},
    "worker-recommendations": {**SERVERS, "migrate": "service_completed_successfully"},
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
        assert service["environment"]["REDIS_CACHE_URL"] == "redis://cache:6379/0"
        assert "@db:5432/" in service["environment"]["DATABASE_URL"]


def test_settings_put_the_queue_and_the_cache_where_compose_says(services, run_django):
    environment = stack.service_environment("web", {"SECRET_KEY": "x", "POSTGRES_PASSWORD": "x"})
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.CELERY_BROKER_URL, s.CELERY_RESULT_BACKEND, s.CACHES['default']['LOCATION'])"
    )

    result = run_django("-c", script, env={**environment, "ALLOWED_HOSTS": "localhost"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["redis://redis:6379/0", "redis://redis:6379/0", "redis://cache:6379/0"]


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
    assert required == {"POSTGRES_PASSWORD", "SECRET_KEY"}
    assert required - env_example["active"] == set()


def settings_variables() -> dict[str, bool]:
    """Each variable the settings (settings.py and the modules it imports all of) read with
    django-environ, and whether it has a default."""
    source = "".join(path.read_text() for path in sorted((BASE_DIR / "music_discovery").glob("settings*.py")))
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
            assert value == "''", f"{name} must be left for the operator to fill in"


def test_env_example_values_are_single_quoted():
    # Compose expands `$NAME` in unquoted and double-quoted values, never in single quotes.
    for line in (BASE_DIR / ".env.example").read_text().splitlines():
        if not line.startswith("#") and "=" in line:
            assert re.fullmatch(r"[A-Z][A-Z0-9_]*='[^']*'", line), line


def test_up_stops_with_a_message_until_the_secrets_are_set():
    copied = stack.read_dotenv((BASE_DIR / ".env.example").read_text())

    for missing in ("SECRET_KEY", "POSTGRES_PASSWORD"):
        filled = {**copied, "SECRET_KEY": "k", "POSTGRES_PASSWORD": "p", missing: ""}
        for name in APP_SERVICES:
            with pytest.raises(stack.MissingVariableError, match=f"set {missing} in .env"):
                stack.service_environment(name, filled)


def test_a_first_run_serves_plain_http_until_https_is_switched_on():
    copied = stack.read_dotenv((BASE_DIR / ".env.example").read_text())
    filled = {**copied, "SECRET_KEY": "k", "POSTGRES_PASSWORD": "p"}
    switches = ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")

    for name in APP_SERVICES:
        first_run = stack.service_environment(name, filled)
        with_tls = stack.service_environment(name, {**filled, "HTTPS": "true"})
        assert [first_run[switch] for switch in switches] == ["false"] * 3
        assert [with_tls[switch] for switch in switches] == ["true"] * 3


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

    assert seconds(grace) > graceful


def seconds(duration: str) -> int:
    """A Compose duration such as 30s, 2m or 5m30s, in seconds."""
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert parts and duration, duration
    hours, minutes, secs = (int(part or 0) for part in parts.groups())
    return hours * 3600 + minutes * 60 + secs


@pytest.mark.parametrize("name", ["worker", "worker-recommendations"])
def test_a_stopping_worker_gets_longer_than_a_task_may_run(services, name):
    # Warm shutdown waits for running tasks, each bounded by its hard time limit.
    assert seconds(services[name]["stop_grace_period"]) > settings.CELERY_TASK_TIME_LIMIT


def test_every_service_has_memory_and_cpu_limits(services):
    for name, service in services.items():
        limits = service.get("deploy", {}).get("resources", {}).get("limits", {})
        assert size_in_bytes(limits.get("memory", "0")) > 0, name
        # Docker refuses a limit above the host's CPU count: `up` must work on one CPU.
        assert 0 < float(limits.get("cpus", 0)) <= 1.0, name


# --- the README's recipe ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def production_section() -> str:
    readme = (BASE_DIR / "README.md").read_text()
    return re.search(r"^## Production.*?(?=^## )", readme, re.M | re.S)[0]


def test_the_recipe_uses_compose_v2_and_execs_into_the_running_web(production_section):
    recipe = re.search(r"```sh\n(.*?)```", production_section, re.S)[1]
    commands = [line for line in recipe.splitlines() if line and not line.startswith("#")]

    assert commands == [
        "cp .env.example .env",
        "docker compose up -d --build",
        "docker compose exec web python manage.py createsuperuser",
    ]
    # The v1 command; docker-compose.yml, the file's name, is fine.
    assert not re.search(r"docker-compose(?!\.yml)", production_section)


def test_the_recipe_names_every_value_up_requires(production_section, compose_text):
    required = set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*):\?", compose_text))
    recipe = re.search(r"```sh\n(.*?)```", production_section, re.S)[1]

    assert required and all(name in recipe for name in required)


def test_the_catalog_snapshots_are_shared_by_web_and_the_worker_that_builds_the_model(services, compose):
    """A model build saves the catalog's arrays (recommendations/snapshot.py) where the web
    processes load them: one named volume, mounted where the settings' default puts them in
    the image (/app, the Dockerfile's WORKDIR)."""
    from music_discovery import settings as configured  # not the tests' own directory

    target = "/app/" + str(Path(configured.CATALOG_SNAPSHOT_DIR).relative_to(BASE_DIR))
    for name in ("web", "worker-recommendations"):
        assert f"snapshots:{target}" in services[name]["volumes"], name
    assert "snapshots" in compose["volumes"]
