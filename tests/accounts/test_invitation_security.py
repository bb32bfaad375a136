"""Defect 1 of issue 15: a viewer must not turn an invitation in the outbox into admin access.

The attack chain was: owner invites x@else.test as admin → a viewer opens the outbox message and
copies the accept link → an anonymous POST to the link creates the account and joins as admin.
Now the outbox is admin-only, the stored and shown body has the link hidden, and joining without
an account needs a code emailed to the invited address.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.test import Client
from django.urls import reverse

from harken.accounts.models import User
from harken.core.taskrun import run_pending_tasks
from harken.notify.models import OutboundEmail
from harken.workspaces.models import Invitation, Membership, Role
from tests.base import PASSWORD, World

LINK = re.compile(re.escape(settings.SITE_URL) + r"(/accounts/invitations/[A-Za-z0-9_-]+/)")
CODE = re.compile(r"^\s*(\d{6})\s*$", re.M)


def _invite_admin(world: World, email: str = "x@else.test") -> OutboundEmail:
    response = world.client_for(world.alice).post(
        reverse("workspaces:invite", kwargs={"ws": "alpha"}), {"email": email, "role": "admin"}
    )
    assert response.status_code == 302
    return OutboundEmail.objects.get(kind="invitation", to=[email])


def test_viewer_and_member_cannot_open_the_outbox(world: World) -> None:
    email = _invite_admin(world)
    for user in (world.vera, world.bob):
        client = world.client_for(user)
        assert client.get(reverse("notify:outbox", kwargs={"ws": "alpha"})).status_code == 403
        assert client.get(reverse("notify:email", kwargs={"ws": "alpha", "pk": email.pk})).status_code == 403
    page = world.client_for(world.vera).get(reverse("feedback:overview", kwargs={"ws": "alpha"}))
    assert reverse("notify:outbox", kwargs={"ws": "alpha"}) not in page.content.decode()


def test_the_outbox_never_stores_or_shows_the_link(world: World, mailoutbox: Any) -> None:
    stored = _invite_admin(world)
    assert "/accounts/invitations/" not in stored.text + stored.html
    assert "[invitation link hidden" in stored.text
    page = world.client_for(world.alice).get(reverse("notify:email", kwargs={"ws": "alpha", "pk": stored.pk}))
    assert page.status_code == 200
    assert "/accounts/invitations/" not in page.content.decode()
    assert "invitation link hidden" in page.content.decode()

    run_pending_tasks()
    sent = mailoutbox[-1]
    assert LINK.search(sent.body) and LINK.search(sent.alternatives[0][0])
    assert "hidden" not in sent.body
    stored.refresh_from_db()
    assert stored.status == "sent" and stored.secrets == ""


def test_password_reset_link_is_hidden_in_the_outbox(world: World, mailoutbox: Any) -> None:
    Client().post(reverse("accounts:password_reset"), {"email": "bob@alpha.test"})
    stored = OutboundEmail.objects.get(kind="password_reset")
    assert "/accounts/password/reset/" not in stored.text + stored.html
    run_pending_tasks()
    assert "/accounts/password/reset/" in mailoutbox[-1].body


def test_a_leaked_link_alone_does_not_create_an_account(world: World, mailoutbox: Any) -> None:
    """The rest of the chain: even holding the link, an anonymous POST does not join as admin."""
    _invite_admin(world)
    run_pending_tasks()
    link = LINK.search(mailoutbox[-1].body).group(1)  # type: ignore[union-attr]
    attacker = Client()
    response = attacker.post(link, {"name": "Mallory", "password": PASSWORD})
    assert response.status_code == 200
    assert not User.objects.filter(email="x@else.test").exists()
    assert not Membership.objects.filter(workspace=world.alpha, role=Role.ADMIN, user__email="x@else.test").exists()
    # A guessed code fails too, and guessing is capped.
    attacker.post(link, {"action": "send_code"})
    for _ in range(10):
        attacker.post(link, {"name": "Mallory", "password": PASSWORD, "code": "000000"})
    assert not User.objects.filter(email="x@else.test").exists()
    assert Invitation.objects.get(email="x@else.test").code_failures >= 10


def test_the_invitee_joins_with_the_code_from_their_mailbox(world: World, mailoutbox: Any) -> None:
    _invite_admin(world)
    run_pending_tasks()
    link = LINK.search(mailoutbox[-1].body).group(1)  # type: ignore[union-attr]
    client = Client()
    assert client.post(link, {"action": "send_code"}).status_code == 302
    stored = OutboundEmail.objects.get(kind="invitation_code")
    assert not CODE.search(stored.text), "the code must not be stored in clear"
    run_pending_tasks()
    code = CODE.search(mailoutbox[-1].body).group(1)  # type: ignore[union-attr]
    assert mailoutbox[-1].to == ["x@else.test"]
    response = client.post(link, {"name": "Xavier", "password": PASSWORD, "code": code})
    assert response.status_code == 302
    user = User.objects.get(email="x@else.test")
    assert Membership.objects.get(workspace=world.alpha, user=user).role == Role.ADMIN


def test_member_cannot_retry_outbox_email(world: World) -> None:
    email = _invite_admin(world)
    OutboundEmail.objects.filter(pk=email.pk).update(status="failed")
    response = world.client_for(world.bob).post(reverse("notify:retry", kwargs={"ws": "alpha", "pk": email.pk}))
    assert response.status_code == 403
