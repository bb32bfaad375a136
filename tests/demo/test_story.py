"""The demo tells a year of use: triage done with reasons and template replies, response times,
overdue items, inbound email threads, merged duplicates, the feed and widget, no churn or
title/text contradictions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import F

from harken.demo import load_demo
from harken.demo.generator import generate
from harken.triage import queries as triage_queries
from harken.triage.models import Decision, EventKind, Reply, Triage, TriageEvent
from harken.workspaces.models import Workspace

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # slow: run first (tests/conftest.py)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_the_demo_tells_a_year_of_use() -> None:
    """One load (it takes a while), every part of the story checked on it."""
    ws = load_demo(items=500, now=NOW).workspace
    check_triage(ws)
    check_overdue_and_new(ws)
    check_inbound_email(ws)
    check_feed_and_widget(ws)
    check_churn(ws)
    check_merges(ws)  # last: it undoes a merge


def check_triage(ws: Workspace) -> None:
    demo_rows = Triage.objects.filter(workspace=ws, feedback__dedupe_key__startswith="demo:")
    done_demo = [t for t in demo_rows if t.is_done]
    new_demo = triage_queries.queue(ws, "new", now=NOW).filter(feedback__dedupe_key__startswith="demo:")
    assert len(done_demo) > new_demo.count() * 3
    older = demo_rows.filter(received_at__lt=NOW - timedelta(days=7))
    done = [t for t in older if t.is_done]
    assert len(done) / older.count() > 0.85
    # what other apps' hooks add (survey answers, conversation highlights…) is triaged too, with history
    others = Triage.objects.filter(workspace=ws, received_at__lt=NOW - timedelta(days=7)).exclude(
        feedback__dedupe_key__startswith="demo:"
    )
    assert others.count() > 20
    assert others.exclude(decision="").count() / others.count() > 0.9
    assert not triage_queries.queue(ws, "new", now=NOW).filter(pk__in=others.values("pk")).exists()
    settled = others.filter(decision_reason="Added to the evidence for its theme.").first()
    assert settled is not None and settled.decided_at is not None and settled.decided_at > settled.received_at
    assert settled.events.filter(kind=EventKind.DECIDED).exists()
    # decisions with reasons (the reason-required ones always), by a member, after arrival, not in the future
    decided = demo_rows.exclude(decision="")
    assert {Decision.PLANNED, Decision.NOT_NOW, Decision.DUPLICATE, Decision.ANSWERED} <= set(
        decided.values_list("decision", flat=True)
    )
    assert not decided.filter(decision__in=[Decision.NOT_NOW, Decision.WONT_DO], decision_reason="").exists()
    assert not decided.filter(decided_by__isnull=True).exists()
    assert not decided.filter(decided_at__lt=F("received_at")).exists()
    # (other apps' demo hooks decide a few items at load time, e.g. the roadmap's promises)
    assert decided.filter(decided_at__gt=NOW).count() <= decided.count() / 50
    assert not decided.filter(decision=Decision.DUPLICATE, duplicate_of__isnull=True).exists()
    assert not decided.filter(decision=Decision.ALREADY_EXISTS, decision_link="").exists()
    # the reason fits the item: no "Slack app" answer to a request for Microsoft Teams
    teams = decided.filter(feedback__title__contains="Teams", feedback__raw_payload__contains="slack_integration")
    assert not teams.exclude(decision=Decision.DUPLICATE).exclude(decision_reason__contains="Teams").exists()
    # replies: most from templates, rendered (no placeholders left), sent, dated with the first response
    replies = Reply.objects.filter(workspace=ws)
    assert replies.count() > 100
    assert replies.filter(template__isnull=False).count() > replies.count() / 2
    assert ws.reply_templates.count() >= 5
    assert not [r.pk for r in replies if "{{" in r.body or "{{" in r.subject]
    assert all(r.email is not None and r.email.status == "sent" for r in replies.select_related("email")[:50])
    answered = demo_rows.filter(first_response_at__isnull=False)
    assert not answered.filter(first_response_at__lt=F("received_at")).exists()
    first = {r.triage_id: r.created_at for r in replies.order_by("-created_at")}
    assert all(first[t.pk] == t.first_response_at for t in answered)
    # response times: mostly within a day, so the charts mean something
    hours = sorted((t.first_response_at - t.received_at).total_seconds() / 3600 for t in answered)
    assert 1 < hours[len(hours) // 2] < 30
    # history events exist and are backdated with the rows
    events = TriageEvent.objects.filter(workspace=ws)
    kinds = set(events.values_list("kind", flat=True))
    assert {EventKind.RECEIVED, EventKind.ASSIGNED, EventKind.DECIDED, EventKind.REPLIED, EventKind.CUSTOMER} <= kinds
    demo_events = events.filter(triage__feedback__dedupe_key__startswith="demo:")
    assert demo_events.filter(created_at__gt=NOW + timedelta(minutes=1)).count() <= demo_events.count() / 50
    assert not demo_rows.exclude(created_at=F("received_at")).exists()
    assert not ws.feedback_items.filter(dedupe_key__startswith="demo:").exclude(created_at=F("received_at")).exists()


def check_overdue_and_new(ws: Workspace) -> None:
    overdue = triage_queries.queue(ws, "overdue", now=NOW).filter(feedback__dedupe_key__startswith="demo:")
    assert overdue.exists()
    assert all(t.received_at > NOW - timedelta(days=4) for t in overdue)  # nothing waits for months
    assert triage_queries.queue(ws, "new", now=NOW).filter(feedback__dedupe_key__startswith="demo:").exists()
    metrics = triage_queries.metrics(ws, now=NOW)
    assert metrics["overall"]["count"] > 20 and metrics["overall"]["median_hours"]
    assert 50 <= metrics["overall"]["within_pct"] < 100


def check_inbound_email(ws: Workspace) -> None:
    from harken.channels.email.models import InboundMailbox

    assert InboundMailbox.objects.get(workspace=ws).address == "feedback@acme-analytics.example"
    emails = ws.feedback_items.filter(channel="email", dedupe_key__startswith="demo:")
    stored = ws.inbound_emails.filter(status="created")
    assert stored.count() == emails.count() > 5
    assert all(e.feedback.external_id == e.message_id for e in stored.select_related("feedback")[:20])
    threaded = ws.inbound_emails.filter(status="threaded").select_related("feedback")
    assert threaded.exists()
    for answer in threaded[:10]:
        # an answer to one of our replies: it threads on the reply's Message-ID and follows it
        reply = Reply.objects.get(email__message_id=answer.in_reply_to)
        assert reply.triage.feedback_id == answer.feedback_id
        assert answer.created_at > reply.created_at
        assert reply.triage.customer_replied_at is not None
        assert answer.text.startswith(tuple(a[:10] for pool in _answers().values() for a in pool))
    # the item page's conversation shows both sides
    item = threaded[0].feedback.triage
    whos = [e["who"] for e in triage_queries.conversation(item)]
    assert "us" in whos and "customer" in whos


def _answers() -> dict[str, list[str]]:
    from harken.demo.generator import load_data

    return load_data("triage")["customer_replies"]


def check_merges(ws: Workspace) -> None:
    from harken.insight.services import undo_merge
    from harken.workspaces.access import Actor
    from harken.workspaces.models import Membership

    # the repeats decided as duplicates more than ten days ago were merged into their originals
    # (other apps' demo hooks merge a few items of their own, e.g. the portal's ideas)
    handled = Triage.objects.filter(
        workspace=ws,
        feedback__dedupe_key__startswith="demo:",
        decision=Decision.DUPLICATE,
        decided_at__lt=NOW - timedelta(days=10),
    )
    merges = ws.feedback_merges.filter(merged__triage__in=handled).select_related("survivor", "merged", "merged_by")
    assert merges.count() == handled.count() >= 5
    for m in merges[:20]:
        assert m.merged.merged_into_id == m.survivor_id == m.merged.triage.duplicate_of_id
        assert m.merged_by is not None and m.merged_by_id == m.merged.triage.decided_by_id
        assert m.created_at == m.merged.triage.decided_at and m.merged.received_at <= m.created_at < NOW
    record = merges.first()
    assert record is not None
    member = Membership.objects.select_related("workspace", "user").get(workspace=ws, user=record.merged_by)
    undo_merge(Actor.for_member(member), record)
    record.merged.refresh_from_db()
    assert record.merged.merged_into_id is None


def check_feed_and_widget(ws: Workspace) -> None:
    feed = ws.feeds.get()
    from_feed = ws.feedback_items.filter(source_kind="feed", source_ref=str(feed.pk))
    assert from_feed.exists() and set(from_feed.values_list("channel", flat=True)) == {"forum"}
    assert all(f.external_id.startswith("https://") and f.external_id in f.text for f in from_feed)
    assert feed.items_created == from_feed.count() and feed.polls.exists() and feed.health_label == "OK"
    widget = ws.widgets.get()
    from_widget = ws.feedback_items.filter(source_kind="widget")
    assert from_widget.exists() and set(from_widget.values_list("channel", flat=True)) == {"widget"}
    assert widget.submissions.count() == from_widget.count()
    assert all(s.feedback.external_id == f"{widget.public_key}:{s.pk}" for s in widget.submissions.all()[:20])


def check_churn(ws: Workspace) -> None:
    churned = list(ws.accounts.filter(lifecycle_stage="churned"))
    assert churned
    for account in churned:
        assert account.arr == 0
        late = account.feedback_items.filter(
            dedupe_key__startswith="demo:", received_at__date__gte=account.renewal_date
        )
        assert not late.exists(), (account, list(late.values_list("received_at", flat=True)))


# Title words and the text words that contradict them when the text names only the other one.
CONFLICTS = [
    (re.compile(r"\bteams\b", re.I), re.compile(r"\bslack\b", re.I), re.compile(r"\bteams\b", re.I)),
    (re.compile(r"\bslack\b", re.I), re.compile(r"\bteams\b", re.I), re.compile(r"\bslack\b", re.I)),
    (re.compile(r"\bscim\b", re.I), re.compile(r"\bsso\b|\bsaml\b", re.I), re.compile(r"\bscim\b|provision", re.I)),
]


def test_titles_do_not_contradict_texts() -> None:
    data = generate(2200, now=NOW)
    checked = 0
    for f in data.feedback:
        for in_title, other, same in CONFLICTS:
            if in_title.search(f.title):
                checked += 1
                assert same.search(f.text) or not other.search(f.text), (f.title, f.text)
    assert checked > 20
    # reports read like reports: some give steps to reproduce, some notes quote the customer
    assert sum("Steps to reproduce:" in f.text for f in data.feedback) > 20
    assert sum('"' in f.text and f.channel in {"manual", "conversation"} for f in data.feedback) > 5
