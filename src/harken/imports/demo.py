"""Demo hook: one Zendesk export goes through the import pipeline, so Imports and Channels show a run.

The export is built from the demo's own contacts (a dozen tickets in Zendesk's JSON-lines export
format, one without text); the run is queued like any upload and the worker runs it.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

from django.utils import timezone

SUBJECTS = [
    ("Export to CSV times out", "Our monthly export of all tickets stops after a few minutes."),
    ("SSO login loops back", "After the Okta redirect we land on the sign-in page again."),
    ("Bulk edit for tags", "We need to retag hundreds of items at once; one by one takes hours."),
    ("Slack notifications duplicated", "Every new reply posts twice in our support channel."),
    ("Dark mode for the dashboard", "Our night shift would love a darker theme."),
    ("API rate limit too low", "Our sync job hits 429 errors every hour."),
    ("Invoice shows wrong VAT", "The March invoice charged 19% instead of reverse charge."),
    ("Mobile app crashes on upload", "Attaching a photo from the iPhone closes the app."),
    ("Need audit log export", "Compliance asks for a log of who changed what."),
    ("Search misses older tickets", "Anything older than a year never shows up in search."),
    ("Custom fields in reports", "We cannot group reports by our own ticket fields."),
]


def export_for(workspace: Any) -> bytes:
    emails = list(workspace.contacts.order_by("pk").values_list("email", "name")[: len(SUBJECTS)])
    now = timezone.now()
    lines = []
    for i, (subject, description) in enumerate(SUBJECTS):
        email, name = emails[i % len(emails)] if emails else (f"customer{i}@example.com", f"Customer {i}")
        lines.append(
            {
                "id": 48000 + i,
                "subject": subject,
                "description": description,
                "requester": {"email": email, "name": name},
                "created_at": (now - timedelta(days=3 * i + 1)).isoformat(),
                "via": {"channel": "email" if i % 2 else "web"},
                "tags": ["demo", "zendesk"],
            }
        )
    lines.append({"id": 48099, "subject": "", "description": "", "tags": ["spam"]})  # nothing to import
    return "\n".join(json.dumps(line) for line in lines).encode()


def after_demo_load(workspace: Any) -> int:
    """Upload the export as the workspace's system actor and queue its run (one task)."""
    from harken.imports import actions
    from harken.workspaces.access import Actor

    actor = Actor.system(workspace)
    job = actions.create_job(
        actor, "feedback", io.BytesIO(export_for(workspace)), filename="zendesk-tickets.json", source="zendesk"
    )
    actions.set_mapping(actor, job, {})
    actions.start_import(actor, job)
    return 1
