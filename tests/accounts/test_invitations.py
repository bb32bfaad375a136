"""Invitations end to end: invite → email (via the outbox) → accept as a new or existing person."""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from harken.accounts.models import User
from harken.core.taskrun import run_pending_tasks
from harken.workspaces import services
from harken.workspaces.models import Invitation, Membership, Role, hash_secret
from tests.base import PASSWORD, HarkenTestCase, make_user

LINK = re.compile(re.escape(settings.SITE_URL) + r"(/accounts/invitations/([A-Za-z0-9_-]+)/)")


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
class InvitationAcceptTests(HarkenTestCase):
    def _invite(self, email: str, role: str = "member") -> str:
        response = self.login(self.alice).post(
            reverse("workspaces:invite", kwargs={"ws": "alpha"}), {"email": email, "role": role}
        )
        self.assertEqual(response.status_code, 302)
        self.client.logout()
        run_pending_tasks()
        message = mail.outbox[-1]
        self.assertEqual(message.to, [email.lower()])
        self.assertIn("Alice Owner invited you to Alpha", message.subject)
        match = LINK.search(message.body)
        assert match, message.body
        return match.group(1)

    def _code(self, link: str) -> str:
        """Ask for the emailed code (it proves the invitee owns the address) and read it from the mail."""
        self.client.post(link, {"action": "send_code"})
        run_pending_tasks()
        return re.search(r"^(\d{6})$", mail.outbox[-1].body, re.M).group(1)  # type: ignore[union-attr]

    def test_email_holds_a_link_whose_token_is_only_stored_hashed(self) -> None:
        link = self._invite("Newbie@Example.test", "viewer")
        raw = LINK.search(mail.outbox[-1].body).group(2)  # type: ignore[union-attr]
        invitation = Invitation.objects.get(email="newbie@example.test")
        self.assertEqual(invitation.token_hash, hash_secret(raw))
        self.assertNotIn(raw, str(Invitation.objects.filter(pk=invitation.pk).values().get()))
        self.assertIn(link, mail.outbox[-1].alternatives[0][0])

    def test_new_person_signs_up_and_joins_with_the_invited_role(self) -> None:
        link = self._invite("newbie@example.test", "viewer")
        page = self.client.get(link)
        self.assertContains(page, "Join Alpha")
        self.assertContains(page, "Create account and join")
        response = self.client.post(link, {"name": "New Bie", "password": PASSWORD, "code": self._code(link)})
        self.assertRedirects(
            response, reverse("feedback:overview", kwargs={"ws": "alpha"}), fetch_redirect_response=False
        )
        user = User.objects.get(email="newbie@example.test")
        self.assertEqual(user.name, "New Bie")
        self.assertEqual(Membership.objects.get(workspace=self.alpha, user=user).role, Role.VIEWER)
        self.assertEqual(int(self.client.session["_auth_user_id"]), user.pk)
        self.assertIsNotNone(Invitation.objects.get(email="newbie@example.test").accepted_at)

    def test_weak_password_keeps_the_invitation_open(self) -> None:
        link = self._invite("newbie@example.test")
        response = self.client.post(link, {"name": "N", "password": "123", "code": self._code(link)})
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["form"].errors)
        self.assertFalse(User.objects.filter(email="newbie@example.test").exists())
        self.assertTrue(Invitation.objects.get(email="newbie@example.test").is_pending)

    def test_existing_account_signs_in_with_password_and_joins(self) -> None:
        link = self._invite("charlie@bravo.test", "admin")
        self.assertContains(self.client.get(link), "Sign in and join")
        wrong = self.client.post(link, {"password": "wrong"})
        self.assertContains(wrong, "That password is not right")
        self.assertFalse(Membership.objects.filter(workspace=self.alpha, user=self.charlie).exists())
        response = self.client.post(link, {"password": PASSWORD})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Membership.objects.get(workspace=self.alpha, user=self.charlie).role, Role.ADMIN)
        self.assertEqual(int(self.client.session["_auth_user_id"]), self.charlie.pk)

    def test_guessing_the_password_on_the_invitation_page_is_throttled(self) -> None:
        from harken.accounts import throttle

        link = self._invite("charlie@bravo.test")
        for _ in range(throttle.MAX_FAILURES):
            self.client.post(link, {"password": "guess"})
        self.assertContains(self.client.post(link, {"password": PASSWORD}), "Too many failed sign-in attempts")
        self.assertFalse(Membership.objects.filter(workspace=self.alpha, user=self.charlie).exists())

    def test_signed_in_invitee_joins_with_one_click(self) -> None:
        link = self._invite("charlie@bravo.test")
        self.login(self.charlie)
        self.assertContains(self.client.get(link), "Join Alpha")
        self.assertEqual(self.client.post(link).status_code, 302)
        self.assertTrue(Membership.objects.filter(workspace=self.alpha, user=self.charlie, role=Role.MEMBER).exists())

    def test_someone_else_signed_in_cannot_take_the_invitation(self) -> None:
        link = self._invite("charlie@bravo.test")
        self.login(self.bob)
        page = self.client.get(link)
        self.assertContains(page, "but this invitation is for charlie@bravo.test")
        self.client.post(link)
        self.assertFalse(Membership.objects.filter(workspace=self.alpha, user=self.charlie).exists())
        self.assertTrue(Invitation.objects.get(email="charlie@bravo.test").is_pending)

    def test_used_link_cannot_be_reused(self) -> None:
        link = self._invite("newbie@example.test")
        self.client.post(link, {"password": PASSWORD, "code": self._code(link)})
        self.client.logout()
        response = self.client.get(link)
        self.assertEqual(response.status_code, 410)
        self.assertContains(response, "already been used", status_code=410)

    def test_expired_revoked_and_unknown_links_explain_themselves(self) -> None:
        link = self._invite("late@example.test")
        Invitation.objects.filter(email="late@example.test").update(expires_at=timezone.now() - timedelta(minutes=1))
        response = self.client.get(link)
        self.assertContains(response, "has expired", status_code=410)
        self.assertEqual(self.client.post(link, {"password": PASSWORD}).status_code, 410)
        self.assertFalse(User.objects.filter(email="late@example.test").exists())

        link = self._invite("gone@example.test")
        services.revoke_invitation(self.actor(self.alice), Invitation.objects.get(email="gone@example.test").pk)
        self.assertContains(self.client.get(link), "was withdrawn", status_code=410)

        self.assertContains(self.client.get("/accounts/invitations/not-a-real-token/"), "not valid", status_code=404)

    def test_resend_replaces_the_link(self) -> None:
        old = self._invite("newbie@example.test")
        invitation = Invitation.objects.get(email="newbie@example.test")
        self.login(self.alice).post(
            reverse("workspaces:invitation_resend", kwargs={"ws": "alpha", "pk": invitation.pk})
        )
        run_pending_tasks()
        self.assertEqual(len(mail.outbox), 2)
        new = LINK.search(mail.outbox[-1].body).group(1)  # type: ignore[union-attr]
        self.assertNotEqual(old, new)
        self.client.logout()
        self.assertEqual(self.client.get(old).status_code, 404)
        self.assertEqual(self.client.get(new).status_code, 200)

    def test_existing_member_accepting_keeps_their_membership(self) -> None:
        outsider = make_user("dup@example.test")
        link = self._invite("dup@example.test", "viewer")
        Membership.objects.create(workspace=self.alpha, user=outsider, role=Role.ADMIN)
        self.login(outsider)
        self.client.post(link)
        self.assertEqual(Membership.objects.get(workspace=self.alpha, user=outsider).role, Role.ADMIN)
