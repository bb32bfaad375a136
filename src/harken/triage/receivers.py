"""Signal receivers, only where the sender must not know triage: a new workspace gets its SLA
settings; a customer's follow-up email enters the item's history.

A new feedback item's triage row is NOT opened here: `feedback.actions.create_feedback` opens it
explicitly (see docs/architecture.md, "The path of an item")."""

from __future__ import annotations

from typing import Any

from harken.triage import actions


def workspace_created(sender: Any, workspace: Any, **kwargs: Any) -> None:
    actions.ensure_settings(workspace)


def email_followup(sender: Any, feedback: Any, inbound: Any, **kwargs: Any) -> None:
    actions.record_customer_followup(feedback, inbound.subject)
