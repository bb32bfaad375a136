"""Issue-tracker links and real signed GitHub/GitLab webhook requests moving items."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from harken.roadmap import trackers
from tests.base import World
from tests.roadmap.helpers import item

pytestmark = pytest.mark.django_db


def test_issue_urls_are_recognised_and_bad_ones_refused(world: World) -> None:
    assert trackers.parse_issue_url("https://github.com/acme/app/issues/12") == ("github", "acme/app#12")
    assert trackers.parse_issue_url("https://github.com/acme/app/pull/3") == ("github", "acme/app!3")
    assert trackers.parse_issue_url("https://gitlab.com/acme/sub/app/-/issues/9") == ("gitlab", "acme/sub/app#9")
    assert trackers.parse_issue_url("https://acme.atlassian.net/browse/MOB-42") == ("jira", "MOB-42")
    assert trackers.parse_issue_url("https://linear.app/acme/issue/ENG-7/offline-mode") == ("linear", "ENG-7")
    for bad in ["", "javascript:alert(1)", "https://example.com/x", "http://github.com/a/b/issues/1"]:
        with pytest.raises(ValidationError):
            trackers.parse_issue_url(bad)
    it = item(world.alpha)
    trackers.link_issue(world.actor(world.bob), it, "https://github.com/acme/app/issues/12")
    with pytest.raises(ValidationError):
        trackers.link_issue(world.actor(world.bob), it, "https://github.com/acme/app/issues/12/")


def _github(client: Client, hook, event: str, payload: dict, secret: str | None = None):  # type: ignore[no-untyped-def]
    body = json.dumps(payload).encode()
    mac = hmac.new((secret or trackers.secret_for(hook)).encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        f"/roadmap/hooks/{hook.public_id}/",
        data=body,
        content_type="application/json",
        HTTP_X_GITHUB_EVENT=event,
        HTTP_X_HUB_SIGNATURE_256=f"sha256={mac}",
    )


def test_github_issue_closed_and_pr_merged_ship_the_item(world: World, client: Client) -> None:
    it = item(world.alpha, status="in_progress")
    bob = world.actor(world.bob)
    trackers.link_issue(bob, it, "https://github.com/acme/app/issues/12")
    trackers.link_issue(bob, it, "https://github.com/acme/app/pull/13")
    hook = trackers.create_hook(world.actor(world.alice), "github")
    issue = {
        "action": "closed",
        "issue": {"html_url": "https://github.com/acme/app/issues/12"},
        "repository": {"full_name": "acme/app"},
    }
    assert _github(client, hook, "issues", issue, secret="wrong").status_code == 401
    response = _github(client, hook, "issues", issue)
    assert response.status_code == 200 and response.json()["moved"] == []  # the PR is still open
    it.refresh_from_db()
    assert it.status == "in_progress"
    pr = {
        "action": "closed",
        "pull_request": {"merged": True, "html_url": "https://github.com/acme/app/pull/13"},
        "repository": {"full_name": "acme/app"},
    }
    assert _github(client, hook, "pull_request", pr).json()["moved"] == [it.pk]
    it.refresh_from_db()
    assert it.status == "shipped" and it.status_changes.first().source == "github"
    assert _github(client, hook, "ping", {"zen": "hi"}).json()["action"] == "ignored"


def test_github_release_ships_items_whose_issues_are_closed(world: World, client: Client) -> None:
    it = item(world.alpha, status="in_progress")
    link = trackers.link_issue(world.actor(world.bob), it, "https://github.com/acme/app/issues/5")
    link.state = "closed"
    link.save()
    hook = trackers.create_hook(world.actor(world.alice), "github", done_status="shipped")
    release = {
        "action": "published",
        "release": {"html_url": "https://github.com/acme/app/releases/v2"},
        "repository": {"full_name": "acme/app"},
    }
    assert _github(client, hook, "release", release).json()["moved"] == [it.pk]


def test_gitlab_token_and_merge_request(world: World, client: Client) -> None:
    it = item(world.alpha, status="planned")
    trackers.link_issue(world.actor(world.bob), it, "https://gitlab.com/acme/app/-/merge_requests/4")
    hook = trackers.create_hook(world.actor(world.alice), "gitlab")
    body = {
        "object_kind": "merge_request",
        "object_attributes": {"action": "merge", "url": "https://gitlab.com/acme/app/-/merge_requests/4"},
        "project": {"path_with_namespace": "acme/app"},
    }
    bad = client.post(
        f"/roadmap/hooks/{hook.public_id}/", data=body, content_type="application/json", HTTP_X_GITLAB_TOKEN="nope"
    )
    assert bad.status_code == 401
    ok = client.post(
        f"/roadmap/hooks/{hook.public_id}/",
        data=body,
        content_type="application/json",
        HTTP_X_GITLAB_TOKEN=trackers.secret_for(hook),
    )
    assert ok.status_code == 200 and ok.json()["moved"] == [it.pk]
    garbage = client.post(
        f"/roadmap/hooks/{hook.public_id}/",
        data=b"not json",
        content_type="application/json",
        HTTP_X_GITLAB_TOKEN=trackers.secret_for(hook),
    )
    assert garbage.status_code == 400
    assert client.post("/roadmap/hooks/trk_unknown/", data={}).status_code == 404


def test_a_hook_only_moves_its_own_workspace(world: World, client: Client) -> None:
    theirs = item(world.bravo, status="planned")
    trackers.link_issue(world.actor(world.charlie), theirs, "https://github.com/acme/app/issues/1")
    hook = trackers.create_hook(world.actor(world.alice), "github")
    issue = {
        "action": "closed",
        "issue": {"html_url": "https://github.com/acme/app/issues/1"},
        "repository": {"full_name": "acme/app"},
    }
    assert _github(client, hook, "issues", issue).json()["moved"] == []
    theirs.refresh_from_db()
    assert theirs.status == "planned"
