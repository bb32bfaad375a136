"""Running an importer: keep the file verbatim, parse, ingest, record counts and per-record errors."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db.models import QuerySet
from django.utils import timezone

from harken.channels.importers.base import IngestResult, ingest_records
from harken.channels.importers.models import ChannelImport, ImportSource, RunStatus
from harken.channels.importers.sources import PARSERS, clean_mapping
from harken.workspaces.access import Actor
from harken.workspaces.models import Role

MAX_IMPORT_BYTES = 200 * 1024 * 1024


def run_import(
    actor: Actor,
    source: str,
    upload: IO[bytes] | File,
    *,
    filename: str = "",
    options: dict[str, Any] | None = None,
    progress: Callable[[IngestResult], None] | None = None,
) -> ChannelImport:
    """Store the export first (so nothing is lost if parsing fails), then ingest it record by record."""
    actor.require(Role.MEMBER)
    if source not in ImportSource.values:
        raise ValidationError(f"Unknown importer “{source[:30]}”; use one of {', '.join(ImportSource.values)}.")
    options = dict(options or {})
    if "mapping" in options:
        options["mapping"] = clean_mapping(options["mapping"])
    name = (filename or getattr(upload, "name", "") or f"{source}-export").rsplit("/", 1)[-1][:255]
    upload.seek(0)
    data = upload.read()
    if not data:
        raise ValidationError("The file is empty.")
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError(
            f"The file is {len(data) // (1024 * 1024)} MB; the limit is {MAX_IMPORT_BYTES // (1024 * 1024)} MB."
        )
    if options.get("product_line"):
        from harken.feedback.actions import resolve_product_line

        resolve_product_line(actor.workspace, options["product_line"])  # a clear error before anything is stored

    run = ChannelImport(
        workspace=actor.workspace,
        source=source,
        original_name=name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        options=options,
        created_by=actor.user,
    )
    run.file.save(name, ContentFile(data), save=True)
    return _ingest(actor, run, progress)


def _ingest(actor: Actor, run: ChannelImport, progress: Callable[[IngestResult], None] | None) -> ChannelImport:
    parser = PARSERS[run.source]
    result = IngestResult()
    try:
        with run.file.open("rb") as handle:
            records = parser(handle, run.options)
            result = ingest_records(
                actor, run.source, records, product_line=run.options.get("product_line") or None, progress=progress
            )
    except ValidationError as exc:
        run.failure = " ".join(exc.messages)
    except (UnicodeDecodeError, ValueError) as exc:
        run.failure = f"The file could not be read: {exc}"
    run.total = result.total
    run.created = result.created
    run.existing = result.existing
    run.skipped = result.skipped
    run.errors = result.error_count
    run.error_report = result.errors
    if run.failure:
        run.status = RunStatus.FAILED
    elif result.error_count:
        run.status = RunStatus.PARTIAL
    else:
        run.status = RunStatus.DONE
    run.finished_at = timezone.now()
    run.save()
    return run


def recent_runs(actor: Actor, limit: int = 20) -> QuerySet[ChannelImport]:
    return actor.workspace.channel_imports.select_related("created_by")[:limit]


def run_summary(run: ChannelImport) -> dict[str, Any]:
    return {
        "id": run.pk,
        "source": run.source,
        "status": run.status,
        "file": run.original_name,
        "size": run.size,
        "total": run.total,
        "created": run.created,
        "existing": run.existing,
        "skipped": run.skipped,
        "errors": run.errors,
        "error_report": run.error_report,
        "failure": run.failure,
        "created_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }
