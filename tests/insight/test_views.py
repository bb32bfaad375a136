from __future__ import annotations

import json

import pytest
from django.urls import reverse

from harken.core.taskrun import run_pending_tasks
from harken.insight import services
from harken.insight.models import DuplicateSuggestion, FeedbackMerge, SuggestionStatus
from tests.base import make_token
from tests.insight.helpers import add

pytestmark = pytest.mark.django_db

PDF = "The app crashes every time I export a large report to PDF"


def url(name: str, **kw: object) -> str:
    return reverse(f"insight:{name}", kwargs={"ws": "alpha", **kw})


def test_similar_panel_lists_scores_and_merge_buttons(world) -> None:  # type: ignore[no-untyped-def]
    a = add(world.alpha, PDF)
    b = add(world.alpha, PDF.replace("large", "big"))
    add(world.bravo, PDF)
    run_pending_tasks()
    html = world.client_for(world.bob).get(url("similar", pk=a.pk), HTTP_HX_REQUEST="true").content.decode()
    assert f"#{b.pk}" in html and "Merge into this item" in html and "Cosine similarity" in html
    viewer = world.client_for(world.vera).get(url("similar", pk=a.pk)).content.decode()
    assert "Merge into this item" not in viewer


def test_item_page_includes_the_panel(world) -> None:  # type: ignore[no-untyped-def]
    a = add(world.alpha, PDF)
    html = (
        world.client_for(world.bob).get(reverse("feedback:detail", kwargs={"ws": "alpha", "pk": a.pk})).content.decode()
    )
    assert url("similar", pk=a.pk) in html


def test_review_merge_and_undo_through_the_ui(world) -> None:  # type: ignore[no-untyped-def]
    a = add(world.alpha, PDF)
    b = add(world.alpha, PDF + " again")
    s = DuplicateSuggestion.objects.create(
        workspace=world.alpha, item=b, candidate=a, score=0.91, signals={"cosine": 0.95}
    )
    client = world.client_for(world.bob)
    page = client.get(url("duplicates")).content.decode()
    assert "Merge new into earlier" in page and "Not a duplicate" in page and "0.9" in page
    response = client.post(url("merge_suggestion", pk=s.pk), {"keep": "candidate"})
    assert response.status_code == 302
    record = FeedbackMerge.objects.get()
    assert (record.survivor, record.merged) == (a, b)
    assert "No open duplicate suggestions" in client.get(url("duplicates")).content.decode()
    history = client.get(url("merges")).content.decode()
    assert "Active" in history and "Undo" in history
    similar = client.get(url("similar", pk=a.pk)).content.decode()
    assert "1 merged item" in similar and f"Undo merge of #{b.pk}" in similar
    assert "was merged into" in client.get(url("similar", pk=b.pk)).content.decode()
    assert client.post(url("undo_merge", pk=record.pk)).status_code == 302
    record.refresh_from_db()
    assert record.undone_at is not None
    # Undoing twice is refused with a message, not a crash.
    response = client.post(url("undo_merge", pk=record.pk), follow=True)
    assert "already undone" in response.content.decode()


def test_dismiss_and_merge_item_forms(world) -> None:  # type: ignore[no-untyped-def]
    a, b, c = add(world.alpha, PDF), add(world.alpha, PDF + "!"), add(world.alpha, "Dark mode")
    s = DuplicateSuggestion.objects.create(workspace=world.alpha, item=b, candidate=a, score=0.7)
    client = world.client_for(world.bob)
    client.post(url("dismiss", pk=s.pk))
    s.refresh_from_db()
    assert s.status == SuggestionStatus.DISMISSED
    response = client.post(url("merge_item", pk=c.pk), {"into": a.pk})
    assert response.status_code == 302 and response["Location"].endswith(f"/{a.pk}/")
    assert services.merged_into(c) == a
    response = client.post(url("merge_item", pk=b.pk), {"into": "abc"}, follow=True)
    assert "Say which item" in response.content.decode()
    bravo_item = add(world.bravo, "Bravo")
    assert client.post(url("merge_item", pk=b.pk), {"into": bravo_item.pk}).status_code == 404


def test_api_similar_duplicates_merge_undo(world) -> None:  # type: ignore[no-untyped-def]
    acme_item = add(world.alpha, PDF)
    b = add(world.alpha, PDF + " too")
    run_pending_tasks()
    bravo_item = add(world.bravo, PDF)
    token = make_token(world.alpha, world.bob)
    h = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    c = world.client_for(world.bob)
    similar = c.get(f"/api/insight/items/{acme_item.pk}/similar?limit=3", **h).json()
    assert similar[0]["item"]["id"] == b.pk and 0 < similar[0]["score"] <= 1
    dupes = c.get(f"/api/insight/items/{acme_item.pk}/duplicates", **h).json()
    assert dupes[0]["item"]["id"] == b.pk and "hub" in dupes[0]["signals"]
    assert len(c.get("/api/insight/duplicates", **h).json()) == 1  # filed when b arrived
    body = json.dumps({"survivor_id": acme_item.pk, "merged_id": bravo_item.pk})
    assert c.post("/api/insight/merges", body, content_type="application/json", **h).status_code == 404
    body = json.dumps({"survivor_id": acme_item.pk, "merged_id": acme_item.pk})
    response = c.post("/api/insight/merges", body, content_type="application/json", **h)
    assert response.status_code == 422 and "itself" in response.json()["detail"]
    body = json.dumps({"survivor_id": acme_item.pk, "merged_id": b.pk})
    merged = c.post("/api/insight/merges", body, content_type="application/json", **h)
    assert merged.status_code == 201
    assert c.get(f"/api/insight/items/{acme_item.pk}/requesters", **h).json()["merged_item_ids"] == [b.pk]
    assert c.get("/api/insight/merges", **h).json()[0]["undone_at"] is None
    undo = c.post(f"/api/insight/merges/{merged.json()['id']}/undo", **h)
    assert undo.status_code == 200 and undo.json()["undone_at"]
    assert c.post(f"/api/insight/merges/{merged.json()['id']}/undo", **h).status_code == 422
    s = DuplicateSuggestion.objects.get()
    assert c.post(f"/api/insight/duplicates/{s.pk}/dismiss", **h).json()["status"] == "dismissed"
    ro = {"HTTP_AUTHORIZATION": f"Bearer {make_token(world.alpha, world.vera, can_write=False)}"}
    assert c.post("/api/insight/merges", body, content_type="application/json", **ro).status_code == 403


def test_cli_embed_similar_duplicates(world) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from harken.cli import app

    a = add(world.alpha, PDF)
    b = add(world.alpha, PDF.replace("large", "big"))
    runner = CliRunner()
    result = runner.invoke(app, ["insight", "embed", "--workspace", "alpha"])
    assert result.exit_code == 0, result.output
    assert "embedded 2 of 2" in result.output
    assert "embedded 0 of 2" in runner.invoke(app, ["insight", "embed", "--all"]).output
    result = runner.invoke(app, ["insight", "similar", str(a.pk)])
    assert result.exit_code == 0 and str(b.pk) in result.output
    result = runner.invoke(app, ["insight", "duplicates", "--workspace", "alpha", "--scan"])
    assert result.exit_code == 0 and "new suggestion" in result.output
    assert runner.invoke(app, ["insight", "embed"]).exit_code != 0
    assert runner.invoke(app, ["insight", "embed", "--workspace", "nope"]).exit_code != 0


def test_undo_merge_from_the_item_page_lands_on_the_item_page(world) -> None:  # type: ignore[no-untyped-def]
    """Regression: the panel is an htmx fragment, so its undo form used to send people to the bare fragment."""
    a = add(world.alpha, PDF)
    b = add(world.alpha, PDF + " again")
    client = world.client_for(world.bob)
    record = services.merge(world.actor(world.bob, world.alpha), a, b)
    item_page = reverse("feedback:detail", kwargs={"ws": "alpha", "pk": a.pk})
    panel = client.get(url("similar", pk=a.pk), HTTP_HX_REQUEST="true").content.decode()
    assert f'name="next" value="{item_page}"' in panel
    assert url("similar", pk=a.pk) not in panel.split("<form")[1]
    # A plain form post (no JavaScript) goes back to the item page, with the confirmation.
    response = client.post(url("undo_merge", pk=record.pk), {"next": item_page})
    assert response.status_code == 302 and response["Location"] == item_page
    page = client.get(item_page).content.decode()
    assert f"Undone: #{b.pk} is a separate item again." in page and "<html" in page
    # Over htmx the panel itself is refreshed in place, with the confirmation in it.
    client.post(url("merge_item", pk=b.pk), {"into": a.pk})
    again = FeedbackMerge.objects.filter(undone_at__isnull=True).get()
    fragment = client.post(url("undo_merge", pk=again.pk), {"next": item_page}, HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in html and "Similar feedback" in html
    assert f"Undone: #{b.pk} is a separate item again." in html and "merged item" not in html


def test_duplicates_page_and_api_say_the_ranking_learned_from_merges(world) -> None:  # type: ignore[no-untyped-def]
    a, b = add(world.alpha, PDF), add(world.alpha, PDF + " too")
    run_pending_tasks()
    h = {"HTTP_AUTHORIZATION": f"Bearer {make_token(world.alpha, world.bob)}"}
    c = world.client_for(world.bob)
    cold = c.get("/api/insight/duplicates/model", **h).json()
    assert cold["merges"] == 0 and cold["ranking_decisions"] == 0 and not cold["threshold_calibrated"]
    assert "Ranking learned from" not in c.get(url("duplicates")).content.decode()
    services.merge(world.actor(world.bob), a, b)
    after = c.get("/api/insight/duplicates/model", **h).json()
    assert after["merges"] == 1 and after["ranking_decisions"] == 1 and after["precision_target"] == 0.8
    assert "Ranking learned from 1 decision<" in c.get(url("duplicates")).content.decode()
    # Another workspace's token sees its own (cold) model.
    other = {"HTTP_AUTHORIZATION": f"Bearer {make_token(world.bravo, world.charlie)}"}
    assert c.get("/api/insight/duplicates/model", **other).json()["merges"] == 0
