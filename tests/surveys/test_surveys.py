"""Sending, answering (tokens, last answer wins, bad input), reminders, throttling, results and the API."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from harken.core.taskrun import run_pending_tasks
from harken.feedback.models import Channel, Feedback
from harken.notify.models import OutboundEmail
from harken.surveys import actions
from harken.surveys.models import Invitation, Response
from harken.triage.models import Triage
from tests.base import World, make_token
from tests.notify.mailbox import Mailbox
from tests.surveys.helpers import link_in, make_contact, make_survey, path_of


def _send_one(world: World, mailbox: Mailbox, email: str = "dana@acme.test", kind: str = "nps") -> tuple[str, object]:
    contact = make_contact(world.alpha, email)
    survey = make_survey(world.alpha, kind)
    result = actions.send_survey(world.actor(world.bob), survey, contacts=[contact])
    assert len(result.sent) == 1
    run_pending_tasks()
    message = next(m for m in mailbox.messages if m["To"] == email)
    return path_of(link_in(message)), survey


def test_invitation_email_answer_and_last_answer_wins(world: World, mailbox: Mailbox) -> None:
    path, survey = _send_one(world, mailbox)
    # the outbox never stores the link in clear, and neither does the invitation
    stored = OutboundEmail.objects.get(kind="survey_invitation")
    assert "/s/" not in stored.text and "survey link hidden" in stored.text
    token = path.strip("/").split("/")[-1]
    assert Invitation.objects.get().token_hash != token
    client = Client()
    page = client.get(path + "?score=9")
    assert page.status_code == 200 and b'value="9" checked' in page.content
    assert Response.objects.count() == 0  # reads never write
    assert client.post(path, {"score": "3", "comment": "Exports keep failing"}).status_code == 302
    first = Response.objects.get()
    assert first.score == 3 and first.current and first.contact.email == "dana@acme.test"
    item = first.feedback
    assert item is not None and item.channel == Channel.SURVEY and item.text == "Exports keep failing"
    assert {t.name for t in item.tags.all()} >= {"survey", "detractor"}
    assert Triage.objects.filter(feedback=item).exists()  # the detractor waits in triage with its SLA
    again = client.get(path)
    assert b"Sending again replaces your answer" in again.content
    assert client.post(path, {"score": "10", "comment": ""}).status_code == 302
    answers = list(Response.objects.order_by("pk"))
    assert [(a.score, a.current) for a in answers] == [(3, False), (10, True)]
    detail = world.client_for(world.vera).get(reverse("surveys:detail", kwargs={"ws": "alpha", "pk": survey.pk}))
    assert detail.status_code == 200 and b"not enough data" in detail.content


def test_scores_outside_the_scale_are_refused_and_keep_the_comment(world: World, mailbox: Mailbox) -> None:
    path, _ = _send_one(world, mailbox, kind="csat")
    client = Client()
    for bad in ("0", "6", "-1", "abc", "", "1e3", "4.5"):
        response = client.post(path, {"score": bad, "comment": "kept <b>text</b>"})
        assert response.status_code == 400, bad
        assert b"kept &lt;b&gt;text&lt;/b&gt;" in response.content
    assert Response.objects.count() == 0
    assert client.post(path, {"score": "5"}).status_code == 302
    assert Response.objects.get().feedback is None  # satisfied and silent: no feedback item


def test_forged_expired_and_closed_links(world: World, mailbox: Mailbox) -> None:
    path, survey = _send_one(world, mailbox)
    client = Client()
    assert client.get("/s/forged-token-123/").status_code == 404
    assert client.post("/s/forged-token-123/", {"score": "9"}).status_code == 404
    assert client.get("/s/" + "x" * 300 + "/").status_code == 404
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    expired = client.post(path, {"score": "9"})
    assert expired.status_code == 410 and b"expired" in expired.content
    Invitation.objects.update(expires_at=timezone.now() + dt.timedelta(days=1))
    actions.close_survey(world.actor(world.bob), survey)
    assert client.post(path, {"score": "9"}).status_code == 410
    assert Response.objects.count() == 0


def test_throttling_skips_anyone_surveyed_recently(world: World, mailbox: Mailbox) -> None:
    contact = make_contact(world.alpha, "erin@acme.test")
    make_contact(world.alpha, "finn@acme.test")
    first = make_survey(world.alpha, "nps", throttle_days=30)
    assert len(actions.send_survey(world.actor(world.bob), first, contacts=[contact]).sent) == 1
    second = make_survey(world.alpha, "csat", throttle_days=30)
    result = actions.send_survey(world.actor(world.bob), second)
    assert [i.email for i in result.sent] == ["finn@acme.test"]
    assert result.throttled == ["erin@acme.test"]
    Invitation.objects.update(sent_at=timezone.now() - dt.timedelta(days=31))
    third = make_survey(world.alpha, "free", throttle_days=30)
    assert len(actions.send_survey(world.actor(world.bob), third).sent) == 2
    # Bravo's invitations never throttle Alpha's people
    make_contact(world.bravo, "erin@acme.test")
    assert len(actions.send_survey(world.actor(world.charlie, world.bravo), make_survey(world.bravo)).sent) == 1


def test_reminder_once_with_a_new_link_and_the_old_one_still_works(world: World, mailbox: Mailbox) -> None:
    path, survey = _send_one(world, mailbox)
    assert actions.send_reminders() == 0  # too early
    later = timezone.now() + dt.timedelta(days=survey.remind_after_days, minutes=1)
    assert actions.send_reminders(later) == 1
    assert actions.send_reminders(later) == 0
    run_pending_tasks()
    reminder = next(m for m in mailbox.messages if m["Subject"].startswith("Reminder"))
    new_path = path_of(link_in(reminder))
    assert new_path != path
    client = Client()
    assert client.get(new_path).status_code == 200 and client.get(path).status_code == 200
    assert client.post(new_path, {"score": "8"}).status_code == 302
    assert actions.send_reminders(later + dt.timedelta(days=9)) == 0


def test_shared_link_answers_and_free_question(world: World) -> None:
    survey = make_survey(world.alpha, "free", shareable=True)
    url = reverse("surveys_public:shared", kwargs={"key": survey.share_key})
    client = Client()
    assert client.post(url, {"comment": ""}).status_code == 400
    assert client.post(url, {"comment": "More integrations", "email": "not-an-email"}).status_code == 400
    assert client.post(url, {"comment": "More integrations", "email": "zed@acme.test"}).status_code == 302
    assert client.post(url, {"comment": "Better exports", "email": "zed@acme.test"}).status_code == 302
    assert [r.current for r in Response.objects.order_by("pk")] == [False, True]
    assert Feedback.objects.filter(workspace=world.alpha, channel=Channel.SURVEY).count() == 2
    assert client.get(reverse("surveys_public:shared", kwargs={"key": "nope"})).status_code == 404
    for _ in range(20):  # a flood from one address is refused, and records nothing more
        last = client.post(url, {"comment": "spam"})
    assert last.status_code == 429
    assert Response.objects.filter(comment="spam").count() <= 10
    # the share link is shown to members only
    detail = reverse("surveys:detail", kwargs={"ws": "alpha", "pk": survey.pk})
    assert survey.share_key.encode() in world.client_for(world.bob).get(detail).content
    assert survey.share_key.encode() not in world.client_for(world.vera).get(detail).content


def test_results_trend_and_breakdown(world: World) -> None:
    from harken.surveys import queries

    survey = make_survey(world.alpha, "nps")
    big = make_contact(world.alpha, "a@big.test", segment="Enterprise", plan="Scale")
    small = make_contact(world.alpha, "b@small.test", segment="SMB", plan="Pro")
    now = timezone.now()
    for month, scores in ((2, [10] * 6 + [3] * 6), (1, [10] * 8 + [8] * 4), (0, [9] * 10 + [0] * 2)):
        for i, score in enumerate(scores):
            contact = big if i % 2 else small
            Response.objects.create(
                workspace=world.alpha,
                survey=survey,
                contact=contact,
                account=contact.account,
                score=score,
                answered_at=now - dt.timedelta(days=31 * month + 1),
            )
    r = queries.results(survey)
    assert r["score"].n == 36 and r["score"].enough
    assert round(r["score"].value, 2) == round(100 * (24 - 8) / 36, 2)
    assert [round(t["score"].value) for t in r["trend"]][-3:] == [0, 67, 67]
    assert r["chart"] is not None
    segment = next(b for b in r["breakdowns"] if b["key"] == "segment")
    assert {g["name"] for g in segment["rows"]} == {"Enterprise", "SMB"}
    page = world.client_for(world.vera).get(reverse("surveys:detail", kwargs={"ws": "alpha", "pk": survey.pk}))
    assert page.status_code == 200 and b"95% CI" in page.content and b"By segment" in page.content


def test_api_create_send_results_and_scoping(world: World, mailbox: Mailbox) -> None:
    make_contact(world.alpha, "gil@acme.test")
    token = make_token(world.alpha, world.alice)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    created = client.post("/api/surveys/", json.dumps({"name": "Q4 NPS"}), content_type="application/json")
    assert created.status_code == 201, created.content
    sid = created.json()["id"]
    bad = client.post("/api/surveys/", json.dumps({"name": "x", "kind": "stars"}), content_type="application/json")
    assert bad.status_code == 422
    foreign = make_contact(world.bravo, "spy@bravo-co.test")
    refused = client.post(
        f"/api/surveys/{sid}/send", json.dumps({"contact_ids": [foreign.pk]}), content_type="application/json"
    )
    assert refused.status_code == 422
    sent = client.post(f"/api/surveys/{sid}/send", "{}", content_type="application/json")
    assert sent.json() == {"sent": 1, "throttled": 0, "without_email": 0}
    results = client.get(f"/api/surveys/{sid}/results").json()
    assert results["score"]["n"] == 0 and results["score"]["enough"] is False
    assert [s["name"] for s in client.get("/api/surveys/").json()] == ["Q4 NPS"]
    make_survey(world.bravo)
    assert len(client.get("/api/surveys/").json()) == 1


def test_cli_lists_surveys_with_their_score(world: World) -> None:
    from typer.testing import CliRunner

    from harken.cli import app

    survey = make_survey(world.alpha, "csat", shareable=True)
    for score in [5] * 8 + [2] * 2:
        actions.record_answer(survey, score=score)
    result = CliRunner().invoke(app, ["surveys", "list", "-w", "alpha"])
    assert result.exit_code == 0, result.output
    assert "80" in result.output and "49 to 94" in result.output
    assert CliRunner().invoke(app, ["surveys", "list", "-w", "nope"]).exit_code == 1
    assert "Queued 0 reminder" in CliRunner().invoke(app, ["surveys", "send-reminders"]).output


def test_thresholds_default_from_the_workspace_and_are_validated(world: World) -> None:
    from django.core.exceptions import PermissionDenied, ValidationError

    from harken.surveys.models import SurveySettings, band

    owner, member = world.actor(world.alice), world.actor(world.bob)
    standard = actions.create_survey(member, name="Standard", kind="csat")
    assert (standard.throttle_days, standard.remind_after_days, standard.csat_satisfied_from) == (90, 4, 4)
    with pytest.raises(PermissionDenied):
        actions.update_settings(member, throttle_days=30)
    for bad in (
        {"csat_satisfied_from": 1},
        {"csat_satisfied_from": 6},
        {"throttle_days": -1},
        {"remind_after_days": 366},
        {"expires_after_days": 0},
        {"throttle_days": "30"},
        {"throttle_days": True},
    ):
        with pytest.raises(ValidationError):
            actions.update_settings(owner, **bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        actions.update_settings(owner, nps_promoter_from=8)  # NPS bands are the standard, fixed
    actions.update_settings(owner, throttle_days=30, remind_after_days=0, csat_satisfied_from=5)
    assert SurveySettings.objects.get(workspace=world.alpha).expires_after_days == 30
    new = actions.create_survey(member, name="Strict", kind="csat")
    assert (new.throttle_days, new.remind_after_days, new.csat_satisfied_from) == (30, 0, 5)
    assert actions.create_survey(member, name="Own", kind="csat", csat_satisfied_from=3).csat_satisfied_from == 3
    assert standard.csat_satisfied_from == 4  # existing surveys keep theirs
    with pytest.raises(ValidationError):
        actions.create_survey(member, name="Bad", kind="csat", csat_satisfied_from=7)
    # bravo is untouched
    assert actions.survey_settings(world.bravo).throttle_days == 90
    # the band follows the survey's threshold; NPS bands do not move
    assert band("csat", 4, 5) == "unsatisfied" and band("csat", 4) == "satisfied"
    assert [band("nps", s) for s in (6, 7, 8, 9)] == ["detractor", "passive", "passive", "promoter"]


def test_a_strict_csat_survey_sends_a_4_to_triage_as_unsatisfied(world: World) -> None:
    survey = make_survey(world.alpha, "csat", csat_satisfied_from=5)
    response = actions.record_answer(survey, score=4, comment="Okay, but slow", email="a@x.test")
    assert response.band == "unsatisfied" and response.feedback.tags.filter(name="unsatisfied").exists()
    from harken.surveys import queries

    assert queries.results(survey)["score"].counts == {"satisfied": 0, "unsatisfied": 1}


def test_settings_page_and_api(world: World) -> None:
    from harken.surveys.models import SurveySettings

    owner = world.client_for(world.alice)
    page = owner.get("/w/alpha/surveys/settings/")
    assert page.status_code == 200 and "Save defaults" in page.content.decode()
    bad = owner.post(
        "/w/alpha/surveys/settings/",
        {"throttle_days": "-3", "remind_after_days": "4", "expires_after_days": "30", "csat_satisfied_from": "9"},
    )
    assert bad.status_code == 400 and not SurveySettings.objects.exists()
    ok = owner.post(
        "/w/alpha/surveys/settings/",
        {"throttle_days": "45", "remind_after_days": "2", "expires_after_days": "20", "csat_satisfied_from": "5"},
    )
    assert ok.status_code == 302
    form = owner.get("/w/alpha/surveys/new/").content.decode()
    assert 'value="45"' in form and 'value="5"' in form
    viewer = world.client_for(world.vera).get("/w/alpha/surveys/settings/").content.decode()
    assert "Save defaults" not in viewer and "45 days" in viewer
    headers = {"HTTP_AUTHORIZATION": f"Bearer {make_token(world.alpha, world.bob, can_write=True)}"}
    assert Client().get("/api/surveys/settings", **headers).json() == {
        "throttle_days": 45,
        "remind_after_days": 2,
        "expires_after_days": 20,
        "csat_satisfied_from": 5,
    }
    created = (
        Client()
        .post("/api/surveys/", {"name": "API", "kind": "csat"}, content_type="application/json", **headers)
        .json()
    )
    assert created["csat_satisfied_from"] == 5 and created["throttle_days"] == 45
    bad_api = Client().post(
        "/api/surveys/", {"name": "API", "csat_satisfied_from": 0}, content_type="application/json", **headers
    )
    assert bad_api.status_code == 422 and "csat_satisfied_from" in bad_api.json()["errors"]
