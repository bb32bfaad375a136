"""Reads no longer write: create, once, what pages used to create on first view.

Every workspace gets its SLA settings row and every feedback item without a triage row gets one
(with its "received" history event), as `triage.actions.ensure_settings` / `open_triage_many`
would have. New workspaces and items get theirs when they are created.
"""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

HISTORY_AGE = timedelta(days=7)
HISTORICAL_CHANNELS = {"csv"}
CHANNEL_LABELS = {
    "manual": "Manual",
    "csv": "CSV import",
    "api": "API",
    "email": "Email",
    "widget": "Widget",
    "portal": "Ideas portal",
    "review": "App review",
    "forum": "Forum / RSS",
    "conversation": "Conversation",
    "support": "Support ticket",
    "chat": "Chat",
    "webhook": "Webhook",
    "survey": "Survey",
}


def _schedule(config, workspace):
    from harken.triage import sla

    days = tuple(int(d) for d in (config.work_days if config.work_days else [0, 1, 2, 3, 4]))
    return sla.Schedule(
        target_hours=config.target_hours,
        business_hours=config.business_hours,
        tz=config.timezone or workspace.timezone or "UTC",
        days=days,
        start=config.day_start,
        end=config.day_end,
    )


def forwards(apps, schema_editor):
    from harken.triage import sla

    Workspace = apps.get_model("workspaces", "Workspace")
    TriageSettings = apps.get_model("triage", "TriageSettings")
    Triage = apps.get_model("triage", "Triage")
    TriageEvent = apps.get_model("triage", "TriageEvent")
    Feedback = apps.get_model("feedback", "Feedback")
    now = timezone.now()
    for workspace in Workspace.objects.all().iterator():
        config, _ = TriageSettings.objects.get_or_create(workspace=workspace)
        schedule = _schedule(config, workspace)
        missing = Feedback.objects.filter(workspace=workspace, triage__isnull=True).select_related("contact")
        while True:
            batch = list(missing.order_by("pk")[:1000])
            if not batch:
                break
            rows, details = [], []
            for item in batch:
                email = item.author_email or (item.contact.email if item.contact_id and item.contact else "")
                if not email:
                    reason = "No customer email: no reply expected, no SLA clock."
                elif item.channel in HISTORICAL_CHANNELS:
                    reason = "Imported history: no SLA clock."
                elif item.received_at < now - HISTORY_AGE:
                    reason = "Received more than 7 days before it reached Harken: no SLA clock."
                else:
                    reason = ""
                rows.append(
                    Triage(
                        workspace=workspace,
                        feedback=item,
                        received_at=item.received_at,
                        due_at=sla.due_at(item.received_at, schedule),
                        needs_response=not reason,
                    )
                )
                details.append((item, reason))
            Triage.objects.bulk_create(rows)
            rows = {r.feedback_id: r for r in Triage.objects.filter(feedback__in=batch)}
            TriageEvent.objects.bulk_create(
                [
                    TriageEvent(
                        workspace=workspace,
                        triage=rows[item.pk],
                        kind="received",
                        new_value=CHANNEL_LABELS.get(item.channel, item.channel),
                        detail=reason,
                    )
                    for item, reason in details
                ]
            )


class Migration(migrations.Migration):
    dependencies = [
        ("triage", "0001_initial"),
        ("feedback", "0002_feedback_merged_into"),
        ("workspaces", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
