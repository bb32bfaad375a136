"""Password reset: the email goes through the outbox and arrives only when the queue runs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects, assertTemplateUsed

from harken.core.taskrun import run_pending_tasks
from harken.notify.models import OutboundEmail
from tests.base import PASSWORD, World

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-newer-passphrase-42"


@pytest.fixture(autouse=True)
def locmem_email(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _request_reset(client: Client, email: str) -> None:
    response = client.post(reverse("accounts:password_reset"), {"email": email})
    assertRedirects(response, reverse("accounts:password_reset_done"))


def _link() -> str:
    assert len(mail.outbox) == 1
    match = re.search(
        re.escape(django_settings.SITE_URL) + r"(/accounts/password/reset/[^/\s]+/[^/\s]+/)", mail.outbox[0].body
    )
    assert match, mail.outbox[0].body
    return match.group(1)


def test_page_renders_in_the_design_system(world: World, client: Client) -> None:
    response = client.get(reverse("accounts:password_reset"))
    assertContains(response, "Send reset link")
    assertTemplateUsed(response, "auth_base.html")


def test_reset_email_is_queued_then_delivered_and_the_link_sets_a_new_password(world: World, client: Client) -> None:
    _request_reset(client, "ALICE@alpha.test")
    assert mail.outbox == []  # nothing sent inline
    queued = OutboundEmail.objects.get(kind="password_reset")
    assert queued.to == ["alice@alpha.test"]

    run_pending_tasks()
    assert mail.outbox[0].to == ["alice@alpha.test"]
    assert mail.outbox[0].subject == "Reset your Harken password"
    link = _link()
    assert link in mail.outbox[0].alternatives[0][0]

    form_page = client.get(link, follow=True)
    assertContains(form_page, "Choose a new password")
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assertRedirects(response, reverse("accounts:password_reset_complete"))
    world.alice.refresh_from_db()
    assert world.alice.check_password(NEW_PASSWORD)
    assert not world.alice.check_password(PASSWORD)

    # The link works once.
    again = client.get(link, follow=True)
    assertContains(again, "This link no longer works")


def test_unknown_email_looks_the_same_and_sends_nothing(world: World, client: Client) -> None:
    _request_reset(client, "nobody@example.test")
    run_pending_tasks()
    assert mail.outbox == []
    assert not OutboundEmail.objects.filter(kind="password_reset").exists()
