"""Channel import runs (channels.ChannelImport) become import jobs: one model for every file import.

Each run is copied with its file (the stored name is reused, nothing is moved), counts and errors;
`options.legacy_channel_import` keeps the old id so /channels/imports/<id>/ still finds it.
"""

from django.db import migrations

STATUS = {"done": "done", "partial": "done", "failed": "failed", "running": "failed"}


def copy_runs(apps, schema_editor):
    ChannelImport = apps.get_model("channels", "ChannelImport")
    ImportJob = apps.get_model("imports", "ImportJob")
    for run in ChannelImport.objects.all().iterator():
        options = dict(run.options or {})
        options["legacy_channel_import"] = run.pk
        failure = run.failure
        if run.status == "running":
            failure = failure or "This run was interrupted before the import pipeline existed; upload the file again."
        job = ImportJob(
            workspace_id=run.workspace_id,
            kind="feedback",
            source=run.source,
            status=STATUS.get(run.status, "failed"),
            original_name=run.original_name,
            size=run.size,
            sha256=run.sha256,
            encoding="",
            options=options,
            total_rows=run.total,
            processed_rows=run.total,
            progress=100,
            created=run.created,
            skipped=run.existing,
            ignored=run.skipped,
            errors=run.errors,
            error_report=[
                {"row": p.get("record", 0), "column": None, "message": p.get("reason", ""), "level": p.get("level", "error")}
                for p in (run.error_report or [])
            ],
            failure=failure,
            created_by_id=run.created_by_id,
            finished_at=run.finished_at,
        )
        job.file.name = run.file.name
        job.save()
        ImportJob.objects.filter(pk=job.pk).update(created_at=run.created_at)


def copy_back(apps, schema_editor):
    ImportJob = apps.get_model("imports", "ImportJob")
    ImportJob.objects.filter(options__has_key="legacy_channel_import").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0002_import_sources_and_ledger"),
        ("channels", "0002_more_channels"),
    ]

    operations = [migrations.RunPython(copy_runs, copy_back)]
