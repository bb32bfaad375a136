"""Triage: every write (assign, decide, note, reply, templates, SLA settings) and the queries the
inbox, the item panel, the metrics page and the API share.

The SLA clock starts at the item's `received_at` and stops when the first reply to the customer
is queued in the outbox: delivery is the system's job (retried until it succeeds), answering is
the team's.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from harken.core.charts import bar_chart, hbar_rows
from harken.feedback.models import Feedback
from harken.notify.services import queue_email
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
from harken.workspaces.access import Actor
from harken.workspaces.models import Membership, Role, Workspace

TABS = [
    ("new", "New"),
    ("awaiting_response", "Awaiting response"),
    ("awaiting_decision", "Awaiting decision"),
    ("overdue", "Overdue"),
    ("done", "Done"),
]
TAB_KEYS = {key for key, _ in TABS}
TEMPLATE_VARIABLES = ("name", "product", "decision", "reason")
_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|[A-Za-z0-9._-]+)")


# --- settings and the clock ----------------------------------------------------------------------


def get_settings(workspace: Workspace) -> TriageSettings:
    found, _ = TriageSettings.objects.select_related("workspace").get_or_create(workspace=workspace)
    return found


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


def open_triage(feedback: Feedback, actor: Actor | None = None) -> Triage:
    """Create the triage row for a new item (idempotent): its SLA clock starts at received_at."""
    existing = Triage.objects.filter(feedback=feedback).first()
    if existing is not None:
        return existing
    config = get_settings(feedback.workspace)
    with transaction.atomic():
        item, created = Triage.objects.get_or_create(
            feedback=feedback,
            defaults={
                "workspace": feedback.workspace,
                "received_at": feedback.received_at,
                "due_at": sla.due_at(feedback.received_at, config.schedule()),
                "needs_response": expects_reply(feedback),
            },
        )
        if created:
            TriageEvent.objects.create(
                workspace=feedback.workspace,
                triage=item,
                kind=EventKind.RECEIVED,
                actor=actor.user if actor else None,
                new_value=feedback.get_channel_display(),
                detail="" if item.needs_response else _no_clock_reason(feedback),
            )
    return item


def on_feedback_created(sender: Any, feedback: Feedback, actor: Actor | None = None, **kwargs: Any) -> None:
    open_triage(feedback, actor)


def backfill(workspace: Workspace) -> int:
    """Open triage for items that arrived before triage existed (or while it was off)."""
    missing = workspace.feedback_items.filter(triage__isnull=True).only("id", "workspace", "received_at", "channel")
    count = 0
    for feedback in missing[:500]:
        open_triage(feedback)
        count += 1
    return count


#: Items received longer ago than this when they enter Harken are history (an import of last
#: year's tickets), not requests waiting for an answer: they get no SLA clock.
HISTORY_AGE = timedelta(days=7)
#: Bulk imports of past feedback never start a clock, whatever their dates.
HISTORICAL_CHANNELS = {"csv"}


def expects_reply(feedback: Feedback, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        bool(_customer_email(feedback))
        and feedback.channel not in HISTORICAL_CHANNELS
        and feedback.received_at >= now - HISTORY_AGE
    )


def _no_clock_reason(feedback: Feedback) -> str:
    if not _customer_email(feedback):
        return "No customer email: no reply expected, no SLA clock."
    if feedback.channel in HISTORICAL_CHANNELS:
        return "Imported history: no SLA clock."
    return "Received more than 7 days before it reached Harken: no SLA clock."


def _customer_email(feedback: Feedback) -> str:
    if feedback.author_email:
        return feedback.author_email
    if feedback.contact_id and feedback.contact and feedback.contact.email:
        return feedback.contact.email
    return ""


@dataclass(frozen=True)
class Clock:
    state: str  # running, near, overdue, met, missed, none
    label: str
    badge: str  # design-system badge class

    @property
    def highlighted(self) -> bool:
        return self.state in {"near", "overdue"}


def clock(item: Triage, config: TriageSettings, now: datetime | None = None) -> Clock:
    now = now or timezone.now()
    if not item.needs_response:
        return Clock("none", "No reply needed", "badge")
    if item.first_response_at is not None:
        took = sla.format_duration(item.first_response_at - item.received_at)
        if item.due_at and item.first_response_at > item.due_at:
            return Clock("missed", f"Answered late, in {took}", "badge-warn")
        return Clock("met", f"Answered in {took}", "badge-ok")
    if item.due_at is None:
        return Clock("running", "Awaiting response", "badge-info")
    if item.due_at <= now:
        return Clock("overdue", f"Overdue by {sla.format_duration(now - item.due_at)}", "badge-bad")
    left = time_left(item, config, now)
    suffix = " of business hours left" if config.business_hours else " left"
    if left <= timedelta(hours=config.near_breach_hours):
        return Clock("near", f"{sla.format_duration(left)}{suffix}", "badge-warn")
    return Clock("running", f"{sla.format_duration(left)}{suffix}", "badge-info")


def time_left(item: Triage, config: TriageSettings, now: datetime) -> timedelta:
    """Working time left before the due time (wall-clock time without business hours), so
    "near breach" on a Friday evening means near in working hours, not in weekend hours."""
    if item.due_at is None:
        return timedelta.max
    if item.due_at <= now:
        return item.due_at - now
    return sla.business_time_between(now, item.due_at, config.schedule())


# --- the queue -------------------------------------------------------------------------------------


def queue(workspace: Workspace, tab: str, now: datetime | None = None, assignee: Any = None) -> QuerySet[Triage]:
    now = now or timezone.now()
    items = workspace.triage_items.select_related(
        "feedback", "feedback__account", "feedback__contact", "feedback__product_line", "assignee"
    )
    running = Q(needs_response=True, first_response_at__isnull=True)
    if tab == "new":
        items = items.filter(assignee__isnull=True, decision="", first_response_at__isnull=True).order_by(
            "due_at", "received_at"
        )
    elif tab == "awaiting_response":
        items = items.filter(running).order_by("due_at")
    elif tab == "awaiting_decision":
        items = items.filter(decision="").order_by("received_at")
    elif tab == "overdue":
        items = items.filter(running, due_at__lt=now).order_by("due_at")
    elif tab == "done":
        items = items.exclude(decision="").exclude(running).order_by("-decided_at", "-received_at")
    else:
        raise ValidationError(f"Unknown tab “{tab[:30]}”; use one of {', '.join(sorted(TAB_KEYS))}.")
    if assignee is not None:
        items = items.filter(assignee=assignee)
    return items


def tab_counts(workspace: Workspace, now: datetime | None = None, assignee: Any = None) -> dict[str, int]:
    return {key: queue(workspace, key, now, assignee).count() for key, _ in TABS}


def rows(items: Iterable[Triage], config: TriageSettings, now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or timezone.now()
    return [{"item": item, "feedback": item.feedback, "clock": clock(item, config, now)} for item in items]


def members(workspace: Workspace, min_role: Role = Role.MEMBER) -> list[Any]:
    allowed = [r for r in Role if Role(r).at_least(min_role)]
    return [
        m.user for m in workspace.memberships.select_related("user").filter(role__in=allowed).order_by("user__name")
    ]


def triage_for(actor: Actor, feedback_pk: int) -> Triage:
    """The triage row of one of the actor's workspace's items (opened on the fly for old items)."""
    feedback = actor.workspace.feedback_items.get(pk=feedback_pk)
    return open_triage(feedback)


# --- writes ----------------------------------------------------------------------------------------


def _event(item: Triage, actor: Actor, kind: str, old: str = "", new: str = "", detail: str = "") -> TriageEvent:
    return TriageEvent.objects.create(
        workspace=item.workspace, triage=item, kind=kind, actor=actor.user, old_value=old, new_value=new, detail=detail
    )


def _check_owned(actor: Actor, obj: Any) -> None:
    if obj.workspace_id != actor.workspace.pk:
        raise ValidationError("That item belongs to another workspace.")


def _who(user: Any) -> str:
    return user.display_name if user is not None else "Nobody"


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


def resolve_mentions(workspace: Workspace, body: str) -> list[Any]:
    """`@bob`, `@bob@alpha.test`, `@BobMember`: members by email, email name, first or full name."""
    people = [m.user for m in workspace.memberships.select_related("user")]
    found: dict[int, Any] = {}
    for raw in _MENTION.findall(body or ""):
        token = raw.rstrip(".").lower()
        if not token:
            continue
        matches = [
            u
            for u in people
            if u.email.lower() == token
            or u.email.lower().split("@")[0] == token
            or (u.name and u.name.replace(" ", "").lower() == token)
            or (u.name and u.name.split()[0].lower() == token)
        ]
        exact = [u for u in matches if u.email.lower() == token]
        if exact:
            matches = exact
        if len(matches) > 1:
            raise ValidationError(
                {"body": f"@{raw} matches {len(matches)} members; mention them by email (@name@example.com)."}
            )
        if matches:
            found[matches[0].pk] = matches[0]
    return list(found.values())


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


def item_url(item: Triage) -> str:
    return settings.SITE_URL + reverse("triage:item", kwargs={"ws": item.workspace.slug, "pk": item.feedback_id})


def _quote(text: str, limit: int = 1500) -> str:
    text = text.strip()
    if len(text) > limit:
        text = text[:limit] + "…"
    return "\n".join(f"> {line}" for line in text.splitlines())


# --- reply templates ---------------------------------------------------------------------------------


def check_template_text(text: str, field: str) -> None:
    unknown = sorted({name for name in _VARIABLE.findall(text or "") if name not in TEMPLATE_VARIABLES})
    if unknown:
        allowed = ", ".join("{{" + v + "}}" for v in TEMPLATE_VARIABLES)
        raise ValidationError({field: f"Unknown variable {', '.join(unknown)}; you can use {allowed}."})


def render_template_text(text: str, context: dict[str, str]) -> str:
    """Substitute the four variables, nothing else: no template language reaches user input."""
    return _VARIABLE.sub(lambda m: context.get(m.group(1), m.group(0)), text or "")


def template_context(item: Triage) -> dict[str, str]:
    feedback = item.feedback
    name = feedback.author_name or (feedback.contact.name if feedback.contact_id and feedback.contact else "")
    first = name.split()[0] if name.strip() else "there"
    return {
        "name": first,
        "product": feedback.product_line.name
        if feedback.product_line_id and feedback.product_line
        else item.workspace.name,
        "decision": Decision(item.decision).label.lower() if item.decision else "",
        "reason": item.decision_reason,
    }


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


def default_subject(item: Triage) -> str:
    base = item.feedback.title or item.feedback.headline or f"Your feedback to {item.workspace.name}"
    return base if base.lower().startswith("re:") else f"Re: {base}"


def draft_from_template(item: Triage, template: ReplyTemplate) -> dict[str, str]:
    context = template_context(item)
    subject = render_template_text(template.subject, context) if template.subject else default_subject(item)
    return {"subject": " ".join(subject.split()), "body": render_template_text(template.body, context)}


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


def conversation(item: Triage) -> list[dict[str, Any]]:
    """Customer messages and our replies, oldest first, for the item page."""
    from harken.channels.email import services as email_services

    entries: list[dict[str, Any]] = []
    for message in email_services.followups(item.feedback):
        entries.append({"at": message.created_at, "who": "customer", "subject": message.subject, "text": message.text})
    for reply in item.replies.select_related("author", "email"):
        entries.append(
            {"at": reply.created_at, "who": "us", "reply": reply, "subject": reply.subject, "text": reply.body}
        )
    return sorted(entries, key=lambda e: e["at"])


def panel(actor: Actor, item: Triage, now: datetime | None = None) -> dict[str, Any]:
    """Everything the item's triage panel shows (templates never compute)."""
    config = get_settings(item.workspace)
    return {
        "triage": item,
        "clock": clock(item, config, now),
        "events": list(item.events.select_related("actor")),
        "notes": list(item.notes.select_related("author").prefetch_related("mentions")),
        "conversation": conversation(item),
        "assignable": members(item.workspace),
        "decisions": Decision.choices,
        "reason_required": sorted(REASON_REQUIRED),
        "reply_templates": list(item.workspace.reply_templates.all()),
        "customer_email": _customer_email(item.feedback),
        "default_subject": default_subject(item),
        "can_write": actor.can_write,
        "template_variables": TEMPLATE_VARIABLES,
    }


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


# --- metrics -----------------------------------------------------------------------------------------


def _median_hours(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _within_target(item: Triage) -> bool:
    if item.first_response_at is None:
        return False
    return item.due_at is None or item.first_response_at <= item.due_at


def metrics(workspace: Workspace, now: datetime | None = None, weeks: int = 12) -> dict[str, Any]:
    """Median first-response time and share answered within target: overall, per member,
    per product line, and per week of arrival."""
    now = now or timezone.now()
    since = now - timedelta(weeks=weeks)
    answered = list(
        workspace.triage_items.filter(needs_response=True, first_response_at__isnull=False, received_at__gte=since)
        .select_related("first_response_by", "feedback__product_line")
        .order_by("received_at")
    )

    def summarise(items: list[Triage]) -> dict[str, Any]:
        hours = [(t.first_response_at - t.received_at).total_seconds() / 3600 for t in items]  # type: ignore[operator]
        within = sum(1 for t in items if _within_target(t))
        return {
            "count": len(items),
            "median_hours": _median_hours(hours),
            "within_pct": round(100 * within / len(items)) if items else None,
        }

    by_member: dict[Any, list[Triage]] = defaultdict(list)
    by_line: dict[Any, list[Triage]] = defaultdict(list)
    for t in answered:
        by_member[t.first_response_by].append(t)
        by_line[t.feedback.product_line].append(t)

    def table(groups: dict[Any, list[Triage]], none_label: str) -> list[dict[str, Any]]:
        out = [
            {"label": (str(getattr(k, "display_name", k)) if k else none_label), **summarise(v)}
            for k, v in groups.items()
        ]
        out.sort(key=lambda r: (-r["count"], r["label"]))
        for row in out:
            row["value"] = row["within_pct"] or 0
            row["display"] = f"{row['within_pct']}% · median {row['median_hours']} h"
        return hbar_rows(out)

    week_start = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    starts = [week_start - timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    per_week: dict[datetime, list[Triage]] = {s: [] for s in starts}
    for t in answered:
        for s in reversed(starts):
            if t.received_at >= s:
                per_week[s].append(t)
                break
    weekly_median = []
    weekly_within = []
    for s in starts:
        summary = summarise(per_week[s])
        weekly_median.append((s.date().isoformat(), summary["median_hours"] or 0))
        weekly_within.append((s.date().isoformat(), summary["within_pct"] or 0))
    open_items = workspace.triage_items.filter(needs_response=True, first_response_at__isnull=True)
    return {
        "overall": summarise(answered),
        "weeks": weeks,
        "open": open_items.count(),
        "overdue": open_items.filter(due_at__lt=now).count(),
        "by_member": table(by_member, "Unknown"),
        "by_line": table(by_line, "No product line"),
        "median_chart": bar_chart(
            weekly_median,
            "Median first-response time per week (hours)",
            caption="By week of arrival; weeks start on Monday.",
        ),
        "within_chart": bar_chart(
            weekly_within,
            "Share answered within target per week (%)",
            caption="By week of arrival; weeks with no answered items show 0.",
        ),
    }
