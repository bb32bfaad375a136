from __future__ import annotations

from pathlib import Path
from typing import Any

from harken.imports import actions
from harken.imports.models import ImportJob
from harken.workspaces.access import Actor
from harken.workspaces.models import Workspace

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "csv"
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def upload(actor: Actor, path: Path | str, kind: str = "feedback", **options: Any) -> ImportJob:
    path = Path(path) if Path(path).is_absolute() else FIXTURES / path
    with path.open("rb") as handle:
        return actions.create_job(actor, kind, handle, filename=path.name, options=options)


def mapped(
    actor: Actor, path: Path | str, kind: str = "feedback", mapping: dict[str, str] | None = None, **options: Any
) -> ImportJob:
    job = upload(actor, path, kind, **options)
    return actions.set_mapping(actor, job, mapping if mapping is not None else job.mapping)


def make_job(workspace: Workspace) -> dict[str, Any]:
    """A previewable feedback job in `workspace` (for tenancy cases)."""
    job = mapped(Actor.system(workspace), "feedback_utf8.csv")
    return {"pk": job.pk}
