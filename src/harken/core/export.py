"""`harken export --workspace SLUG`: everything a workspace owns, as JSON or as CSV files.

The models are discovered, not listed: every installed model with a foreign key to the workspace
(TenantModel and friends), plus models that hang off those through a required foreign key, plus
the workspace row and its members' user records (name and email only). A new app's models are
therefore exported without touching this file.

Never exported: credentials (passwords, token hashes, webhook secrets, inbound-address tokens) and
binary columns (embedding vectors, which are recomputed from the text). The manifest lists what
was left out. CSV exports are a zip with one file per model, `manifest.json` and the workspace's
uploaded files under `files/`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from django.apps import apps
from django.core.files.storage import default_storage
from django.db import models
from django.utils import timezone

FORMAT = "harken-workspace-export"
VERSION = 1
WORKSPACE_MODEL = "workspaces.Workspace"
USER_FIELDS = ["id", "email", "name", "date_joined"]
SECRET_NAME = re.compile(r"(^|_)(password|secret|token|token_hash|key_hash)$|_hash$")


class ExportError(Exception):
    pass


@dataclass
class Scoped:
    """One exported model: how to reach its rows from the workspace."""

    model: type[models.Model]
    lookup: str  # e.g. "workspace" or "email__workspace"
    fields: list[models.Field] = field(default_factory=list)
    m2m: list[models.ManyToManyField] = field(default_factory=list)
    omitted: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(self.model._meta.label)

    def queryset(self, workspace: models.Model) -> Any:
        qs = self.model._default_manager.filter(**{self.lookup: workspace}).order_by("pk")
        if self.m2m:
            qs = qs.prefetch_related(*[f.name for f in self.m2m])
        return qs


def _is_secret(f: models.Field) -> bool:
    return bool(SECRET_NAME.search(f.name))


def _describe(model: type[models.Model], lookup: str) -> Scoped:
    scoped = Scoped(model, lookup)
    for f in model._meta.concrete_fields:
        if _is_secret(f) or isinstance(f, models.BinaryField):
            scoped.omitted.append(f.name)
        else:
            scoped.fields.append(f)
    # Plain many-to-many fields become lists of ids; a custom `through` model is exported on its own.
    scoped.m2m = [
        f
        for f in model._meta.many_to_many
        if isinstance(f, models.ManyToManyField) and f.remote_field.through._meta.auto_created  # type: ignore[union-attr]
    ]
    return scoped


def scoped_models() -> list[Scoped]:
    """Every model whose rows belong to one workspace, with the lookup that finds them."""
    workspace_model = apps.get_model(WORKSPACE_MODEL)
    found: dict[type[models.Model], str] = {}
    candidates = [m for m in apps.get_models() if not m._meta.proxy and m is not workspace_model]
    for model in candidates:
        for f in model._meta.concrete_fields:
            if isinstance(f, models.ForeignKey) and f.related_model is workspace_model:
                found[model] = f.name
                break
    # Then models reachable only through a required foreign key to an exported model (one per pass).
    changed = True
    while changed:
        changed = False
        for model in candidates:
            if model in found:
                continue
            for f in model._meta.concrete_fields:
                target = f.related_model if isinstance(f, models.ForeignKey) and not f.null else None
                if isinstance(target, type) and target in found:
                    found[model] = f"{f.name}__{found[target]}"
                    changed = True
                    break
    return [_describe(model, lookup) for model, lookup in sorted(found.items(), key=lambda kv: kv[0]._meta.label)]


def _value(f: models.Field, obj: models.Model) -> Any:
    value = f.value_from_object(obj)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(f, models.FileField):
        return value.name if value else ""
    if isinstance(value, memoryview | bytes):
        return None
    return value


def _column(f: models.Field) -> str:
    return f.attname  # foreign keys as `<name>_id`


def rows(scoped: Scoped, workspace: models.Model) -> Iterator[dict[str, Any]]:
    for obj in scoped.queryset(workspace).iterator(chunk_size=2000):
        row = {_column(f): _value(f, obj) for f in scoped.fields}
        for m in scoped.m2m:
            row[m.name] = sorted(o.pk for o in getattr(obj, m.name).all())
        yield row


def _workspace_row(workspace: models.Model) -> dict[str, Any]:
    return {_column(f): _value(f, workspace) for f in workspace._meta.concrete_fields if not _is_secret(f)}


def _members(workspace: models.Model) -> list[dict[str, Any]]:
    user_model = apps.get_model("accounts.User") if apps.is_installed("harken.accounts") else None
    membership = apps.get_model("workspaces.Membership")
    if user_model is None:
        return []
    ids = membership._default_manager.filter(workspace=workspace).values_list("user_id", flat=True)
    users = user_model._default_manager.filter(pk__in=ids).order_by("pk")
    fields = [f for f in user_model._meta.concrete_fields if f.name in USER_FIELDS]
    return [{_column(f): _value(f, u) for f in fields} for u in users]


def find_workspace(slug: str) -> models.Model:
    workspace_model = apps.get_model(WORKSPACE_MODEL)
    workspace = workspace_model._default_manager.filter(slug=slug).first()
    if workspace is None:
        raise ExportError(f"No workspace with the slug {slug!r}.")
    return workspace


@dataclass
class ExportSummary:
    path: Path
    workspace: Any
    counts: dict[str, int]
    files: int = 0


def _manifest(workspace: models.Model, models_: list[Scoped], counts: dict[str, int]) -> dict[str, Any]:
    omitted = {s.label: s.omitted for s in models_ if s.omitted}
    omitted["accounts.User"] = ["every field but " + ", ".join(USER_FIELDS)]
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
        "workspace": getattr(workspace, "slug", str(workspace.pk)),
        "counts": counts,
        "omitted_fields": omitted,
    }


def export_json(workspace: models.Model, out: IO[str]) -> dict[str, int]:
    """Stream the export as one JSON document (rows are written as they are read)."""
    models_ = scoped_models()
    counts: dict[str, int] = {}
    head = {"format": FORMAT, "version": VERSION, "workspace": _workspace_row(workspace), "users": _members(workspace)}
    out.write(json.dumps(head, default=str)[:-1] + ', "models": {')
    for i, scoped in enumerate(models_):
        out.write(("," if i else "") + f"\n{json.dumps(scoped.label)}: [")
        n = 0
        for row in rows(scoped, workspace):
            out.write(("," if n else "") + "\n" + json.dumps(row, default=str))
            n += 1
        out.write("]")
        counts[scoped.label] = n
    manifest = _manifest(workspace, models_, counts)
    out.write("},\n" + f'"manifest": {json.dumps(manifest)}' + "}\n")
    return counts


def export_csv_zip(workspace: models.Model, out: IO[bytes]) -> tuple[dict[str, int], int]:
    """A zip: one CSV per model (JSON inside cells for lists and objects), manifest.json, files/."""
    models_ = scoped_models()
    counts: dict[str, int] = {}
    files: list[str] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for label, data in (
            ("workspaces.Workspace", [_workspace_row(workspace)]),
            ("accounts.User", _members(workspace)),
        ):
            archive.writestr(f"{label}.csv", _csv(data, list(data[0]) if data else []))
        for scoped in models_:
            header = [_column(f) for f in scoped.fields] + [m.name for m in scoped.m2m]
            file_fields = [_column(f) for f in scoped.fields if isinstance(f, models.FileField)]
            with archive.open(f"{scoped.label}.csv", "w") as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                writer = csv.DictWriter(text, fieldnames=header)
                writer.writeheader()
                n = 0
                for row in rows(scoped, workspace):
                    files.extend(row[name] for name in file_fields if row[name])
                    writer.writerow({k: _cell(v) for k, v in row.items()})
                    n += 1
                text.flush()
                text.detach()
            counts[scoped.label] = n
        copied = 0
        for name in files:
            if default_storage.exists(name):
                with default_storage.open(name, "rb") as fh:
                    archive.writestr(f"files/{name}", fh.read())
                copied += 1
        archive.writestr("manifest.json", json.dumps(_manifest(workspace, models_, counts), indent=2))
    return counts, copied


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    if value is None:
        return ""
    return value


def _csv(data: list[dict[str, Any]], header: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header)
    writer.writeheader()
    for row in data:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return buffer.getvalue()


def export(slug: str, fmt: str, output: Path | None = None) -> ExportSummary:
    workspace = find_workspace(slug)
    if fmt not in ("json", "csv"):
        raise ExportError("--format is json or csv.")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    output = Path(output or f"harken-{slug}-{stamp}.{'json' if fmt == 'json' else 'zip'}")
    partial = output.with_name(output.name + ".partial")
    files = 0
    if fmt == "json":
        with partial.open("w", encoding="utf-8") as fh:
            counts = export_json(workspace, fh)
    else:
        with partial.open("wb") as fb:
            counts, files = export_csv_zip(workspace, fb)
    partial.replace(output)
    return ExportSummary(output, workspace, counts, files)
