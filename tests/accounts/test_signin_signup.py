"""Sign-up, sign-in and sign-out through the real views."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from harken.accounts import throttle
from harken.accounts.models import User
from harken.notify.models import OutboundEmail
from harken.notify.secrets import reveal
from tests.base import PASSWORD, World

pytestmark = pytest.mark.django_db


def confirmation_link(email: str) -> str:
    """The link in the confirmation email, as the mailbox owner would see it (the outbox hides it)."""
    stored = OutboundEmail.objects.filter(to=[email], subject__startswith="Confirm").latest("created_at")
    text, _html = reveal(stored.text, stored.html, stored.secrets)
    return re.search(r"https?://[^/]+(/accounts/signup/confirm/\S+/)", text).group(1)  # type: ignore[union-attr]


def test_signup_creates_account_after_the_emailed_link_is_confirmed(world: World, client: Client) -> None:
    response = client.post(
        reverse("accounts:signup"), {"name": "  Dana   Doe ", "email": "Dana@Example.TEST", "password": PASSWORD}
    )
    assertContains(response, "Check your email")
    user = User.objects.get(email="dana@example.test")
    assert user.name == "Dana Doe"
    assert not user.is_active
    assert "_auth_user_id" not in client.session
    link = confirmation_link("dana@example.test")
    assertContains(client.get(link), "Confirm and sign in")
    assert not User.objects.get(pk=user.pk).is_active  # a GET changes nothing
    response = client.post(link)
    assertRedirects(response, reverse("hub:home"), fetch_redirect_response=False)
    user.refresh_from_db()
    assert user.is_active and user.check_password(PASSWORD)
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.post(link).status_code == 410  # works once


def test_signup_does_not_reveal_whether_an_email_is_registered(world: World, client: Client) -> None:
    known = client.post(reverse("accounts:signup"), {"email": "ALICE@alpha.test", "password": PASSWORD})
    unknown = client.post(reverse("accounts:signup"), {"email": "nobody@alpha.test", "password": PASSWORD})
    assert known.status_code == unknown.status_code

    def strip(response: Any, email: str) -> str:
        text = response.content.decode().replace(email, "EMAIL")
        return re.sub(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+', "TOKEN", text)

    assert strip(known, "alice@alpha.test") == strip(unknown, "nobody@alpha.test")
    assertNotContains(known, "already exists")
    assert User.objects.filter(email__iexact="alice@alpha.test").count() == 1
    assert world.alice.check_password(PASSWORD)  # the known account is untouched
    note = OutboundEmail.objects.get(to=["alice@alpha.test"])
    assert "already have one" in note.text


def test_weak_password_is_explained_on_the_password_field(world: World, client: Client) -> None:
    response = client.post(reverse("accounts:signup"), {"email": "new@example.test", "password": "12345678"})
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert not User.objects.filter(email="new@example.test").exists()


def test_signed_in_people_are_sent_on(world: World, client: Client) -> None:
    client.force_login(world.alice)
    assertRedirects(client.get(reverse("accounts:signup")), reverse("hub:home"), fetch_redirect_response=False)


def test_page_has_email_field_and_forgot_password_link(world: World, client: Client) -> None:
    response = client.get(reverse("accounts:login"))
    assertContains(response, 'type="email"')
    assertContains(response, 'autocomplete="current-password"')
    assertContains(response, reverse("accounts:password_reset"))


def test_sign_in_by_email_any_case(world: World, client: Client) -> None:
    response = client.post(reverse("accounts:login"), {"username": "Alice@Alpha.test", "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == world.alice.pk


def test_wrong_password_gives_a_clear_message(world: World, client: Client) -> None:
    response = client.post(reverse("accounts:login"), {"username": "alice@alpha.test", "password": "nope"})
    assert response.status_code == 200
    assertContains(response, "don&#x27;t match an account")
    assert "_auth_user_id" not in client.session


def test_next_to_another_site_is_ignored(world: World, client: Client) -> None:
    response = client.post(
        reverse("accounts:login"),
        {"username": "alice@alpha.test", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("hub:home")


def test_sign_out_needs_post_and_ends_the_session(world: World, client: Client) -> None:
    client.force_login(world.alice)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"), follow=True)
    assert "_auth_user_id" not in client.session
    assertContains(response, "signed out")
    assert client.get(reverse("workspaces:members", kwargs={"ws": "alpha"})).status_code == 302


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.mark.usefixtures("fresh_cache")
def test_repeated_failures_lock_the_email_even_with_the_right_password(world: World, client: Client) -> None:
    for _ in range(throttle.MAX_FAILURES):
        client.post(reverse("accounts:login"), {"username": "alice@alpha.test", "password": "guess"})
    response = client.post(reverse("accounts:login"), {"username": "ALICE@alpha.test", "password": PASSWORD})
    assertContains(response, "Too many failed sign-in attempts")
    assert "_auth_user_id" not in client.session
    # Other people are not affected.
    response = client.post(reverse("accounts:login"), {"username": "bob@alpha.test", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.usefixtures("fresh_cache")
def test_a_success_resets_the_count(world: World, client: Client) -> None:
    for _ in range(throttle.MAX_FAILURES - 1):
        client.post(reverse("accounts:login"), {"username": "alice@alpha.test", "password": "guess"})
    assert (
        client.post(reverse("accounts:login"), {"username": "alice@alpha.test", "password": PASSWORD}).status_code
        == 302
    )
    assert not throttle.is_locked("alice@alpha.test", "127.0.0.1")


@pytest.mark.usefixtures("fresh_cache")
def test_a_guesser_elsewhere_cannot_lock_the_owner_out(world: World, client: Client) -> None:
    for _ in range(throttle.MAX_FAILURES + 5):
        client.post(
            reverse("accounts:login"),
            {"username": "alice@alpha.test", "password": "guess"},
            REMOTE_ADDR="203.0.113.9",
        )
    attacker = client.post(
        reverse("accounts:login"), {"username": "alice@alpha.test", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )
    assertContains(attacker, "Too many failed sign-in attempts")
    client.logout()
    owner = client.post(
        reverse("accounts:login"),
        {"username": "alice@alpha.test", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.7",
    )
    assert owner.status_code == 302


@pytest.mark.usefixtures("fresh_cache")
def test_one_ip_trying_many_emails_is_capped(world: World, client: Client) -> None:
    for n in range(throttle.MAX_FAILURES_PER_IP):
        client.post(
            reverse("accounts:login"),
            {"username": f"user{n}@alpha.test", "password": "guess"},
            REMOTE_ADDR="203.0.113.9",
        )
    response = client.post(
        reverse("accounts:login"), {"username": "bob@alpha.test", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )
    assertContains(response, "Too many failed sign-in attempts")
