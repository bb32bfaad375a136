"""Channel import runs recorded before the pipeline was unified become import jobs (data migration)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("imports", "0002_import_sources_and_ledger"), ("channels", "0003_feed_items_source")]
AFTER = [("imports", "0003_copy_channel_imports"), ("channels", "0004_channel_imports_become_import_jobs")]


@pytest.mark.django_db(transaction=True)
def test_channel_import_runs_are_copied_to_import_jobs() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    ChannelImport = apps.get_model("channels", "ChannelImport")
    from harken.workspaces.models import Workspace  # other apps stay migrated: today's model fits the table

    ws = Workspace.objects.create(name="Old", slug="old")
    done = ChannelImport.objects.create(
        workspace_id=ws.pk,
        source="zendesk",
        status="partial",
        file="channel-imports/2026/01/tickets.json",
        original_name="tickets.json",
        size=120,
        total=6,
        created=3,
        existing=1,
        skipped=1,
        errors=1,
        error_report=[{"record": 4, "reason": "Record 4: not a date", "level": "error"}],
    )
    ChannelImport.objects.create(
        workspace_id=ws.pk, source="appstore", status="running", file="x.csv", original_name="x.csv"
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    ImportJob = apps.get_model("imports", "ImportJob")
    jobs = {job.source: job for job in ImportJob.objects.filter(workspace_id=ws.pk)}
    assert set(jobs) == {"zendesk", "appstore"}
    zendesk = jobs["zendesk"]
    assert (zendesk.status, zendesk.kind, zendesk.file.name) == (
        "done",
        "feedback",
        "channel-imports/2026/01/tickets.json",
    )
    assert (zendesk.total_rows, zendesk.created, zendesk.skipped, zendesk.ignored, zendesk.errors) == (6, 3, 1, 1, 1)
    assert zendesk.error_report == [{"row": 4, "column": None, "message": "Record 4: not a date", "level": "error"}]
    assert zendesk.options["legacy_channel_import"] == done.pk
    assert jobs["appstore"].status == "failed" and "interrupted" in jobs["appstore"].failure
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # leave the database as the other tests expect it
