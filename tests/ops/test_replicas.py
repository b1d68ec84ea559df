"""Read replicas: public reads go to DATABASE_REPLICA_URLS, writes and the caller's own
reads stay on the primary. A second database stands in for the replica: a copy of the
primary taken before the primary changed, so every answer says which one it came from."""

from __future__ import annotations

import json
import secrets

import psycopg
import pytest
from django.conf import settings

pytestmark = pytest.mark.postgres

SETUP = """
import django; django.setup()
from tests.factories import SongFactory, UserFactory
user = UserFactory(username="replica-reader")
song = SongFactory(title="As the replica has it")
print(song.id)
"""

CHECK = """
import json, sys
import django; django.setup()
from django.db import connections
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken
from users.models import User

song_id = int(sys.argv[1])
user = User.objects.get(username="replica-reader")
client = APIClient()
client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
out = {
    "aliases": sorted(connections.databases),
    "public_title": client.get(f"/api/songs/{song_id}/").json()["title"],
    "rate": client.post("/api/ratings/", {"song": song_id, "score": 5}, format="json").status_code,
    "own_ratings": client.get("/api/ratings/").json()["count"],
}
with connections["default"].cursor() as cursor:
    cursor.execute("SELECT count(*) FROM catalog_rating")
    out["ratings_on_primary"] = cursor.fetchone()[0]
with connections["replica0"].cursor() as cursor:
    cursor.execute("SELECT count(*) FROM catalog_rating")
    out["ratings_on_replica"] = cursor.fetchone()[0]
print(json.dumps(out))
"""


def _admin_connection() -> psycopg.Connection:
    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db["HOST"],
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def _url(name: str) -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{name}"


@pytest.fixture
def two_databases():
    suffix = secrets.token_hex(4)
    primary, replica = f"md_primary_{suffix}", f"md_replica_{suffix}"
    with _admin_connection() as admin:
        admin.execute(f"CREATE DATABASE {primary}")
    try:
        yield primary, replica
    finally:
        with _admin_connection() as admin:
            for name in (primary, replica):
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_public_reads_come_from_the_replica_and_own_reads_and_writes_from_the_primary(
    run_django, two_databases
):
    primary, replica = two_databases
    env = {"DJANGO_ENV": "test", "DATABASE_URL": _url(primary), "ALLOWED_HOSTS": "testserver"}
    migrated = run_django("manage.py", "migrate", "--noinput", env=env, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    made = run_django("-c", SETUP, env=env)
    assert made.returncode == 0, made.stderr
    song_id = made.stdout.strip().splitlines()[-1]
    # The replica: the primary as it was; then the primary moves on.
    with _admin_connection() as admin:
        admin.execute(f"CREATE DATABASE {replica} TEMPLATE {primary}")
    with psycopg.connect(_url(primary), autocommit=True) as conn:
        conn.execute("UPDATE catalog_song SET title = 'As the primary has it' WHERE id = %s", [int(song_id)])

    result = run_django("-c", CHECK, song_id, env={**env, "DATABASE_REPLICA_URLS": _url(replica)})

    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["aliases"] == ["default", "replica0"]
    assert out["public_title"] == "As the replica has it"
    assert out["rate"] == 201
    # The caller's own ratings are read from the primary, where the write went.
    assert out["own_ratings"] == 1
    assert (out["ratings_on_primary"], out["ratings_on_replica"]) == (1, 0)


def test_without_replicas_there_is_one_database_and_no_router(run_django):
    result = run_django(
        "-c",
        "import django; django.setup(); from django.conf import settings; "
        "print(sorted(settings.DATABASES), settings.DATABASE_ROUTERS)",
        env={"DATABASE_URL": _url("postgres")},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['default'] []"
