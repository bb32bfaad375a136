"""Every write of the digests app: recipients, settings, sending a weekly digest, review sign-offs."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from harken.digests import digest as digest_mod
from harken.digests.models import Audience, DigestIssue, DigestRecipient, DigestSettings, ReviewSignoff
from harken.notify.services import queue_email
from harken.workspaces.access import Actor
from harken.workspaces.models import Role, Workspace

SEND_HOUR = 9


def digest_settings(workspace: Workspace) -> DigestSettings:
    """Saved settings or unsaved defaults (reads never write)."""
    return DigestSettings.objects.filter(workspace=workspace).first() or DigestSettings(workspace=workspace)


def update_settings(actor: Actor, *, enabled: bool, skip_when_empty: bool) -> DigestSettings:
    actor.require(Role.ADMIN)
    row, _ = DigestSettings.objects.update_or_create(
        workspace=actor.workspace, defaults={"enabled": bool(enabled), "skip_when_empty": bool(skip_when_empty)}
    )
    return row


def add_recipient(actor: Actor, *, email: str, name: str = "", audience: str = Audience.TEAM) -> DigestRecipient:
    actor.require(Role.ADMIN)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": f"“{email[:80]}” is not an email address."}) from None
    if audience not in Audience.values:
        raise ValidationError({"audience": f"Audience is one of {', '.join(Audience.values)}."})
    try:
        with transaction.atomic():
            return DigestRecipient.objects.create(
                workspace=actor.workspace, email=email, name=" ".join((name or "").split())[:200], audience=audience
            )
    except IntegrityError:
        raise ValidationError({"email": f"{email} already gets the digest."}) from None


def remove_recipient(actor: Actor, recipient: DigestRecipient) -> None:
    actor.require(Role.ADMIN)
    if recipient.workspace_id != actor.workspace.pk:
        raise ValidationError("That recipient belongs to another workspace.")
    recipient.delete()


def _send(workspace: Workspace, week_start: dt.date, *, force_empty: bool = False) -> DigestIssue | None:
    """Create the week's issue and queue one email per active recipient; None when it exists already."""
    built = digest_mod.build(workspace, week_start)
    settings_row = digest_settings(workspace)
    recipients = list(workspace.digest_recipients.filter(active=True))  # type: ignore[attr-defined]
    skip = built.empty and settings_row.skip_when_empty and not force_empty
    try:
        with transaction.atomic():
            issue = DigestIssue.objects.create(
                workspace=workspace, week_start=week_start, empty=built.empty, skipped=skip
            )
            if not skip:
                for r in recipients:
                    sections = built.for_audience(r.audience)
                    queue_email(
                        to=r.email,
                        subject=f"[Harken] {workspace.name} weekly digest, week of {week_start:%b %d}"
                        + (" (a quiet week)" if not any(s["rows"] for s in sections) else ""),
                        text=digest_mod.render_text(built, r.audience),
                        html=render_to_string(
                            "digests/email.html",
                            {
                                "digest": built,
                                "sections": sections,
                                "recipient": r,
                                "empty_text": digest_mod.EMPTY_TEXT,
                            },
                        ),
                        workspace=workspace,
                        kind="weekly_digest",
                        related_object=f"digests.digestissue:{issue.pk}",
                    )
                issue.recipients = len(recipients)
                issue.sent_at = timezone.now()
                issue.save(update_fields=["recipients", "sent_at"])
    except IntegrityError:
        return None
    return issue


def send_now(actor: Actor, week_start: dt.date) -> DigestIssue:
    """An admin sends a week's digest by hand (once per week, like the scheduled one)."""
    actor.require(Role.ADMIN)
    if week_start > digest_mod.week_of(timezone.now().astimezone(digest_mod.zone(actor.workspace)).date()):
        raise ValidationError({"week": "That week has not started yet."})
    if not actor.workspace.digest_recipients.filter(active=True).exists():  # type: ignore[attr-defined]
        raise ValidationError("Add at least one recipient first.")
    issue = _send(actor.workspace, week_start, force_empty=True)
    if issue is None:
        raise ValidationError({"week": f"The digest for the week of {week_start:%b %d} was sent already."})
    return issue


def send_weekly_digests(now: dt.datetime | None = None) -> int:
    """Hourly: each workspace on Monday from 09:00 (its time zone) gets last week's digest, once."""
    now = now or timezone.now()
    disabled = set(DigestSettings.objects.filter(enabled=False).values_list("workspace_id", flat=True))
    sent = 0
    for workspace in Workspace.objects.exclude(pk__in=disabled).filter(digest_recipients__active=True).distinct():
        local = now.astimezone(digest_mod.zone(workspace))
        if local.weekday() != 0 or local.hour < SEND_HOUR:
            continue
        week = digest_mod.week_of(local.date()) - dt.timedelta(days=7)
        if workspace.digest_issues.filter(week_start=week).exists():  # type: ignore[attr-defined]
            continue
        issue = _send(workspace, week)
        if issue is not None and not issue.skipped:
            sent += 1
    return sent


def sign_off(actor: Actor, month: dt.date, note: str = "") -> ReviewSignoff:
    """Record that this person reviewed the month's raw-data pack (again: the note is updated)."""
    actor.require(Role.VIEWER)
    if actor.user is None:
        raise ValidationError("Only a person can review the pack.")
    month = month.replace(day=1)
    if month > timezone.now().astimezone(digest_mod.zone(actor.workspace)).date():
        raise ValidationError({"month": "That month has not started yet."})
    row, _ = ReviewSignoff.objects.update_or_create(
        workspace=actor.workspace, month=month, user=actor.user, defaults={"note": (note or "").strip()[:500]}
    )
    return row


__all__ = ["add_recipient", "send_weekly_digests", "sign_off"]
