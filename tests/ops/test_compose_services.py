"""docker-compose.yml's services, checked without Docker: each one's image, command and probe,
the task queue's and the cache's Redis, a worker for every queue, one beat, the startup order,
stop grace periods, resource limits and the shared snapshot volume."""

import re
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


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


# --- stopping, limits and volumes ------------------------------------------------------------


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


def test_the_catalog_snapshots_are_shared_by_web_and_the_worker_that_builds_the_model(services, compose):
    """A model build saves the catalog's arrays (recommendations/snapshot.py) where the web
    processes load them: one named volume, mounted where the settings' default puts them in
    the image (/app, the Dockerfile's WORKDIR)."""
    from music_discovery import settings as configured  # not the tests' own directory

    target = "/app/" + str(Path(configured.CATALOG_SNAPSHOT_DIR).relative_to(BASE_DIR))
    for name in ("web", "worker-recommendations"):
        assert f"snapshots:{target}" in services[name]["volumes"], name
    assert "snapshots" in compose["volumes"]
