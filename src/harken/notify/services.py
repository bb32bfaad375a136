"""Every outbound email goes through here: stored, then delivered by a queued task.

`queue_email` must be called inside the transaction of the change that causes the mail, so the
row and its delivery task commit (or roll back) together with it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from harken.notify.models import EmailStatus, OutboundEmail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_SECONDS = [30, 60, 300, 900, 1800, 3600, 7200, 14400]


def queue_email(
    *,
    to: list[str] | str,
    subject: str,
    text: str,
    html: str = "",
    workspace: Any = None,
    reply_to: str = "",
    headers: dict[str, str] | None = None,
    kind: str = "",
    related_object: str = "",
    from_email: str = "",
    secrets: dict[str, str] | None = None,
) -> OutboundEmail:
    """Store an email and enqueue its delivery.

    `secrets` maps a label ("invitation link") to a secret value that appears in text/html: it is
    stored only encrypted and replaced by a placeholder in the stored and shown body (see
    `harken.notify.secrets`), then wiped once the email is sent.
    """
    from harken.notify import secrets as secret_box
    from harken.notify.tasks import deliver_email

    text, html, sealed = secret_box.hide(text, html, secrets or {})

    recipients = [to] if isinstance(to, str) else list(to)
    domain = settings.SITE_URL.split("//")[-1].split(":")[0].split("/")[0] or "harken.local"
    email = OutboundEmail.objects.create(
        workspace=workspace,
        to=recipients,
        subject=subject[:500],
        text=text,
        html=html,
        secrets=sealed,
        reply_to=reply_to,
        headers=headers or {},
        kind=kind,
        related_object=related_object,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        message_id=make_msgid(domain=domain),
    )
    deliver_email.enqueue(email.pk)
    return email


def deliver(email_id: int, *, retry_interrupted: bool = False) -> OutboundEmail | None:
    """Send one queued email over SMTP, exactly once.

    The row is claimed (QUEUED/FAILED → SENDING) in its own short transaction so two workers
    cannot both send it; a failure schedules a retry with backoff. `retry_interrupted` (a
    reclaimed task's later attempt) also claims an email left SENDING by a worker that died.
    """
    claimable = [EmailStatus.QUEUED, EmailStatus.FAILED]
    if retry_interrupted:
        claimable.append(EmailStatus.SENDING)
    with transaction.atomic():
        claimed = OutboundEmail.objects.filter(pk=email_id, status__in=claimable).update(status=EmailStatus.SENDING)
    if not claimed:
        return None
    from harken.notify import secrets as secret_box

    email = OutboundEmail.objects.get(pk=email_id)
    headers = {"Message-ID": email.message_id, **email.headers}
    body, html = secret_box.reveal(email.text, email.html, email.secrets)
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=body,
        from_email=email.from_email or settings.DEFAULT_FROM_EMAIL,
        to=email.to,
        reply_to=[email.reply_to] if email.reply_to else None,
        headers=headers,
        connection=get_connection(fail_silently=False),
    )
    if html:
        message.attach_alternative(html, "text/html")
    email.attempts += 1
    try:
        message.send()
    except Exception as exc:  # noqa: BLE001 - any transport error means retry later
        log.warning("Email %s failed (attempt %s): %s", email.pk, email.attempts, exc)
        email.last_error = f"{type(exc).__name__}: {exc}"
        if email.attempts >= MAX_ATTEMPTS:
            email.status = EmailStatus.DEAD
        else:
            email.status = EmailStatus.FAILED
            delay = BACKOFF_SECONDS[min(email.attempts - 1, len(BACKOFF_SECONDS) - 1)]
            email.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        email.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])
        if email.status == EmailStatus.FAILED:
            from harken.notify.tasks import deliver_email

            deliver_email.using(run_after=email.next_attempt_at).enqueue(email.pk)
        return email
    email.status = EmailStatus.SENT
    email.sent_at = timezone.now()
    email.last_error = ""
    email.secrets = ""  # the link has left; nothing secret stays behind
    email.save(update_fields=["status", "attempts", "last_error", "sent_at", "secrets"])
    return email


RETRYABLE = [EmailStatus.FAILED, EmailStatus.DEAD]


def retry(actor: Any, email: OutboundEmail) -> OutboundEmail:
    """Send a failed (or given-up) email again now; a sent one is never re-sent."""
    from django.core.exceptions import ValidationError

    from harken.workspaces.models import Role

    actor.require(Role.ADMIN)
    if email.workspace_id != actor.workspace.pk:
        raise ValidationError("That email belongs to another workspace.")
    return requeue(email)


def requeue(email: OutboundEmail) -> OutboundEmail:
    """Queue a failed (or given-up) email again now. No permission check: callers authorise
    (`retry` above for the outbox's admins; `triage.actions.retry_reply` for a reply's author)."""
    from django.core.exceptions import ValidationError

    from harken.notify.tasks import deliver_email

    with transaction.atomic():
        updated = OutboundEmail.objects.filter(pk=email.pk, status__in=RETRYABLE).update(
            status=EmailStatus.QUEUED,
            next_attempt_at=timezone.now(),
            attempts=0 if email.status == EmailStatus.DEAD else email.attempts,
        )
        if not updated:
            raise ValidationError(
                f"Only failed emails can be retried; this one is {email.get_status_display().lower()}."
            )
        deliver_email.enqueue(email.pk)
    email.refresh_from_db()
    return email


def deliver_due(now: Any = None) -> int:
    """Deliver every failed email whose backoff has passed (a safety net next to the queued retries)."""
    now = now or timezone.now()
    count = 0
    for pk in OutboundEmail.objects.filter(status=EmailStatus.FAILED, next_attempt_at__lte=now).values_list(
        "pk", flat=True
    ):
        if deliver(pk) is not None:
            count += 1
    return count


def outbox(workspace: Any, status: str = "") -> Any:
    emails = OutboundEmail.objects.filter(workspace=workspace)
    if status == "problems":
        emails = emails.filter(status__in=RETRYABLE)
    elif status in EmailStatus.values:
        emails = emails.filter(status=status)
    return emails.order_by("-created_at")


def outbox_counts(workspace: Any) -> dict[str, int]:
    emails = OutboundEmail.objects.filter(workspace=workspace)
    return {
        "all": emails.count(),
        "problems": emails.filter(status__in=RETRYABLE).count(),
        "queued": emails.filter(status__in=[EmailStatus.QUEUED, EmailStatus.SENDING]).count(),
        "sent": emails.filter(status=EmailStatus.SENT).count(),
    }
