"""Scorecard writes: a PM's self-assessment on the growth rubric, and importing a chat export."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from harken.scorecard.models import ChatExport, SelfAssessment
from harken.scorecard.rubric import LEVEL_NAMES, PRACTICE_KEYS
from harken.scorecard.talk import parse_export
from harken.workspaces.access import Actor
from harken.workspaces.models import Role

MAX_NOTE = 5000


def assess(actor: Actor, levels: Mapping[str, Any], note: str = "") -> SelfAssessment:
    """Record the acting member's own self-assessment: a level 1–5 for every practice."""
    actor.require(Role.MEMBER)
    if actor.user is None:
        raise PermissionDenied("A self-assessment belongs to a person; tokens without a user cannot make one.")
    clean: dict[str, int] = {}
    errors: dict[str, str] = {}
    for key in PRACTICE_KEYS:
        raw = levels.get(key)
        try:
            value = int(str(raw).strip())
        except (TypeError, ValueError):
            errors[key] = "Choose a level from 1 (novice) to 5 (master)."
            continue
        if value not in LEVEL_NAMES:
            errors[key] = "Choose a level from 1 (novice) to 5 (master)."
            continue
        clean[key] = value
    unknown = set(levels) - set(PRACTICE_KEYS)
    if unknown:
        errors["levels"] = f"Unknown practice: {', '.join(sorted(unknown))}."
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = f"At most {MAX_NOTE} characters."
    if errors:
        raise ValidationError(errors)
    return SelfAssessment.objects.create(workspace=actor.workspace, user=actor.user, levels=clean, note=note)


def import_chat(actor: Actor, raw: bytes, filename: str = "") -> ChatExport:
    """Store an uploaded chat export (text or JSON) for the talk index."""
    actor.require(Role.MEMBER)
    messages = parse_export(raw, filename)
    return ChatExport.objects.create(
        workspace=actor.workspace, filename=filename[:255], messages=messages, uploaded_by=actor.user
    )


def delete_chat(actor: Actor, export: ChatExport) -> None:
    actor.require(Role.MEMBER)
    if export.workspace_id != actor.workspace.pk:
        raise PermissionDenied("Not in this workspace.")
    export.delete()
