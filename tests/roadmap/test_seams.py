"""Roadmap wired into conversations and digests: conversation evidence (reach, ARR, both pages),
open promises in who-to-talk-to, promises due in the weekly digest, promises on the account timeline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from harken.conversations import services as conversation_services
from harken.conversations.suggestions import suggest
from harken.customers.timeline import timeline
from harken.digests.digest import build, render_text, week_of
from harken.roadmap import actions, promises, queries
from tests.base import World
from tests.roadmap.helpers import account, contact, item

pytestmark = pytest.mark.django_db


def _conversation(world: World, ws=None, **kw):  # type: ignore[no-untyped-def]
    ws = ws or world.alpha
    actor = world.actor(world.alice if ws == world.alpha else world.charlie, ws)
    return conversation_services.create_conversation(
        actor, title=kw.pop("title", "Interview"), happened_at=timezone.now() - dt.timedelta(days=1), **kw
    )


def test_conversation_evidence_counts_towards_reach_and_arr(world: World) -> None:
    ws = world.alpha
    acme = account(ws, "Acme", arr=50000)
    solo = contact(ws, "solo@free.test", "Solo")
    conv = _conversation(world, account=acme, contacts=[solo], title="Acme offline interview")
    it = item(ws, "Offline mode")
    actions.link_evidence(world.actor(world.bob), it, conv.pk, kind="conversation")
    reach = queries.reach_for(ws, [it])[it.pk]
    assert reach.accounts == {acme.pk} and reach.contacts == {solo.pk}
    assert reach.customers == 2 and reach.arr == 50000
    page = world.client_for(world.vera).get(f"/w/{ws.slug}/roadmap/{it.pk}/").content.decode()
    assert "Conversations (1)" in page and "Acme offline interview" in page


def test_link_a_conversation_from_both_pages_and_never_across_workspaces(world: World) -> None:
    ws = world.alpha
    conv = _conversation(world, title="Call with Pat")
    it = item(ws, "Offline mode")
    client = world.client_for(world.bob)
    # From the roadmap item page's evidence form.
    response = client.post(f"/w/{ws.slug}/roadmap/{it.pk}/evidence/", {"kind": "conversation", "ref": conv.pk})
    assert response.status_code == 302 and it.evidence.filter(kind="conversation", object_id=conv.pk).exists()
    # From the conversation's page, to a new item.
    response = client.post(f"/w/{ws.slug}/conversations/{conv.pk}/roadmap/", {"new_title": "Sync conflicts"})
    assert response.status_code == 302
    new = queries.live_items(ws).get(title="Sync conflicts")
    assert new.evidence.filter(kind="conversation", object_id=conv.pk).exists()
    page = client.get(f"/w/{ws.slug}/conversations/{conv.pk}/").content.decode()
    assert "Offline mode" in page and "Sync conflicts" in page
    # Bravo's conversation id is refused on Alpha's roadmap item: nothing linked, no 500.
    theirs = _conversation(world, ws=world.bravo, title="Bravo secret call")
    response = client.post(f"/w/{ws.slug}/roadmap/{it.pk}/evidence/", {"kind": "conversation", "ref": theirs.pk})
    assert response.status_code == 302
    assert not it.evidence.filter(object_id=theirs.pk).exists()
    assert "Bravo secret call" not in client.get(f"/w/{ws.slug}/roadmap/{it.pk}/").content.decode()
    # Viewers cannot link.
    viewer = world.client_for(world.vera)
    assert viewer.post(f"/w/{ws.slug}/conversations/{conv.pk}/roadmap/", {"new_title": "No"}).status_code == 403


def test_open_promises_suggest_who_to_talk_to(world: World) -> None:
    ws = world.alpha
    acme = account(ws, "Acme")
    pat = contact(ws, "pat@acme.test", "Pat", acme)
    later = contact(ws, "lou@later.test", "Lou")
    it = item(ws, "Offline mode", status="in_progress")
    bob = world.actor(world.bob)
    promises.make_promise(bob, it, target_date=timezone.localdate() + dt.timedelta(days=10), contact=pat)
    promises.make_promise(bob, it, target_date=timezone.localdate() + dt.timedelta(days=200), contact=later)
    found = {s.contact.pk: s for s in suggest(ws)}
    assert pat.pk in found and later.pk not in found  # only promises due within 30 days
    assert any("We promised “Offline mode”" in r.text for r in found[pat.pk].reasons)
    assert found[pat.pk].score == 2.0


def test_weekly_digest_lists_promises_due(world: World) -> None:
    ws = world.alpha
    pat = contact(ws, "pat@acme.test", "Pat")
    it = item(ws, "Offline mode", status="in_progress")
    promises.make_promise(
        world.actor(world.bob), it, target_date=timezone.localdate() + dt.timedelta(days=3), contact=pat
    )
    far = item(ws, "Far away", status="planned")
    promises.make_promise(
        world.actor(world.bob), far, target_date=timezone.localdate() + dt.timedelta(days=90), contact=pat
    )
    digest = build(ws, week_of(timezone.localdate()) - dt.timedelta(days=7))
    section = next(s for s in digest.sections if s["key"] == "promises")
    assert [r["title"] for r in section["rows"]] == ["Offline mode — promised to Pat"]
    assert "PROMISES DUE" in render_text(digest, "leadership")
    assert "PROMISES DUE" not in render_text(digest, "marketing")


def test_promises_show_on_the_account_timeline(world: World) -> None:
    ws = world.alpha
    acme = account(ws, "Acme")
    pat = contact(ws, "pat@acme.test", "Pat", acme)
    it = item(ws, "Offline mode", status="in_progress")
    promises.make_promise(
        world.actor(world.bob), it, target_date=timezone.localdate() + dt.timedelta(days=20), contact=pat
    )
    events = [e for e in timeline(acme) if e.kind == "promise"]
    assert len(events) == 1 and "Offline mode" in events[0].title and events[0].label == "Open"
    other = account(ws, "Other")
    assert [e for e in timeline(other) if e.kind == "promise"] == []
    page = world.client_for(world.vera).get(f"/w/{ws.slug}/accounts/{acme.pk}/").content.decode()
    assert "Promised “Offline mode”" in page


def test_items_name_the_customer_goals_and_jobs_they_serve_in_the_prioritisation(world: World) -> None:
    from harken.customers.models import CustomerGoal, CustomerJob

    ws = world.alpha
    acme = account(ws, "Acme")
    goal = CustomerGoal.objects.create(workspace=ws, account=acme, title="Close the books in 3 days")
    job = CustomerJob.objects.create(
        workspace=ws, account=acme, situation="the month ends", motivation="reconcile fast", outcome="report on time"
    )
    it = item(ws, "Bulk reconcile", value_fit=3)
    client = world.client_for(world.bob)
    data = {"title": "Bulk reconcile", "impact": "1", "confidence": "80", "effort": "2", "value_fit": "3"}
    response = client.post(
        f"/w/{ws.slug}/roadmap/{it.pk}/edit/", {**data, "serves_goals": [goal.pk], "serves_jobs": [job.pk]}
    )
    assert response.status_code == 302
    assert list(it.serves_goals.all()) == [goal] and list(it.serves_jobs.all()) == [job]
    row = next(r for r in queries.rows(ws) if r["item"].pk == it.pk)
    assert "Close the books in 3 days" in row["score"].fit_explanation and "(Acme)" in row["score"].fit_explanation
    page = client.get(f"/w/{ws.slug}/roadmap/priorities/").content.decode()
    assert "Serves goal “Close the books in 3 days” (Acme)" in page and "reconcile fast" in page
    # Another workspace's goal is not offered and is refused.
    bravo_acct = account(world.bravo, "Theirs")
    theirs = CustomerGoal.objects.create(workspace=world.bravo, account=bravo_acct, title="Secret goal")
    response = client.post(f"/w/{ws.slug}/roadmap/{it.pk}/edit/", {**data, "serves_goals": [theirs.pk]})
    assert response.status_code == 200  # the form shows the error
    assert list(it.serves_goals.all()) == [goal]
    with pytest.raises(ValidationError):
        actions.set_value_links(world.actor(world.bob), it, goals=[theirs])
