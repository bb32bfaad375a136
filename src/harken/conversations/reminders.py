"""The Monday cadence reminder: each PM, on Monday from 08:00 in their own time zone, gets one email
(through the outbox) with last week's result, this week's gap per product line, and who to talk to
next with the reasons. `CadenceReminder` (unique per PM and week) makes the hourly job idempotent.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from harken.conversations import cadence, suggestions
from harken.conversations.models import CadenceReminder, CadenceSettings
from harken.notify.services import queue_email
from harken.workspaces.models import Workspace

log = logging.getLogger(__name__)
SEND_HOUR = 8


def reminder_text(workspace: Workspace, user: Any, now: dt.datetime) -> tuple[str, str]:
    rows = cadence.cadence(workspace, weeks=2, now=now, user=user)
    target = rows[0].current.target if rows else 0
    lines = [f"Hello {user.display_name},", ""]
    total_gap = 0
    for r in rows:
        last, this = r.weeks[0], r.current
        total_gap += this.gap
        lines.append(
            f"{r.line.name}: last week {last.count} of {target} ({'met' if last.met else 'missed'}); "
            f"this week {this.count} so far, {this.gap} to go. Streak: {r.streak} week{'s' if r.streak != 1 else ''}."
        )
    lines.append("")
    for r in rows:
        picks = suggestions.suggest(workspace, product_line=r.line, now=now, limit=5)
        lines.append(f"Who to talk to next for {r.line.name}:")
        if not picks:
            lines.append("  (no suggestions: no account stands out this week)")
        for s in picks:
            where = f" ({s.account.name})" if s.account else ""
            email = f" <{s.contact.email}>" if s.contact.email else ""
            lines.append(f"  - {s.contact}{where}{email}: " + "; ".join(r.text for r in s.reasons))
        lines.append("")
    url = settings.SITE_URL + reverse("conversations:cadence", kwargs={"ws": workspace.slug})
    lines.append(f"Your cadence: {url}")
    subject = (
        f"[Harken] {total_gap} conversation{'s' if total_gap != 1 else ''} to go this week in {workspace.name}"
        if total_gap
        else f"[Harken] Your conversation cadence in {workspace.name}"
    )
    return subject, "\n".join(lines) + "\n"


def send_cadence_reminders(now: dt.datetime | None = None) -> int:
    """For every PM whose local time is Monday at or after 08:00 and who has no reminder this week."""
    now = now or timezone.now()
    disabled = set(CadenceSettings.objects.filter(reminders_enabled=False).values_list("workspace_id", flat=True))
    sent = 0
    for workspace in (
        Workspace.objects.exclude(pk__in=disabled).filter(product_lines__managers__isnull=False).distinct()
    ):
        users = {pm.pk: pm for pm, _ in cadence.pm_lines(workspace)}
        for user in users.values():
            zone = cadence.zone_for(workspace, user)
            local = now.astimezone(zone)
            if local.weekday() != 0 or local.hour < SEND_HOUR:
                continue
            week = cadence.week_start(now, zone)
            if CadenceReminder.objects.filter(workspace=workspace, user=user, week_start=week).exists():
                continue
            subject, text = reminder_text(workspace, user, now)
            try:
                with transaction.atomic():
                    reminder = CadenceReminder.objects.create(workspace=workspace, user=user, week_start=week)
                    reminder.email = queue_email(
                        to=user.email,
                        subject=subject,
                        text=text,
                        workspace=workspace,
                        kind="cadence_reminder",
                        related_object=f"conversations.cadencereminder:{reminder.pk}",
                    )
                    reminder.save(update_fields=["email"])
            except IntegrityError:  # another scheduler got there first
                continue
            sent += 1
    return sent
