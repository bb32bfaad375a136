"""Conversation log: highlights become feedback, cross-workspace contacts are rejected, pages work."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from harken.conversations import services
from harken.conversations.models import Conversation
from harken.customers.models import Account, Contact
from harken.feedback import actions as feedback_actions
from harken.feedback.models import Channel
from tests.base import World


def _acme(world: World) -> tuple[Account, Contact]:
    acme = Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.test", arr=50000)
    pat = Contact.objects.create(workspace=world.alpha, account=acme, name="Pat", email="pat@acme.test")
    return acme, pat


def test_highlights_become_feedback_linked_back(world: World) -> None:
    acme, pat = _acme(world)
    conv = services.create_conversation(
        world.actor(world.bob),
        title="Pat on month-end",
        contacts=[pat],
        product_line=world.alpha_line,
        happened_at=dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC),
        highlights=["We export to Excel every Friday", "  ", "Approvals get lost in email"],
    )
    assert conv.account == acme  # from the contacts
    assert conv.owner == world.bob and list(conv.members.all()) == [world.bob]
    items = [h.feedback for h in conv.highlights.all()]
    assert [i.text for i in items] == ["We export to Excel every Friday", "Approvals get lost in email"]
    assert all(i.channel == Channel.CONVERSATION and i.account == acme and i.contact == pat for i in items)
    assert all(i.received_at == conv.happened_at and i.product_line == world.alpha_line for i in items)
    assert items[0].conversation_highlight.conversation == conv
    # The item is the customer's words alone: the call's kind and title are not put in front of every
    # highlight (they made highlights cluster by call instead of by subject); the panel links the call.
    assert all(i.title == "" for i in items)


def test_the_item_page_links_back_to_its_conversation_and_plain_items_show_no_panel(world: World) -> None:
    """The item page reads the highlight with the item (ITEM_SELECT_RELATED); the panel must still show."""
    conv = services.create_conversation(
        world.actor(world.bob), title="Pat on month-end close", highlights=["Approvals get lost in email"]
    )
    item = conv.highlights.get().feedback
    client = world.client_for(world.vera)
    page = client.get(f"/w/alpha/feedback/{item.pk}/").content.decode()
    assert 'data-testid="from-conversation"' in page and "Pat on month-end close" in page
    assert f"/w/alpha/conversations/{conv.pk}/" in page
    plain, _ = feedback_actions.create_feedback(world.actor(world.bob), text="Typed in by hand")
    assert 'data-testid="from-conversation"' not in client.get(f"/w/alpha/feedback/{plain.pk}/").content.decode()


def test_contacts_of_another_workspace_are_rejected(world: World) -> None:
    outsider = Contact.objects.create(workspace=world.bravo, name="Eve", email="eve@bravo.test")
    with pytest.raises(ValidationError) as exc:
        services.create_conversation(world.actor(world.bob), title="Sneaky", contacts=[outsider])
    assert "contacts" in exc.value.message_dict
    assert not Conversation.objects.exists()
    with pytest.raises(ValidationError):
        services.resolve_contacts(world.alpha, [outsider.pk])
    with pytest.raises(PermissionDenied):
        services.create_conversation(world.actor(world.vera), title="Viewer")
    with pytest.raises(ValidationError) as future:
        services.create_conversation(
            world.actor(world.bob), title="Next month", happened_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
        )
    assert "happened_at" in future.value.message_dict
    with pytest.raises(ValidationError):  # a member of another workspace is no attendee
        services.create_conversation(world.actor(world.bob), title="x", members=[world.charlie])


def test_log_page_creates_conversation_and_rejects_foreign_contact(world: World) -> None:
    _, pat = _acme(world)
    outsider = Contact.objects.create(workspace=world.bravo, name="Eve", email="eve@bravo.test")
    client = world.client_for(world.bob)
    url = reverse("conversations:create", kwargs={"ws": "alpha"})
    base = {"title": "Call with Pat", "kind": "interview", "happened_at": "2026-11-02T10:00"}
    bad = client.post(url, {**base, "contacts": [outsider.pk]})
    assert bad.status_code == 400 and not Conversation.objects.exists()
    ok = client.post(url, {**base, "contacts": [pat.pk], "highlights": "Too many clicks\nLoves the export"})
    assert ok.status_code == 302
    conv = Conversation.objects.get()
    assert conv.highlights.count() == 2
    page = client.get(ok["Location"])
    assert "Too many clicks" in page.content.decode()
    account_page = client.get(reverse("customers:account_detail", kwargs={"ws": "alpha", "pk": pat.account_id}))
    html = account_page.content.decode()
    assert "Call with Pat" in html and 'data-testid="timeline"' in html
    client.post(reverse("conversations:highlight_add", kwargs={"ws": "alpha", "pk": conv.pk}), {"text": "Third"})
    assert conv.highlights.count() == 3
