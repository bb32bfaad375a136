"""Every write of the import pipeline: store the file, map it, preview it, run it in chunks, undo it.

The flow is the same for every source: upload (the file is stored verbatim before it is parsed)
→ mapping (CSV only) → preview (a dry run over every record, in the worker) → run (in the worker).

How a run stays all-or-nothing without holding the database (defect: one long transaction kept
SQLite's write lock for the whole import, so every other write failed with "database is locked"):

- The run (`harken.imports.runner`) commits in short chunks: at most `CHUNK_ROWS` records, sized from the pace of the
  previous chunk so each transaction takes about `CHUNK_SECONDS`. Each chunk's transaction writes the rows,
  their ledger entries (`ImportedRow`: what was created, and for updates the values before) and the
  job's counters and checkpoint (the last record number whose chunk is committed), together.
- When every chunk is in, one quick statement marks the job done and the ledger is dropped.
- On any failure, a stop on the first error, or a cancel, the run undoes itself by its job id from
  the ledger (deletes what it created, restores what it updated), again in short chunks, and only
  then says "failed: nothing was imported".
- A run killed half-way (worker SIGKILLed) leaves its committed chunks and its checkpoint; the next
  run of the job (the task retried, or "Resume" on the job page) continues after the checkpoint, so
  nothing is lost and nothing written twice (and rows are also idempotent by source id / content
  hash). "Discard" undoes it instead.

Why a ledger rather than invisible staged rows: a not-yet-visible flag on feedback would have to be
honoured by every read of feedback, accounts and contacts (inbox, search, themes, API, portal,
scorecard…), and a staging table would need a final copy as long as the import itself. The ledger
keeps the import's bookkeeping inside this app. The price: a running import's rows are visible
while it runs, and are removed again if it fails.
"""

from __future__ import annotations

import hashlib
import logging
import os
from datetime import timedelta
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from harken.channels import ingest
from harken.feedback.models import Channel
from harken.imports import csvio, sources
from harken.imports.fields import check_mapping, suggest_mapping
from harken.imports.models import ImportJob, ImportKind, ImportSource, ImportStatus
from harken.imports.runner import Cancelled, ProgressCallback, StopImport, process, undo
from harken.workspaces.access import Actor
from harken.workspaces.models import Role

log = logging.getLogger(__name__)

SAMPLE_ROWS = 5
STALE_AFTER = timedelta(minutes=5)  # a run with no sign of life for this long may be resumed or discarded


# ---------------------------------------------------------------------------------------------
# Upload, mapping, starting jobs
# ---------------------------------------------------------------------------------------------


def create_job(
    actor: Actor,
    kind: str,
    upload: IO[bytes] | File,
    *,
    filename: str = "",
    options: dict[str, Any] | None = None,
    source: str = ImportSource.CSV,
) -> ImportJob:
    """Store the raw file first, then read its layout. A file we cannot read still gets a (failed) job.

    Raises ValidationError only for requests we refuse outright (wrong kind or source, too large, a bad
    option); problems with the content are recorded on the returned job (status failed, `failure` set).
    """
    actor.require(Role.MEMBER)
    if source not in ImportSource.values:
        raise ValidationError(f"Unknown source “{str(source)[:30]}”; use one of: {', '.join(ImportSource.values)}.")
    if source != ImportSource.CSV:
        kind = ImportKind.FEEDBACK  # other tools' exports hold feedback
    if kind not in ImportKind.values:
        raise ValidationError(f"Unknown import kind '{kind}'; use one of: {', '.join(ImportKind.values)}.")
    default = "import.csv" if source == ImportSource.CSV else f"{source}-export"
    name = os.path.basename(filename or getattr(upload, "name", "") or default) or default
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, os.SEEK_END)
        size = upload.tell()
        upload.seek(0)
    if size > settings.HARKEN_MAX_IMPORT_BYTES:
        raise ValidationError(
            f"The file is {filesizeformat(size)}; the limit is {filesizeformat(settings.HARKEN_MAX_IMPORT_BYTES)} "
            "(HARKEN_MAX_IMPORT_BYTES). Split it into smaller files."
        )
    opts = clean_options(kind, source, options or {}, actor)
    job = ImportJob(
        workspace=actor.workspace,
        kind=kind,
        source=source,
        original_name=name[:255],
        size=size,
        sha256=_sha256(upload),
        options=opts,
        created_by=actor.user,
    )
    job.file.save(name, upload if isinstance(upload, File) else File(upload, name=name), save=False)
    job.save()
    inspect_file(job)
    return job


def _sha256(upload: IO[bytes] | File) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    while block := upload.read(1024 * 1024):
        digest.update(block)
    upload.seek(0)
    return digest.hexdigest()


def clean_options(kind: str, source: str, options: dict[str, Any], actor: Actor | None = None) -> dict[str, Any]:
    opts: dict[str, Any] = {"stop_on_first_error": bool(options.get("stop_on_first_error", False))}
    if source == ImportSource.CSV:
        if kind == ImportKind.FEEDBACK:
            channel = str(options.get("channel") or Channel.CSV)
            if channel not in Channel.values:
                raise ValidationError(f"Unknown channel '{channel}'; use one of: {', '.join(Channel.values)}.")
            opts["channel"] = channel
        return opts
    from harken.channels.importers.sources import clean_mapping

    if options.get("product_line"):
        if actor is not None:
            from harken.feedback.actions import resolve_product_line

            resolve_product_line(actor.workspace, options["product_line"])  # a clear error before anything runs
        opts["product_line"] = str(options["product_line"])
    if source == ImportSource.JSON:
        channel = str(options.get("channel") or Channel.API)
        if channel not in Channel.values:
            raise ValidationError(f"Unknown channel “{channel[:40]}”; use one of {', '.join(Channel.values)}.")
        opts["channel"] = channel
        if options.get("mapping"):
            opts["mapping"] = clean_mapping(options["mapping"])
    return opts


def inspect_file(job: ImportJob) -> None:
    """Detect the layout (CSV: encoding, delimiter, header, a sample and a suggested mapping)."""
    if job.source != ImportSource.CSV:
        _inspect_source(job)
        return
    try:
        with job.file.open("rb") as binary:
            layout = csvio.sniff(binary)
            _, records = csvio.iter_records(binary, layout)
            sample = []
            for record in records:
                # a NUL byte cannot be stored in JSON on PostgreSQL; the row itself is reported by the preview
                sample.append([record.values[col].replace("\x00", "\ufffd") for col in layout.header])
                if len(sample) >= SAMPLE_ROWS:
                    break
    except ValidationError as exc:
        _fail(job, " ".join(exc.messages))
        return
    job.encoding = layout.encoding
    job.delimiter = layout.delimiter
    job.header = layout.header
    job.sample = sample
    job.mapping = suggest_mapping(job.kind, layout.header)
    if not sample:
        _fail(job, "The file has a header row but no data rows.")
        return
    job.save()


def _inspect_source(job: ImportJob) -> None:
    """Another tool's export: check the start of the file at once (a wrong file fails at upload);
    a JSON document is read whole by its parser, so it is first read by the preview in the worker."""
    try:
        with job.file.open("rb") as binary:
            head = binary.read(4096)
            binary.seek(0)
            if not head.strip():
                raise ValidationError("The file is empty.")
            if sources.looks_like_json(binary):
                job.encoding = "json"
            else:
                layout = csvio.sniff(binary)
                job.encoding, job.delimiter, job.header = layout.encoding, layout.delimiter, layout.header
                binary.seek(0)
                records = sources.parse(job.source, binary, job.options)
                job.sample = [_sample_of(item) for _, item in zip(range(SAMPLE_ROWS), records, strict=False)]
    except ValidationError as exc:
        _fail(job, " ".join(exc.messages))
        return
    except (UnicodeDecodeError, ValueError) as exc:
        _fail(job, f"The file could not be read: {exc}")
        return
    job.save()


def _sample_of(item: Any) -> list[str]:
    if isinstance(item, ingest.Problem):
        return [str(item.number), "", item.reason]
    return [item.external_id, item.title, item.text[:200]]


def _fail(job: ImportJob, message: str) -> None:
    job.status = ImportStatus.FAILED
    job.failure = message
    job.finished_at = timezone.now()
    job.save()


def set_mapping(
    actor: Actor, job: ImportJob, mapping: dict[str, str], options: dict[str, Any] | None = None
) -> ImportJob:
    """Accept a {field: column} mapping; every required field must point at a column of the file."""
    actor.require(Role.MEMBER)
    _own(actor, job)
    _require_editable(job)
    if job.source != ImportSource.CSV:
        if options is not None:
            job.options = clean_options(job.kind, job.source, {**job.options, **options}, actor)
        if mapping and job.source == ImportSource.JSON:
            job.options = clean_options(job.kind, job.source, {**job.options, "mapping": mapping}, actor)
        job.status = ImportStatus.MAPPED
        job.save()
        return job
    job.mapping = check_mapping(job.kind, job.header, mapping)
    if options is not None:
        job.options = clean_options(job.kind, job.source, {**job.options, **options})
    job.status = ImportStatus.MAPPED
    job.save()
    return job


def _check_ready(job: ImportJob) -> None:
    if job.source == ImportSource.CSV:
        if not job.header or not job.sample:
            raise ValidationError(job.failure or "This file could not be read, so it cannot be imported.")
        check_mapping(job.kind, job.header, job.mapping)
    elif not job.encoding:
        raise ValidationError(job.failure or "This file could not be read, so it cannot be imported.")


def start_preview(actor: Actor, job: ImportJob) -> ImportJob:
    """Queue a dry run over every row (a big file takes a while, so it runs in the worker)."""
    from harken.imports.tasks import preview_import

    actor.require(Role.MEMBER)
    _own(actor, job)
    _require_editable(job)
    _check_ready(job)
    with transaction.atomic():
        _reset(job, ImportStatus.VALIDATING)
        preview_import.enqueue(job.pk)
    return job


def start_import(actor: Actor, job: ImportJob, *, stop_on_first_error: bool | None = None) -> ImportJob:
    """Queue the run. A failed run may be started again, a stalled one resumes: nothing is created twice."""
    from harken.imports.tasks import run_import

    actor.require(Role.MEMBER)
    _own(actor, job)
    job.refresh_from_db()
    stalled = is_stalled(job)
    if job.is_active and not stalled:
        raise ValidationError("This import is already running.")
    if job.status == ImportStatus.DONE:
        raise ValidationError("This import is done. Upload the file again to import it once more.")
    resume = stalled and job.status in (ImportStatus.RUNNING, ImportStatus.ROLLING_BACK)
    if not resume:
        _check_ready(job)
        if stop_on_first_error is not None:
            job.options = {**job.options, "stop_on_first_error": stop_on_first_error}
    with transaction.atomic():
        if resume:  # continue after the checkpoint (or finish undoing); the task claims it afresh
            job.started_at = None
            job.save(update_fields=["started_at", "updated_at"])
        else:
            _reset(job, ImportStatus.RUNNING)
        run_import.enqueue(job.pk)
    return job


def cancel_import(actor: Actor, job: ImportJob) -> ImportJob:
    """Stop a running import and undo what it wrote (or discard a stalled one)."""
    from harken.imports.tasks import run_import

    actor.require(Role.MEMBER)
    _own(actor, job)
    job.refresh_from_db()
    if job.status == ImportStatus.VALIDATING:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.MAPPED, started_at=None, progress=0)
    elif job.status == ImportStatus.RUNNING and not is_stalled(job):
        ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)  # the run sees it at its next chunk
    elif job.status in (ImportStatus.RUNNING, ImportStatus.ROLLING_BACK):
        with transaction.atomic():
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportStatus.ROLLING_BACK, cancel_requested=True, started_at=None
            )
            run_import.enqueue(job.pk)
    else:
        raise ValidationError("Only a running import can be cancelled.")
    job.refresh_from_db()
    return job


def is_stalled(job: ImportJob) -> bool:
    """A claimed run with no sign of life for `STALE_AFTER` (its worker died)."""
    if job.status not in (ImportStatus.RUNNING, ImportStatus.ROLLING_BACK, ImportStatus.VALIDATING):
        return False
    if job.started_at is None:
        return False
    last = job.heartbeat_at or job.started_at
    return timezone.now() - last > STALE_AFTER


def _own(actor: Actor, job: ImportJob) -> None:
    if job.workspace_id != actor.workspace.pk:
        raise ValidationError("This import belongs to another workspace.")


def _require_editable(job: ImportJob) -> None:
    stalled_preview = job.status == ImportStatus.VALIDATING and is_stalled(job)
    if (job.is_active and not stalled_preview) or job.status == ImportStatus.DONE:
        raise ValidationError(f"This import is {job.get_status_display().lower()}; its mapping can no longer change.")
    if job.source == ImportSource.CSV and (not job.header or not job.sample):
        raise ValidationError(job.failure or "This file could not be read.")
    if job.source != ImportSource.CSV and not job.encoding:
        raise ValidationError(job.failure or "This file could not be read.")


def _reset(job: ImportJob, status: str) -> None:
    job.status = status
    job.progress = 0
    job.processed_rows = 0
    job.failure = ""
    job.started_at = None
    job.finished_at = None
    job.heartbeat_at = None
    job.checkpoint = 0
    job.state = {}
    job.cancel_requested = False
    job.save()


def run_dry(actor: Actor, job: ImportJob, on_progress: ProgressCallback | None = None) -> ImportJob:
    """Validate every row without writing: counts, first rows and the per-row report."""
    actor.require(Role.MEMBER)
    _own(actor, job)
    job.status = ImportStatus.VALIDATING
    job.started_at = job.started_at or timezone.now()
    job.checkpoint = 0
    job.save(update_fields=["status", "started_at", "checkpoint", "updated_at"])
    try:
        outcome = process(actor, job, dry_run=True, on_progress=on_progress)
    except ValidationError as exc:  # the file itself (encoding, malformed CSV, wrong export)
        _fail(job, " ".join(exc.messages))
        return job
    except (UnicodeDecodeError, ValueError) as exc:
        _fail(job, f"The file could not be read: {exc}")
        return job
    except Exception as exc:
        log.exception("Dry run of import %s failed", job.pk)
        _fail(job, f"Unexpected error while checking the file: {exc}")
        return job
    outcome.apply_to(job)
    job.dry_run = True
    job.progress = 100
    job.status = ImportStatus.PREVIEWED
    job.finished_at = timezone.now()
    job.save()
    return job


def run(actor: Actor, job: ImportJob, on_progress: ProgressCallback | None = None) -> ImportJob:
    """Write every valid row in short committed chunks; on any failure undo them all by the job's ledger.

    A job with a checkpoint (its previous run was killed) resumes after it; a job being undone
    (cancelled, or failed while undoing) finishes undoing.
    """
    actor.require(Role.MEMBER)
    _own(actor, job)
    job.refresh_from_db()
    if job.status == ImportStatus.ROLLING_BACK:
        return _undo_and_fail(job, job.failure or "The import was cancelled; nothing was imported.")
    stop = bool(job.options.get("stop_on_first_error"))
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, started_at=job.started_at or now, heartbeat_at=now, dry_run=False
    )
    job.refresh_from_db()
    try:
        outcome = process(actor, job, dry_run=False, stop_on_first_error=stop, on_progress=on_progress)
    except StopImport as exc:
        return _undo_and_fail(job, f"Stopped at the first error, so nothing was imported. {exc}")
    except Cancelled:
        return _undo_and_fail(job, "The import was cancelled; nothing was imported.")
    except ValidationError as exc:
        return _undo_and_fail(job, " ".join(exc.messages) + " Nothing was imported.")
    except (UnicodeDecodeError, ValueError) as exc:
        return _undo_and_fail(job, f"The file could not be read: {exc}. Nothing was imported.")
    except Exception as exc:
        log.exception("Import %s failed", job.pk)
        return _undo_and_fail(job, f"The import failed and nothing was imported: {type(exc).__name__}: {exc}")
    if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
        return _undo_and_fail(job, "The import was cancelled; nothing was imported.")
    with transaction.atomic():  # the one quick final statement: the run is done
        outcome.apply_to(job)
        job.progress = 100
        job.status = ImportStatus.DONE
        job.finished_at = timezone.now()
        job.failure = ""
        job.state = {}
        job.save()
    job.ledger.all().delete()
    return job


def _undo_and_fail(job: ImportJob, message: str) -> ImportJob:
    """Undo every committed chunk of this run by its ledger, in short transactions, then mark it failed."""
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.ROLLING_BACK, failure=message, heartbeat_at=timezone.now()
    )
    undo(job)
    job.refresh_from_db()
    job.status = ImportStatus.FAILED
    job.failure = message
    job.finished_at = timezone.now()
    job.checkpoint = 0
    job.state = {}
    job.cancel_requested = False
    for name in ("created", "updated", "skipped", "duplicates", "ignored"):
        setattr(job, name, 0)  # nothing of this run is left
    job.save()
    return job
