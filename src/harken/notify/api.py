"""Outgoing webhooks over HTTP: list endpoints and read their delivery log (management is in the UI)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from harken.notify import webhooks
from harken.workspaces.api_auth import actor_of, token_auth

router = Router(auth=token_auth, tags=["notify"])


class EndpointOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    payload_format: str
    enabled: bool


class DeliveryOut(Schema):
    id: int
    event: str
    event_id: str
    status: str
    attempts: int
    response_code: int | None
    last_error: str
    created_at: dt.datetime
    delivered_at: dt.datetime | None


@router.get("/webhooks", response=list[EndpointOut])
def list_endpoints(request: HttpRequest) -> Any:
    return actor_of(request).workspace.outgoing_webhooks.all()


@router.get("/webhooks/{endpoint_id}/deliveries", response=list[DeliveryOut])
def list_deliveries(request: HttpRequest, endpoint_id: int, limit: int = 100) -> Any:
    ws = actor_of(request).workspace
    endpoint = get_object_or_404(ws.outgoing_webhooks, pk=endpoint_id)
    return webhooks.deliveries(ws, endpoint)[: max(1, min(limit, 500))]
