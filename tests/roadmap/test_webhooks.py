"""Outgoing webhooks against a real HTTP server on loopback: signed, retried with backoff, logged, never lost."""

from __future__ import annotations

import json

import pytest

from harken.core.taskrun import run_pending_tasks
from harken.insight.themes.models import Theme, TrendAlert
from harken.insight.themes.trends import trend_detected
from harken.notify import webhooks
from harken.notify.models import OutgoingDelivery, WebhookEvent
from harken.roadmap import actions
from harken.triage import actions as triage
from harken.workspaces.access import Actor
from tests.base import World
from tests.roadmap.helpers import feedback, item

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_retries(settings):  # type: ignore[no-untyped-def]
    settings.NOTIFY_WEBHOOK_BACKOFF = [0]  # retries become ready at once, so one worker pass runs them all
    settings.NOTIFY_WEBHOOK_TIMEOUT = 0.5
    settings.HARKEN_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # the test receiver; refused by default


def test_a_loopback_target_is_refused_by_default(world: World, hooks_server, settings) -> None:  # type: ignore[no-untyped-def]
    """SSRF: deliveries go through core.netguard, so private and loopback targets need the opt-in allow-list."""
    settings.HARKEN_FETCH_ALLOWED_NETWORKS = []
    url, recorder = hooks_server
    _endpoint(world, url + "/in", ["roadmap.status_changed"])
    actor = world.actor(world.alice)
    webhooks.emit(actor.workspace, "roadmap.status_changed", {"summary": "x"})
    run_pending_tasks()
    delivery = OutgoingDelivery.objects.get(workspace=world.alpha)
    assert recorder.requests == []
    assert "not allowed" in delivery.last_error
    assert str(hooks_server[0].rsplit(":", 1)[1]) not in delivery.last_error  # no port revealed


def _endpoint(world: World, url: str, events: list[str], fmt: str = "harken"):  # type: ignore[no-untyped-def]
    endpoint = webhooks.create_endpoint(
        world.actor(world.alice), name="Receiver", url=url, events=events, payload_format=fmt
    )
    # Workspace.webhook_events is read from the workspace a write holds (request- or task-scoped in
    # production); the test's long-lived instance must see the new endpoint too.
    world.alpha.refresh_from_db(fields=["webhook_events"])
    return endpoint


def test_events_are_signed_and_delivered_from_every_write_site(world: World, hooks_server) -> None:  # type: ignore[no-untyped-def]
    url, recorder = hooks_server
    endpoint = _endpoint(world, url + "/in", list(WebhookEvent.values))
    _endpoint_other = webhooks.create_endpoint(  # noqa: F841 - Bravo's endpoint must hear nothing of Alpha
        world.actor(world.charlie), name="Bravo", url=url + "/bravo", events=list(WebhookEvent.values)
    )
    fb = feedback(world.alpha, "Dark mode please", email="pat@acme.test")
    triage.decide(world.actor(world.bob), triage.open_triage(fb), "planned")
    it = item(world.alpha, status="planned")
    actions.change_status(world.actor(world.bob), it, "shipped")
    run_pending_tasks()
    events = [r["headers"]["X-Harken-Event"] for r in recorder.requests]
    assert sorted(events) == sorted(
        ["feedback.created", "triage.decision_made", "roadmap.status_changed", "roadmap.shipped"]
    )
    assert {r["path"] for r in recorder.requests} == {"/in"}
    secret = webhooks.secret_for(endpoint)
    for r in recorder.requests:
        assert webhooks.verify(secret, r["headers"]["X-Harken-Signature"], r["body"])
        assert not webhooks.verify(secret + "x", r["headers"]["X-Harken-Signature"], r["body"])
    shipped = next(
        json.loads(r["body"]) for r in recorder.requests if r["headers"]["X-Harken-Event"] == "roadmap.shipped"
    )
    assert shipped["data"]["item_id"] == it.pk and shipped["workspace"] == "alpha"
    assert all(d.status == "delivered" for d in OutgoingDelivery.objects.filter(workspace=world.alpha))


def test_slack_format_posts_text(world: World, hooks_server) -> None:  # type: ignore[no-untyped-def]
    url, recorder = hooks_server
    _endpoint(world, url, ["roadmap.status_changed"], fmt="slack")
    actions.change_status(world.actor(world.bob), item(world.alpha, status="planned"), "in_progress")
    run_pending_tasks()
    (request,) = recorder.requests
    body = json.loads(request["body"])
    assert list(body) == ["text"] and "Offline mode" in body["text"] and "In progress" in body["text"]


@pytest.mark.parametrize("path", ["/fail", "/slow"])
def test_a_failing_or_timing_out_target_is_retried_then_marked_dead_and_kept(
    world: World, hooks_server, path: str
) -> None:  # type: ignore[no-untyped-def]
    url, recorder = hooks_server
    recorder.slow_seconds = 2.0
    _endpoint(world, url + path, ["roadmap.status_changed"])
    actions.change_status(world.actor(world.bob), item(world.alpha, status="planned"), "in_progress")
    run_pending_tasks()
    delivery = OutgoingDelivery.objects.get()
    assert delivery.status == "dead"
    assert delivery.attempts == webhooks.MAX_ATTEMPTS == len(recorder.requests)
    assert ("HTTP 500" if path == "/fail" else "timed out") in delivery.last_error
    # Nothing lost: the payload is kept; fix the receiver and retry from the log.
    recorder.mode = "ok"
    delivery.endpoint.url = url + "/fixed"
    delivery.endpoint.save()
    webhooks.retry(world.actor(world.bob), delivery)
    run_pending_tasks()
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and recorder.requests[-1]["path"] == "/fixed"
    assert json.loads(recorder.requests[-1]["body"])["data"]["to_status"] == "in_progress"


def test_retry_waits_for_the_backoff(world: World, hooks_server, settings) -> None:  # type: ignore[no-untyped-def]
    settings.NOTIFY_WEBHOOK_BACKOFF = [3600]
    url, recorder = hooks_server
    _endpoint(world, url + "/fail", ["feedback.created"])
    feedback(world.alpha, "Hello")
    run_pending_tasks()
    delivery = OutgoingDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 1 and len(recorder.requests) == 1


def test_trend_detected_signal_becomes_an_event(world: World, hooks_server) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    url, recorder = hooks_server
    _endpoint(world, url, ["insight.trend_detected"])
    theme = Theme.objects.create(workspace=world.alpha, name="Export to PDF")
    alert = TrendAlert.objects.create(
        workspace=world.alpha,
        theme=theme,
        metric="items",
        window_start=dt.date(2026, 1, 5),
        window_end=dt.date(2026, 1, 18),
        recent=12,
        baseline=6,
        recent_weeks=2,
        baseline_weeks=12,
        ratio=12.0,
        p_value=0.001,
        q_value=0.01,
    )
    trend_detected.send(sender=TrendAlert, alert=alert, workspace=world.alpha)
    run_pending_tasks()
    (request,) = recorder.requests
    assert json.loads(request["body"])["data"]["theme"] == "Export to PDF"


def test_endpoint_validation_and_permissions(world: World) -> None:
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError):
        webhooks.create_endpoint(world.actor(world.alice), name="x", url="ftp://nope", events=["feedback.created"])
    with pytest.raises(ValidationError):
        webhooks.create_endpoint(world.actor(world.alice), name="x", url="https://a.test", events=["nope"])
    with pytest.raises(PermissionDenied):
        webhooks.create_endpoint(world.actor(world.bob), name="x", url="https://a.test", events=["feedback.created"])
    assert webhooks.emit(world.alpha, "feedback.created", {}) == []  # nobody listening: nothing stored
    assert Actor.system(world.alpha)
