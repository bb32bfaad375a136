"""Scorecard and PM growth pages, API and chat export import: permissions, bad input, isolation."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from harken.scorecard import rubric
from harken.scorecard.models import ChatExport, SelfAssessment
from tests.base import World, make_token
from tests.scorecard.conftest import Data

LEVELS = {k: "3" for k in rubric.PRACTICE_KEYS}


def test_scorecard_page_shows_every_metric_and_the_method(scorecard_data: Data) -> None:
    w = scorecard_data.world
    client = w.client_for(w.vera)
    page = client.get("/w/alpha/scorecard/").content.decode()
    for label in (
        "Conversations per PM per product line per week",
        "Requests answered within the SLA",
        "Requests with a decision",
        "Median time to decision",
        "Promises kept on time",
        "Delay notices sent before the date passed",
        "Roadmap items backed by customer evidence",
        "NPS / CSAT",
        "Customer-vs-internal talk index",
    ):
        assert label in page, label
    assert "No survey data yet" in page and "How the talk index is computed" in page
    assert "Not enough data for a trend" in page and "Suggested action" in page
    line = client.get("/w/alpha/scorecard/?scope=line:mobile").content.decode()
    assert "Product line: Mobile" in line
    assert 'data-testid="scope-zone">UTC<' in line
    assert client.get(f"/w/alpha/scorecard/?scope=pm:{w.bob.pk}").status_code == 200
    assert client.get("/w/alpha/scorecard/?scope=line:web").status_code == 404  # Bravo's line
    assert client.get("/w/alpha/scorecard/?scope=<script>").status_code == 404


def test_scorecard_api(scorecard_data: Data) -> None:
    w = scorecard_data.world
    headers = {"HTTP_AUTHORIZATION": f"Bearer {make_token(w.alpha, w.vera, can_write=False)}"}
    body = Client().get("/api/scorecard/?scope=line:mobile", **headers).json()
    values = {m["key"]: m["value"] for m in body["metrics"]}
    assert values["decided"] == pytest.approx(0.6) and values["survey"] is None
    assert body["scope"]["label"] == "Product line: Mobile"
    assert body["time_zone"] == "UTC"
    assert Client().get("/api/scorecard/?scope=line:web", **headers).status_code == 404
    scopes = Client().get("/api/scorecard/scopes", **headers).json()
    assert [s["key"] for s in scopes] == ["team", "line:mobile", f"pm:{w.bob.pk}"]
    outsider = {"HTTP_AUTHORIZATION": f"Bearer {make_token(w.bravo, w.charlie, can_write=False)}"}
    bravo = Client().get("/api/scorecard/", **outsider).json()
    assert {m["key"]: m["value"] for m in bravo["metrics"]}["decided"] == 1.0  # only Bravo's one item


def test_self_assessment_form_history_and_evidence(scorecard_data: Data) -> None:
    w = scorecard_data.world
    bob = w.client_for(w.bob)
    page = bob.get("/w/alpha/scorecard/growth/").content.decode()
    assert "5 conversations in the last 12 weeks" in page  # evidence from bob's own data (any line)
    assert "1 of 3 due promises kept on time" in page and "3 of 5 texts refer to customers" in page
    assert bob.post("/w/alpha/scorecard/growth/assess/", {**LEVELS, "note": "first"}).status_code == 302
    assert bob.post("/w/alpha/scorecard/growth/assess/", {**LEVELS, "talking": "5"}).status_code == 302
    bad = bob.post("/w/alpha/scorecard/growth/assess/", {**LEVELS, "talking": "9"})
    assert bad.status_code == 400 and b"1 (novice) to 5 (master)" in bad.content
    assert SelfAssessment.objects.filter(user=w.bob).count() == 2
    history = rubric.history(w.alpha, w.bob)
    assert [lvl["change"] for lvl in history[0]["levels"] if lvl["key"] == "talking"] == [2]
    page = bob.get("/w/alpha/scorecard/growth/").content.decode()
    assert "Your history" in page and "+2" in page
    assert "Bob Member" in w.client_for(w.vera).get("/w/alpha/scorecard/growth/").content.decode()
    assert "Bob Member" not in w.client_for(w.charlie).get("/w/bravo/scorecard/growth/").content.decode()


def test_assessment_api(world: World) -> None:
    token = make_token(world.alpha, world.bob)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    ok = Client().post(
        "/api/scorecard/assessments",
        data=json.dumps({"levels": {k: 2 for k in rubric.PRACTICE_KEYS}, "note": "api"}),
        content_type="application/json",
        **headers,
    )
    assert ok.status_code == 201 and ok.json()["user_email"] == world.bob.email
    bad = Client().post(
        "/api/scorecard/assessments",
        data=json.dumps({"levels": {"goals": 0, "unknown": 3}}),
        content_type="application/json",
        **headers,
    )
    assert bad.status_code == 422
    assert "talking" in bad.json()["errors"] and "levels" in bad.json()["errors"]
    rows = Client().get("/api/scorecard/assessments", **headers).json()
    assert [r["note"] for r in rows] == ["api"]
    rubric_def = Client().get("/api/scorecard/rubric", **headers).json()
    assert len(rubric_def["levels"]) == 5 and len(rubric_def["practices"]) == 6


def test_chat_export_import_feeds_the_talk_index(scorecard_data: Data) -> None:
    w = scorecard_data.world
    client = w.client_for(w.bob)
    url = "/w/alpha/scorecard/chat-exports/"
    text = "bob@alpha.test: The customer asked for SSO\nbob@alpha.test: lunch?\nsomeone: standup moved\n"
    upload = SimpleUploadedFile("chat.txt", text.encode(), content_type="text/plain")
    assert client.post(url, {"file": upload}).status_code == 302
    export = ChatExport.objects.get(workspace=w.alpha)
    assert len(export.messages) == 3
    from harken.scorecard import metrics

    team = {c.key: c.value for c in metrics.scorecard(metrics.Scope(w.alpha))}
    assert team["talk"] == pytest.approx(4 / 8)  # 3 of 5 before, + 1 of 3 chat messages
    pm = {c.key: c.value for c in metrics.scorecard(metrics.Scope(w.alpha, "pm", user=w.bob))}
    assert pm["talk"] == pytest.approx(4 / 7)  # only bob's two chat messages count for bob
    for bad in (
        SimpleUploadedFile("x.json", b"{not json", content_type="application/json"),
        SimpleUploadedFile("x.txt", b"\xff\xfe\x00bad", content_type="text/plain"),
        SimpleUploadedFile("x.json", b'{"messages": 3}', content_type="application/json"),
        SimpleUploadedFile("x.txt", b"   \n\n", content_type="text/plain"),
    ):
        response = client.post(url, {"file": bad})
        assert response.status_code == 400, bad.name
    assert client.post(url, {}).status_code == 400
    js = SimpleUploadedFile(
        "slack.json", json.dumps({"messages": [{"user": "x", "text": "Acme Corp is blocked"}]}).encode()
    )
    assert client.post(url, {"file": js}).status_code == 302
    assert ChatExport.objects.filter(workspace=w.alpha).count() == 2
    assert client.post(f"/w/alpha/scorecard/chat-exports/{export.pk}/delete/").status_code == 302
    assert not ChatExport.objects.filter(pk=export.pk).exists()


def test_cli_show(scorecard_data: Data) -> None:
    from typer.testing import CliRunner

    from harken.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["scorecard", "show", "-w", "alpha", "--scope", "line:mobile"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "Product line: Mobile" in result.output and "60 %" in result.output and "No survey data yet" in result.output
    bad = runner.invoke(app, ["scorecard", "show", "-w", "alpha", "--scope", "line:web"])
    assert bad.exit_code == 2 and "line:mobile" in bad.output
    assert runner.invoke(app, ["scorecard", "show", "-w", "nope"]).exit_code == 2
