"""Portal ↔ roadmap: ideas linked to roadmap items show the item's status, and their voters and
followers hear about the item's changes in roadmap's one email per change (never twice)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from harken.core.taskrun import run_pending_tasks
from harken.notify.models import OutboundEmail
from harken.portal import actions, roadmap_link
from harken.portal.models import AuditEntry
from harken.portal.status import shown_status
from harken.roadmap import actions as roadmap_actions
from harken.roadmap import audience
from tests.base import World
from tests.portal.helpers import make_idea, make_portal, visitor
from tests.roadmap.helpers import item as roadmap_item
from tests.roadmap.helpers import run_due_tasks

pytestmark = pytest.mark.django_db


def _linked(world: World):  # type: ignore[no-untyped-def]
    portal = make_portal(world.alpha)
    idea = make_idea(world.alpha, "Offline mode", email="pat@acme.test")  # pat: author, voter, follower
    kim = visitor(portal, "kim@beta.test")
    actions.vote(kim, idea)
    lou = visitor(portal, "Lou@Gamma.test")
    actions.follow(lou, idea)
    it = roadmap_item(world.alpha, "Offline mode", status="planned")
    roadmap_link.link_idea(world.actor(world.bob), idea, it)
    return portal, idea, it


def test_linked_idea_shows_the_roadmap_status_on_every_portal_page(world: World) -> None:
    portal, idea, it = _linked(world)
    shown = shown_status(idea)
    assert (shown.source, shown.label, shown.key, shown.tone) == ("roadmap", "Planned", "planned", "badge-brand")
    roadmap_actions.change_status(world.actor(world.bob), it, "in_progress")
    assert shown_status(idea).label == "In progress" and shown_status(idea).tone == "badge-warn"
    page = Client().get(f"/p/{portal.slug}/ideas/{idea.pk}/").content.decode()
    assert "In progress" in page
    board = Client().get(f"/p/{portal.slug}/").content.decode()
    assert "In progress" in board
    # The feedback item's portal panel says where the status comes from.
    feedback_page = world.client_for(world.vera).get(
        reverse("feedback:detail", kwargs={"ws": world.alpha.slug, "pk": idea.feedback_id})
    )
    assert "In progress (from the roadmap)" in feedback_page.content.decode()
    # An unlinked idea keeps its own portal status.
    other = make_idea(world.alpha, "Dark mode", email="zed@acme.test")
    assert shown_status(other).source == "portal" and shown_status(other).label == "Open"
    # Unlinking gives the idea its own status back; a deleted roadmap item stops deciding too.
    roadmap_link.unlink_idea(world.actor(world.bob), idea, it)
    assert shown_status(idea).source == "portal"
    roadmap_link.link_idea(world.actor(world.bob), idea, it)
    roadmap_actions.delete_item(world.actor(world.bob), it)
    assert shown_status(idea).source == "portal"


def test_voters_and_followers_get_one_roadmap_email_per_change_and_no_portal_status_email(
    world: World,
    mailbox,  # type: ignore[no-untyped-def]
) -> None:
    _portal, idea, it = _linked(world)
    people = {r.email for r in audience.recipients(it)}
    # pat is requester (feedback author), voter and follower: listed once; Lou's address is lower-cased.
    assert people == {"pat@acme.test", "kim@beta.test", "lou@gamma.test"}
    run_pending_tasks()
    mailbox.messages.clear()
    roadmap_actions.change_status(world.actor(world.bob), it, "shipped")
    # Staff also move the portal status of the linked idea: the roadmap decides what it shows,
    # so the portal's own follower email is not sent.
    actions.set_status(world.actor(world.bob), idea, "done")
    run_pending_tasks()
    run_due_tasks()
    to = sorted(r[0] for r in mailbox.recipients())
    assert to == ["kim@beta.test", "lou@gamma.test", "pat@acme.test"]
    assert OutboundEmail.objects.filter(kind="portal.status").count() == 0
    assert all(m["Subject"] == "Shipped: Offline mode" for m in mailbox.messages)


def test_unlinked_idea_followers_still_get_the_portal_status_email(world: World, mailbox) -> None:  # type: ignore[no-untyped-def]
    make_portal(world.alpha)
    idea = make_idea(world.alpha, "Dark mode", email="pat@acme.test")
    actions.set_status(world.actor(world.bob), idea, "planned")
    run_pending_tasks()
    assert [r[0] for r in mailbox.recipients()] == ["pat@acme.test"]
    assert OutboundEmail.objects.filter(kind="portal.status").count() == 1


def test_flagged_votes_are_not_in_the_audience(world: World) -> None:
    _portal, idea, it = _linked(world)
    vote = idea.votes.get(voter__email="kim@beta.test")
    vote.flagged = True
    vote.save(update_fields=["flagged"])
    assert "kim@beta.test" not in {r.email for r in audience.recipients(it)}


def test_staff_link_from_the_idea_page_and_from_the_roadmap_item_page(world: World) -> None:
    make_portal(world.alpha)
    idea = make_idea(world.alpha, "Offline mode", email="pat@acme.test")
    it = roadmap_item(world.alpha, "Offline sync", status="planned")
    client = world.client_for(world.bob)
    slug = world.alpha.slug
    page = client.get(f"/w/{slug}/portal/ideas/{idea.pk}/").content.decode()
    assert "Link to roadmap" in page and "Offline sync" in page
    response = client.post(f"/w/{slug}/portal/ideas/{idea.pk}/act", {"action": "roadmap_link", "item": it.pk})
    assert response.status_code == 302
    assert it.evidence.filter(feedback=idea.feedback).exists()
    assert AuditEntry.objects.filter(idea=idea, action="roadmap_link").exists()
    detail = client.get(f"/w/{slug}/roadmap/{it.pk}/").content.decode()
    assert "data-roadmap-portal" in detail and f"/w/{slug}/portal/ideas/{idea.pk}/" in detail
    # Unlink from the idea page, then link again from the roadmap item page's portal panel.
    client.post(f"/w/{slug}/portal/ideas/{idea.pk}/act", {"action": "roadmap_unlink", "item": it.pk})
    assert not it.evidence.exists()
    client.post(f"/w/{slug}/roadmap/{it.pk}/evidence/", {"kind": "feedback", "ref": idea.feedback_id})
    assert shown_status(idea).source == "roadmap"
    # Another workspace's roadmap item is refused, and nothing is linked.
    foreign = roadmap_item(world.bravo, "Theirs")
    response = client.post(f"/w/{slug}/portal/ideas/{idea.pk}/act", {"action": "roadmap_link", "item": foreign.pk})
    assert response.status_code == 302 and not foreign.evidence.exists()
    # A viewer sees the link but cannot make one.
    viewer = world.client_for(world.vera)
    assert "Link to roadmap" not in viewer.get(f"/w/{slug}/portal/ideas/{idea.pk}/").content.decode()
    response = viewer.post(f"/w/{slug}/portal/ideas/{idea.pk}/act", {"action": "roadmap_unlink", "item": it.pk})
    assert response.status_code == 403
    assert it.evidence.exists()
