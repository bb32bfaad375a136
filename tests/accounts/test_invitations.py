"""Invitations end to end: invite → email (via the outbox) → accept as a new or existing person."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertRedirects

from harken.accounts.models import User
from harken.core.taskrun import run_pending_tasks
from harken.workspaces import services
from harken.workspaces.models import Invitation, Membership, Role, hash_secret
from tests.base import PASSWORD, World, make_user

pytestmark = pytest.mark.django_db

LINK = re.compile(re.escape(settings.SITE_URL) + r"(/accounts/invitations/([A-Za-z0-9_-]+)/)")


@pytest.fixture(autouse=True)
def locmem_email(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _invite(world: World, client: Client, email: str, role: str = "member") -> str:
    client.force_login(world.alice)
    response = client.post(reverse("workspaces:invite", kwargs={"ws": "alpha"}), {"email": email, "role": role})
    assert response.status_code == 302
    client.logout()
    run_pending_tasks()
    message = mail.outbox[-1]
    assert message.to == [email.lower()]
    assert "Alice Owner invited you to Alpha" in message.subject
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def _code(client: Client, link: str) -> str:
    """Ask for the emailed code (it proves the invitee owns the address) and read it from the mail."""
    client.post(link, {"action": "send_code"})
    run_pending_tasks()
    return re.search(r"^(\d{6})$", mail.outbox[-1].body, re.M).group(1)  # type: ignore[union-attr]


def test_email_holds_a_link_whose_token_is_only_stored_hashed(world: World, client: Client) -> None:
    link = _invite(world, client, "Newbie@Example.test", "viewer")
    raw = LINK.search(mail.outbox[-1].body).group(2)  # type: ignore[union-attr]
    invitation = Invitation.objects.get(email="newbie@example.test")
    assert invitation.token_hash == hash_secret(raw)
    assert raw not in str(Invitation.objects.filter(pk=invitation.pk).values().get())
    assert link in mail.outbox[-1].alternatives[0][0]


def test_new_person_signs_up_and_joins_with_the_invited_role(world: World, client: Client) -> None:
    link = _invite(world, client, "newbie@example.test", "viewer")
    page = client.get(link)
    assertContains(page, "Join Alpha")
    assertContains(page, "Create account and join")
    response = client.post(link, {"name": "New Bie", "password": PASSWORD, "code": _code(client, link)})
    assertRedirects(response, reverse("feedback:overview", kwargs={"ws": "alpha"}), fetch_redirect_response=False)
    user = User.objects.get(email="newbie@example.test")
    assert user.name == "New Bie"
    assert Membership.objects.get(workspace=world.alpha, user=user).role == Role.VIEWER
    assert int(client.session["_auth_user_id"]) == user.pk
    assert Invitation.objects.get(email="newbie@example.test").accepted_at is not None


def test_weak_password_keeps_the_invitation_open(world: World, client: Client) -> None:
    link = _invite(world, client, "newbie@example.test")
    response = client.post(link, {"name": "N", "password": "123", "code": _code(client, link)})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not User.objects.filter(email="newbie@example.test").exists()
    assert Invitation.objects.get(email="newbie@example.test").is_pending


def test_existing_account_signs_in_with_password_and_joins(world: World, client: Client) -> None:
    link = _invite(world, client, "charlie@bravo.test", "admin")
    assertContains(client.get(link), "Sign in and join")
    wrong = client.post(link, {"password": "wrong"})
    assertContains(wrong, "That password is not right")
    assert not Membership.objects.filter(workspace=world.alpha, user=world.charlie).exists()
    response = client.post(link, {"password": PASSWORD})
    assert response.status_code == 302
    assert Membership.objects.get(workspace=world.alpha, user=world.charlie).role == Role.ADMIN
    assert int(client.session["_auth_user_id"]) == world.charlie.pk


def test_guessing_the_password_on_the_invitation_page_is_throttled(world: World, client: Client) -> None:
    from harken.accounts import throttle

    link = _invite(world, client, "charlie@bravo.test")
    for _ in range(throttle.MAX_FAILURES):
        client.post(link, {"password": "guess"})
    assertContains(client.post(link, {"password": PASSWORD}), "Too many failed sign-in attempts")
    assert not Membership.objects.filter(workspace=world.alpha, user=world.charlie).exists()


def test_signed_in_invitee_joins_with_one_click(world: World, client: Client) -> None:
    link = _invite(world, client, "charlie@bravo.test")
    client.force_login(world.charlie)
    assertContains(client.get(link), "Join Alpha")
    assert client.post(link).status_code == 302
    assert Membership.objects.filter(workspace=world.alpha, user=world.charlie, role=Role.MEMBER).exists()


def test_someone_else_signed_in_cannot_take_the_invitation(world: World, client: Client) -> None:
    link = _invite(world, client, "charlie@bravo.test")
    client.force_login(world.bob)
    page = client.get(link)
    assertContains(page, "but this invitation is for charlie@bravo.test")
    client.post(link)
    assert not Membership.objects.filter(workspace=world.alpha, user=world.charlie).exists()
    assert Invitation.objects.get(email="charlie@bravo.test").is_pending


def test_used_link_cannot_be_reused(world: World, client: Client) -> None:
    link = _invite(world, client, "newbie@example.test")
    client.post(link, {"password": PASSWORD, "code": _code(client, link)})
    client.logout()
    response = client.get(link)
    assert response.status_code == 410
    assertContains(response, "already been used", status_code=410)


def test_expired_revoked_and_unknown_links_explain_themselves(world: World, client: Client) -> None:
    link = _invite(world, client, "late@example.test")
    Invitation.objects.filter(email="late@example.test").update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(link)
    assertContains(response, "has expired", status_code=410)
    assert client.post(link, {"password": PASSWORD}).status_code == 410
    assert not User.objects.filter(email="late@example.test").exists()

    link = _invite(world, client, "gone@example.test")
    services.revoke_invitation(world.actor(world.alice), Invitation.objects.get(email="gone@example.test").pk)
    assertContains(client.get(link), "was withdrawn", status_code=410)

    assertContains(client.get("/accounts/invitations/not-a-real-token/"), "not valid", status_code=404)


def test_resend_replaces_the_link(world: World, client: Client) -> None:
    old = _invite(world, client, "newbie@example.test")
    invitation = Invitation.objects.get(email="newbie@example.test")
    client.force_login(world.alice)
    client.post(reverse("workspaces:invitation_resend", kwargs={"ws": "alpha", "pk": invitation.pk}))
    run_pending_tasks()
    assert len(mail.outbox) == 2
    new = LINK.search(mail.outbox[-1].body).group(1)  # type: ignore[union-attr]
    assert old != new
    client.logout()
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_existing_member_accepting_keeps_their_membership(world: World, client: Client) -> None:
    outsider = make_user("dup@example.test")
    link = _invite(world, client, "dup@example.test", "viewer")
    Membership.objects.create(workspace=world.alpha, user=outsider, role=Role.ADMIN)
    client.force_login(outsider)
    client.post(link)
    assert Membership.objects.get(workspace=world.alpha, user=outsider).role == Role.ADMIN
