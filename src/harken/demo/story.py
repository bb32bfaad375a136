"""A year of use: what the demo team did with the feedback after it arrived.

The loader writes the generated feedback, then the apps' `after_demo_load` hooks call in here
(triage → channels → insight, in HARKEN_APPS order) to write the team's history with the apps'
own models: assignments, decisions with reasons, replies from reply templates (sent, in the
outbox), inbound emails with threads, the feed and widget the items came through, and merged
duplicates (through `insight.services.merge`, so undo works).

Everything is dated along the item's life (received → assigned → decided → answered → the
customer's answer), deterministic for the loader's seed, and written in bulk so `harken demo`
stays fast. The loader `begin()`s a story for the hooks; outside a demo load there is none and
the hooks skip this.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import models

from harken.demo.generator import FeedbackDraft, load_data


@dataclass
class Story:
    now: datetime
    seed: int
    drafts: dict[int, FeedbackDraft]
    churn: dict[str, Any] = field(default_factory=dict)


_current: Story | None = None


def begin(now: datetime, seed: int, drafts: list[FeedbackDraft]) -> None:
    global _current
    _current = Story(now=now, seed=seed, drafts={d.n: d for d in drafts})


def end() -> None:
    global _current
    _current = None


def current() -> Story | None:
    return _current


@contextmanager
def keep_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Bulk-write backdated rows: created_at/updated_at keep the values set on the objects.

    `auto_now`/`auto_now_add` would stamp every row with the load time; the flags are switched off
    for the duration (the loader runs alone, in one transaction) and restored afterwards.
    """
    saved: list[tuple[Any, bool, bool]] = []
    for model in model_classes:
        for name in ("created_at", "updated_at"):
            if not any(f.name == name for f in model._meta.concrete_fields):
                continue
            f = model._meta.get_field(name)
            saved.append((f, getattr(f, "auto_now", False), getattr(f, "auto_now_add", False)))
            f.auto_now = f.auto_now_add = False  # type: ignore[union-attr]
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def demo_numbers(workspace: Any) -> dict[int, int]:
    """Draft number → feedback pk for the workspace's generated items."""
    return {
        int(key.split(":", 1)[1]): pk
        for pk, key in workspace.feedback_items.filter(dedupe_key__startswith="demo:").values_list("pk", "dedupe_key")
    }


def _hours(rng: random.Random, median: float, sigma: float) -> timedelta:
    return timedelta(hours=median * math.exp(rng.gauss(0, sigma)))


def _message_id(*parts: object, domain: str) -> str:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:20]
    return f"<{digest}@{domain}>"


# --- triage ------------------------------------------------------------------------------------------

# How fast each teammate answers (median hours to a first response), and how much slower the team
# was when it started using Harken a year ago (the response-time charts improve over the year).
SPEED = {"demo@harken.local": 7.0, "maya.chen@harken.local": 3.5, "tomas.okafor@harken.local": 10.0}
DEFAULT_SPEED = 5.0
EARLY_SLOWDOWN = 1.2
TEMPLATE_FOR = {
    "planned": "planned",
    "under_consideration": "under_consideration",
    "not_now": "not_now",
    "already_exists": "already_exists",
    "needs_info": "needs_info",
    "answered": "answered",
}


def _handled_share(age: timedelta, theme: str) -> float:
    """How likely the team has dealt with an item of this age (decided, and answered if needed)."""
    days = age.total_seconds() / 86400
    if theme == "scheduled_report_blank":  # the regression floods in faster than the team keeps up
        return 0.75 if days > 10 else 0.3 if days > 2 else 0.05
    if days > 7:
        return 0.95
    if days > 3:
        return 0.85
    if days > 1:
        return 0.55
    return 0.15


def triage_story(workspace: Any) -> None:
    """Assignments, decisions with reasons, template replies and notes over the past year."""
    story = current()
    if story is None:
        return
    from harken.notify.models import EmailStatus, OutboundEmail
    from harken.triage import actions, sla
    from harken.triage.actions import _decision_text
    from harken.triage.models import EventKind, Note, Reply, ReplyTemplate, Triage, TriageEvent
    from harken.triage.queries import (
        HISTORICAL_CHANNELS,
        _customer_email,
        _no_clock_reason,
        default_subject,
        render_template_text,
    )
    from harken.workspaces.access import Actor
    from harken.workspaces.models import Membership, Role

    data = load_data("triage")
    rng = random.Random(story.seed * 31 + 7)
    now = story.now
    memberships = list(Membership.objects.filter(workspace=workspace).select_related("user").order_by("pk"))
    owner = next(m for m in memberships if m.role == Role.OWNER)
    users = [m.user for m in memberships]
    managers = {line.name: line.managers.first() for line in workspace.product_lines.prefetch_related("managers")}
    actor = Actor.for_member(owner)

    # Reply templates, written a year ago when the team set Harken up.
    templates: dict[str, ReplyTemplate] = {}
    for spec in data["templates"]:
        templates[spec["key"]] = actions.create_template(actor, name=spec["name"], subject="", body=spec["body"])
    ReplyTemplate.objects.filter(pk__in=[t.pk for t in templates.values()]).update(
        created_at=now - timedelta(days=370), updated_at=now - timedelta(days=370)
    )

    config = actions.ensure_settings(workspace)
    schedule = config.schedule()
    # The triage rows are written here, once, with their final state (one INSERT per batch instead
    # of opening them and updating every row); `open_missing` then finds nothing left to open.
    items = list(
        workspace.feedback_items.filter(dedupe_key__startswith="demo:", triage__isnull=True)
        .select_related("contact", "product_line")
        .order_by("received_at", "pk")
    )
    rows = [Triage(workspace=workspace, feedback=f, received_at=f.received_at, created_at=f.received_at) for f in items]
    by_number = {int(str(t.feedback.dedupe_key).split(":", 1)[1]): t for t in rows}
    decided_of: dict[int, tuple[str, str, str]] = {}  # draft n → (decision, reason, link) for duplicates
    from django.conf import settings

    from_email = settings.DEFAULT_FROM_EMAIL
    domain = settings.SITE_URL.split("//")[-1].split(":")[0].split("/")[0] or "harken.local"
    from harken.channels.email.services import reply_address

    reply_to = reply_address(workspace)

    events: list[TriageEvent] = []
    outbound: list[OutboundEmail] = []
    replies: list[Reply] = []
    notes: list[tuple[Triage, Any, str, datetime]] = []
    for n in sorted(by_number):
        item = by_number[n]
        draft = story.drafts.get(n)
        if draft is None:
            continue
        feedback = item.feedback
        received = item.received_at
        age = now - received
        email = _customer_email(feedback)
        item.needs_response = bool(email) and feedback.channel not in HISTORICAL_CHANNELS
        item.due_at = sla.due_at(received, schedule)
        item.created_at = item.updated_at = received
        events.append(
            TriageEvent(
                workspace=workspace,
                triage=item,
                kind=EventKind.RECEIVED,
                new_value=feedback.get_channel_display(),
                detail="" if item.needs_response else _no_clock_reason(feedback),
                created_at=received,
                updated_at=received,
            )
        )
        line = feedback.product_line.name if feedback.product_line_id and feedback.product_line else ""
        assignee = managers.get(line) or users[n % len(users)]
        speed = SPEED.get(assignee.email, DEFAULT_SPEED) * (1 + EARLY_SLOWDOWN * min(1.0, age.days / 365))
        limit = now - timedelta(minutes=5)
        handled = rng.random() < _handled_share(age, draft.theme)

        assigned_at = received + _hours(rng, 0.8, 1.0)
        if (handled or (age > timedelta(days=1) and rng.random() < 0.7)) and assigned_at < limit:
            item.assignee = assignee
            events.append(
                TriageEvent(
                    workspace=workspace,
                    triage=item,
                    kind=EventKind.ASSIGNED,
                    actor=owner.user,
                    old_value="Nobody",
                    new_value=assignee.display_name,
                    created_at=assigned_at,
                    updated_at=assigned_at,
                )
            )
            item.updated_at = assigned_at
        if not handled:
            # Older backlog items still got a personal acknowledgement; recent ones wait (some overdue).
            # Nothing waits for an answer for more than a few days.
            ack = age > timedelta(days=3) or (age > timedelta(days=1) and rng.random() < 0.6)
            if item.needs_response and ack:
                at = received + _hours(rng, speed, 0.8)
                if age > timedelta(days=3):
                    at = min(at, received + timedelta(hours=rng.uniform(20, 60)))
                if at < limit and not item.assignee_id:
                    item.assignee = assignee
                    events.append(
                        TriageEvent(
                            workspace=workspace,
                            triage=item,
                            kind=EventKind.ASSIGNED,
                            actor=owner.user,
                            old_value="Nobody",
                            new_value=assignee.display_name,
                            created_at=min(assigned_at, at),
                            updated_at=min(assigned_at, at),
                        )
                    )
                if at < limit:
                    body = (
                        f"Hi {_first(feedback)},\n\nThanks for this, it's with our product team now. "
                        f"We'll come back to you once we've decided what to do.\n\n{assignee.display_name}"
                    )
                    _reply(item, assignee, email, default_subject(item), body, None, at, events, outbound, replies)
            continue

        # The decision: what the theme's owner decided, or "duplicate" for repeats of an earlier item.
        original = draft.duplicate_of or draft.follow_up_of
        if original and original in by_number and original in decided_of:
            decision, reason, link = "duplicate", "", ""
            duplicate_of = by_number[original].feedback
        else:
            options = _options(data["decisions"].get(draft.theme), feedback.title + " " + feedback.text)
            choice = options[0] if len(options) == 1 or rng.random() < 0.65 else options[1]
            decision, reason, link = choice
            duplicate_of = None
        answered_at = received + _hours(rng, speed, 0.9)
        answered_at = max(answered_at, received + timedelta(minutes=12))
        if answered_at >= limit:
            continue  # not yet: stays in the queue
        decided_at = answered_at - timedelta(minutes=rng.randint(1, 25))
        if rng.random() < 0.2:  # decided later, after a first acknowledgement
            decided_at = answered_at + _hours(rng, 40, 0.7)
            if decided_at >= limit:
                decided_at = answered_at - timedelta(minutes=3)
        decided_at = max(decided_at, received + timedelta(minutes=5))
        item.decision, item.decision_reason, item.decision_link = decision, reason, link
        item.duplicate_of = duplicate_of
        item.decided_at, item.decided_by = decided_at, assignee
        if not item.assignee_id:
            item.assignee = assignee
        decided_of[n] = (decision, reason, link)
        events.append(
            TriageEvent(
                workspace=workspace,
                triage=item,
                kind=EventKind.DECIDED,
                actor=assignee,
                old_value=_decision_text(""),
                new_value=_decision_text(decision, reason, link, duplicate_of),
                created_at=decided_at,
                updated_at=decided_at,
            )
        )
        item.updated_at = max(item.updated_at, decided_at)
        if item.needs_response:
            key = _template_key(decision, draft, data, decided_of.get(original or 0))
            context = {
                "name": _first(feedback),
                "product": line or workspace.name,
                "decision": decision.replace("_", " "),
                "reason": reason if decision != "duplicate" else decided_of[original][1],  # type: ignore[index]
            }
            template = templates.get(key) if key and rng.random() < 0.85 else None
            if template is not None:
                body = render_template_text(template.body, context)
            else:
                body = (
                    f"Hi {context['name']},\n\nThanks for writing in. {context['reason']}\n\n"
                    f"Happy to talk it through if useful.\n\n{assignee.display_name}"
                )
            subject = default_subject(item)
            if decided_at > answered_at:  # a quick acknowledgement first, the answer once decided
                ack_body = (
                    f"Hi {context['name']},\n\nThanks, got it. I'm checking this with the team and will get back "
                    f"to you in the next few days.\n\n{assignee.display_name}"
                )
                _reply(item, assignee, email, subject, ack_body, None, answered_at, events, outbound, replies)
                later = decided_at + timedelta(minutes=rng.randint(2, 40))
                if later < limit:
                    _reply(item, assignee, email, subject, body, template, later, events, outbound, replies)
            else:
                _reply(item, assignee, email, subject, body, template, answered_at, events, outbound, replies)
        if rng.random() < 0.03:
            mate = rng.choice([u for u in users if u.pk != assignee.pk])
            text = rng.choice(data["notes"]).replace("{teammate}", mate.display_name.split()[0])
            noted = max(received + timedelta(minutes=5), decided_at - timedelta(minutes=rng.randint(30, 600)))
            notes.append((item, assignee, text, noted))

    from harken.feedback.models import Feedback

    with keep_timestamps(Triage, TriageEvent, Reply, OutboundEmail, Note, Feedback):
        Triage.objects.bulk_create(rows, batch_size=500)
        for email_row in outbound:
            email_row.from_email, email_row.reply_to = from_email, reply_to
            email_row.message_id = _message_id(
                workspace.pk, email_row.related_object, email_row.created_at, domain=domain
            )
            email_row.status, email_row.attempts = EmailStatus.SENT, 1
        OutboundEmail.objects.bulk_create(outbound, batch_size=500)
        Reply.objects.bulk_create(replies, batch_size=500)
        for item, author, text, at in notes:
            Note.objects.create(
                workspace=workspace, triage=item, author=author, body=text, created_at=at, updated_at=at
            )
            events.append(
                TriageEvent(
                    workspace=workspace,
                    triage=item,
                    kind=EventKind.NOTE,
                    actor=author,
                    detail=text,
                    created_at=at,
                    updated_at=at,
                )
            )
        TriageEvent.objects.bulk_create(events, batch_size=500)


def _options(specs: list[Any] | None, words: str) -> list[tuple[str, str, str]]:
    """The theme's decisions that fit this item: (decision, reason, link)."""
    out = []
    for spec in specs or []:
        if isinstance(spec, dict):
            if (spec.get("if") and spec["if"] not in words) or (spec.get("unless") and spec["unless"] in words):
                continue
            out.append((spec["decision"], spec["reason"], spec.get("link", "")))
        else:
            out.append((spec[0], spec[1], spec[2] if len(spec) > 2 else ""))
    return out or [("under_consideration", "We're looking into it.", "")]


def _first(feedback: Any) -> str:
    name = feedback.author_name or (feedback.contact.name if feedback.contact_id and feedback.contact else "")
    return name.split()[0] if name.strip() else "there"


def _template_key(
    decision: str, draft: FeedbackDraft, data: dict[str, Any], original: tuple[str, str, str] | None
) -> str:
    if decision == "duplicate":
        decision = original[0] if original else "under_consideration"
    if draft.kind == "praise":
        return "thanks"
    if decision == "planned" and draft.theme in data["known_issue_themes"]:
        return "known_issue"
    return TEMPLATE_FOR.get(decision, "")


def _reply(
    item: Any,
    author: Any,
    to: str,
    subject: str,
    body: str,
    template: Any,
    at: datetime,
    events: list[Any],
    outbound: list[Any],
    replies: list[Any],
) -> None:
    from harken.notify.models import OutboundEmail
    from harken.triage.models import EventKind, Reply, TriageEvent

    email = OutboundEmail(
        workspace=item.workspace,
        to=[to],
        subject=subject[:500],
        text=body,
        kind="reply",
        related_object=f"feedback.feedback:{item.feedback_id}",
        next_attempt_at=at,
        sent_at=at + timedelta(seconds=20),
        created_at=at,
    )
    outbound.append(email)
    replies.append(
        Reply(
            workspace=item.workspace,
            triage=item,
            author=author,
            to=to,
            subject=subject[:300],
            body=body,
            template=template,
            email=email,
            created_at=at,
            updated_at=at,
        )
    )
    events.append(
        TriageEvent(
            workspace=item.workspace,
            triage=item,
            kind=EventKind.REPLIED,
            actor=author,
            new_value=subject[:300],
            detail=(f"Template: {template.name}. " if template else "") + body[:300],
            created_at=at,
            updated_at=at,
        )
    )
    if item.first_response_at is None:
        item.first_response_at, item.first_response_by = at, author
    item.updated_at = max(item.updated_at, at)


def settle_late_arrivals(workspace: Any) -> int:
    """Triage what other apps' demo hooks added (survey answers, conversation highlights, portal ideas…).

    Those hooks write their items after `triage_story`, dated across the year; a team that has used
    Harken for a year has long dealt with the ones older than a week. Each gets its product line's
    manager (else the owner) and a decision a few hours to days after it arrived, with its history
    entries; items that still await a first reply keep waiting (they are the overdue ones).
    Returns how many were settled."""
    story = current()
    if story is None:
        return 0
    from harken.triage.actions import _decision_text
    from harken.triage.models import Decision, EventKind, Triage, TriageEvent
    from harken.workspaces.models import Membership, Role

    rng = random.Random(story.seed * 37 + 11)
    owner = Membership.objects.get(workspace=workspace, role=Role.OWNER).user
    managers = {line.pk: line.managers.first() for line in workspace.product_lines.prefetch_related("managers")}
    rows = list(
        Triage.objects.filter(
            workspace=workspace,
            decision="",
            assignee__isnull=True,
            received_at__lt=story.now - timedelta(days=7),
        )
        .exclude(feedback__dedupe_key__startswith="demo:")
        .select_related("feedback")
        .prefetch_related("feedback__tags")
        .order_by("received_at", "pk")
    )
    events: list[TriageEvent] = []
    for row in rows:
        feedback = row.feedback
        tags = {t.name for t in feedback.tags.all()}
        assignee = managers.get(feedback.product_line_id) or owner
        praise = feedback.channel == "survey" and tags & {"promoter", "satisfied"}
        decision, reason = (
            (Decision.ANSWERED, "Thanked them; shared with the team.")
            if praise
            else (Decision.UNDER_CONSIDERATION, "Added to the evidence for its theme.")
        )
        assigned_at = row.received_at + _hours(rng, 3, 0.8)
        decided_at = assigned_at + _hours(rng, 20, 1.0)
        row.assignee, row.decision, row.decision_reason = assignee, decision, reason
        row.decided_at, row.decided_by, row.updated_at = decided_at, assignee, decided_at
        events += [
            TriageEvent(workspace=workspace, triage=row, kind=EventKind.ASSIGNED, actor=owner, old_value="Nobody",
                        new_value=assignee.display_name, created_at=assigned_at, updated_at=assigned_at),
            TriageEvent(workspace=workspace, triage=row, kind=EventKind.DECIDED, actor=assignee,
                        old_value=_decision_text(""), new_value=_decision_text(decision, reason),
                        created_at=decided_at, updated_at=decided_at),
        ]  # fmt: skip
    with keep_timestamps(Triage, TriageEvent):
        Triage.objects.bulk_update(
            rows, ["assignee", "decision", "decision_reason", "decided_at", "decided_by", "updated_at"], batch_size=500
        )
        TriageEvent.objects.bulk_create(events, batch_size=500)
    return len(rows)
