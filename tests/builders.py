"""Builders shared by the tests of several apps."""

from __future__ import annotations

from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate_to(target: list[tuple[str, str]]) -> Apps:
    """Migrate the test database to `target` (a list of (app, migration)); the models as
    they stand there."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def migrate_to_latest() -> None:
    """Back to every app's last migration (a migration test's `finally`)."""
    migrate_to(MigrationExecutor(connection).loader.graph.leaf_nodes())
