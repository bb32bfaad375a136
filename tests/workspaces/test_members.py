"""Members and invitations: who may change whom, and the last-owner rule."""

from __future__ import annotations

from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.urls import reverse

from harken.core.taskrun import run_pending_tasks
from harken.notify.models import OutboundEmail
from harken.workspaces import services
from harken.workspaces.models import Invitation, Membership, Role
from tests.base import HarkenTestCase, make_user


def url(name: str, **kwargs: object) -> str:
    return reverse(f"workspaces:{name}", kwargs={"ws": "alpha", **kwargs})


class MembersTests(HarkenTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.dana = make_user("dana@alpha.test", "Dana Admin")
        cls.dana_m = Membership.objects.create(workspace=cls.alpha, user=cls.dana, role=Role.ADMIN)
        cls.alice_m = Membership.objects.get(workspace=cls.alpha, user=cls.alice)
        cls.bob_m = Membership.objects.get(workspace=cls.alpha, user=cls.bob)
        cls.vera_m = Membership.objects.get(workspace=cls.alpha, user=cls.vera)

    def role_of(self, membership: Membership) -> str:
        membership.refresh_from_db()
        return membership.role

    def test_everyone_in_the_workspace_sees_the_members_but_only_admins_get_controls(self) -> None:
        page = self.login(self.vera).get(url("members"))
        for person in ("Alice Owner", "Bob Member", "Vera Viewer", "Dana Admin"):
            self.assertContains(page, person)
        self.assertNotContains(page, "Invite someone")
        self.assertNotContains(page, url("member_role", pk=self.bob_m.pk))
        page = self.login(self.dana).get(url("members"))
        self.assertContains(page, "Invite someone")
        self.assertContains(page, url("member_role", pk=self.bob_m.pk))
        self.assertNotContains(page, url("member_role", pk=self.alice_m.pk))  # admins can't touch owners
        self.assertNotContains(page, 'value="owner"')  # nor hand out ownership

    def test_outsider_gets_404(self) -> None:
        self.assertEqual(self.login(self.charlie).get(url("members")).status_code, 404)

    def test_admin_changes_roles_below_owner(self) -> None:
        response = self.login(self.dana).post(url("member_role", pk=self.bob_m.pk), {"role": "viewer"}, follow=True)
        self.assertContains(response, "Bob Member is now a viewer.")
        self.assertEqual(self.role_of(self.bob_m), Role.VIEWER)

    def test_admin_cannot_promote_to_owner_or_change_an_owner(self) -> None:
        client = self.login(self.dana)
        self.assertEqual(client.post(url("member_role", pk=self.bob_m.pk), {"role": "owner"}).status_code, 403)
        self.assertEqual(self.role_of(self.bob_m), Role.MEMBER)
        Membership.objects.create(workspace=self.alpha, user=make_user("o2@alpha.test"), role=Role.OWNER)
        self.assertEqual(client.post(url("member_role", pk=self.alice_m.pk), {"role": "member"}).status_code, 403)
        self.assertEqual(client.post(url("member_remove", pk=self.alice_m.pk)).status_code, 403)
        self.assertEqual(self.role_of(self.alice_m), Role.OWNER)

    def test_owner_can_promote_to_owner(self) -> None:
        self.login(self.alice).post(url("member_role", pk=self.bob_m.pk), {"role": "owner"})
        self.assertEqual(self.role_of(self.bob_m), Role.OWNER)

    def test_members_and_viewers_cannot_change_roles_or_remove_others(self) -> None:
        for user in (self.bob, self.vera):
            client = self.login(user)
            self.assertEqual(client.post(url("member_role", pk=self.dana_m.pk), {"role": "viewer"}).status_code, 403)
            self.assertEqual(client.post(url("member_remove", pk=self.dana_m.pk)).status_code, 403)
        self.assertEqual(self.role_of(self.dana_m), Role.ADMIN)

    def test_last_owner_cannot_be_demoted_or_removed(self) -> None:
        client = self.login(self.alice)
        response = client.post(url("member_role", pk=self.alice_m.pk), {"role": "admin"}, follow=True)
        self.assertContains(response, "last owner")
        self.assertEqual(self.role_of(self.alice_m), Role.OWNER)
        response = client.post(url("member_remove", pk=self.alice_m.pk), follow=True)
        self.assertContains(response, "last owner")
        self.assertTrue(Membership.objects.filter(pk=self.alice_m.pk).exists())
        # With a second owner it works.
        Membership.objects.create(workspace=self.alpha, user=make_user("o2@alpha.test"), role=Role.OWNER)
        client.post(url("member_role", pk=self.alice_m.pk), {"role": "admin"})
        self.assertEqual(self.role_of(self.alice_m), Role.ADMIN)

    def test_unknown_role_is_a_clear_error(self) -> None:
        with self.assertRaisesMessage(ValidationError, "is not a role"):
            services.change_role(self.actor(self.alice), self.bob_m.pk, "king")

    def test_admin_removes_a_member_and_their_product_line_duties(self) -> None:
        self.world.alpha_line.managers.add(self.bob)
        response = self.login(self.dana).post(url("member_remove", pk=self.bob_m.pk), follow=True)
        self.assertContains(response, "Bob Member was removed")
        self.assertFalse(Membership.objects.filter(pk=self.bob_m.pk).exists())
        self.assertFalse(self.world.alpha_line.managers.filter(pk=self.bob.pk).exists())

    def test_anyone_may_leave(self) -> None:
        response = self.login(self.vera).post(url("member_remove", pk=self.vera_m.pk))
        self.assertRedirects(response, reverse("hub:home"), fetch_redirect_response=False)
        self.assertFalse(Membership.objects.filter(pk=self.vera_m.pk).exists())

    def test_membership_of_another_workspace_is_404(self) -> None:
        charlie_m = Membership.objects.get(workspace=self.bravo, user=self.charlie)
        self.assertEqual(self.login(self.alice).post(url("member_remove", pk=charlie_m.pk)).status_code, 404)
        self.assertTrue(Membership.objects.filter(pk=charlie_m.pk).exists())


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
class InvitationManagementTests(HarkenTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.dana = make_user("dana@alpha.test", "Dana Admin")
        Membership.objects.create(workspace=cls.alpha, user=cls.dana, role=Role.ADMIN)

    def test_admin_invites_and_the_invitation_is_listed(self) -> None:
        response = self.login(self.dana).post(
            url("invite"), {"email": "New@Example.test", "role": "admin"}, follow=True
        )
        self.assertContains(response, "Invitation sent to new@example.test")
        self.assertContains(response, "Pending invitations")
        invitation = Invitation.objects.get(workspace=self.alpha, email="new@example.test")
        self.assertEqual((invitation.role, invitation.invited_by), (Role.ADMIN, self.dana))
        self.assertEqual(len(invitation.token_hash), 64)
        self.assertEqual(mail.outbox, [])
        self.assertEqual(OutboundEmail.objects.get(kind="invitation").to, ["new@example.test"])
        run_pending_tasks()
        self.assertEqual(len(mail.outbox), 1)
        self.assertIn("/accounts/invitations/", mail.outbox[0].body)
        self.assertIn("as admin", mail.outbox[0].body)

    def test_members_and_viewers_cannot_invite(self) -> None:
        for user in (self.bob, self.vera):
            self.assertEqual(
                self.login(user).post(url("invite"), {"email": "x@example.test", "role": "viewer"}).status_code, 403
            )
        self.assertFalse(Invitation.objects.exists())

    def test_only_owners_invite_owners(self) -> None:
        response = self.login(self.dana).post(url("invite"), {"email": "x@example.test", "role": "owner"})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Invitation.objects.exists())
        with self.assertRaises(PermissionDenied):
            services.invite(self.actor(self.dana), email="x@example.test", role="owner")
        self.login(self.alice).post(url("invite"), {"email": "x@example.test", "role": "owner"})
        self.assertEqual(Invitation.objects.get().role, Role.OWNER)

    def test_bad_input_is_explained(self) -> None:
        client = self.login(self.alice)
        self.assertContains(
            client.post(url("invite"), {"email": "BOB@alpha.test", "role": "member"}),
            "already a member",
            status_code=400,
        )
        client.post(url("invite"), {"email": "twice@example.test", "role": "member"})
        self.assertContains(
            client.post(url("invite"), {"email": "twice@example.test", "role": "viewer"}),
            "already has a pending invitation",
            status_code=400,
        )
        self.assertContains(
            client.post(url("invite"), {"email": "not-an-email", "role": "member"}), "valid email", status_code=400
        )
        self.assertEqual(Invitation.objects.count(), 1)

    def test_revoke_and_resend(self) -> None:
        invitation, _ = services.invite(self.actor(self.alice), email="r@example.test")
        old_hash = invitation.token_hash
        client = self.login(self.dana)
        client.post(url("invitation_resend", pk=invitation.pk))
        invitation.refresh_from_db()
        self.assertNotEqual(invitation.token_hash, old_hash)
        self.assertEqual(OutboundEmail.objects.filter(kind="invitation").count(), 2)
        response = client.post(url("invitation_revoke", pk=invitation.pk), follow=True)
        self.assertContains(response, "revoked")
        invitation.refresh_from_db()
        self.assertIsNotNone(invitation.revoked_at)
        self.assertNotContains(client.get(url("members")), "r@example.test")
        response = client.post(url("invitation_resend", pk=invitation.pk), follow=True)
        self.assertContains(response, "already used or revoked")
        self.assertEqual(OutboundEmail.objects.filter(kind="invitation").count(), 2)

    def test_invitation_of_another_workspace_is_404(self) -> None:
        theirs, _ = services.invite(self.actor(self.charlie), email="z@example.test")
        self.assertEqual(self.login(self.alice).post(url("invitation_revoke", pk=theirs.pk)).status_code, 404)
        theirs.refresh_from_db()
        self.assertIsNone(theirs.revoked_at)
