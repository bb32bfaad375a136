"""Triage writes: open a row for a new item, assign, decide, note, reply, templates, SLA settings,
reminders.

The SLA clock starts at the item's `received_at` and stops when the first reply to the customer
is queued in the outbox: delivery is the system's job (retried until it succeeds), answering is
the team's. Reads live in `triage.queries`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from harken.core import bulkinsert
from harken.feedback.models import Feedback
from harken.notify.services import RETRYABLE, queue_email, requeue
from harken.notify.webhooks import emit as emit_webhook
from harken.triage import sla
from harken.triage.models import (
    DUPLICATE_REQUIRED,
    LINK_REQUIRED,
    REASON_REQUIRED,
    Decision,
    EventKind,
    Note,
    Reply,
    ReplyTemplate,
    Triage,
    TriageEvent,
    TriageSettings,
)
from harken.triage.queries import (
    _customer_email,
    _no_clock_reason,
    _quote,
    _who,
    check_template_text,
    default_subject,
    expects_reply,
    get_settings,
    item_url,
    render_template_text,
    resolve_mentions,
    template_context,
    time_left,
)
from harken.workspaces.access import Actor
from harken.workspaces.models import Membership, Role, Workspace


def update_settings(
    actor: Actor,
    *,
    target_hours: int,
    near_breach_hours: int,
    business_hours: bool,
    timezone_name: str,
    work_days: Iterable[int],
    day_start: Any,
    day_end: Any,
) -> TriageSettings:
    """Change the SLA; open items get their due time recomputed so the queue stays honest."""
    actor.require(Role.ADMIN)
    errors: dict[str, str] = {}
    if not 1 <= int(target_hours) <= 24 * 30:
        errors["target_hours"] = "The target must be between 1 hour and 30 days (720 hours)."
    if not 0 <= int(near_breach_hours) <= 24 * 7:
        errors["near_breach_hours"] = "The warning window must be between 0 and 168 hours."
    days = sorted({int(d) for d in work_days})
    if business_hours and not days:
        errors["work_days"] = "Pick at least one working day."
    if any(d < 0 or d > 6 for d in days):
        errors["work_days"] = "Working days are 0 (Monday) to 6 (Sunday)."
    if business_hours and day_start >= day_end:
        errors["day_end"] = "The working day must end after it starts."
    tz_name = (timezone_name or "").strip()
    if tz_name:
        try:
            ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            errors["timezone"] = (
                f"Unknown time zone “{tz_name[:60]}”; use a name like Europe/Berlin or America/New_York."
            )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        config = get_settings(actor.workspace)
        config.target_hours = int(target_hours)
        config.near_breach_hours = int(near_breach_hours)
        config.business_hours = bool(business_hours)
        config.timezone = tz_name
        config.work_days = days
        config.day_start = day_start
        config.day_end = day_end
        config.save()
        schedule = config.schedule()
        for item in actor.workspace.triage_items.filter(first_response_at__isnull=True):
            item.due_at = sla.due_at(item.received_at, schedule)
            item.save(update_fields=["due_at", "updated_at"])
    return config


def ensure_settings(workspace: Workspace) -> TriageSettings:
    """Create the workspace's SLA settings with the defaults (when the workspace is created)."""
    found, _ = TriageSettings.objects.get_or_create(workspace=workspace)
    return found


def open_triage_many(
    items: Sequence[Feedback], actor: Actor | None = None, config: TriageSettings | None = None
) -> list[Triage]:
    """Open the triage rows of NEW items (none may have one yet): two INSERTs for the whole list.

    Each row's SLA clock starts at the item's received_at; the history gets a "received" event.
    The items must share one workspace. Called by `feedback.actions.create_feedback` and
    `create_feedback_batch`, inside their transaction.
    """
    if not items:
        return []
    workspace = items[0].workspace
    config = config or get_settings(workspace)
    schedule = config.schedule()
    now = timezone.now()
    rows = [
        Triage(
            workspace=workspace,
            feedback=feedback,
            received_at=feedback.received_at,
            due_at=sla.due_at(feedback.received_at, schedule),
            needs_response=expects_reply(feedback, now),
        )
        for feedback in items
    ]
    bulkinsert.insert(Triage, rows)
    user = actor.user if actor else None
    bulkinsert.insert(
        TriageEvent,
        [
            TriageEvent(
                workspace=workspace,
                triage=row,
                kind=EventKind.RECEIVED,
                actor=user,
                new_value=row.feedback.get_channel_display(),
                detail="" if row.needs_response else _no_clock_reason(row.feedback),
            )
            for row in rows
        ],
    )
    return rows


def open_triage(feedback: Feedback, actor: Actor | None = None) -> Triage:
    """Open the triage row of one item if it has none (idempotent)."""
    with transaction.atomic():
        existing = Triage.objects.select_for_update().filter(feedback=feedback).first()
        if existing is not None:
            return existing
        return open_triage_many([feedback], actor)[0]


def open_missing(workspace: Workspace, chunk: int = 1000) -> int:
    """Open triage for the workspace's items that have no row (bulk-loaded demo data, old items).

    A write, run explicitly (demo hook, data migration, CLI), never from a page."""
    config = get_settings(workspace)
    count = 0
    while True:
        batch = list(
            workspace.feedback_items.filter(triage__isnull=True)
            .select_related("contact", "workspace")
            .order_by("pk")[:chunk]
        )
        if not batch:
            return count
        with transaction.atomic():
            open_triage_many(batch, config=config)
        count += len(batch)


# --- writes ----------------------------------------------------------------------------------------


def _event(item: Triage, actor: Actor, kind: str, old: str = "", new: str = "", detail: str = "") -> TriageEvent:
    return TriageEvent.objects.create(
        workspace=item.workspace, triage=item, kind=kind, actor=actor.user, old_value=old, new_value=new, detail=detail
    )


def _check_owned(actor: Actor, obj: Any) -> None:
    if obj.workspace_id != actor.workspace.pk:
        raise ValidationError("That item belongs to another workspace.")


def assign(actor: Actor, item: Triage, user: Any) -> Triage:
    actor.require(Role.MEMBER)
    _check_owned(actor, item)
    if user is not None:
        membership = actor.workspace.memberships.filter(user=user).first()
        if membership is None or not Role(membership.role).at_least(Role.MEMBER):
            raise ValidationError({"assignee": "Only members of this workspace (not viewers) can be assigned."})
    if item.assignee_id == (user.pk if user else None):
        return item
    with transaction.atomic():
        old = item.assignee
        item.assignee = user
        item.reminder_sent_at = None  # the new owner deserves their own reminder
        item.save(update_fields=["assignee", "reminder_sent_at", "updated_at"])
        _event(item, actor, EventKind.ASSIGNED, _who(old), _who(user))
        if user is not None and actor.user is not None and user.pk != actor.user.pk:
            queue_email(
                to=user.email,
                subject=f"[Harken] {actor.user.display_name} assigned you: {item.feedback.headline[:120]}",
                text=(
                    f"{actor.user.display_name} assigned you a feedback item in {actor.workspace.name}.\n\n"
                    f"{_quote(item.feedback.text)}\n\nOpen it: {item_url(item)}\n"
                ),
                workspace=actor.workspace,
                kind="assignment",
                related_object=f"triage.triage:{item.pk}",
            )
    return item


def _decision_text(decision: str, reason: str = "", link: str = "", duplicate_of: Feedback | None = None) -> str:
    if not decision:
        return "Undecided"
    text = Decision(decision).label
    if duplicate_of is not None:
        text += f" of #{duplicate_of.pk}"
    if link:
        text += f" ({link})"
    if reason:
        text += f" — {reason}"
    return text


def decide(
    actor: Actor,
    item: Triage,
    decision: str,
    *,
    reason: str = "",
    link: str = "",
    duplicate_of: Feedback | None = None,
) -> Triage:
    actor.require(Role.MEMBER)
    _check_owned(actor, item)
    reason = (reason or "").strip()
    link = (link or "").strip()
    if decision not in Decision.values:
        raise ValidationError({"decision": f"Pick a decision: {', '.join(Decision.labels)}."})
    if decision in REASON_REQUIRED and not reason:
        raise ValidationError(
            {
                "reason": f"“{Decision(decision).label}” needs a reason: the customer will ask why, and so will your team."
            }
        )
    if len(reason) > 5000:
        raise ValidationError({"reason": "Keep the reason under 5,000 characters."})
    if decision in LINK_REQUIRED:
        if not link:
            raise ValidationError(
                {"link": "“Already exists” needs a link to where it exists (docs, feature, changelog)."}
            )
        if not re.match(r"^https?://\S+$", link) or len(link) > 500:
            raise ValidationError({"link": "The link must be a full http(s) address."})
    elif decision not in DUPLICATE_REQUIRED:
        link = link if re.match(r"^https?://\S+$", link) else ""
    if decision in DUPLICATE_REQUIRED:
        if duplicate_of is None:
            raise ValidationError({"duplicate_of": "“Duplicate” needs the item it duplicates."})
        if duplicate_of.workspace_id != actor.workspace.pk:
            raise ValidationError({"duplicate_of": "That item belongs to another workspace."})
        if duplicate_of.pk == item.feedback_id:
            raise ValidationError({"duplicate_of": "An item cannot be a duplicate of itself."})
    else:
        duplicate_of = None
    old_text = _decision_text(item.decision, item.decision_reason, item.decision_link, item.duplicate_of)
    new_text = _decision_text(decision, reason, link, duplicate_of)
    if old_text == new_text:
        return item
    with transaction.atomic():
        item.decision = decision
        item.decision_reason = reason
        item.decision_link = link
        item.duplicate_of = duplicate_of
        item.decided_at = timezone.now()
        item.decided_by = actor.user
        item.save(
            update_fields=[
                "decision",
                "decision_reason",
                "decision_link",
                "duplicate_of",
                "decided_at",
                "decided_by",
                "updated_at",
            ]
        )
        _event(item, actor, EventKind.DECIDED, old_text, new_text)
        emit_webhook(
            actor.workspace,
            "triage.decision_made",
            {"summary": new_text, "feedback_id": item.feedback_id, "decision": decision},
        )
    return item


def add_note(actor: Actor, item: Triage, body: str) -> Note:
    actor.require(Role.MEMBER)
    _check_owned(actor, item)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write the note first."})
    if len(body) > 20000:
        raise ValidationError({"body": "Keep notes under 20,000 characters."})
    mentioned = resolve_mentions(actor.workspace, body)
    with transaction.atomic():
        note = Note.objects.create(workspace=actor.workspace, triage=item, author=actor.user, body=body)
        note.mentions.set(mentioned)
        _event(item, actor, EventKind.NOTE, detail=body[:500])
        author = actor.user.display_name if actor.user else "Someone"
        for user in mentioned:
            if actor.user is not None and user.pk == actor.user.pk:
                continue
            queue_email(
                to=user.email,
                subject=f"[Harken] {author} mentioned you: {item.feedback.headline[:120]}",
                text=f"{author} mentioned you in an internal note:\n\n{_quote(body)}\n\nOpen the item: {item_url(item)}\n",
                workspace=actor.workspace,
                kind="mention",
                related_object=f"triage.note:{note.pk}",
            )
    return note


def _clean_template(
    workspace: Workspace, name: str, subject: str, body: str, exclude_pk: int | None = None
) -> tuple[str, str, str]:
    name = " ".join((name or "").split())
    subject = " ".join((subject or "").split())
    body = (body or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Give the template a name."
    elif len(name) > 120:
        errors["name"] = "Keep the name under 120 characters."
    elif workspace.reply_templates.filter(name__iexact=name).exclude(pk=exclude_pk).exists():
        errors["name"] = f"A template called “{name}” already exists."
    if not body:
        errors["body"] = "Write the reply text."
    if len(subject) > 300:
        errors["subject"] = "Keep the subject under 300 characters."
    if errors:
        raise ValidationError(errors)
    check_template_text(subject, "subject")
    check_template_text(body, "body")
    return name, subject, body


def create_template(actor: Actor, *, name: str, subject: str = "", body: str) -> ReplyTemplate:
    actor.require(Role.MEMBER)
    name, subject, body = _clean_template(actor.workspace, name, subject, body)
    return ReplyTemplate.objects.create(workspace=actor.workspace, name=name, subject=subject, body=body)


def update_template(actor: Actor, template: ReplyTemplate, *, name: str, subject: str = "", body: str) -> ReplyTemplate:
    actor.require(Role.MEMBER)
    _check_owned(actor, template)
    template.name, template.subject, template.body = _clean_template(
        actor.workspace, name, subject, body, exclude_pk=template.pk
    )
    template.save()
    return template


def delete_template(actor: Actor, template: ReplyTemplate) -> None:
    actor.require(Role.MEMBER)
    _check_owned(actor, template)
    template.delete()


# --- replies -----------------------------------------------------------------------------------------


def send_reply(
    actor: Actor, item: Triage, *, body: str, subject: str = "", template: ReplyTemplate | None = None
) -> Reply:
    """Queue the reply in the outbox (threaded onto the customer's mail) and stop the SLA clock."""
    actor.require(Role.MEMBER)
    _check_owned(actor, item)
    if template is not None:
        _check_owned(actor, template)
    feedback = item.feedback
    to = _customer_email(feedback)
    if not to:
        raise ValidationError("This item has no customer email address, so there is nobody to reply to.")
    context = template_context(item)
    body = render_template_text((body or "").strip(), context)
    subject = " ".join(render_template_text(subject or "", context).split()) or default_subject(item)
    if not body:
        raise ValidationError({"body": "Write the reply (or pick a template)."})
    if len(body) > 100_000:
        raise ValidationError({"body": "Keep the reply under 100,000 characters."})
    subject = subject[:300]
    from harken.channels.email import services as email_services

    headers: dict[str, str] = {}
    in_reply_to, references = email_services.thread_headers(feedback)
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
        headers["References"] = " ".join(references)
    with transaction.atomic():
        email = queue_email(
            to=to,
            subject=subject,
            text=body,
            workspace=actor.workspace,
            reply_to=email_services.reply_address(actor.workspace),
            headers=headers,
            kind="reply",
            related_object=f"feedback.feedback:{feedback.pk}",
        )
        reply = Reply.objects.create(
            workspace=actor.workspace,
            triage=item,
            author=actor.user,
            to=to,
            subject=subject,
            body=body,
            template=template,
            email=email,
        )
        now = timezone.now()
        fields = ["updated_at"]
        if item.first_response_at is None:
            item.first_response_at = now
            item.first_response_by = actor.user
            fields += ["first_response_at", "first_response_by"]
        item.save(update_fields=fields)
        _event(
            item,
            actor,
            EventKind.REPLIED,
            new=subject,
            detail=(f"Template: {template.name}. " if template else "") + body[:300],
        )
    return reply


def record_customer_followup(feedback: Feedback, subject: str = "") -> None:
    """A customer wrote again on a thread: show it in the history (the item stays where it is)."""
    item = open_triage(feedback)
    with transaction.atomic():
        item.customer_replied_at = timezone.now()
        item.save(update_fields=["customer_replied_at", "updated_at"])
        TriageEvent.objects.create(
            workspace=item.workspace, triage=item, kind=EventKind.CUSTOMER, new_value=subject[:300]
        )


# --- reminders ---------------------------------------------------------------------------------------


def send_reminders(now: datetime | None = None) -> int:
    """Hourly: remind each assignee once per item when less than the warning window is left."""
    now = now or timezone.now()
    sent = 0
    configs: dict[int, TriageSettings] = {}
    candidates = (
        Triage.objects.filter(
            needs_response=True, first_response_at__isnull=True, reminder_sent_at__isnull=True, assignee__isnull=False
        )
        .filter(due_at__lte=now + timedelta(days=30))
        .select_related("workspace", "feedback", "assignee")
    )
    for item in candidates:
        config = configs.get(item.workspace_id) or configs.setdefault(item.workspace_id, get_settings(item.workspace))
        if item.due_at is None or time_left(item, config, now) > timedelta(hours=config.near_breach_hours):
            continue
        if not item.workspace.memberships.filter(user=item.assignee).exists():
            continue
        with transaction.atomic():
            claimed = Triage.objects.filter(pk=item.pk, reminder_sent_at__isnull=True).update(reminder_sent_at=now)
            if not claimed:
                continue
            left = item.due_at - now
            when = (
                f"is overdue by {sla.format_duration(left)}"
                if left <= timedelta(0)
                else f"is due in {sla.format_duration(left)}"
            )
            assert item.assignee is not None
            queue_email(
                to=item.assignee.email,
                subject=f"[Harken] First response {when}: {item.feedback.headline[:100]}",
                text=(
                    f"The first response to this item {when} "
                    f"(target {config.target_hours} h in {item.workspace.name}).\n\n"
                    f"{_quote(item.feedback.text)}\n\nReply from the item page: {item_url(item)}\n"
                ),
                workspace=item.workspace,
                kind="sla_reminder",
                related_object=f"triage.triage:{item.pk}",
            )
            sent += 1
    return sent


def send_overdue_summaries(now: datetime | None = None) -> int:
    """Daily: each workspace owner gets one list of items past their first-response target."""
    now = now or timezone.now()
    sent = 0
    overdue = Triage.objects.filter(needs_response=True, first_response_at__isnull=True, due_at__lt=now)
    for workspace in Workspace.objects.filter(pk__in=overdue.values("workspace")):
        items = list(
            workspace.triage_items.filter(needs_response=True, first_response_at__isnull=True, due_at__lt=now)
            .select_related("feedback", "assignee")
            .order_by("due_at")
        )
        lines = [
            f"- {item.feedback.headline[:100]} — overdue by {sla.format_duration(now - item.due_at)}"  # type: ignore[operator]
            f", {('assigned to ' + item.assignee.display_name) if item.assignee else 'unassigned'}\n  {item_url(item)}"
            for item in items[:50]
        ]
        more = f"\n…and {len(items) - 50} more." if len(items) > 50 else ""
        inbox = settings.SITE_URL + reverse("triage:inbox", kwargs={"ws": workspace.slug}) + "?tab=overdue"
        with transaction.atomic():
            for owner in Membership.objects.filter(workspace=workspace, role=Role.OWNER).select_related("user"):
                queue_email(
                    to=owner.user.email,
                    subject=f"[Harken] {len(items)} overdue first response{'s' if len(items) != 1 else ''} in {workspace.name}",
                    text=(
                        f"These items in {workspace.name} are past their first-response target:\n\n"
                        + "\n".join(lines)
                        + more
                        + f"\n\nThe overdue queue: {inbox}\n"
                    ),
                    workspace=workspace,
                    kind="sla_summary",
                )
                sent += 1
    return sent


def retry_reply(actor: Actor, reply: Reply) -> Reply:
    """Send a reply whose email failed (or was given up on) again: its author may, and admins may.

    The outbox itself stays admin-only (it holds invitations and other secret-bearing mail); this
    touches only the one email behind the author's own reply, and shows nothing of it but its status.
    """
    actor.require(Role.MEMBER)
    if reply.workspace_id != actor.workspace.pk:
        raise ValidationError("That reply belongs to another workspace.")
    if not actor.can(Role.ADMIN) and (actor.user is None or reply.author_id != actor.user.pk):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Only the person who wrote this reply (or an admin) can send it again.")
    email = reply.email
    if email is None or email.status not in RETRYABLE:
        raise ValidationError("Only a reply whose email failed can be sent again.")
    requeue(email)
    return reply
