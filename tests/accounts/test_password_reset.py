"""Password reset: the email goes through the outbox and arrives only when the queue runs."""

from __future__ import annotations

import re

from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from harken.core.taskrun import run_pending_tasks
from harken.notify.models import OutboundEmail
from tests.base import PASSWORD, HarkenTestCase

NEW_PASSWORD = "a-much-newer-passphrase-42"


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
class PasswordResetTests(HarkenTestCase):
    def _request_reset(self, email: str) -> None:
        response = self.client.post(reverse("accounts:password_reset"), {"email": email})
        self.assertRedirects(response, reverse("accounts:password_reset_done"))

    def _link(self) -> str:
        self.assertEqual(len(mail.outbox), 1)
        match = re.search(
            re.escape(settings.SITE_URL) + r"(/accounts/password/reset/[^/\s]+/[^/\s]+/)", mail.outbox[0].body
        )
        assert match, mail.outbox[0].body
        return match.group(1)

    def test_page_renders_in_the_design_system(self) -> None:
        response = self.client.get(reverse("accounts:password_reset"))
        self.assertContains(response, "Send reset link")
        self.assertTemplateUsed(response, "auth_base.html")

    def test_reset_email_is_queued_then_delivered_and_the_link_sets_a_new_password(self) -> None:
        self._request_reset("ALICE@alpha.test")
        self.assertEqual(mail.outbox, [])  # nothing sent inline
        queued = OutboundEmail.objects.get(kind="password_reset")
        self.assertEqual(queued.to, ["alice@alpha.test"])

        run_pending_tasks()
        self.assertEqual(mail.outbox[0].to, ["alice@alpha.test"])
        self.assertEqual(mail.outbox[0].subject, "Reset your Harken password")
        link = self._link()
        self.assertIn(link, mail.outbox[0].alternatives[0][0])

        form_page = self.client.get(link, follow=True)
        self.assertContains(form_page, "Choose a new password")
        response = self.client.post(
            form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )
        self.assertRedirects(response, reverse("accounts:password_reset_complete"))
        self.alice.refresh_from_db()
        self.assertTrue(self.alice.check_password(NEW_PASSWORD))
        self.assertFalse(self.alice.check_password(PASSWORD))

        # The link works once.
        again = self.client.get(link, follow=True)
        self.assertContains(again, "This link no longer works")

    def test_unknown_email_looks_the_same_and_sends_nothing(self) -> None:
        self._request_reset("nobody@example.test")
        run_pending_tasks()
        self.assertEqual(mail.outbox, [])
        self.assertFalse(OutboundEmail.objects.filter(kind="password_reset").exists())
