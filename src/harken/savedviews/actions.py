"""Saved views: create and delete. Anyone in the workspace (viewers too) keeps their own views.

Side effects: none beyond the row (no tasks, no signals)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from harken.savedviews.models import PAGES, SavedView
from harken.workspaces.access import Actor

MAX_VIEWS_PER_PAGE = 30
# never saved: pagination, CSRF tokens and htmx noise
DROPPED_PARAMS = {"page", "csrfmiddlewaretoken", "next"}


def clean_query(query: str) -> str:
    """A query string kept as parameters (no leading '?', no page number), re-encoded safely."""
    pairs = [(k, v) for k, v in parse_qsl(query.lstrip("?"), keep_blank_values=False) if k not in DROPPED_PARAMS]
    return urlencode(pairs)[:2000]


def create_view(actor: Actor, page: str, name: str, query: str) -> SavedView:
    if actor.user is None:
        raise PermissionDenied("Saved views belong to a person.")
    errors: dict[str, str] = {}
    name = " ".join((name or "").replace("\x00", "").split())
    if page not in PAGES:
        errors["page"] = f"Unknown page “{str(page)[:40]}” (use one of: {', '.join(PAGES)})."
    if not name:
        errors["name"] = "Give the view a name."
    elif len(name) > 80:
        errors["name"] = "Names are at most 80 characters."
    if "\x00" in (query or "") or len(query or "") > 2000:
        errors["query"] = "The query must be text of at most 2000 characters."
    if errors:
        raise ValidationError(errors)
    mine = actor.workspace.saved_views.filter(user=actor.user, page=page)
    if mine.count() >= MAX_VIEWS_PER_PAGE:
        raise ValidationError({"name": f"At most {MAX_VIEWS_PER_PAGE} saved views per page; delete one first."})
    view = SavedView(
        workspace=actor.workspace,
        user=actor.user,
        page=page,
        name=name,
        query=clean_query(query or ""),
        position=mine.count(),
    )
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError:
        raise ValidationError({"name": f"You already have a view called “{name}” here."}) from None
    return view


def delete_view(actor: Actor, view: SavedView) -> None:
    """Only the owner deletes a view (the callers look it up among the actor's own anyway)."""
    if view.workspace_id != actor.workspace.pk or actor.user is None or view.user_id != actor.user.pk:
        raise PermissionDenied("Not your saved view.")
    view.delete()
