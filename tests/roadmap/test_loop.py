"""Close the loop: one email per person per net change, flip-flops debounced, unsubscribe links work."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from harken.core.taskrun import run_pending_tasks
from harken.insight.services import merge
from harken.notify.models import OutboundEmail
from harken.roadmap import actions, audience, loop, promises
from harken.roadmap.models import Notification
from harken.workspaces.access import Actor
from tests.base import World
from tests.roadmap.helpers import account, contact, feedback, item, run_due_tasks

pytestmark = pytest.mark.django_db


def _setup(world: World):  # type: ignore[no-untyped-def]
    ws = world.alpha
    acme = account(ws, "Acme", domain="acme.test")
    pat = contact(ws, "pat@acme.test", "Pat Doe", acme)
    a = feedback(ws, "Offline please", email="pat@acme.test")
    b = feedback(ws, "Offline!!", email="sam@other.test", author_name="Sam Roe")
    c = feedback(ws, "Same as Sam", email="kim@third.test")
    merge(Actor.system(ws), b, c)  # kim's item is merged into sam's: kim hears too
    it = item(ws, status="planned")
    bob = world.actor(world.bob)
    actions.link_evidence(bob, it, a)
    actions.link_evidence(bob, it, b)
    promises.make_promise(bob, it, target_date=timezone.localdate() + dt.timedelta(days=30), contact=pat)
    return it, bob


def test_shipping_sends_one_personal_email_to_each_linked_person_once(world: World, mailbox) -> None:  # type: ignore[no-untyped-def]
    it, bob = _setup(world)
    actions.change_status(bob, it, "shipped")
    run_pending_tasks()
    assert mailbox.messages == []  # debounced: not yet
    run_due_tasks()
    recipients = sorted(r[0] for r in mailbox.recipients())
    assert recipients == ["kim@third.test", "pat@acme.test", "sam@other.test"]  # pat once, though requester + promised
    by_to = {m["To"]: m for m in mailbox.messages}
    assert by_to["sam@other.test"]["Subject"] == "Shipped: Offline mode"
    assert "Hi Sam," in by_to["sam@other.test"].get_content()
    assert "/roadmap/unsubscribe/" in by_to["sam@other.test"].get_content()
    assert str(by_to["pat@acme.test"]["List-Unsubscribe"]).strip().startswith("<http")
    run_due_tasks()  # a second worker pass, or a re-run of the task: nothing more
    loop.announce(it.status_changes.first().pk)
    run_pending_tasks()
    assert len(mailbox.messages) == 3
    assert Notification.objects.filter(item=it).count() == 1


def test_flip_flop_within_the_delay_sends_one_net_change_or_nothing(world: World, mailbox) -> None:  # type: ignore[no-untyped-def]
    it, bob = _setup(world)
    for status in ["in_progress", "planned", "in_progress", "planned"]:  # back where it started
        actions.change_status(bob, it, status)
    run_due_tasks()
    assert mailbox.messages == []
    assert not Notification.objects.exists()
    for status in ["in_progress", "shipped", "in_progress", "shipped"]:  # net: planned → shipped
        actions.change_status(bob, it, status)
    run_due_tasks()
    assert sorted(m["Subject"] for m in mailbox.messages) == ["Shipped: Offline mode"] * 3
    assert Notification.objects.get().to_status == "shipped"


def test_unsubscribe_link_needs_no_login_get_does_not_write_and_post_stops_updates(
    world: World, client, mailbox
) -> None:  # type: ignore[no-untyped-def]
    it, bob = _setup(world)
    url = loop.unsubscribe_url(world.alpha, "sam@other.test").split("testserver")[-1]
    path = url[url.index("/roadmap/") :]
    page = client.get(path)
    assert page.status_code == 200 and b"sam@other.test" in page.content
    assert not world.alpha.roadmap_unsubscribes.exists()  # reads never write
    assert client.post(path).status_code == 200
    assert world.alpha.roadmap_unsubscribes.filter(email="sam@other.test").exists()
    assert client.get(path[:-5] + "xxxx/").status_code == 400  # tampered
    actions.change_status(bob, it, "shipped")
    run_due_tasks()
    assert "sam@other.test" not in [r[0] for r in mailbox.recipients()]
    assert len(mailbox.messages) == 2


def test_the_audience_registry_lets_other_apps_add_people(world: World) -> None:
    it, _ = _setup(world)

    def voters(item):  # type: ignore[no-untyped-def]
        yield audience.Recipient("voter@portal.test", "Vic", "you voted for it")
        yield audience.Recipient("PAT@acme.test", "Pat", "you voted for it")  # already there: once
        yield audience.Recipient("not-an-email", "", "")

    audience.register(voters)
    try:
        emails = [r.email for r in audience.recipients(it)]
    finally:
        audience.unregister(voters)
    assert sorted(emails) == ["kim@third.test", "pat@acme.test", "sam@other.test", "voter@portal.test"]


def test_deleted_item_announces_nothing(world: World, mailbox) -> None:  # type: ignore[no-untyped-def]
    it, bob = _setup(world)
    actions.change_status(bob, it, "shipped")
    actions.delete_item(bob, it)
    run_due_tasks()
    assert OutboundEmail.objects.filter(kind="roadmap_update").count() == 0
