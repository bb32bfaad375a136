"""Issue-tracker links and the incoming GitHub/GitLab webhook that moves linked items.

Links: GitHub/GitLab issues and pull/merge requests, Jira and Linear issues, by URL.
Incoming (POST /roadmap/hooks/<public_id>/):
- GitHub: `X-Hub-Signature-256: sha256=<HMAC-SHA256(secret, body)>`, `X-GitHub-Event`.
- GitLab: `X-Gitlab-Token: <secret>`, `X-Gitlab-Event`.
The secret is derived from SECRET_KEY and the hook's salt (never stored). Events:
- issue closed / PR (MR) merged → the link is marked closed; an item whose tracker links are all
  closed moves to the hook's done status (default: the first "done" status, e.g. Shipped);
- issue reopened → the link is open again (the item is not moved back automatically);
- release published → items linked to that repository whose links are all closed ship too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from harken.roadmap import statuses as st
from harken.roadmap.models import IssueLink, IssueProvider, RoadmapItem, StatusKind, TrackerHook
from harken.workspaces.access import Actor
from harken.workspaces.models import Role

PATTERNS = [
    (IssueProvider.GITHUB, re.compile(r"^https://github\.com/([\w.-]+/[\w.-]+)/(issues|pull)/(\d+)/?$")),
    (IssueProvider.GITLAB, re.compile(r"^https://[\w.-]*gitlab[\w.-]*/([\w./-]+?)/-/(issues|merge_requests)/(\d+)/?$")),
    (IssueProvider.JIRA, re.compile(r"^https://[\w.-]+/browse/([A-Z][A-Z0-9]+-\d+)/?$")),
    (IssueProvider.LINEAR, re.compile(r"^https://linear\.app/[\w-]+/issue/([A-Z][A-Z0-9]+-\d+)(?:/[\w-]*)?/?$")),
]


def parse_issue_url(url: str) -> tuple[str, str]:
    url = (url or "").strip()
    for provider, pattern in PATTERNS:
        m = pattern.match(url)
        if m:
            if provider in (IssueProvider.GITHUB, IssueProvider.GITLAB):
                sep = "!" if m.group(2) in ("pull", "merge_requests") else "#"
                return provider, f"{m.group(1)}{sep}{m.group(3)}"
            return provider, m.group(1)
    raise ValidationError(
        {"url": "Paste a GitHub or GitLab issue/pull request, Jira (…/browse/KEY-1) or Linear issue address."}
    )


def _normalise(url: str) -> str:
    return url.strip().rstrip("/")


def link_issue(actor: Actor, item: RoadmapItem, url: str) -> IssueLink:
    actor.require(Role.MEMBER)
    if item.workspace_id != actor.workspace.pk:
        raise ValidationError("That item belongs to another workspace.")
    if item.deleted_at is not None:
        raise ValidationError("This roadmap item was deleted.")
    provider, reference = parse_issue_url(url)
    try:
        with transaction.atomic():
            return IssueLink.objects.create(
                workspace=actor.workspace, item=item, provider=provider, url=_normalise(url), reference=reference
            )
    except IntegrityError:
        raise ValidationError({"url": "That issue is already linked."}) from None


def unlink_issue(actor: Actor, link: IssueLink) -> None:
    actor.require(Role.MEMBER)
    if link.workspace_id != actor.workspace.pk:
        raise ValidationError("That link belongs to another workspace.")
    link.delete()


# ---------------------------------------------------------------- incoming hooks


def secret_for(hook: TrackerHook) -> str:
    mac = hmac.new(settings.SECRET_KEY.encode(), f"roadmap.tracker:{hook.salt}".encode(), hashlib.sha256)
    return "htrk_" + mac.hexdigest()[:40]


def create_hook(actor: Actor, provider: str, done_status: str = "") -> TrackerHook:
    actor.require(Role.ADMIN)
    if provider not in (IssueProvider.GITHUB, IssueProvider.GITLAB):
        raise ValidationError({"provider": "GitHub or GitLab."})
    if done_status and done_status not in st.status_map(actor.workspace):
        raise ValidationError({"done_status": "Pick one of this workspace's statuses."})
    hook = actor.workspace.roadmap_tracker_hooks.filter(provider=provider).first()
    if hook is None:
        hook = TrackerHook(workspace=actor.workspace, provider=provider, public_id="trk_" + secrets.token_urlsafe(12))
    hook.salt = secrets.token_hex(16)  # creating again rotates the secret
    hook.done_status = done_status
    hook.save()
    return hook


class HookRejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def verify(hook: TrackerHook, headers: Any, body: bytes) -> None:
    secret = secret_for(hook)
    if hook.provider == IssueProvider.GITHUB:
        given = headers.get("X-Hub-Signature-256", "")
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if not given or not hmac.compare_digest(given, expected):
            raise HookRejected(401, "Bad or missing X-Hub-Signature-256.")
    else:
        if not hmac.compare_digest(headers.get("X-Gitlab-Token", ""), secret):
            raise HookRejected(401, "Bad or missing X-Gitlab-Token.")


def _event(hook: TrackerHook, headers: Any, data: dict[str, Any]) -> tuple[str, str, str]:
    """(action, url, repository) in provider-neutral terms: closed, reopened, released, or ignored."""
    if hook.provider == IssueProvider.GITHUB:
        kind = headers.get("X-GitHub-Event", "")
        action = data.get("action", "")
        repo = (data.get("repository") or {}).get("full_name", "")
        if kind == "issues" and action in ("closed", "reopened"):
            return action, (data.get("issue") or {}).get("html_url", ""), repo
        if kind == "pull_request" and action == "closed" and (data.get("pull_request") or {}).get("merged"):
            return "closed", data["pull_request"].get("html_url", ""), repo
        if kind == "release" and action in ("published", "released"):
            return "released", (data.get("release") or {}).get("html_url", ""), repo
        return "ignored", "", repo
    kind = data.get("object_kind", "")
    attrs = data.get("object_attributes") or {}
    repo = (data.get("project") or {}).get("path_with_namespace", "")
    if kind == "issue" and attrs.get("action") in ("close", "reopen"):
        return ("closed" if attrs["action"] == "close" else "reopened"), attrs.get("url", ""), repo
    if kind == "merge_request" and attrs.get("action") == "merge":
        return "closed", attrs.get("url", ""), repo
    if kind == "release" and data.get("action") in ("create", "update"):
        return "released", data.get("url", ""), repo
    return "ignored", "", repo


def _ship_if_done(hook: TrackerHook, item: RoadmapItem, source: str) -> bool:
    from harken.roadmap.actions import change_status

    if item.deleted_at is not None or item.issue_links.exclude(state="closed").exists():
        return False
    target = hook.done_status or (st.first_of_kind(hook.workspace, StatusKind.DONE) or st.DEFAULTS[4]).key
    if item.status == target or st.status_of(hook.workspace, item.status).kind == StatusKind.DONE:
        return False
    change_status(Actor.system(hook.workspace), item, target, source=source, note="Moved by the issue tracker")
    return True


def receive(hook: TrackerHook, headers: Any, body: bytes) -> dict[str, Any]:
    """Verify and apply one delivery; returns what happened (also stored on the hook)."""
    verify(hook, headers, body)
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise HookRejected(400, "The body is not JSON.") from None
    if not isinstance(data, dict):
        raise HookRejected(400, "The body must be a JSON object.")
    action, url, repo = _event(hook, headers, data)
    moved: list[int] = []
    with transaction.atomic():
        links = hook.workspace.roadmap_issue_links.select_related("item")
        if action in ("closed", "reopened") and url:
            matched = list(links.filter(url=_normalise(url)))
            for link in matched:
                link.state = "closed" if action == "closed" else "open"
                link.save(update_fields=["state", "updated_at"])
            if action == "closed":
                for item in {lnk.item for lnk in matched}:
                    if _ship_if_done(hook, item, hook.provider):
                        moved.append(item.pk)
        elif action == "released" and repo:
            for item in {lnk.item for lnk in links.filter(reference__startswith=repo + "#")} | {
                lnk.item for lnk in links.filter(reference__startswith=repo + "!")
            }:
                if _ship_if_done(hook, item, hook.provider):
                    moved.append(item.pk)
        result = f"{action}: moved {len(moved)} item(s)" if action != "ignored" else "ignored event"
        hook.last_received_at = timezone.now()
        hook.last_result = result[:300]
        hook.save(update_fields=["last_received_at", "last_result", "updated_at"])
    return {"action": action, "moved": moved, "result": result}
