"""Sign-up, sign-in and sign-out through the real views."""

from __future__ import annotations

import re
from typing import Any

from django.core.cache import cache
from django.urls import reverse

from harken.accounts import throttle
from harken.accounts.models import User
from harken.notify.models import OutboundEmail
from harken.notify.secrets import reveal
from tests.base import PASSWORD, HarkenTestCase


def confirmation_link(email: str) -> str:
    """The link in the confirmation email, as the mailbox owner would see it (the outbox hides it)."""
    stored = OutboundEmail.objects.filter(to=[email], subject__startswith="Confirm").latest("created_at")
    text, _html = reveal(stored.text, stored.html, stored.secrets)
    return re.search(r"https?://[^/]+(/accounts/signup/confirm/\S+/)", text).group(1)  # type: ignore[union-attr]


class SignupTests(HarkenTestCase):
    def test_signup_creates_account_after_the_emailed_link_is_confirmed(self) -> None:
        response = self.client.post(
            reverse("accounts:signup"), {"name": "  Dana   Doe ", "email": "Dana@Example.TEST", "password": PASSWORD}
        )
        self.assertContains(response, "Check your email")
        user = User.objects.get(email="dana@example.test")
        self.assertEqual(user.name, "Dana Doe")
        self.assertFalse(user.is_active)
        self.assertNotIn("_auth_user_id", self.client.session)
        link = confirmation_link("dana@example.test")
        self.assertContains(self.client.get(link), "Confirm and sign in")
        self.assertFalse(User.objects.get(pk=user.pk).is_active)  # a GET changes nothing
        response = self.client.post(link)
        self.assertRedirects(response, reverse("hub:home"), fetch_redirect_response=False)
        user.refresh_from_db()
        self.assertTrue(user.is_active and user.check_password(PASSWORD))
        self.assertEqual(int(self.client.session["_auth_user_id"]), user.pk)
        self.assertEqual(self.client.post(link).status_code, 410)  # works once

    def test_signup_does_not_reveal_whether_an_email_is_registered(self) -> None:
        known = self.client.post(reverse("accounts:signup"), {"email": "ALICE@alpha.test", "password": PASSWORD})
        unknown = self.client.post(reverse("accounts:signup"), {"email": "nobody@alpha.test", "password": PASSWORD})
        self.assertEqual(known.status_code, unknown.status_code)

        def strip(response: Any, email: str) -> str:
            text = response.content.decode().replace(email, "EMAIL")
            return re.sub(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+', "TOKEN", text)

        self.assertEqual(strip(known, "alice@alpha.test"), strip(unknown, "nobody@alpha.test"))
        self.assertNotContains(known, "already exists")
        self.assertEqual(User.objects.filter(email__iexact="alice@alpha.test").count(), 1)
        self.assertTrue(self.alice.check_password(PASSWORD))  # the known account is untouched
        note = OutboundEmail.objects.get(to=["alice@alpha.test"])
        self.assertIn("already have one", note.text)

    def test_weak_password_is_explained_on_the_password_field(self) -> None:
        response = self.client.post(reverse("accounts:signup"), {"email": "new@example.test", "password": "12345678"})
        self.assertEqual(response.status_code, 200)
        self.assertIn("password", response.context["form"].errors)
        self.assertFalse(User.objects.filter(email="new@example.test").exists())

    def test_signed_in_people_are_sent_on(self) -> None:
        self.login(self.alice)
        self.assertRedirects(
            self.client.get(reverse("accounts:signup")), reverse("hub:home"), fetch_redirect_response=False
        )


class SigninTests(HarkenTestCase):
    def test_page_has_email_field_and_forgot_password_link(self) -> None:
        response = self.client.get(reverse("accounts:login"))
        self.assertContains(response, 'type="email"')
        self.assertContains(response, 'autocomplete="current-password"')
        self.assertContains(response, reverse("accounts:password_reset"))

    def test_sign_in_by_email_any_case(self) -> None:
        response = self.client.post(reverse("accounts:login"), {"username": "Alice@Alpha.test", "password": PASSWORD})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(int(self.client.session["_auth_user_id"]), self.alice.pk)

    def test_wrong_password_gives_a_clear_message(self) -> None:
        response = self.client.post(reverse("accounts:login"), {"username": "alice@alpha.test", "password": "nope"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "don&#x27;t match an account")
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_next_to_another_site_is_ignored(self) -> None:
        response = self.client.post(
            reverse("accounts:login"),
            {"username": "alice@alpha.test", "password": PASSWORD, "next": "https://evil.example/"},
        )
        self.assertEqual(response["Location"], reverse("hub:home"))

    def test_sign_out_needs_post_and_ends_the_session(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.get(reverse("accounts:logout")).status_code, 405)
        response = self.client.post(reverse("accounts:logout"), follow=True)
        self.assertNotIn("_auth_user_id", self.client.session)
        self.assertContains(response, "signed out")
        self.assertEqual(self.client.get(reverse("workspaces:members", kwargs={"ws": "alpha"})).status_code, 302)


class ThrottleTests(HarkenTestCase):
    def setUp(self) -> None:
        cache.clear()
        self.addCleanup(cache.clear)

    def test_repeated_failures_lock_the_email_even_with_the_right_password(self) -> None:
        for _ in range(throttle.MAX_FAILURES):
            self.client.post(reverse("accounts:login"), {"username": "alice@alpha.test", "password": "guess"})
        response = self.client.post(reverse("accounts:login"), {"username": "ALICE@alpha.test", "password": PASSWORD})
        self.assertContains(response, "Too many failed sign-in attempts")
        self.assertNotIn("_auth_user_id", self.client.session)
        # Other people are not affected.
        response = self.client.post(reverse("accounts:login"), {"username": "bob@alpha.test", "password": PASSWORD})
        self.assertEqual(response.status_code, 302)

    def test_a_success_resets_the_count(self) -> None:
        for _ in range(throttle.MAX_FAILURES - 1):
            self.client.post(reverse("accounts:login"), {"username": "alice@alpha.test", "password": "guess"})
        self.assertEqual(
            self.client.post(
                reverse("accounts:login"), {"username": "alice@alpha.test", "password": PASSWORD}
            ).status_code,
            302,
        )
        self.assertFalse(throttle.is_locked("alice@alpha.test", "127.0.0.1"))

    def test_a_guesser_elsewhere_cannot_lock_the_owner_out(self) -> None:
        for _ in range(throttle.MAX_FAILURES + 5):
            self.client.post(
                reverse("accounts:login"),
                {"username": "alice@alpha.test", "password": "guess"},
                REMOTE_ADDR="203.0.113.9",
            )
        attacker = self.client.post(
            reverse("accounts:login"), {"username": "alice@alpha.test", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
        )
        self.assertContains(attacker, "Too many failed sign-in attempts")
        self.client.logout()
        owner = self.client.post(
            reverse("accounts:login"),
            {"username": "alice@alpha.test", "password": PASSWORD},
            REMOTE_ADDR="198.51.100.7",
        )
        self.assertEqual(owner.status_code, 302)

    def test_one_ip_trying_many_emails_is_capped(self) -> None:
        for n in range(throttle.MAX_FAILURES_PER_IP):
            self.client.post(
                reverse("accounts:login"),
                {"username": f"user{n}@alpha.test", "password": "guess"},
                REMOTE_ADDR="203.0.113.9",
            )
        response = self.client.post(
            reverse("accounts:login"), {"username": "bob@alpha.test", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
        )
        self.assertContains(response, "Too many failed sign-in attempts")
