"""Members and invitations: who may change whom, and the last-owner rule."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from harken.core.taskrun import run_pending_tasks
from harken.notify.models import OutboundEmail
from harken.workspaces import services
from harken.workspaces.models import Invitation, Membership, Role
from tests.base import World, make_user

pytestmark = pytest.mark.django_db


def url(name: str, **kwargs: object) -> str:
    return reverse(f"workspaces:{name}", kwargs={"ws": "alpha", **kwargs})


@pytest.fixture
def members(world: World) -> SimpleNamespace:
    members = SimpleNamespace()
    members.dana = make_user("dana@alpha.test", "Dana Admin")
    members.dana_m = Membership.objects.create(workspace=world.alpha, user=members.dana, role=Role.ADMIN)
    members.alice_m = Membership.objects.get(workspace=world.alpha, user=world.alice)
    members.bob_m = Membership.objects.get(workspace=world.alpha, user=world.bob)
    members.vera_m = Membership.objects.get(workspace=world.alpha, user=world.vera)
    return members


def role_of(membership: Membership) -> str:
    membership.refresh_from_db()
    return membership.role


def test_everyone_in_the_workspace_sees_the_members_but_only_admins_get_controls(
    world: World, members: SimpleNamespace
) -> None:
    page = world.client_for(world.vera).get(url("members"))
    for person in ("Alice Owner", "Bob Member", "Vera Viewer", "Dana Admin"):
        assertContains(page, person)
    assertNotContains(page, "Invite someone")
    assertNotContains(page, url("member_role", pk=members.bob_m.pk))
    page = world.client_for(members.dana).get(url("members"))
    assertContains(page, "Invite someone")
    assertContains(page, url("member_role", pk=members.bob_m.pk))
    assertNotContains(page, url("member_role", pk=members.alice_m.pk))  # admins can't touch owners
    assertNotContains(page, 'value="owner"')  # nor hand out ownership


def test_outsider_gets_404(world: World, members: SimpleNamespace) -> None:
    assert world.client_for(world.charlie).get(url("members")).status_code == 404


def test_admin_changes_roles_below_owner(world: World, members: SimpleNamespace) -> None:
    response = world.client_for(members.dana).post(
        url("member_role", pk=members.bob_m.pk), {"role": "viewer"}, follow=True
    )
    assertContains(response, "Bob Member is now a viewer.")
    assert role_of(members.bob_m) == Role.VIEWER


def test_admin_cannot_promote_to_owner_or_change_an_owner(world: World, members: SimpleNamespace) -> None:
    client = world.client_for(members.dana)
    assert client.post(url("member_role", pk=members.bob_m.pk), {"role": "owner"}).status_code == 403
    assert role_of(members.bob_m) == Role.MEMBER
    Membership.objects.create(workspace=world.alpha, user=make_user("o2@alpha.test"), role=Role.OWNER)
    assert client.post(url("member_role", pk=members.alice_m.pk), {"role": "member"}).status_code == 403
    assert client.post(url("member_remove", pk=members.alice_m.pk)).status_code == 403
    assert role_of(members.alice_m) == Role.OWNER


def test_owner_can_promote_to_owner(world: World, members: SimpleNamespace) -> None:
    world.client_for(world.alice).post(url("member_role", pk=members.bob_m.pk), {"role": "owner"})
    assert role_of(members.bob_m) == Role.OWNER


def test_members_and_viewers_cannot_change_roles_or_remove_others(world: World, members: SimpleNamespace) -> None:
    for user in (world.bob, world.vera):
        client = world.client_for(user)
        assert client.post(url("member_role", pk=members.dana_m.pk), {"role": "viewer"}).status_code == 403
        assert client.post(url("member_remove", pk=members.dana_m.pk)).status_code == 403
    assert role_of(members.dana_m) == Role.ADMIN


def test_last_owner_cannot_be_demoted_or_removed(world: World, members: SimpleNamespace) -> None:
    client = world.client_for(world.alice)
    response = client.post(url("member_role", pk=members.alice_m.pk), {"role": "admin"}, follow=True)
    assertContains(response, "last owner")
    assert role_of(members.alice_m) == Role.OWNER
    response = client.post(url("member_remove", pk=members.alice_m.pk), follow=True)
    assertContains(response, "last owner")
    assert Membership.objects.filter(pk=members.alice_m.pk).exists()
    # With a second owner it works.
    Membership.objects.create(workspace=world.alpha, user=make_user("o2@alpha.test"), role=Role.OWNER)
    client.post(url("member_role", pk=members.alice_m.pk), {"role": "admin"})
    assert role_of(members.alice_m) == Role.ADMIN


def test_unknown_role_is_a_clear_error(world: World, members: SimpleNamespace) -> None:
    with pytest.raises(ValidationError, match=re.escape("is not a role")):
        services.change_role(world.actor(world.alice), members.bob_m.pk, "king")


def test_admin_removes_a_member_and_their_product_line_duties(world: World, members: SimpleNamespace) -> None:
    world.alpha_line.managers.add(world.bob)
    response = world.client_for(members.dana).post(url("member_remove", pk=members.bob_m.pk), follow=True)
    assertContains(response, "Bob Member was removed")
    assert not Membership.objects.filter(pk=members.bob_m.pk).exists()
    assert not world.alpha_line.managers.filter(pk=world.bob.pk).exists()


def test_anyone_may_leave(world: World, members: SimpleNamespace) -> None:
    response = world.client_for(world.vera).post(url("member_remove", pk=members.vera_m.pk))
    assertRedirects(response, reverse("hub:home"), fetch_redirect_response=False)
    assert not Membership.objects.filter(pk=members.vera_m.pk).exists()


def test_membership_of_another_workspace_is_404(world: World, members: SimpleNamespace) -> None:
    charlie_m = Membership.objects.get(workspace=world.bravo, user=world.charlie)
    assert world.client_for(world.alice).post(url("member_remove", pk=charlie_m.pk)).status_code == 404
    assert Membership.objects.filter(pk=charlie_m.pk).exists()


@pytest.fixture(autouse=True)
def locmem_email(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def invitation_management(world: World) -> SimpleNamespace:
    invitation_management = SimpleNamespace()
    invitation_management.dana = make_user("dana@alpha.test", "Dana Admin")
    Membership.objects.create(workspace=world.alpha, user=invitation_management.dana, role=Role.ADMIN)
    return invitation_management


def test_admin_invites_and_the_invitation_is_listed(world: World, invitation_management: SimpleNamespace) -> None:
    response = world.client_for(invitation_management.dana).post(
        url("invite"), {"email": "New@Example.test", "role": "admin"}, follow=True
    )
    assertContains(response, "Invitation sent to new@example.test")
    assertContains(response, "Pending invitations")
    invitation = Invitation.objects.get(workspace=world.alpha, email="new@example.test")
    assert (invitation.role, invitation.invited_by) == (Role.ADMIN, invitation_management.dana)
    assert len(invitation.token_hash) == 64
    assert mail.outbox == []
    assert OutboundEmail.objects.get(kind="invitation").to == ["new@example.test"]
    run_pending_tasks()
    assert len(mail.outbox) == 1
    assert "/accounts/invitations/" in mail.outbox[0].body
    assert "as admin" in mail.outbox[0].body


def test_members_and_viewers_cannot_invite(world: World, invitation_management: SimpleNamespace) -> None:
    for user in (world.bob, world.vera):
        assert (
            world.client_for(user).post(url("invite"), {"email": "x@example.test", "role": "viewer"}).status_code == 403
        )
    assert not Invitation.objects.exists()


def test_only_owners_invite_owners(world: World, invitation_management: SimpleNamespace) -> None:
    response = world.client_for(invitation_management.dana).post(
        url("invite"), {"email": "x@example.test", "role": "owner"}
    )
    assert response.status_code == 400
    assert not Invitation.objects.exists()
    with pytest.raises(PermissionDenied):
        services.invite(world.actor(invitation_management.dana), email="x@example.test", role="owner")
    world.client_for(world.alice).post(url("invite"), {"email": "x@example.test", "role": "owner"})
    assert Invitation.objects.get().role == Role.OWNER


def test_bad_input_is_explained(world: World, invitation_management: SimpleNamespace) -> None:
    client = world.client_for(world.alice)
    assertContains(
        client.post(url("invite"), {"email": "BOB@alpha.test", "role": "member"}),
        "already a member",
        status_code=400,
    )
    client.post(url("invite"), {"email": "twice@example.test", "role": "member"})
    assertContains(
        client.post(url("invite"), {"email": "twice@example.test", "role": "viewer"}),
        "already has a pending invitation",
        status_code=400,
    )
    assertContains(
        client.post(url("invite"), {"email": "not-an-email", "role": "member"}), "valid email", status_code=400
    )
    assert Invitation.objects.count() == 1


def test_revoke_and_resend(world: World, invitation_management: SimpleNamespace) -> None:
    invitation, _ = services.invite(world.actor(world.alice), email="r@example.test")
    old_hash = invitation.token_hash
    client = world.client_for(invitation_management.dana)
    client.post(url("invitation_resend", pk=invitation.pk))
    invitation.refresh_from_db()
    assert invitation.token_hash != old_hash
    assert OutboundEmail.objects.filter(kind="invitation").count() == 2
    response = client.post(url("invitation_revoke", pk=invitation.pk), follow=True)
    assertContains(response, "revoked")
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assertNotContains(client.get(url("members")), "r@example.test")
    response = client.post(url("invitation_resend", pk=invitation.pk), follow=True)
    assertContains(response, "already used or revoked")
    assert OutboundEmail.objects.filter(kind="invitation").count() == 2


def test_invitation_of_another_workspace_is_404(world: World, invitation_management: SimpleNamespace) -> None:
    theirs, _ = services.invite(world.actor(world.charlie), email="z@example.test")
    assert world.client_for(world.alice).post(url("invitation_revoke", pk=theirs.pk)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
