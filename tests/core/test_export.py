"""`harken export --workspace SLUG`: everything a workspace owns, nothing of anyone else's, no secrets."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.apps import apps
from typer.testing import CliRunner

from harken.cli import app
from harken.core.export import scoped_models
from harken.feedback.actions import create_feedback
from harken.workspaces.models import ApiToken, AuditAction, AuditEvent
from tests.base import World, make_token

runner = CliRunner()


@pytest.fixture
def seeded(world: World) -> World:
    for n in range(3):
        create_feedback(world.actor(world.alice), text=f"Alpha wants CSV export #{n}", tags="export, csv")
    create_feedback(world.actor(world.charlie), text="Bravo secret roadmap wish")
    make_token(world.alpha, world.alice)
    return world


def test_every_model_with_a_workspace_is_discovered() -> None:
    labels = {s.label for s in scoped_models()}
    workspace_model = apps.get_model("workspaces.Workspace")
    for model in apps.get_models():
        if any(getattr(f, "related_model", None) is workspace_model for f in model._meta.concrete_fields):
            assert model._meta.label in labels
    assert {"feedback.Feedback", "triage.Triage", "customers.Account", "notify.OutboundEmail"} <= labels


@pytest.mark.django_db
def test_json_export_has_the_workspaces_rows_only_and_no_secrets(seeded: World, tmp_path: Path) -> None:
    out = tmp_path / "alpha.json"
    result = runner.invoke(app, ["export", "--workspace", "alpha", "--output", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["workspace"]["slug"] == "alpha"
    texts = sorted(row["text"] for row in data["models"]["feedback.Feedback"])
    assert texts == [f"Alpha wants CSV export #{n}" for n in range(3)]
    assert {row["name"] for row in data["models"]["feedback.Tag"]} == {"export", "csv"}
    assert all(len(row["tags"]) == 2 for row in data["models"]["feedback.Feedback"])
    assert len(data["models"]["triage.Triage"]) == 3
    assert {u["email"] for u in data["users"]} == {"alice@alpha.test", "bob@alpha.test", "vera@alpha.test"}
    raw = out.read_text()
    assert "Bravo" not in raw and "charlie@bravo.test" not in raw
    assert "password" not in raw
    token = ApiToken.objects.get(workspace=seeded.alpha)
    assert token.token_hash not in raw
    assert data["models"]["workspaces.ApiToken"][0]["hint"] == token.hint
    assert "token_hash" in data["manifest"]["omitted_fields"]["workspaces.ApiToken"]
    assert data["manifest"]["counts"]["feedback.Feedback"] == 3
    [event] = AuditEvent.objects.filter(workspace=seeded.alpha, action=AuditAction.EXPORTED)
    assert event.target.startswith("harken export --format json")


@pytest.mark.django_db
def test_csv_export_is_a_zip_of_one_csv_per_model(seeded: World, tmp_path: Path) -> None:
    out = tmp_path / "alpha.zip"
    result = runner.invoke(app, ["export", "--workspace", "alpha", "--format", "csv", "--output", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        assert {"manifest.json", "feedback.Feedback.csv", "workspaces.Workspace.csv", "accounts.User.csv"} <= names
        feedback = list(csv.DictReader(io.StringIO(archive.read("feedback.Feedback.csv").decode())))
        manifest = json.loads(archive.read("manifest.json"))
    assert sorted(r["text"] for r in feedback) == [f"Alpha wants CSV export #{n}" for n in range(3)]
    assert len(json.loads(feedback[0]["tags"])) == 2
    assert manifest["counts"]["feedback.Feedback"] == 3


@pytest.mark.django_db
def test_export_of_an_unknown_workspace_says_so(world: World) -> None:
    result = runner.invoke(app, ["export", "--workspace", "nope"])
    assert result.exit_code == 1
    assert "No workspace with the slug 'nope'" in result.output
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORTED).exists()
