"""Saved views API (/api/savedviews/): the token creator's own views; nobody else's are ever visible."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from harken.core.apierrors import ErrorOut as Error
from harken.savedviews import actions, queries
from harken.savedviews.models import SavedView
from harken.workspaces.api_auth import actor_of, token_auth

router = Router(auth=token_auth, tags=["saved views"])


class SavedViewIn(Schema):
    page: str
    name: str
    query: str = ""


class SavedViewOut(Schema):
    id: int
    page: str
    name: str
    query: str
    created_at: datetime

    @staticmethod
    def of(view: SavedView) -> SavedViewOut:
        return SavedViewOut(id=view.pk, page=view.page, name=view.name, query=view.query, created_at=view.created_at)


@router.get("/", response=list[SavedViewOut])
def list_views(request: HttpRequest, page: str | None = None) -> list[SavedViewOut]:
    """Your saved views (the token creator's), optionally of one page (`overview`, `inbox`, `themes`, `problems`, `trends`)."""
    return [SavedViewOut.of(v) for v in queries.views_for(actor_of(request), page)]


@router.post("/", response={201: SavedViewOut, 422: Error})
def create_view(request: HttpRequest, payload: SavedViewIn) -> Status:
    """Save a query string (e.g. `segment=3&since=2026-01-01`) under a name, for one page."""
    view = actions.create_view(actor_of(request), payload.page, payload.name, payload.query)
    return Status(201, SavedViewOut.of(view))


@router.delete("/{view_id}", response={204: None})
def delete_view(request: HttpRequest, view_id: int) -> Status:
    actor = actor_of(request)
    actions.delete_view(actor, get_object_or_404(queries.views_for(actor), pk=view_id))
    return Status(204, None)
