"""Inbound email over HTTP (forwarding services) and the parser behind both entry points, on real
fixture messages: plain, HTML-only, attachments, replies, malformed MIME, non-UTF-8, no text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from harken.channels.email import services
from harken.channels.email.models import InboundEmail, InboundStatus
from harken.customers.models import Account, Contact
from harken.triage.models import EventKind, Triage
from tests.base import World

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "email"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def post(world: World, body: bytes, token: str | None = None) -> Any:
    token = token or services.get_mailbox(world.alpha).token
    return Client().post(f"/inbound/email/{token}/", data=body, content_type="message/rfc822")


@pytest.mark.django_db
def test_plain_mail_becomes_feedback_matched_to_contact_and_raw_is_kept(world: World) -> None:
    acme = Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.test")
    pat = Contact.objects.create(workspace=world.alpha, account=acme, name="Pat", email="pat@acme.test")
    response = post(world, raw("plain.eml"))
    assert response.status_code == 202, response.content
    data = response.json()
    assert data["status"] == "created"
    item = world.alpha.feedback_items.get(pk=data["feedback_id"])
    assert (item.channel, item.title, item.contact, item.account) == ("email", "Export to CSV is missing", pat, acme)
    assert "export our reports to CSV every Monday" in item.text
    stored = InboundEmail.objects.get(pk=data["inbound_id"])
    assert bytes(stored.raw) == raw("plain.eml")  # verbatim
    assert (stored.via, stored.message_id, stored.status) == ("http", "<plain-1@acme.test>", InboundStatus.CREATED)
    assert Triage.objects.get(feedback=item).needs_response  # the SLA clock runs


@pytest.mark.django_db
def test_duplicate_delivery_is_stored_once(world: World) -> None:
    assert post(world, raw("plain.eml")).status_code == 202
    again = post(world, raw("plain.eml"))
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    # A re-send with different bytes but the same Message-ID is the same message too.
    assert services.ingest(raw("plain.eml").replace(b"Hi team", b"Hello team"), world.alpha).status == "duplicate"
    assert world.alpha.inbound_emails.count() == 1
    assert world.alpha.feedback_items.count() == 1


@pytest.mark.django_db
def test_sender_matches_account_by_domain_when_no_contact(world: World) -> None:
    acme = Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.test")
    item = services.ingest(raw("html_only.eml"), world.alpha).feedback
    assert item is not None and item.account == acme and item.contact is None


@pytest.mark.django_db
def test_html_only_mail_becomes_safe_text(world: World) -> None:
    result = services.ingest(raw("html_only.eml"), world.alpha)
    assert result.feedback is not None
    text = result.feedback.text
    assert "A dark mode would save our eyes." in text
    assert "Dashboard" in text and "Reports" in text
    for bad in ("<script", "alert(", "<p", "onclick", "color: red", "ignored title"):
        assert bad not in text
    assert "HTML-only" in result.inbound.notes


@pytest.mark.django_db
def test_attachments_are_stored_and_oversize_ones_only_noted(world: World) -> None:
    result = services.ingest(raw("attachment.eml"), world.alpha)
    (attachment,) = result.inbound.attachments.all()
    assert (attachment.filename, attachment.content_type) == ("chart.png", "image/png")
    assert attachment.file.read().startswith(b"\x89PNG")
    assert "12 months" in result.feedback.text  # type: ignore[union-attr]
    assert "<p>" not in result.feedback.text  # type: ignore[union-attr]

    with override_settings(HARKEN_MAIL_MAX_ATTACHMENT_BYTES=10):
        big = services.ingest(raw("attachment.eml").replace(b"attach-1@", b"attach-2@"), world.alpha)
    assert big.status == "created"
    assert not big.inbound.attachments.exists()
    assert "chart.png" in big.inbound.notes and "over the" in big.inbound.notes


@pytest.mark.django_db
def test_reply_threads_onto_the_existing_item(world: World) -> None:
    first = services.ingest(raw("plain.eml"), world.alpha)
    reply = post(world, raw("reply.eml")).json()
    assert reply["status"] == "threaded"
    assert reply["feedback_id"] == first.feedback.pk  # type: ignore[union-attr]
    assert world.alpha.feedback_items.count() == 1
    triage = Triage.objects.get(feedback=first.feedback)
    assert triage.events.filter(kind=EventKind.CUSTOMER, new_value="Re: Export to CSV is missing").exists()
    assert [m.text.splitlines()[0] for m in services.followups(first.feedback)] == [  # type: ignore[arg-type]
        "One more thing: Excel-friendly dates would be great too."
    ]
    # Threading never crosses workspaces: the same reply to Bravo is new feedback there.
    assert services.ingest(raw("reply.eml"), world.bravo).status == "created"


@pytest.mark.django_db
def test_malformed_mime_is_stored_with_a_clear_error(world: World) -> None:
    response = post(world, raw("malformed.eml"))
    assert response.status_code == 202
    data = response.json()
    assert data["status"] == "error" and data["feedback_id"] is None
    assert "Malformed MIME" in data["error"] and "StartBoundaryNotFoundDefect" in data["error"]
    stored = InboundEmail.objects.get(pk=data["inbound_id"])
    assert bytes(stored.raw) == raw("malformed.eml")
    client = world.client_for(world.bob)
    page = client.get(reverse("channels:email_message", kwargs={"ws": "alpha", "pk": stored.pk}))
    assert b"Malformed MIME" in page.content
    download = client.get(reverse("channels:email_raw", kwargs={"ws": "alpha", "pk": stored.pk}))
    assert download.content == raw("malformed.eml")


@pytest.mark.django_db
def test_non_utf8_charset_is_decoded(world: World) -> None:
    result = services.ingest(raw("latin1.eml"), world.alpha)
    item = result.feedback
    assert item is not None
    assert item.text == "Bonjour, l'export du café crème ne marche pas. Grüße!"
    assert (item.title, item.author_name) == ("Café crème export", "René Müller")


@pytest.mark.django_db
def test_mail_without_text_still_becomes_feedback(world: World) -> None:
    result = services.ingest(raw("no_text.eml"), world.alpha)
    assert result.status == "created"
    assert result.feedback.text == "(This email has no text. Attachments: invoice.pdf.)"  # type: ignore[union-attr]
    assert result.inbound.attachments.get().filename == "invoice.pdf"


@pytest.mark.django_db
def test_too_large_is_413_and_nothing_is_stored(world: World) -> None:
    with override_settings(HARKEN_MAIL_MAX_BYTES=200):
        response = post(world, raw("plain.eml"))
        assert response.status_code == 413
        assert "limit" in response.json()["detail"]
        with pytest.raises(services.MailTooLarge):
            services.ingest(raw("plain.eml"), world.alpha)
    assert not InboundEmail.objects.exists()


@pytest.mark.django_db
def test_endpoint_errors(world: World) -> None:
    assert post(world, raw("plain.eml"), token="wrong-token").status_code == 404
    token = services.get_mailbox(world.alpha).token
    assert Client().get(f"/inbound/email/{token}/").status_code == 405
    assert post(world, b"  ").status_code == 400
    # Rotating the secret retires the old URL.
    services.rotate_token(world.actor(world.alice))
    assert post(world, raw("plain.eml"), token=token).status_code == 404


@pytest.mark.django_db
def test_recipient_addresses_choose_the_workspace(world: World) -> None:
    assert services.workspace_for_address("feedback+alpha@harken.test") == world.alpha
    assert services.workspace_for_address("Team <FEEDBACK+bravo@other.example>") == world.bravo
    assert services.workspace_for_address("feedback+nope@harken.test") is None
    assert services.workspace_for_address("hello@acme.test") is None
    services.update_mailbox(world.actor(world.alice), address="Feedback@Alpha.example")
    assert services.workspace_for_address("feedback@alpha.example") == world.alpha
    assert services.reply_address(world.alpha) == "feedback@alpha.example"
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError):
        services.update_mailbox(world.actor(world.charlie), address="feedback@alpha.example")
    with pytest.raises(PermissionDenied):
        services.update_mailbox(world.actor(world.bob), address="x@alpha.example")


@pytest.mark.django_db
def test_inbound_pages(world: World) -> None:
    services.ingest(raw("attachment.eml"), world.alpha)
    services.ingest(raw("malformed.eml"), world.bravo)
    client = world.client_for(world.vera)
    log = client.get(reverse("channels:email_log", kwargs={"ws": "alpha"}))
    assert b"Chart labels overlap" in log.content and b"Broken message" not in log.content
    attachment = world.alpha.email_attachments.get()
    download = client.get(reverse("channels:email_attachment", kwargs={"ws": "alpha", "pk": attachment.pk}))
    assert download["Content-Disposition"].startswith("attachment")
    settings_page = client.get(reverse("channels:email_settings", kwargs={"ws": "alpha"}))
    assert b"feedback+alpha@" in settings_page.content
    assert services.get_mailbox(world.alpha).token.encode() not in settings_page.content  # viewers don't see the secret


@pytest.mark.django_db
def test_admin_sets_the_inbound_address_and_rotates_the_url(world: World) -> None:
    url = reverse("channels:email_settings", kwargs={"ws": "alpha"})
    client = world.client_for(world.alice)
    assert client.post(url, {"address": "not an address"}).status_code == 200
    assert services.get_mailbox(world.alpha).address == ""
    assert client.post(url, {"address": "Feedback@Alpha.example"}).status_code == 302
    assert services.get_mailbox(world.alpha).address == "feedback@alpha.example"
    old = services.get_mailbox(world.alpha).token
    client.post(url, {"action": "rotate"})
    assert services.get_mailbox(world.alpha).token != old
    page = client.get(url)
    assert services.get_mailbox(world.alpha).token.encode() in page.content  # admins see the secret URL
    assert world.client_for(world.bob).post(url, {"address": ""}).status_code == 403


@pytest.mark.django_db
def test_a_local_install_explains_how_to_set_the_inbound_domain(world: World) -> None:
    """Regression: a fresh install showed feedback+alpha@127.0.0.1 with no word on how to change it."""
    url = reverse("channels:email_settings", kwargs={"ws": "alpha"})
    client = world.client_for(world.vera)
    with override_settings(SITE_URL="http://127.0.0.1:8000", HARKEN_INBOUND_DOMAIN=""):
        page = client.get(url).content.decode()
        assert "feedback+alpha@127.0.0.1" in page
        assert "data-inbound-domain-unset" in page and "HARKEN_INBOUND_DOMAIN" in page
    with override_settings(SITE_URL="http://localhost:8000", HARKEN_INBOUND_DOMAIN=""):
        assert services.inbound_domain_unset_and_local()
    with override_settings(SITE_URL="http://127.0.0.1:8000", HARKEN_INBOUND_DOMAIN="feedback.acme.test"):
        page = client.get(url).content.decode()
        assert "feedback+alpha@feedback.acme.test" in page and "data-inbound-domain-unset" not in page
    with override_settings(SITE_URL="https://harken.acme.test", HARKEN_INBOUND_DOMAIN=""):
        page = client.get(url).content.decode()
        assert "feedback+alpha@harken.acme.test" in page and "data-inbound-domain-unset" not in page
