from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.base import World


@pytest.fixture
def world(db: None) -> World:
    return World()


@pytest.hookimpl(trylast=True)  # after pytest-django's own ordering of test-case classes
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `slow` (tens of seconds: real processes, the demo with the real model, browser
    tours) run first. With xdist handing out one test at a time (`--maxschedchunk`, scripts/run-pytest),
    the long ones then spread over the workers at the start instead of one of them finishing alone at
    the end; the order of everything else is unchanged."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Each xdist worker's test database starts as a copy of the run's one migrated template
    (tests/core/migrated.py: what `harken migrate` made, shared with the real-process tests) instead of
    running every migration again: ~20 s of CPU per worker and per extra migration.

    Django's own test-database creation still runs `migrate` on the copy; it finds every migration
    applied (so a template missing one would still be migrated) and sends `post_migrate` as usual.
    PostgreSQL: the test database is created with `TEMPLATE` (Django's `TEST["TEMPLATE"]`).
    SQLite: the in-memory test database is filled from the template file with the backup API just
    before that `migrate`.
    """
    from django.conf import settings
    from django.core import management

    from tests.core.migrated import postgres_template, sqlite_template

    db = settings.DATABASES["default"]
    real_call_command = management.call_command
    if db["ENGINE"] == "django.db.backends.postgresql":
        url = os.environ["DATABASE_URL"]
        base = url.split("?")[0].rsplit("/", 1)[0]
        db.setdefault("TEST", {})["TEMPLATE"] = postgres_template(tmp_path_factory, base, db["NAME"])
        yield
        return

    def call_command(name: Any, *args: Any, **options: Any) -> Any:
        if name == "migrate" and options.get("database", "default") == "default":
            import sqlite3

            management.call_command = real_call_command  # once: the test database's creation only

            from django.db import connections

            connection = connections["default"]
            if connection.creation.is_in_memory_db(connection.settings_dict["NAME"]):
                connection.ensure_connection()
                source = sqlite3.connect(sqlite_template(tmp_path_factory))
                try:
                    source.backup(connection.connection)
                finally:
                    source.close()
        return real_call_command(name, *args, **options)

    management.call_command = call_command
    try:
        yield
    finally:
        management.call_command = real_call_command
