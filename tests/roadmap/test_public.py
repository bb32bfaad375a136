"""Public roadmap, sneak previews, changelog: sanitised Markdown, Atom feed, subscribers, email once."""

from __future__ import annotations

import datetime as dt
import re

import feedparser
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from harken.core.taskrun import run_pending_tasks
from harken.roadmap import actions, loop, public
from harken.roadmap import statuses as st
from harken.roadmap.models import SneakPreview
from tests.base import World
from tests.roadmap.helpers import item

pytestmark = pytest.mark.django_db

HOSTILE = """# Title
<script>alert('x')</script>
<img src=x onerror="alert(1)">
[click](javascript:alert(2)) and [ok](https://example.com)
<a href="#" onclick="steal()">raw html</a>
"""


def inert(html: str) -> bool:
    """No script element, no tag with an event handler, no javascript: link (escaped text is fine)."""
    return (
        "<script" not in html.lower()
        and not re.search(r"<[a-z][^>]*\son\w+\s*=", html, re.IGNORECASE)
        and not re.search(r"<[a-z][^>]*href\s*=\s*[\"']?\s*javascript:", html, re.IGNORECASE)
        and "<img" not in html
    )


def test_markdown_is_rendered_inert() -> None:
    html = public.render_markdown(HOSTILE)
    assert inert(html)
    assert 'href="https://example.com"' in html
    assert inert(public.render_markdown('<a href="javascript:x">a</a> [b](JaVaScRiPt:alert(1)) <svg onload=x>'))


def _publish_workspace(world: World) -> None:
    st.update_settings(world.actor(world.alice), public_roadmap=True)


def test_public_roadmap_shows_only_public_items_in_visible_columns(world: World, client: Client) -> None:
    assert client.get("/roadmap/alpha/").status_code == 404  # not published yet
    _publish_workspace(world)
    shown = item(
        world.alpha,
        title="Offline mode",
        status="planned",
        public=True,
        public_description=HOSTILE,
        product_line=world.alpha_line,
    )
    item(world.alpha, title="Secret acquisition", status="planned")
    item(world.alpha, title="Raw idea", status="idea", public=True)  # ideas are not a roadmap column
    page = client.get("/roadmap/alpha/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Offline mode" in text and "Secret acquisition" not in text and "Raw idea" not in text
    assert inert(text.split("<main", 1)[1])
    assert client.get(f"/roadmap/alpha/lines/{world.alpha_line.slug}/").status_code == 200
    assert client.get("/roadmap/alpha/lines/nope/").status_code == 404
    actions.delete_item(world.actor(world.bob), shown)
    assert "Offline mode" not in client.get("/roadmap/alpha/").content.decode()


def test_changelog_feed_is_valid_atom_and_email_goes_once_to_valid_subscribers(
    world: World, client: Client, mailbox
) -> None:  # type: ignore[no-untyped-def]
    _publish_workspace(world)
    bob = world.actor(world.bob)
    result = public.add_subscribers(
        bob, world.alpha, "ann@acme.test, not-an-email\nbob@@x\nANN@acme.test; cy@globex.test"
    )
    assert result == {
        "added": ["ann@acme.test", "cy@globex.test"],
        "existing": [],
        "invalid": ["not-an-email", "bob@@x"],
    }
    with pytest.raises(ValidationError):
        public.add_subscribers(bob, world.alpha, "   ")
    loop.unsubscribe(loop.unsubscribe_token(world.alpha, "cy@globex.test"))
    a = public.save_announcement(bob, title="Offline mode is here", body=HOSTILE + "\n\nSync **anywhere**.")
    public.publish(bob, a)
    with pytest.raises(ValidationError):
        public.publish(bob, a)  # once
    run_pending_tasks()
    assert mailbox.recipients() == [["ann@acme.test"]]
    feed = feedparser.parse(client.get("/roadmap/alpha/changelog/feed.atom").content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == "Alpha changelog"
    (entry,) = feed.entries
    assert entry.title == "Offline mode is here"
    content = entry.content[0].value
    assert "<strong>anywhere</strong>" in content and inert(content)
    page = client.get("/roadmap/alpha/changelog/").content.decode()
    assert "Offline mode is here" in page and inert(page.split("<main", 1)[1])


def test_public_subscribe_rejects_invalid_addresses_cleanly(world: World, client: Client) -> None:
    _publish_workspace(world)
    bad = client.post("/roadmap/alpha/changelog/subscribe/", {"email": "<script>@nope"})
    assert bad.status_code == 422 and b"valid email" in bad.content and b"<script>@" not in bad.content
    assert client.post("/roadmap/alpha/changelog/subscribe/", {"email": "new@reader.test"}).status_code == 302
    assert world.alpha.roadmap_subscribers.filter(email="new@reader.test").exists()


def test_sneak_preview_link_is_hashed_expires_and_can_be_revoked(world: World, client: Client) -> None:
    bob = world.actor(world.bob)
    upcoming = item(world.alpha, title="Team spaces", status="planned", description="Shared folders for teams")
    other = item(world.alpha, title="Not in the preview", status="planned")
    preview, raw = public.create_preview(bob, name="Acme Q3", items=[upcoming], days=7)
    assert raw not in SneakPreview.objects.values_list("token_hash", flat=True)[0]
    page = client.get(f"/roadmap/preview/{raw}/")
    assert page.status_code == 200 and b"Team spaces" in page.content and other.title.encode() not in page.content
    assert page["X-Robots-Tag"] == "noindex"
    assert client.get(f"/roadmap/preview/{raw}x/").status_code == 404
    SneakPreview.objects.filter(pk=preview.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert client.get(f"/roadmap/preview/{raw}/").status_code == 404
    preview2, raw2 = public.create_preview(bob, name="Again", items=[upcoming])
    public.revoke_preview(bob, preview2)
    assert client.get(f"/roadmap/preview/{raw2}/").status_code == 404
    with pytest.raises(ValidationError):
        public.create_preview(bob, name="Empty", items=[])
    with pytest.raises(ValidationError):
        public.create_preview(bob, name="Theirs", items=[item(world.bravo)])


def test_public_signup_is_double_opt_in_with_a_single_use_hashed_token(world: World, client: Client, mailbox) -> None:  # type: ignore[no-untyped-def]
    from harken.notify.models import OutboundEmail
    from harken.roadmap.models import Subscriber

    _publish_workspace(world)
    bob = world.actor(world.bob)
    assert client.post("/roadmap/alpha/changelog/subscribe/", {"email": "New@Reader.test"}).status_code == 302
    client.post("/roadmap/alpha/changelog/subscribe/", {"email": "new@reader.test"})  # again at once: no 2nd email
    sub = Subscriber.objects.get(workspace=world.alpha, email="new@reader.test")
    assert sub.confirmed_at is None and len(sub.confirm_token_hash) == 64
    run_pending_tasks()
    assert mailbox.recipients() == [["new@reader.test"]]
    body = mailbox.messages[0].get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/roadmap/confirm/(sc_[\w-]+)/", body)
    assert link is not None
    raw = link.group(1)
    assert raw not in sub.confirm_token_hash  # only the hash is stored ...
    assert not any(raw in (e.text + e.html) for e in OutboundEmail.objects.all())  # ... and the outbox keeps no link
    # unconfirmed: the announcement goes to nobody
    first = public.save_announcement(bob, title="First", body="One")
    public.publish(bob, first)
    run_pending_tasks()
    assert len(mailbox.messages) == 1
    first.refresh_from_db()
    assert first.recipients == 0
    # GET shows a button and changes nothing (mail scanners follow links); POST confirms, once
    path = f"/roadmap/confirm/{raw}/"
    page = client.get(path)
    assert page.status_code == 200 and b"Confirm subscription" in page.content and page["X-Robots-Tag"] == "noindex"
    sub.refresh_from_db()
    assert sub.confirmed_at is None
    done = client.post(path)
    assert done.status_code == 200 and b"You are subscribed" in done.content
    sub.refresh_from_db()
    assert sub.confirmed_at is not None and sub.confirm_token_hash == ""
    assert client.post(path).status_code == 404 and client.get(path).status_code == 404  # single use
    assert client.get("/roadmap/confirm/sc_nope/").status_code == 404
    second = public.save_announcement(bob, title="Second", body="Two")
    public.publish(bob, second)
    run_pending_tasks()
    assert mailbox.recipients()[-1] == ["new@reader.test"]
    # signing up a confirmed (or unsubscribed) address sends nothing and changes nothing
    client.post("/roadmap/alpha/changelog/subscribe/", {"email": "new@reader.test"})
    run_pending_tasks()
    assert len(mailbox.messages) == 2


def test_confirmation_links_expire_and_resend_waits(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from harken.notify.models import OutboundEmail
    from harken.roadmap.models import Subscriber

    _publish_workspace(world)
    tokens = iter(["first", "second"])
    monkeypatch.setattr(public.secrets, "token_urlsafe", lambda n: next(tokens))
    t0 = timezone.now()
    public.subscribe(world.alpha, "late@reader.test", now=t0)
    public.subscribe(world.alpha, "late@reader.test", now=t0 + dt.timedelta(minutes=5))  # too soon: nothing new
    assert OutboundEmail.objects.filter(kind="roadmap_subscribe_confirm").count() == 1
    later = t0 + dt.timedelta(minutes=11)
    public.subscribe(world.alpha, "late@reader.test", now=later)  # a fresh link replaces the first
    assert OutboundEmail.objects.filter(kind="roadmap_subscribe_confirm").count() == 2
    assert public.confirm_subscription("sc_first", now=later) is None
    expired = later + dt.timedelta(days=public.CONFIRM_DAYS, minutes=1)
    assert public.pending_subscription("sc_second", now=expired) is None
    assert public.confirm_subscription("sc_second", now=expired) is None
    assert Subscriber.objects.get(email="late@reader.test").confirmed_at is None
    assert public.confirm_subscription("sc_second", now=later + dt.timedelta(days=1)) is not None
    assert public.add_subscribers(world.actor(world.bob), world.alpha, "added@team.test")["added"] == [
        "added@team.test"
    ]
    assert Subscriber.objects.get(email="added@team.test").confirmed_at is not None  # a member vouches for it


def test_email_a_new_preview_to_the_customers_contacts(world: World, mailbox) -> None:  # type: ignore[no-untyped-def]
    from harken.customers.models import Account, Contact
    from harken.notify.models import OutboundEmail

    acme = Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.test")
    Contact.objects.create(workspace=world.alpha, account=acme, name="Pat", email="pat@acme.test")
    Contact.objects.create(workspace=world.alpha, account=acme, name="Sam", email="sam@acme.test")
    Contact.objects.create(workspace=world.alpha, account=acme, name="No mail", email="")
    Contact.objects.create(workspace=world.alpha, name="Elsewhere", email="else@other.test")
    loop.unsubscribe(loop.unsubscribe_token(world.alpha, "sam@acme.test"))
    upcoming = item(world.alpha, title="Team spaces", status="planned")
    client = world.client_for(world.bob)
    data = {"name": "Acme Q3", "items": [upcoming.pk], "accounts": [acme.pk], "days": 14, "note": "As promised!"}
    page = client.post("/w/alpha/roadmap/previews/", {**data, "email_contacts": "on"}).content.decode()
    assert "Emailed the link to 1 contact." in page
    raw = re.search(r"/roadmap/preview/(pv_[\w-]+)/", page).group(1)  # type: ignore[union-attr]
    # the outbox holds no link (sealed secret), so admins and viewers reading it never see it
    assert not any(raw in e.text + e.html for e in OutboundEmail.objects.all())
    from django.urls import reverse

    for email in OutboundEmail.objects.filter(kind="roadmap_preview"):
        shown = world.client_for(world.alice).get(reverse("notify:email", kwargs={"ws": "alpha", "pk": email.pk}))
        assert shown.status_code == 200 and raw not in shown.content.decode()
    run_pending_tasks()
    assert mailbox.recipients() == [["pat@acme.test"]]  # the unsubscribed and the address-less are skipped
    body = mailbox.messages[0].get_body(("plain",)).get_content()
    assert f"/roadmap/preview/{raw}/" in body and "Team spaces" in body and "As promised!" in body
    # viewers cannot create (or email) previews; the page they read shows no link
    viewer = world.client_for(world.vera)
    assert viewer.post("/w/alpha/roadmap/previews/", {**data, "email_contacts": "on"}).status_code == 403
    assert raw not in viewer.get("/w/alpha/roadmap/previews/").content.decode()
    # the raw link is needed: a wrong one, a revoked preview, another workspace's member are refused
    preview = SneakPreview.objects.get(name="Acme Q3")
    with pytest.raises(ValidationError):
        public.email_preview(world.actor(world.bob), preview, raw + "x")
    with pytest.raises(ValidationError):
        public.email_preview(world.actor(world.charlie), preview, raw)
    # a preview without customers' contacts: created, not emailed, and the page says why
    none = client.post(
        "/w/alpha/roadmap/previews/", {**data, "name": "Nobody", "accounts": [], "email_contacts": "on"}
    ).content.decode()
    assert "Not emailed" in none and SneakPreview.objects.filter(name="Nobody").exists()
    assert OutboundEmail.objects.filter(kind="roadmap_preview").count() == 1
