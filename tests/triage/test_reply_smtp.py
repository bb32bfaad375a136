"""Replies go through the outbox to a REAL SMTP server (aiosmtpd in this process): threaded onto
the customer's mail, delivered once, and kept (then delivered exactly once) while the server is down."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from harken.channels.email import services as inbound
from harken.core.taskrun import run_pending_tasks
from harken.notify.models import EmailStatus, OutboundEmail
from harken.notify.services import deliver_due
from harken.triage import actions, queries
from harken.triage.models import Decision, EventKind, Triage
from tests.base import World
from tests.notify.mailbox import Mailbox

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "email"


def _email_item(world: World) -> Triage:
    result = inbound.ingest((FIXTURES / "plain.eml").read_bytes(), world.alpha)
    assert result.status == "created" and result.feedback is not None
    return Triage.objects.get(feedback=result.feedback)


@pytest.mark.django_db
def test_reply_from_template_reaches_the_customer_threaded_and_stops_the_clock(world: World, mailbox: Mailbox) -> None:
    item = _email_item(world)
    bob = world.actor(world.bob)
    actions.decide(bob, item, Decision.PLANNED)
    template = actions.create_template(
        bob, name="Planned", subject="", body="Hi {{name}},\n\nGood news: this is {{decision}} for {{product}}.\n"
    )
    draft = queries.draft_from_template(item, template)
    reply = actions.send_reply(bob, item, template=template, **draft)

    assert mailbox.messages == []  # stored first, nothing sent inline
    assert reply.email is not None and reply.email.status == EmailStatus.QUEUED
    run_pending_tasks()

    assert mailbox.recipients() == [["pat@acme.test"]]
    (message,) = mailbox.messages
    assert message["Subject"] == "Re: Export to CSV is missing"
    assert message["In-Reply-To"] == "<plain-1@acme.test>"
    assert message["References"] == "<plain-1@acme.test>"
    assert message["Reply-To"] == inbound.plus_address(world.alpha)
    assert message["Message-ID"] == reply.email.message_id
    assert "Hi Pat,\n\nGood news: this is planned for Alpha." in message.get_content().replace("\r\n", "\n")

    item.refresh_from_db()
    assert item.first_response_at is not None and item.first_response_by == world.bob
    assert queries.clock(item, queries.get_settings(world.alpha)).state == "met"
    assert item.events.filter(kind=EventKind.REPLIED, new_value="Re: Export to CSV is missing").exists()

    # Running the worker again sends nothing more.
    run_pending_tasks()
    assert len(mailbox.messages) == 1


@pytest.mark.django_db
def test_the_customers_answer_to_our_reply_threads_onto_the_item(world: World, mailbox: Mailbox) -> None:
    item = _email_item(world)
    reply = actions.send_reply(world.actor(world.bob), item, body="Could you tell us which reports?")
    run_pending_tasks()
    assert reply.email is not None
    answer = (
        "From: Pat Customer <pat@acme.test>\r\nTo: feedback+alpha@harken.test\r\nSubject: Re: Re: Export\r\n"
        f"Message-ID: <answer-1@acme.test>\r\nIn-Reply-To: {reply.email.message_id}\r\n"
        f"References: <plain-1@acme.test> {reply.email.message_id}\r\n\r\nThe monthly revenue report.\r\n"
    ).encode()
    result = inbound.ingest(answer, world.alpha)
    assert result.status == "threaded" and result.feedback == item.feedback
    assert world.alpha.feedback_items.count() == 1
    assert item.events.filter(kind=EventKind.CUSTOMER).exists()
    texts = [entry["text"] for entry in queries.conversation(item)]
    assert texts[-2:] == ["Could you tell us which reports?", "The monthly revenue report."]
    # Our next reply threads onto the customer's latest message.
    actions.send_reply(world.actor(world.bob), item, body="Thanks, noted.")
    run_pending_tasks()
    assert mailbox.messages[-1]["In-Reply-To"] == "<answer-1@acme.test>"
    assert "<plain-1@acme.test>" in mailbox.messages[-1]["References"]


@pytest.mark.django_db
def test_smtp_down_keeps_the_reply_and_delivers_it_exactly_once_when_back(world: World, mailbox: Mailbox) -> None:
    item = _email_item(world)
    mailbox.stop()
    reply = actions.send_reply(world.actor(world.bob), item, body="We are on it.")
    run_pending_tasks()

    email = OutboundEmail.objects.get(pk=reply.email_id)
    assert email.status == EmailStatus.FAILED
    assert email.attempts == 1
    assert "Connection" in email.last_error or "refused" in email.last_error.lower()
    assert email.next_attempt_at > timezone.now()
    item.refresh_from_db()
    assert item.first_response_at is not None  # the team answered; delivery is the outbox's job

    # The failure is visible in the UI: to admins with a retry button on the outbox, on the item to all.
    client = world.client_for(world.alice)
    page = client.get(reverse("notify:outbox", kwargs={"ws": "alpha"}) + "?status=problems")
    assert b"Retry now" in page.content and b"Failed (will retry)" in page.content
    item_page = client.get(reverse("triage:item", kwargs={"ws": "alpha", "pk": item.feedback_id}))
    assert b'data-email-status="failed"' in item_page.content

    # Still down: a retry run fails again and nothing is lost.
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert deliver_due() == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.FAILED, 2)

    # Back up: advance the scheduled retries and run them all; one delivery only.
    mailbox.start()
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now() - timedelta(seconds=1))
    assert deliver_due() == 1
    run_pending_tasks()
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert [m["Message-ID"] for m in mailbox.messages] == [email.message_id]
    assert mailbox.messages[0].get_content().strip() == "We are on it."


@pytest.mark.django_db
def test_retry_button_sends_a_failed_reply_once(world: World, mailbox: Mailbox) -> None:
    item = _email_item(world)
    mailbox.stop()
    reply = actions.send_reply(world.actor(world.bob), item, body="Retry me.")
    run_pending_tasks()
    mailbox.start()
    client = world.client_for(world.alice)  # the outbox (and its retry) is for owners and admins
    url = reverse("notify:retry", kwargs={"ws": "alpha", "pk": reply.email_id})
    response = client.post(url, follow=True)
    assert b"queued again" in response.content
    run_pending_tasks()
    assert len(mailbox.messages) == 1
    # A sent email cannot be "retried" into a second copy.
    response = client.post(url, follow=True)
    assert b"Only failed emails can be retried" in response.content
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now() - timedelta(seconds=1))
    run_pending_tasks()
    assert len(mailbox.messages) == 1
