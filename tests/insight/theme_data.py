"""Small feedback sets with clear topics, for theme tests (the hashing embedder groups shared words)."""

from __future__ import annotations

from typing import Any

from harken.core.taskrun import run_pending_tasks
from harken.workspaces.models import Workspace
from tests.insight.helpers import add

TOPICS = {
    "export": [
        "Export to CSV fails with a timeout on large reports",
        "Please let me export reports to CSV and Excel",
        "CSV export of the reports page is broken",
        "Exporting reports to Excel would be great",
        "The CSV export of reports is missing columns",
        "I need to export all reports to CSV every week",
    ],
    "dark": [
        "Dark mode please, the white screen hurts my eyes at night",
        "Add a dark mode theme for the dashboard",
        "Dark theme for the mobile app at night",
        "Would love a dark mode for night work",
        "The dashboard needs a dark theme option",
        "Dark mode on mobile hurts less at night",
    ],
    "billing": [
        "Invoice shows the wrong VAT number for billing",
        "Billing page does not let me download the invoice",
        "Please send the invoice to our billing email",
        "Wrong billing address printed on the invoice",
        "Billing invoice PDF has the wrong VAT",
        "Where do I change the billing email for invoices",
    ],
}


def seed(workspace: Workspace, topics: dict[str, list[str]] | None = None, **kwargs: Any) -> dict[str, list[int]]:
    """Create the items through the product path and run the queued jobs (embedding, themes)."""
    ids: dict[str, list[int]] = {}
    for topic, texts in (topics or TOPICS).items():
        ids[topic] = [add(workspace, text, **kwargs).pk for text in texts]
    run_pending_tasks()
    return ids
