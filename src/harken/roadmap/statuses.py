"""Statuses and settings: the defaults apply until a workspace defines its own (reads never write)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from harken.roadmap.models import RoadmapSettings, RoadmapStatus, StatusKind
from harken.workspaces.models import Role, Workspace


@dataclass(frozen=True)
class StatusDef:
    key: str
    label: str
    colour: str
    kind: str
    on_roadmap: bool
    position: int = 0

    @property
    def kind_label(self) -> str:
        return StatusKind(self.kind).label


DEFAULTS = [
    StatusDef("idea", "Idea", "#64748b", StatusKind.OPEN, False, 0),
    StatusDef("under_consideration", "Under consideration", "#7c3aed", StatusKind.OPEN, True, 1),
    StatusDef("planned", "Planned", "#2563eb", StatusKind.OPEN, True, 2),
    StatusDef("in_progress", "In progress", "#d97706", StatusKind.ACTIVE, True, 3),
    StatusDef("shipped", "Shipped", "#15803d", StatusKind.DONE, True, 4),
    StatusDef("wont_do", "Won't do", "#b91c1c", StatusKind.DECLINED, False, 5),
]
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def statuses(workspace: Workspace) -> list[StatusDef]:
    rows = list(workspace.roadmap_statuses.all())
    if not rows:
        return list(DEFAULTS)
    return [StatusDef(r.key, r.label, r.colour, r.kind, r.on_roadmap, r.position) for r in rows]


def status_map(workspace: Workspace) -> dict[str, StatusDef]:
    return {s.key: s for s in statuses(workspace)}


def status_of(workspace: Workspace, key: str, known: dict[str, StatusDef] | None = None) -> StatusDef:
    known = known if known is not None else status_map(workspace)
    return known.get(key) or StatusDef(key, key.replace("_", " ").capitalize(), "#64748b", StatusKind.OPEN, False)


def first_of_kind(workspace: Workspace, kind: str) -> StatusDef | None:
    return next((s for s in statuses(workspace) if s.kind == kind), None)


def settings_for(workspace: Workspace) -> RoadmapSettings:
    """The saved settings, or unsaved defaults (a read never creates the row)."""
    try:
        return workspace.roadmap_settings
    except RoadmapSettings.DoesNotExist:
        return RoadmapSettings(workspace=workspace)


def update_settings(actor: Any, **values: Any) -> RoadmapSettings:
    actor.require(Role.ADMIN)
    allowed = {"close_days", "auto_send_delay_notices", "notify_delay_minutes", "public_roadmap"}
    unknown = set(values) - allowed
    if unknown:
        raise ValidationError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    close_days = values.get("close_days")
    if close_days is not None and not 0 <= int(close_days) <= 365:
        raise ValidationError({"close_days": "Between 0 and 365 days."})
    delay = values.get("notify_delay_minutes")
    if delay is not None and not 0 <= int(delay) <= 1440:
        raise ValidationError({"notify_delay_minutes": "Between 0 and 1,440 minutes (a day)."})
    row, _ = RoadmapSettings.objects.get_or_create(workspace=actor.workspace)
    for key, value in values.items():
        setattr(row, key, value)
    row.save()
    return row


def _materialise(workspace: Workspace) -> None:
    if not workspace.roadmap_statuses.exists():
        RoadmapStatus.objects.bulk_create(
            [
                RoadmapStatus(
                    workspace=workspace,
                    key=d.key,
                    label=d.label,
                    colour=d.colour,
                    kind=d.kind,
                    on_roadmap=d.on_roadmap,
                    position=d.position,
                )
                for d in DEFAULTS
            ]
        )


def save_status(
    actor: Any, *, label: str, colour: str, kind: str, on_roadmap: bool, key: str = "", position: int | None = None
) -> RoadmapStatus:
    """Add a status, or change the one with `key`. The first edit turns the defaults into rows."""
    actor.require(Role.ADMIN)
    label = (label or "").strip()
    errors: dict[str, str] = {}
    if not label or len(label) > 60:
        errors["label"] = "Give the status a label (up to 60 characters)."
    if not HEX.match(colour or ""):
        errors["colour"] = "A hex colour such as #16a34a."
    if kind not in StatusKind.values:
        errors["kind"] = "Pick open, active, done or declined."
    if errors:
        raise ValidationError(errors)
    ws = actor.workspace
    with transaction.atomic():
        _materialise(ws)
        if key:
            row = ws.roadmap_statuses.filter(key=key).first()
            if row is None:
                raise ValidationError({"key": "No such status."})
        else:
            base = slugify(label).replace("-", "_")[:36] or "status"
            new_key, n = base, 2
            while ws.roadmap_statuses.filter(key=new_key).exists():
                new_key, n = f"{base}_{n}", n + 1
            last = ws.roadmap_statuses.order_by("-position").first()
            row = RoadmapStatus(workspace=ws, key=new_key, position=(last.position + 1) if last else 0)
        row.label, row.colour, row.kind, row.on_roadmap = label, colour.lower(), kind, bool(on_roadmap)
        if position is not None:
            row.position = max(0, int(position))
        row.save()
    return row


def delete_status(actor: Any, key: str) -> None:
    actor.require(Role.ADMIN)
    ws = actor.workspace
    with transaction.atomic():
        _materialise(ws)
        row = ws.roadmap_statuses.filter(key=key).first()
        if row is None:
            raise ValidationError("No such status.")
        used = ws.roadmap_items.filter(status=key, deleted_at__isnull=True).count()
        if used:
            raise ValidationError(f"{used} item(s) still have the status “{row.label}”; move them first.")
        if ws.roadmap_statuses.count() <= 1:
            raise ValidationError("Keep at least one status.")
        row.delete()
