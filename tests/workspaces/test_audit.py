"""The audit log: written by the services that act, visible to owners only (page and API)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from harken.customers.models import Account
from harken.feedback.models import Feedback
from harken.workspaces import services
from harken.workspaces.models import AuditAction, AuditEvent, Membership, Role
from tests.base import PASSWORD, World, make_token


def _actions(world: World) -> list[str]:
    return list(AuditEvent.objects.filter(workspace=world.alpha).values_list("action", flat=True))


def test_services_record_what_they_do(world: World) -> None:
    owner = world.actor(world.alice)
    bob = Membership.objects.get(workspace=world.alpha, user=world.bob)
    services.change_role(owner, bob.pk, Role.ADMIN)
    invitation, _raw = services.invite(owner, email="new@example.test", role="member")
    services.revoke_invitation(owner, invitation.pk)
    token, _raw = services.create_api_token(owner, name="ci", can_write=True)
    services.revoke_api_token(owner, token.pk)
    services.remove_member(owner, bob.pk)
    from harken.feedback.actions import delete_feedback

    delete_feedback(owner, Feedback.objects.create(workspace=world.alpha, text="Remove me"))
    from harken.customers.actions import delete_account

    delete_account(owner, Account.objects.create(workspace=world.alpha, name="Gone Corp", domain="gone.test"))
    assert sorted(_actions(world)) == sorted(
        [
            AuditAction.ROLE_CHANGED,
            AuditAction.INVITED,
            AuditAction.INVITATION_REVOKED,
            AuditAction.TOKEN_CREATED,
            AuditAction.TOKEN_REVOKED,
            AuditAction.MEMBER_REMOVED,
            AuditAction.DELETED,
            AuditAction.DELETED,
        ]
    )
    role_change = AuditEvent.objects.get(action=AuditAction.ROLE_CHANGED)
    assert role_change.actor == world.alice and "Member → Admin" in role_change.target


def test_sign_ins_and_failures_are_recorded_with_the_ip(world: World) -> None:
    client = Client(REMOTE_ADDR="203.0.113.5")
    client.post(reverse("accounts:login"), {"username": "bob@alpha.test", "password": "wrong"})
    client.post(reverse("accounts:login"), {"username": "bob@alpha.test", "password": PASSWORD})
    events = list(AuditEvent.objects.filter(subject_email="bob@alpha.test").order_by("id"))
    assert [e.action for e in events] == [AuditAction.SIGN_IN_FAILED, AuditAction.SIGNED_IN]
    assert {e.ip for e in events} == {"203.0.113.5"}


def test_only_owners_see_the_log_and_only_their_workspace(world: World) -> None:
    services.create_api_token(world.actor(world.alice), name="alpha-ci", can_write=True)
    services.create_api_token(world.actor(world.charlie), name="bravo-secret", can_write=True)
    Client().post(reverse("accounts:login"), {"username": "charlie@bravo.test", "password": PASSWORD})
    url = reverse("workspaces:audit", kwargs={"ws": "alpha"})
    page = world.client_for(world.alice).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "alpha-ci" in html and "bravo-secret" not in html and "charlie@bravo.test" not in html
    for user in (world.bob, world.vera):
        assert world.client_for(user).get(url).status_code == 403
    members_page = world.client_for(world.bob).get(reverse("workspaces:members", kwargs={"ws": "alpha"}))
    assert url not in members_page.content.decode()


def test_audit_api_is_for_owner_tokens_only(world: World) -> None:
    services.create_api_token(world.actor(world.alice), name="alpha-ci", can_write=True)
    owner_token = make_token(world.alpha, world.alice)
    member_token = make_token(world.alpha, world.bob)
    client = Client()
    response = client.get("/api/workspaces/audit", HTTP_AUTHORIZATION=f"Bearer {owner_token}")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["items"][0]["action"] == "token_created"
    assert client.get("/api/workspaces/audit", HTTP_AUTHORIZATION=f"Bearer {member_token}").status_code == 403
    services.change_role(
        world.actor(world.alice),
        Membership.objects.get(workspace=world.alpha, user=world.bob).pk,
        Role.OWNER,
    )
    assert client.get("/api/workspaces/audit", HTTP_AUTHORIZATION=f"Bearer {member_token}").status_code == 200


def test_the_demo_workspace_has_an_audit_history(world: World) -> None:
    from harken.workspaces.demo import after_demo_load

    after_demo_load(world.alpha)
    page = world.client_for(world.alice).get(reverse("workspaces:audit", kwargs={"ws": "alpha"}))
    html = page.content.decode()
    assert "Failed sign-in" in html and "CRM sync" in html and "Role changed" in html
