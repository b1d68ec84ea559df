"""Production settings pass Django's deployment checks and refuse to start half-configured;
the Celery configuration never lets a request hang on a dead broker."""

import json
import os
import secrets
import textwrap

import pytest
from django.conf import settings

from music_discovery import settings as settings_module
from music_discovery.celery import app as celery_app


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "music.example.org",
    }
    # The deployment check must also pass against this run's database, when there is one.
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    env.update(overrides)
    return env


def test_check_deploy_reports_nothing_in_production(run_django):
    result = run_django("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_catches_a_weak_production_setting(run_django):
    # The check above can fail: switching one protection off makes it report.
    env = production_env(SECURE_SSL_REDIRECT="false")

    result = run_django("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY is required when DJANGO_ENV=production"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS is required when DJANGO_ENV=production"),
        ({"DEBUG": "true"}, "DEBUG must be off when DJANGO_ENV=production"),
        ({"DJANGO_ENV": "prod"}, "DJANGO_ENV must be development, production or test"),
    ],
)
def test_production_refuses_to_start_half_configured(run_django, overrides, message):
    # An empty value stands for a missing one and shadows any .env file, which never
    # overrides the real environment.
    result = run_django("manage.py", "check", env=production_env(**overrides))

    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == f"django.core.exceptions.ImproperlyConfigured: {message}"


def test_an_empty_database_url_means_the_embedded_database(run_django):
    result = run_django(
        "-c",
        "import django; django.setup(); from django.conf import settings;"
        " print(settings.DATABASES['default']['ENGINE'])",
        env={"DATABASE_URL": ""},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"


IS_SECURE_WITH_CLAIMED_HTTPS = (
    "import django; django.setup(); from django.test import RequestFactory;"
    " print(RequestFactory().get('/', HTTP_X_FORWARDED_PROTO='https').is_secure())"
)


@pytest.mark.parametrize(
    ("env", "secure"),
    [
        ({}, "False"),
        ({"NUM_PROXIES": "1"}, "True"),
        (production_env(), "True"),
        (production_env(NUM_PROXIES="0"), "False"),
    ],
)
def test_x_forwarded_proto_is_trusted_only_behind_a_proxy(run_django, env, secure):
    # Without a proxy in front, X-Forwarded-Proto is whatever the client sent: a request over
    # plain HTTP claiming https must not pass for a secure one.
    result = run_django("-c", IS_SECURE_WITH_CLAIMED_HTTPS, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == secure


def test_a_database_url_django_cannot_use_is_refused_clearly(run_django):
    result = run_django("manage.py", "check", env={"DATABASE_URL": "postgress://user@db:5432/music"})

    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: DATABASE_URL must be a postgres:// (or sqlite://)"
        " URL, e.g. postgres://user@host:5432/name"
    )


def test_development_secret_key_is_generated_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.setattr(settings_module, "BASE_DIR", tmp_path)

    first = settings_module._development_secret_key()
    second = settings_module._development_secret_key()

    assert first == second
    assert len(first) >= 50
    assert (tmp_path / ".secret_key").read_text().strip() == first
    assert list(tmp_path.iterdir()) == [tmp_path / ".secret_key"]  # no temporary file left


def test_development_secret_key_survives_a_restart(run_django):
    script = "from django.conf import settings; print(settings.SECRET_KEY)"
    env = {"DJANGO_ENV": "development"}

    first = run_django("-c", script, env=env)
    second = run_django("-c", script, env=env)

    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == second.stdout.strip()
    assert len(first.stdout.strip()) >= 50


def test_celery_speaks_json_only():
    conf = celery_app.conf

    assert conf.task_serializer == "json"
    assert conf.result_serializer == "json"
    assert list(conf.accept_content) == ["json"]


def test_celery_tasks_survive_a_worker_crash():
    conf = celery_app.conf

    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1


def test_task_time_limits_stay_below_the_visibility_timeout():
    conf = celery_app.conf
    visibility = conf.broker_transport_options["visibility_timeout"]

    assert 0 < conf.task_soft_time_limit < conf.task_time_limit < visibility


def test_publish_retries_are_bounded():
    policy = celery_app.conf.task_publish_retry_policy
    result_policy = celery_app.conf.result_backend_transport_options["retry_policy"]

    assert celery_app.conf.task_publish_retry is True
    for retry in (policy, result_policy, celery_app.conf.broker_transport_options):
        assert retry["max_retries"] <= 3
        assert retry["interval_max"] <= 1


def test_redis_calls_have_short_timeouts():
    assert settings.REDIS_SOCKET_TIMEOUT <= 1
    assert celery_app.conf.broker_transport_options["socket_connect_timeout"] <= 1
    assert celery_app.conf.result_backend_transport_options["socket_connect_timeout"] <= 1


PUBLISH_SCRIPT = textwrap.dedent(
    """
    import json, time
    import django
    django.setup()
    from music_discovery.celery import app

    @app.task(name="probe.fire_and_forget")
    def fire_and_forget(song_id):
        return song_id

    @app.task(name="probe.tracked", ignore_result=False)
    def tracked(user_id):
        return user_id

    outcome = {}
    for name, publish in [
        ("fire_and_forget", lambda: fire_and_forget.delay(1)),
        ("tracked", lambda: tracked.delay(1)),
        ("send_task", lambda: app.send_task("probe.tracked", args=[1])),
    ]:
        started = time.perf_counter()
        try:
            publish()
            error = None
        except Exception as exc:
            error = type(exc).__name__
        outcome[name] = {"seconds": time.perf_counter() - started, "error": error}
    print(json.dumps(outcome))
    """
)


def test_publishing_to_a_dead_broker_fails_fast(run_django, dead_port):
    # Celery's defaults retry for about 20 s (result store) or forever (broker); an API
    # call that enqueues must get an error quickly instead.
    env = {"DJANGO_ENV": "test", "REDIS_URL": f"redis://127.0.0.1:{dead_port}/0", "LOG_LEVEL": "CRITICAL"}

    result = run_django("-c", PUBLISH_SCRIPT, env=env, timeout=120)

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    for name, attempt in outcome.items():
        assert attempt["error"] is not None, f"{name} pretended to publish"
        assert attempt["seconds"] < 5, f"{name} took {attempt['seconds']:.1f} s to fail"


RECOVERY_SCRIPT = textwrap.dedent(
    """
    import json, subprocess, sys, time
    import django
    django.setup()
    from music_discovery.celery import app

    @app.task(name="probe.tracked", ignore_result=False)
    def tracked(user_id):
        return user_id

    def publish():
        try:
            tracked.delay(1)
            return None
        except Exception as exc:
            return type(exc).__name__

    port = sys.argv[1]
    outcome = {"down": publish()}
    server = subprocess.Popen(
        ["redis-server", "--port", port, "--bind", "127.0.0.1", "--save", ""], stdout=subprocess.DEVNULL
    )
    try:
        time.sleep(0.5)
        outcome["back"] = publish()
    finally:
        server.terminate()
        server.wait()
    print(json.dumps(outcome))
    """
)


@pytest.mark.redis
def test_publishing_works_again_once_redis_is_back(run_django, dead_port):
    # The result store gives up after one retry; the process must not need a restart.
    env = {"DJANGO_ENV": "test", "REDIS_URL": f"redis://127.0.0.1:{dead_port}/0", "LOG_LEVEL": "CRITICAL"}

    result = run_django("-c", RECOVERY_SCRIPT, str(dead_port), env=env, timeout=120)

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["down"] is not None
    assert outcome["back"] is None
