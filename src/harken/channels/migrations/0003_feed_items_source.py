"""Feeds find their items by the indexed source fields, not by searching raw payloads: fill them
in for items polled before those fields existed (same match the old lookup used)."""

from django.db import migrations


def forwards(apps, schema_editor):
    Feed = apps.get_model("channels", "Feed")
    Feedback = apps.get_model("feedback", "Feedback")
    for feed in Feed.objects.all().iterator():
        Feedback.objects.filter(
            workspace_id=feed.workspace_id,
            source_kind="",
            dedupe_key__startswith="feed:",
            raw_payload__contains=f'"feed": "{feed.url}"',
        ).update(source_kind="feed", source_ref=str(feed.pk))


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0002_more_channels"),
        ("feedback", "0004_feedback_source"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
