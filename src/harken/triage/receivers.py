"""Signal receivers: a new item opens its triage clock; a customer's follow-up enters the history."""

from __future__ import annotations

from typing import Any

from harken.triage import actions


def feedback_created(sender: Any, feedback: Any, actor: Any = None, **kwargs: Any) -> None:
    actions.open_triage(feedback, actor)


def email_followup(sender: Any, feedback: Any, inbound: Any, **kwargs: Any) -> None:
    actions.record_customer_followup(feedback, inbound.subject)
