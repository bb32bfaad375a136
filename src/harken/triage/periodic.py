"""Triage's periodic jobs (see harken.core.scheduling)."""

from harken.core.scheduling import periodic
from harken.triage.tasks import send_overdue_summaries, send_sla_reminders

periodic("triage.send_sla_reminders", every="hour", at=":05", task=send_sla_reminders)
periodic("triage.send_overdue_summaries", every="day", at="08:00", task=send_overdue_summaries)
