"""A member whose reply failed to send sees that on the item page and sends it again from there,
without the (admin-only) outbox: only their own replies, nothing else of the outbox is shown."""

from __future__ import annotations

import pytest
from django.urls import reverse

from harken.notify.models import EmailStatus, OutboundEmail
from harken.triage import actions
from harken.triage.models import Reply, Triage
from tests.base import World

pytestmark = pytest.mark.django_db


def failed_reply(world: World, author: object) -> Reply:
    from harken.feedback.actions import create_feedback

    feedback, _ = create_feedback(world.actor(world.bob), text="Dark mode please", author_email="pat@customer.test")
    triage = Triage.objects.get(feedback=feedback)
    reply = actions.send_reply(world.actor(author), triage, body="We are on it.")  # type: ignore[arg-type]
    OutboundEmail.objects.filter(pk=reply.email_id).update(status=EmailStatus.DEAD, last_error="535 auth failed")
    return reply


def retry_url(reply: Reply) -> str:
    return reverse("triage:retry_reply", kwargs={"ws": "alpha", "pk": reply.triage.feedback_id, "reply_pk": reply.pk})


def item_page(world: World, user: object, reply: Reply) -> str:
    client = world.client_for(user)  # type: ignore[arg-type]
    return client.get(
        reverse("feedback:detail", kwargs={"ws": "alpha", "pk": reply.triage.feedback_id})
    ).content.decode()


def test_the_author_sees_the_failure_and_sends_it_again(world: World) -> None:
    reply = failed_reply(world, world.bob)
    page = item_page(world, world.bob, reply)
    assert 'data-email-status="dead"' in page and f'data-retry-reply="{reply.pk}"' in page
    assert "535 auth failed" not in page and reverse("notify:outbox", kwargs={"ws": "alpha"}) not in page
    response = world.client_for(world.bob).post(retry_url(reply), follow=True)
    assert response.status_code == 200 and b"queued again" in response.content
    email = OutboundEmail.objects.get(pk=reply.email_id)
    assert (email.status, email.attempts) == (EmailStatus.QUEUED, 0)
    # queued (not failed) any more: no second retry, no button
    assert f'data-retry-reply="{reply.pk}"' not in item_page(world, world.bob, reply)
    again = world.client_for(world.bob).post(retry_url(reply), follow=True)
    assert b"Only a reply whose email failed can be sent again" in again.content


def test_other_members_viewers_and_outsiders_cannot(world: World) -> None:
    reply = failed_reply(world, world.alice)  # written by the owner
    assert f'data-retry-reply="{reply.pk}"' not in item_page(world, world.bob, reply)
    assert world.client_for(world.bob).post(retry_url(reply)).status_code == 403
    assert world.client_for(world.vera).post(retry_url(reply)).status_code == 403
    assert world.client_for(world.charlie).post(retry_url(reply)).status_code in (403, 404)
    assert OutboundEmail.objects.get(pk=reply.email_id).status == EmailStatus.DEAD


def test_an_admin_may_retry_anyones_reply(world: World) -> None:
    reply = failed_reply(world, world.bob)
    assert f'data-retry-reply="{reply.pk}"' in item_page(world, world.alice, reply)
    world.client_for(world.alice).post(retry_url(reply))
    assert OutboundEmail.objects.get(pk=reply.email_id).status == EmailStatus.QUEUED


def test_a_reply_of_another_item_or_workspace_is_not_found(world: World) -> None:
    reply = failed_reply(world, world.bob)
    other = failed_reply(world, world.bob)
    url = reverse("triage:retry_reply", kwargs={"ws": "alpha", "pk": other.triage.feedback_id, "reply_pk": reply.pk})
    assert world.client_for(world.bob).post(url).status_code == 404
    assert OutboundEmail.objects.get(pk=reply.email_id).status == EmailStatus.DEAD
