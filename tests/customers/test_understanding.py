"""Goals, jobs and process maps: services, the account page, and the workspace pain view."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from harken.customers import understanding
from harken.customers.models import Account
from harken.feedback.actions import create_feedback
from tests.base import World


def _account(ws, name="Acme", domain="acme.test") -> Account:
    return Account.objects.create(workspace=ws, name=name, domain=domain)


def test_jobs_strip_lead_words_and_render_as_a_statement(world: World) -> None:
    acme = _account(world.alpha)
    job = understanding.add_job(
        world.actor(world.bob),
        acme,
        situation="When the month ends,",
        motivation="I want to reconcile every account",
        outcome="so I can report on day 3.",
    )
    assert job.statement == "When the month ends, I want to reconcile every account, so I can report on day 3."
    with pytest.raises(ValidationError) as exc:
        understanding.add_job(world.actor(world.bob), acme, situation="When", motivation="", outcome="x")
    assert {"situation", "motivation"} <= set(exc.value.message_dict)


def test_viewer_cannot_write_and_other_workspace_is_rejected(world: World) -> None:
    acme = _account(world.alpha)
    with pytest.raises(PermissionDenied):
        understanding.add_goal(world.actor(world.vera), acme, title="Grow")
    with pytest.raises(ValidationError):
        understanding.add_goal(world.actor(world.charlie), acme, title="Grow")
    step = understanding.add_step(world.actor(world.bob), acme, title="Collect invoices")
    bravo_item, _ = create_feedback(world.actor(world.charlie), text="bravo secret")
    with pytest.raises(ValidationError) as exc:
        understanding.add_pain(world.actor(world.bob), step, text="slow", feedback_ids=[bravo_item.pk])
    assert "feedback" in exc.value.message_dict


def test_process_map_orders_steps_and_micro_steps_and_scores_pain(world: World) -> None:
    bob = world.actor(world.bob)
    acme = _account(world.alpha)
    first = understanding.add_step(bob, acme, title="Collect invoices")
    second = understanding.add_step(bob, acme, title="Approve")
    micro = understanding.add_step(bob, acme, title="Scan paper", parent=first)
    with pytest.raises(ValidationError):
        understanding.add_step(bob, acme, title="Too deep", parent=micro)
    item, _ = create_feedback(bob, text="Scanning takes forever", account=acme)
    understanding.add_pain(
        bob, micro, text="Scanning is manual", severity=3, feedback_ids=understanding.parse_ids(f"#{item.pk}")
    )
    understanding.move_step(bob, second, "up")
    data = understanding.account_understanding(acme)
    assert [r["step"].title for r in data["process"]] == ["Approve", "Collect invoices"]
    collect = data["process"][1]
    assert collect["micro"][0]["number"] == "2.1"
    assert collect["score"] == 3 + 1  # blocking + one linked item


def test_pain_by_step_groups_titles_across_accounts(world: World) -> None:
    bob = world.actor(world.bob)
    for name in ("Acme", "Globex"):
        account = _account(world.alpha, name, f"{name.lower()}.test")
        step = understanding.add_step(bob, account, title="Month-end  CLOSE" if name == "Acme" else "month-end close")
        understanding.add_pain(bob, step, text="Spreadsheets", severity=2)
    other = understanding.add_step(bob, _account(world.alpha, "Initech", "initech.test"), title="Onboarding")
    understanding.add_pain(bob, other, text="Confusing", severity=1)
    rows = understanding.pain_by_step(world.alpha)
    assert [r["value"] for r in rows] == [4, 1]
    assert rows[0]["accounts"] == ["Acme", "Globex"]
    assert understanding.pain_by_step(world.bravo) == []


def test_account_page_shows_sections_and_forms_work(world: World) -> None:
    acme = _account(world.alpha)
    client = world.client_for(world.bob)
    ws = world.alpha.slug
    response = client.post(
        reverse("customers:goal_add", kwargs={"ws": ws, "pk": acme.pk}), {"title": "Close in 3 days"}
    )
    assert response.status_code == 302
    client.post(reverse("customers:step_add", kwargs={"ws": ws, "pk": acme.pk}), {"title": "Collect invoices"})
    step = acme.process_steps.get()
    client.post(reverse("customers:pain_add", kwargs={"ws": ws, "pk": step.pk}), {"text": "Paper", "feedback": "#abc"})
    assert not step.pains.exists()  # bad id: message, nothing saved
    client.post(reverse("customers:pain_add", kwargs={"ws": ws, "pk": step.pk}), {"text": "Paper", "severity": "3"})
    page = client.get(reverse("customers:account_detail", kwargs={"ws": ws, "pk": acme.pk}))
    html = page.content.decode()
    assert "Close in 3 days" in html and "Collect invoices" in html and "Paper" in html
    assert "is not a feedback number" in html
    pain = client.get(reverse("customers:process_pain", kwargs={"ws": ws}))
    assert "Collect invoices" in pain.content.decode()


def test_understanding_api(world: World) -> None:
    import json

    from django.test import Client

    from tests.base import make_token

    acme = _account(world.alpha)
    token = make_token(world.alpha, world.bob)

    def call(method: str, path: str, body: dict | None = None):  # type: ignore[no-untyped-def]
        return Client().generic(
            method,
            "/api/customers" + path,
            json.dumps(body or {}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    assert call("POST", f"/accounts/{acme.pk}/goals", {"title": "Grow"}).status_code == 201
    step = call("POST", f"/accounts/{acme.pk}/steps", {"title": "Collect"}).json()
    assert call("POST", f"/accounts/{acme.pk}/steps", {"title": "Scan", "parent_id": step["id"]}).status_code == 201
    bad = call("POST", f"/steps/{step['id']}/pains", {"text": "Paper", "severity": 9})
    assert bad.status_code == 422 and "severity" in bad.json()["errors"]
    assert call("POST", f"/steps/{step['id']}/pains", {"text": "Paper", "severity": 3}).status_code == 201
    data = call("GET", f"/accounts/{acme.pk}/understanding").json()
    assert data["goals"][0]["title"] == "Grow" and data["process"][0]["micro_steps"][0]["number"] == "1.1"
    assert call("GET", "/process-pain").json()[0]["value"] == 3
    assert call("DELETE", f"/steps/{step['id']}").status_code == 204
    assert not acme.process_steps.exists()


def test_edit_goals_jobs_and_steps_in_place(world: World) -> None:
    acme = _account(world.alpha)
    bob = world.actor(world.bob)
    goal = understanding.add_goal(bob, acme, title="Grow", detail="Somehow")
    job = understanding.add_job(bob, acme, situation="the month ends", motivation="reconcile", outcome="report")
    step = understanding.add_step(bob, acme, title="Collect", detail="Paper")
    micro = understanding.add_step(bob, acme, title="Scan", parent=step)
    understanding.add_pain(bob, step, text="Slow", severity=3)
    understanding.edit_goal(bob, goal, title="  Close in   3 days ")
    goal.refresh_from_db()
    assert (goal.title, goal.detail) == ("Close in 3 days", "Somehow")  # detail not given: kept
    understanding.edit_job(bob, job, outcome="so I can report on day 3.")
    job.refresh_from_db()
    assert (job.situation, job.outcome) == ("the month ends", "report on day 3")  # lead words stripped as on add
    understanding.edit_step(bob, micro, title="Scan receipts")
    understanding.edit_step(bob, step, detail="")
    step.refresh_from_db()
    micro.refresh_from_db()
    assert (step.title, step.detail, micro.title, micro.parent_id) == ("Collect", "", "Scan receipts", step.pk)
    assert step.pains.count() == 1 and step.position == 1  # its place and pains stay
    with pytest.raises(ValidationError) as err:
        understanding.edit_job(bob, job, situation="When", motivation=" ")
    assert set(err.value.message_dict) == {"situation", "motivation"}
    with pytest.raises(ValidationError):
        understanding.edit_goal(bob, goal, title="   ")
    goal.refresh_from_db()
    job.refresh_from_db()
    assert goal.title == "Close in 3 days" and job.situation == "the month ends"  # a refused edit changes nothing
    with pytest.raises(PermissionDenied):
        understanding.edit_step(world.actor(world.vera), step, title="Viewer")
    with pytest.raises((ValidationError, PermissionDenied)):
        understanding.edit_goal(world.actor(world.charlie), goal, title="Bravo")
    goal.refresh_from_db()
    assert goal.title == "Close in 3 days"


def test_edit_in_place_pages_htmx_and_no_js(world: World) -> None:
    acme = _account(world.alpha)
    bob = world.actor(world.bob)
    goal = understanding.add_goal(bob, acme, title="Grow")
    step = understanding.add_step(bob, acme, title="Collect")
    client = world.client_for(world.bob)
    ws = world.alpha.slug
    page = client.get(reverse("customers:account_detail", kwargs={"ws": ws, "pk": acme.pk})).content.decode()
    assert reverse("customers:goal_edit", kwargs={"ws": ws, "pk": goal.pk}) in page
    assert 'aria-label="Edit step Collect"' in page
    viewer_page = world.client_for(world.vera).get(
        reverse("customers:account_detail", kwargs={"ws": ws, "pk": acme.pk})
    )
    assert "Grow" in viewer_page.content.decode() and 'aria-label="Edit goal' not in viewer_page.content.decode()
    # without JavaScript: a POST, then back to the account page at the entry, with a message
    url = reverse("customers:goal_edit", kwargs={"ws": ws, "pk": goal.pk})
    response = client.post(url, {"title": "Close in 3 days", "detail": "By day 3"})
    assert response.status_code == 302 and response["Location"].endswith(f"#goal-{goal.pk}")
    goal.refresh_from_db()
    assert (goal.title, goal.detail) == ("Close in 3 days", "By day 3")
    # htmx: the card comes back alone, the edited entry focused and marked saved
    hx = {"HX-Request": "true"}
    step_url = reverse("customers:step_edit", kwargs={"ws": ws, "pk": step.pk})
    card = client.post(step_url, {"title": "Collect invoices", "detail": ""}, headers=hx)
    html = card.content.decode()
    assert card.status_code == 200 and "<html" not in html and 'data-testid="process-map"' in html
    assert "Collect invoices" in html and "Step saved." in html and "autofocus" in html
    # htmx with a refused value: 200 (htmx swaps it), the form open with the error, nothing saved
    card = client.post(step_url, {"title": "  "}, headers=hx)
    html = card.content.decode()
    assert card.status_code == 200 and 'role="alert"' in html and "cannot be empty" in html
    step.refresh_from_db()
    assert step.title == "Collect invoices"
    job = understanding.add_job(bob, acme, situation="a", motivation="b", outcome="c")
    card = client.post(
        reverse("customers:job_edit", kwargs={"ws": ws, "pk": job.pk}),
        {"situation": "the month ends", "motivation": "b", "outcome": "c"},
        headers=hx,
    )
    assert 'data-testid="jobs"' in card.content.decode() and "the month ends" in card.content.decode()


def test_edit_in_place_api(world: World) -> None:
    from django.test import Client

    from tests.base import make_token

    acme = _account(world.alpha)
    bob = world.actor(world.bob)
    goal = understanding.add_goal(bob, acme, title="Grow", detail="Keep")
    job = understanding.add_job(bob, acme, situation="a", motivation="b", outcome="c")
    step = understanding.add_step(bob, acme, title="Collect")

    def patch(path: str, body: dict, token: str):  # type: ignore[no-untyped-def,type-arg]
        return Client().patch(
            "/api/customers" + path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )

    token = make_token(world.alpha, world.bob)
    response = patch(f"/goals/{goal.pk}", {"title": "Close in 3 days"}, token)
    assert response.status_code == 200 and response.json() == {
        "id": goal.pk,
        "title": "Close in 3 days",
        "detail": "Keep",
    }
    response = patch(f"/jobs/{job.pk}", {"motivation": "I want to reconcile"}, token)
    assert response.status_code == 200 and response.json()["statement"].startswith("When a, I want to reconcile")
    response = patch(f"/steps/{step.pk}", {"detail": "Paper"}, token)
    assert (
        response.status_code == 200 and response.json()["title"] == "Collect" and response.json()["detail"] == "Paper"
    )
    bad = patch(f"/jobs/{job.pk}", {"outcome": "so"}, token)
    assert bad.status_code == 422 and "outcome" in bad.json()["errors"]
    # read-only token 403, another workspace's token 404: nothing changes
    assert (
        patch(f"/goals/{goal.pk}", {"title": "RO"}, make_token(world.alpha, world.vera, can_write=False)).status_code
        == 403
    )
    assert patch(f"/goals/{goal.pk}", {"title": "Bravo"}, make_token(world.bravo, world.charlie)).status_code == 404
    goal.refresh_from_db()
    assert goal.title == "Close in 3 days"
