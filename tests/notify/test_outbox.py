"""The outbox page and the retry action, against a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from harken.core.taskrun import run_pending_tasks
from harken.notify.models import EmailStatus, OutboundEmail
from harken.notify.services import MAX_ATTEMPTS, deliver, queue_email, retry
from tests.base import World
from tests.notify.mailbox import Mailbox


@pytest.mark.django_db
def test_outbox_lists_this_workspaces_mail_with_failures_first_class(world: World, mailbox: Mailbox) -> None:
    queue_email(to="pat@acme.test", subject="Alpha hello", text="hi", workspace=world.alpha, kind="reply")
    queue_email(to="x@bravo.test", subject="Bravo secret", text="hi", workspace=world.bravo, kind="reply")
    run_pending_tasks()
    mailbox.stop()
    queue_email(to="pat@acme.test", subject="Alpha will fail", text="hi", workspace=world.alpha, kind="reply")
    run_pending_tasks()

    client = world.client_for(world.alice)
    page = client.get(reverse("notify:outbox", kwargs={"ws": "alpha"}))
    assert b"Alpha hello" in page.content and b"Alpha will fail" in page.content
    assert b"Bravo secret" not in page.content
    for user in (world.vera, world.bob):  # the outbox is for owners and admins only
        assert world.client_for(user).get(reverse("notify:outbox", kwargs={"ws": "alpha"})).status_code == 403
    problems = client.get(reverse("notify:outbox", kwargs={"ws": "alpha"}) + "?status=problems")
    assert b"Alpha will fail" in problems.content and b"Alpha hello" not in problems.content
    assert b"Retry now" in problems.content
    failed = OutboundEmail.objects.get(subject="Alpha will fail")
    detail = client.get(reverse("notify:email", kwargs={"ws": "alpha", "pk": failed.pk}))
    assert failed.last_error.encode()[:20] in detail.content


@pytest.mark.django_db
def test_delivery_claims_each_email_once(world: World, mailbox: Mailbox) -> None:
    email = queue_email(to="pat@acme.test", subject="Once", text="hi", workspace=world.alpha)
    assert deliver(email.pk) is not None
    assert deliver(email.pk) is None  # already sent: a second worker does nothing
    run_pending_tasks()
    assert len(mailbox.messages) == 1


@pytest.mark.django_db
def test_given_up_mail_can_be_retried_with_fresh_attempts(world: World, mailbox: Mailbox) -> None:
    email = queue_email(to="pat@acme.test", subject="Dead", text="hi", workspace=world.alpha)
    OutboundEmail.objects.filter(pk=email.pk).update(status=EmailStatus.DEAD, attempts=MAX_ATTEMPTS, last_error="boom")
    email.refresh_from_db()
    for user in (world.vera, world.bob):
        with pytest.raises(PermissionDenied):
            retry(world.actor(user), email)
    with pytest.raises(ValidationError):
        retry(world.actor(world.charlie), email)  # another workspace's mail
    retried = retry(world.actor(world.alice), email)
    assert (retried.status, retried.attempts) == (EmailStatus.QUEUED, 0)
    run_pending_tasks()
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert [m["Subject"] for m in mailbox.messages] == ["Dead"]
