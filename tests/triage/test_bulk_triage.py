"""Bulk assign and bulk decide from the inbox: through `triage.actions.assign` / `decide`, one
history entry per item as the single actions write them, all or nothing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.urls import reverse

from harken.feedback import actions
from harken.notify.models import OutboundEmail
from harken.triage.models import EventKind, Triage, TriageEvent
from tests.base import World

pytestmark = pytest.mark.django_db


def bulk_url(ws: str = "alpha") -> str:
    return reverse("feedback:bulk", kwargs={"ws": ws})


@pytest.fixture
def items(world: World) -> SimpleNamespace:
    ns = SimpleNamespace()
    actor = world.actor(world.bob)
    ns.alpha = [actions.create_feedback(actor, text=f"Item {i} wants exports")[0] for i in range(10)]
    ns.ids = [i.pk for i in ns.alpha]
    ns.bravo, _ = actions.create_feedback(world.actor(world.charlie), text="Bravo item")
    return ns


def _events(kind: str) -> int:
    return TriageEvent.objects.filter(kind=kind).count()


def test_bulk_decide_ten_items_one_event_each(world: World, items: SimpleNamespace) -> None:
    client = world.client_for(world.bob)
    response = client.post(
        bulk_url(),
        {"action": "decide", "decision": "not_now", "reason": "After the Q3 platform work", "ids": items.ids},
        follow=True,
    )
    assert "Decided “Not now” on 10 items." in response.content.decode()
    rows = Triage.objects.filter(feedback_id__in=items.ids)
    assert {r.decision for r in rows} == {"not_now"} and {r.decision_reason for r in rows} == {
        "After the Q3 platform work"
    }
    assert {r.decided_by_id for r in rows} == {world.bob.pk}
    assert _events(EventKind.DECIDED) == 10
    # the same decision again is no change: the single action writes no event, neither does the bulk one
    client.post(
        bulk_url(),
        {"action": "decide", "decision": "not_now", "reason": "After the Q3 platform work", "ids": items.ids},
    )
    assert _events(EventKind.DECIDED) == 10


def test_bulk_decide_validates_like_the_single_action(world: World, items: SimpleNamespace) -> None:
    client = world.client_for(world.alice)  # the owner
    response = client.post(bulk_url(), {"action": "decide", "decision": "wont_do", "ids": items.ids}, follow=True)
    assert "needs a reason" in response.content.decode()
    response = client.post(
        bulk_url(), {"action": "decide", "decision": "already_exists", "ids": items.ids}, follow=True
    )
    assert "needs a link" in response.content.decode()
    assert not Triage.objects.filter(feedback_id__in=items.ids).exclude(decision="").exists()
    assert _events(EventKind.DECIDED) == 0


def test_bulk_assign_notifies_like_single_assign(world: World, items: SimpleNamespace) -> None:
    before = OutboundEmail.objects.filter(kind="assignment").count()
    response = world.client_for(world.bob).post(
        bulk_url(), {"action": "assign", "assignee": world.alice.pk, "ids": items.ids[:3]}, follow=True
    )
    assert "Assigned 3 items to Alice Owner." in response.content.decode()
    assert set(Triage.objects.filter(feedback_id__in=items.ids[:3]).values_list("assignee", flat=True)) == {
        world.alice.pk
    }
    assert _events(EventKind.ASSIGNED) == 3
    assert OutboundEmail.objects.filter(kind="assignment").count() == before + 3  # as three single assigns
    # unassign
    world.client_for(world.bob).post(bulk_url(), {"action": "assign", "assignee": "", "ids": items.ids[:3]})
    assert not Triage.objects.filter(feedback_id__in=items.ids, assignee__isnull=False).exists()


def test_bulk_assign_refuses_viewers_outsiders_and_foreign_ids(world: World, items: SimpleNamespace) -> None:
    data = {"action": "assign", "assignee": world.bob.pk, "ids": items.ids}
    assert world.client_for(world.vera).post(bulk_url(), data).status_code == 403
    assert world.client_for(world.charlie).post(bulk_url(), data).status_code == 404
    # a viewer cannot be assigned; a Bravo person neither
    for who in (world.vera, world.charlie):
        response = world.client_for(world.bob).post(bulk_url(), {**data, "assignee": who.pk}, follow=True)
        assert "Only members of this workspace" in response.content.decode()
    # Bravo's id in Alpha's selection: nothing assigned anywhere
    response = world.client_for(world.bob).post(bulk_url(), {**data, "ids": [*items.ids, items.bravo.pk]}, follow=True)
    assert "nothing was changed" in response.content.decode()
    assert not Triage.objects.filter(assignee__isnull=False).exists()
    assert _events(EventKind.ASSIGNED) == 0


def test_bulk_opens_a_missing_triage_row(world: World, items: SimpleNamespace) -> None:
    """Old or bulk-loaded items may have no triage row yet: the bulk write opens it (a POST may write)."""
    Triage.objects.filter(feedback=items.alpha[0]).delete()
    world.client_for(world.bob).post(
        bulk_url(), {"action": "decide", "decision": "planned", "ids": [items.alpha[0].pk]}
    )
    assert Triage.objects.get(feedback=items.alpha[0]).decision == "planned"


def test_bulk_decide_duplicate_of_a_chosen_original(world: World, items: SimpleNamespace) -> None:
    """The inbox form offers "Duplicate" with the original's number (as the single decide does)."""
    client = world.client_for(world.bob)
    inbox = client.get(reverse("feedback:inbox", kwargs={"ws": "alpha"})).content.decode()
    assert '<option value="duplicate">' in inbox and 'name="duplicate_of"' in inbox
    original, copies = items.alpha[0], items.ids[1:4]
    response = client.post(
        bulk_url(),
        {"action": "decide", "decision": "duplicate", "duplicate_of": f"#{original.pk}", "ids": copies},
        follow=True,
    )
    assert "Decided “Duplicate” on 3 items." in response.content.decode()
    rows = Triage.objects.filter(feedback_id__in=copies)
    assert {(r.decision, r.duplicate_of_id) for r in rows} == {("duplicate", original.pk)}
    # no original, the original among the selection, another workspace's item: refused, nothing changes
    for data, message in [
        ({"duplicate_of": ""}, "needs the item it duplicates"),
        ({"duplicate_of": str(items.ids[5])}, "is the original: untick it"),
        ({"duplicate_of": str(items.bravo.pk)}, f"No item #{items.bravo.pk} in this workspace"),
    ]:
        ids = items.ids[4:7]
        response = client.post(
            bulk_url(), {"action": "decide", "decision": "duplicate", "ids": ids, **data}, follow=True
        )
        assert message in response.content.decode()
        assert not Triage.objects.filter(feedback_id__in=ids, decision="duplicate").exists()


def test_bulk_from_htmx_swaps_the_list_with_the_flash(world: World, items: SimpleNamespace) -> None:
    """htmx follows the redirect back to the inbox view with its headers: the answer is the list partial
    (not the whole page) and carries the result as a flash message; a plain POST still gets the page."""
    client = world.client_for(world.bob)
    inbox = reverse("feedback:inbox", kwargs={"ws": "alpha"})
    data = {"action": "tag", "tag": "exports", "ids": items.ids[:2], "next": f"{inbox}?q=exports"}
    response = client.post(bulk_url(), data, follow=True, headers={"HX-Request": "true", "HX-Target": "inbox-results"})
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == f"{inbox}?q=exports"
    assert "<html" not in html and 'id="bulk-form"' in html and "data-inbox-flash" in html
    assert "Tagged 2 items “exports”." in html
    page = client.post(bulk_url(), data, follow=True).content.decode()
    assert "<html" in page and "Tagged 2 items “exports”." in page and "data-inbox-flash" not in page
