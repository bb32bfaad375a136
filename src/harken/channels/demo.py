"""Demo hook: the channels the demo's feedback came through.

- Inbound email: the mailbox has an address; every email item has its stored message, and some
  customers answered our replies on the thread (stored as follow-ups, shown in the item's history).
  Today's newest messages go through the real `ingest`, so one new email and one threaded answer
  take exactly the path real mail takes.
- A community forum feed and the in-app widget, with the items they delivered (source_kind and
  source_ref as the real channels set them, the widget's submissions, the feed's polls).
"""

from __future__ import annotations

import contextlib
import hashlib
import random
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

FORUM_URL = "https://community.acme-analytics.example"
APP_ORIGIN = "https://app.acme-analytics.example"
MAILBOX_ADDRESS = "feedback@acme-analytics.example"
USER_AGENTS = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
]
PAGES = [
    "/dashboards/revenue-overview",
    "/dashboards/weekly-kpis",
    "/pipelines",
    "/reports/schedules",
    "/settings/team",
]


def after_demo_load(workspace: Any) -> int:
    from harken.demo.story import current

    story = current()
    if story is None:
        return 0
    rng = random.Random(story.seed * 17 + 3)
    _mailbox(workspace)
    _inbound_email(workspace, story, rng)
    _feed(workspace, story, rng)
    _widget(workspace, story, rng)
    return _todays_mail(workspace, story)


def _mailbox(workspace: Any) -> None:
    from django.core.exceptions import ValidationError

    from harken.channels.email import services
    from harken.workspaces.access import Actor
    from harken.workspaces.models import Membership, Role

    owner = Membership.objects.filter(workspace=workspace, role=Role.OWNER).select_related("workspace", "user").first()
    services.get_mailbox(workspace)
    if owner is None:
        return
    # The address may be taken by another workspace (a second demo): then the plus address stays.
    with contextlib.suppress(ValidationError):
        services.update_mailbox(Actor.for_member(owner), address=MAILBOX_ADDRESS)


def _raw(
    *, sender: str, name: str, to: str, subject: str, text: str, at: Any, message_id: str, in_reply_to: str = ""
) -> bytes:
    headers = [
        f"From: {name} <{sender}>" if name else f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Date: {format_datetime(at)}",
        f"Message-ID: {message_id}",
    ]
    if in_reply_to:
        headers += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    headers += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
    return ("\r\n".join(headers) + "\r\n\r\n" + text.replace("\n", "\r\n") + "\r\n").encode()


def _msgid(*parts: object, domain: str) -> str:
    return f"<{hashlib.sha256('|'.join(str(p) for p in parts).encode()).hexdigest()[:24]}@{domain}>"


def _inbound_email(workspace: Any, story: Any, rng: random.Random) -> None:
    from harken.channels.email.models import InboundEmail, InboundStatus
    from harken.demo.generator import load_data
    from harken.demo.story import keep_timestamps
    from harken.feedback.models import Feedback
    from harken.triage.models import EventKind, Reply, Triage, TriageEvent

    items = list(
        workspace.feedback_items.filter(dedupe_key__startswith="demo:", channel="email")
        .select_related("contact")
        .order_by("received_at", "pk")
    )
    to = MAILBOX_ADDRESS
    rows: list[InboundEmail] = []
    for f in items:
        sender = f.author_email or (f.contact.email if f.contact_id and f.contact else "")
        if not sender:
            continue
        domain = sender.rsplit("@", 1)[-1]
        f.external_id = _msgid(workspace.pk, f.pk, f.received_at, domain=domain)
        raw = _raw(
            sender=sender,
            name=f.author_name,
            to=to,
            subject=f.title,
            text=f.text,
            at=f.received_at,
            message_id=f.external_id,
        )
        rows.append(
            InboundEmail(
                workspace=workspace,
                raw=raw,
                size=len(raw),
                sha256=hashlib.sha256(raw).hexdigest(),
                via="smtp",
                envelope_from=sender,
                envelope_to=[to],
                message_id=f.external_id,
                sender_email=sender,
                sender_name=f.author_name,
                subject=f.title,
                text=f.text,
                status=InboundStatus.CREATED,
                feedback=f,
                created_at=f.received_at,
                updated_at=f.received_at,
            )
        )
    # Threads: some customers answered our reply.
    answers = load_data("triage")["customer_replies"]
    replies = list(
        Reply.objects.filter(workspace=workspace, triage__feedback__in=items)
        .select_related("email", "triage", "triage__feedback")
        .order_by("created_at", "pk")
    )
    touched: dict[int, Triage] = {}
    events: list[TriageEvent] = []
    limit = story.now - timedelta(minutes=10)
    for reply in replies:
        if reply.email is None or rng.random() > 0.35:
            continue
        at = reply.created_at + timedelta(hours=min(72.0, rng.lognormvariate(1.5, 1.0)))
        if at >= limit:
            continue
        f = reply.triage.feedback
        sender = reply.to
        # The answer fits what we said: an acknowledgement (no template), or the decision's reply.
        said = reply.triage.decision if reply.template_id or reply.triage.decided_at else ""
        said = "acknowledged" if not reply.template_id and "checking this" in reply.body else said
        pool = answers.get(said) or answers["any"]
        text = rng.choice(pool).replace("{quarter}", rng.choice(["Q1", "Q2", "Q3", "Q4"]))
        text += f"\n\nOn {reply.created_at:%a, %d %b %Y} the {workspace.name} team wrote:\n> " + "\n> ".join(
            reply.body.splitlines()[:6]
        )
        subject = reply.subject if reply.subject.lower().startswith("re:") else f"Re: {reply.subject}"
        message_id = _msgid(workspace.pk, reply.pk, at, domain=sender.rsplit("@", 1)[-1])
        raw = _raw(
            sender=sender,
            name=f.author_name,
            to=to,
            subject=subject,
            text=text,
            at=at,
            message_id=message_id,
            in_reply_to=reply.email.message_id,
        )
        rows.append(
            InboundEmail(
                workspace=workspace,
                raw=raw,
                size=len(raw),
                sha256=hashlib.sha256(raw).hexdigest(),
                via="smtp",
                envelope_from=sender,
                envelope_to=[to],
                message_id=message_id,
                in_reply_to=reply.email.message_id,
                references=f"{f.external_id} {reply.email.message_id}".strip(),
                sender_email=sender,
                sender_name=f.author_name,
                subject=subject,
                text=text,
                status=InboundStatus.THREADED,
                feedback=f,
                created_at=at,
                updated_at=at,
            )
        )
        triage = reply.triage
        triage.customer_replied_at = at
        triage.updated_at = max(triage.updated_at, at)
        touched[triage.pk] = triage
        events.append(
            TriageEvent(
                workspace=workspace,
                triage=triage,
                kind=EventKind.CUSTOMER,
                new_value=subject[:300],
                created_at=at,
                updated_at=at,
            )
        )
    with keep_timestamps(InboundEmail, TriageEvent, Triage, Feedback):
        InboundEmail.objects.bulk_create(rows, batch_size=300)
        TriageEvent.objects.bulk_create(events, batch_size=500)
        Triage.objects.bulk_update(list(touched.values()), ["customer_replied_at", "updated_at"], batch_size=400)
        Feedback.objects.bulk_update(items, ["external_id"], batch_size=400)


def _feed(workspace: Any, story: Any, rng: random.Random) -> None:
    from harken.channels.feeds.models import Feed, FeedPoll, PollOutcome
    from harken.demo.story import keep_timestamps
    from harken.feedback.models import Feedback

    now = story.now
    started = now - timedelta(days=330)
    with keep_timestamps(Feed, FeedPoll):
        feed = Feed.objects.create(
            workspace=workspace,
            name="Acme Community: latest topics",
            url=f"{FORUM_URL}/latest.rss",
            schedule_minutes=60,
            tags="community",
            last_polled_at=now - timedelta(minutes=22),
            last_success_at=now - timedelta(minutes=22),
            last_status=200,
            # The address is fictional: the first poll after the demo is a day away, so the feed's
            # page shows a healthy history rather than a failed fetch.
            next_poll_at=now + timedelta(days=1),
            created_at=started,
            updated_at=now - timedelta(minutes=22),
        )
        items = list(
            workspace.feedback_items.filter(dedupe_key__startswith="demo:", channel="forum", received_at__gte=started)
        )
        for f in items:
            slug = "-".join((f.title or f.text).lower().split()[:6])
            slug = "".join(ch for ch in slug if ch.isalnum() or ch == "-")[:60] or "topic"
            link = f"{FORUM_URL}/t/{slug}/{1000 + f.pk}"
            f.external_id = link
            f.source_kind, f.source_ref = "feed", str(feed.pk)
            if link not in f.text:
                f.text = f"{f.text}\n\n{link}"
        Feedback.objects.bulk_update(items, ["external_id", "source_kind", "source_ref", "text"], batch_size=400)
        polls = []
        for hours in range(12, 0, -1):
            at = now - timedelta(hours=hours, minutes=22)
            created = sum(1 for f in items if at - timedelta(hours=1) < f.received_at <= at)
            polls.append(
                FeedPoll(
                    workspace=workspace,
                    feed=feed,
                    outcome=PollOutcome.NEW
                    if created
                    else rng.choice([PollOutcome.UNCHANGED, PollOutcome.NOT_MODIFIED]),
                    http_status=200 if created else 304,
                    entries=20 if created else 0,
                    created=created,
                    created_at=at,
                    updated_at=at,
                )
            )
        FeedPoll.objects.bulk_create(polls)
    Feed.objects.filter(pk=feed.pk).update(items_created=len(items))


def _widget(workspace: Any, story: Any, rng: random.Random) -> None:
    from harken.channels.widget.models import Widget, WidgetSubmission
    from harken.demo.story import keep_timestamps
    from harken.feedback.models import Feedback

    now = story.now
    with keep_timestamps(Widget, WidgetSubmission):
        widget = Widget.objects.create(
            workspace=workspace,
            name="In-app feedback button",
            allowed_origins=APP_ORIGIN,
            button_label="Feedback",
            created_at=now - timedelta(days=360),
            updated_at=now - timedelta(days=360),
        )
        items = list(workspace.feedback_items.filter(dedupe_key__startswith="demo:", channel="widget"))
        submissions = [
            WidgetSubmission(
                workspace=workspace,
                widget=widget,
                feedback=f,
                origin=APP_ORIGIN,
                page_url=APP_ORIGIN + rng.choice(PAGES),
                remote_addr=f"203.0.113.{rng.randint(2, 250)}",
                user_agent=rng.choice(USER_AGENTS),
                created_at=f.received_at,
                updated_at=f.received_at,
            )
            for f in items
        ]
        WidgetSubmission.objects.bulk_create(submissions, batch_size=500)
    for f, s in zip(items, submissions, strict=True):
        f.external_id = f"{widget.public_key}:{s.pk}"
        f.source_kind, f.source_ref = "widget", ""
    with keep_timestamps(Feedback):
        Feedback.objects.bulk_update(items, ["external_id", "source_kind", "source_ref"], batch_size=400)


def _todays_mail(workspace: Any, story: Any) -> int:
    """Two messages through the real inbound path: a new report and an answer on a thread."""
    from django.utils import timezone

    from harken.channels.email import services
    from harken.triage.models import Reply

    now = timezone.now()
    if abs((now - story.now).total_seconds()) > 6 * 3600:
        return 0  # a demo dated in the past (tests): nothing arrives "today"
    contact = workspace.contacts.select_related("account").filter(account__segment="Enterprise").order_by("pk").first()
    queued = 0
    if contact is not None:
        text = (
            "Hi team,\n\nOur Monday report for Revenue Overview came through with blank charts again. "
            "That's the third week since the update. Our CFO reads it before the leadership meeting, "
            "so this is getting escalated on our side.\n\nSteps to reproduce:\n"
            "1. Open Revenue Overview → Share → Schedule\n2. Click 'Send now'\n3. Open the PDF\n"
            "Expected: the charts. Actual: empty frames, the numbers table is fine.\n\n"
            f"Thanks,\n{contact.name}\n{contact.title}, {contact.account.name if contact.account else ''}"
        )
        raw = _raw(
            sender=contact.email,
            name=contact.name,
            to=MAILBOX_ADDRESS,
            subject="Blank charts in the scheduled report (again)",
            text=text,
            at=now - timedelta(minutes=40),
            message_id=_msgid(workspace.pk, "today", domain=contact.email.rsplit("@", 1)[-1]),
        )
        result = services.ingest(raw, workspace, via="smtp", envelope_from=contact.email)
        queued += 1 if result.status == "created" else 0
    reply = (
        Reply.objects.filter(workspace=workspace, email__isnull=False, triage__feedback__channel="email")
        .select_related("email", "triage__feedback")
        .order_by("-created_at")
        .first()
    )
    if reply is not None and reply.email is not None:
        raw = _raw(
            sender=reply.to,
            name=reply.triage.feedback.author_name,
            to=MAILBOX_ADDRESS,
            subject=reply.subject if reply.subject.lower().startswith("re:") else f"Re: {reply.subject}",
            text="Thanks for getting back to me so quickly. Could you keep me posted on this?\n",
            at=now - timedelta(minutes=15),
            message_id=_msgid(workspace.pk, "today-thread", reply.pk, domain=reply.to.rsplit("@", 1)[-1]),
            in_reply_to=reply.email.message_id,
        )
        services.ingest(raw, workspace, via="smtp", envelope_from=reply.to)
    return queued
