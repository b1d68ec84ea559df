"""The production stack's configuration, checked without Docker: docker-compose.yml and
.env.example must agree with each other, with settings.py and with the README's recipe (the
services themselves: test_compose_services.py; nginx.conf and the Dockerfile:
test_nginx_conf.py, test_dockerfile.py; the recipe run for real: test_nginx.py)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.ops import stack

BASE_DIR = Path(settings.BASE_DIR)
APP_SERVICES = ("migrate", "web", "worker", "worker-recommendations", "beat")


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
