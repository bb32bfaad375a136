"""Sign-up, sign-in and sign-out through the real views."""

from __future__ import annotations

from django.core.cache import cache
from django.urls import reverse

from harken.accounts import throttle
from harken.accounts.models import User
from tests.base import PASSWORD, HarkenTestCase


class SignupTests(HarkenTestCase):
    def test_signup_creates_account_and_signs_in(self) -> None:
        response = self.client.post(
            reverse("accounts:signup"), {"name": "  Dana   Doe ", "email": "Dana@Example.TEST", "password": PASSWORD}
        )
        self.assertRedirects(response, reverse("hub:home"), fetch_redirect_response=False)
        user = User.objects.get(email="dana@example.test")
        self.assertEqual(user.name, "Dana Doe")
        self.assertTrue(user.check_password(PASSWORD))
        self.assertEqual(int(self.client.session["_auth_user_id"]), user.pk)

    def test_duplicate_email_is_rejected_case_insensitively(self) -> None:
        response = self.client.post(reverse("accounts:signup"), {"email": "ALICE@alpha.test", "password": PASSWORD})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "An account with this email already exists")
        self.assertEqual(User.objects.filter(email__iexact="alice@alpha.test").count(), 1)

    def test_weak_password_is_explained_on_the_password_field(self) -> None:
        response = self.client.post(reverse("accounts:signup"), {"email": "new@example.test", "password": "12345678"})
        self.assertEqual(response.status_code, 200)
        self.assertIn("password", response.context["form"].errors)
        self.assertFalse(User.objects.filter(email="new@example.test").exists())

    def test_next_is_followed_only_on_this_site(self) -> None:
        url = reverse("accounts:signup") + "?next=https://evil.example/steal"
        response = self.client.post(url, {"email": "n1@example.test", "password": PASSWORD})
        self.assertEqual(response["Location"], reverse("hub:home"))
        self.client.logout()
        url = reverse("accounts:signup") + "?next=/w/alpha/members/"
        response = self.client.post(url, {"email": "n2@example.test", "password": PASSWORD})
        self.assertEqual(response["Location"], "/w/alpha/members/")

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
        self.assertFalse(throttle.is_locked("alice@alpha.test"))
