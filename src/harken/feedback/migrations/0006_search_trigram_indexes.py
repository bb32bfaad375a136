"""Trigram indexes for the inbox's word search on PostgreSQL (a no-op on SQLite).

Django's `icontains` on PostgreSQL is `UPPER(col::text) LIKE UPPER('%word%')`: without an index
that is a sequential scan of every item (over a minute at 1M items). GIN indexes on
`UPPER(col) gin_trgm_ops` serve those LIKEs (docs/benchmarks.md, "Inbox search at scale").
Built CONCURRENTLY (so a big inbox keeps taking writes), hence a non-atomic migration.
"""

from django.db import migrations

COLUMNS = ("text", "title", "author_email", "author_name")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in COLUMNS:
            cursor.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS feedback_{column}_trgm "
                f"ON feedback_feedback USING gin (UPPER({column}) gin_trgm_ops)"
            )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for column in COLUMNS:
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS feedback_{column}_trgm")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("feedback", "0005_inbox_columns"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
