"""CSV imports: store the file, detect its layout, map columns, dry-run, then write all rows at once.

The flow is upload → map → preview (a dry run over every row) → run. The run writes every valid
row in ONE transaction, so an unexpected failure leaves nothing half-imported; rows that fail
validation are skipped and reported (or, with "stop on first error", the whole import stops).
Re-importing the same rows creates nothing new: accounts and contacts are upserted by the
customers services, feedback is keyed by `dedupe_key`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import connection, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from harken.customers import actions as customer_actions
from harken.customers import queries as customer_queries
from harken.customers.models import Account, Contact
from harken.feedback import actions as feedback_actions
from harken.feedback.models import Channel, content_hash
from harken.imports import csvio
from harken.imports.fields import (
    CellError,
    check_mapping,
    fields_for,
    parse_datetime,
    parse_email,
    suggest_mapping,
)
from harken.imports.models import ImportJob, ImportKind, ImportStatus
from harken.workspaces.access import Actor
from harken.workspaces.models import Role

log = logging.getLogger(__name__)

PREVIEW_ROWS = 20
SAMPLE_ROWS = 5
MAX_REPORT = 1000  # per-row problems kept on the job; the counts stay exact beyond that
PROGRESS_EVERY_SECONDS = 0.5

ProgressCallback = Callable[[int, int, int], None]  # (bytes read, total bytes, rows read)


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
) -> ImportJob:
    """Store the raw file first, then read its layout. A file we cannot read still gets a (failed) job.

    Raises ValidationError only for requests we refuse outright (wrong kind, too large); problems
    with the content are recorded on the returned job (status failed, `failure` set).
    """
    actor.require(Role.MEMBER)
    if kind not in ImportKind.values:
        raise ValidationError(f"Unknown import kind '{kind}'; use one of: {', '.join(ImportKind.values)}.")
    name = os.path.basename(filename or getattr(upload, "name", "") or "import.csv") or "import.csv"
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
    opts = clean_options(kind, options or {})
    job = ImportJob(
        workspace=actor.workspace,
        kind=kind,
        original_name=name[:255],
        size=size,
        options=opts,
        created_by=actor.user,
    )
    job.file.save(name, upload if isinstance(upload, File) else File(upload, name=name), save=False)
    job.save()
    inspect_file(job)
    return job


def clean_options(kind: str, options: dict[str, Any]) -> dict[str, Any]:
    opts: dict[str, Any] = {"stop_on_first_error": bool(options.get("stop_on_first_error", False))}
    if kind == ImportKind.FEEDBACK:
        channel = str(options.get("channel") or Channel.CSV)
        if channel not in Channel.values:
            raise ValidationError(f"Unknown channel '{channel}'; use one of: {', '.join(Channel.values)}.")
        opts["channel"] = channel
    return opts


def inspect_file(job: ImportJob) -> None:
    """Detect encoding, delimiter and header, keep a sample and a suggested mapping."""
    try:
        with job.file.open("rb") as binary:
            layout = csvio.sniff(binary)
            _, records = csvio.iter_records(binary, layout)
            sample = []
            for record in records:
                sample.append([record.values[col] for col in layout.header])
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
    job.mapping = check_mapping(job.kind, job.header, mapping)
    if options is not None:
        job.options = clean_options(job.kind, {**job.options, **options})
    job.status = ImportStatus.MAPPED
    job.save()
    return job


def start_preview(actor: Actor, job: ImportJob) -> ImportJob:
    """Queue a dry run over every row (a big file takes a while, so it runs in the worker)."""
    from harken.imports.tasks import preview_import

    actor.require(Role.MEMBER)
    _own(actor, job)
    _require_editable(job)
    check_mapping(job.kind, job.header, job.mapping)
    with transaction.atomic():
        _reset(job, ImportStatus.VALIDATING)
        preview_import.enqueue(job.pk)
    return job


def start_import(actor: Actor, job: ImportJob, *, stop_on_first_error: bool | None = None) -> ImportJob:
    """Queue the real run. It may be started again after a failure: re-running creates nothing twice."""
    from harken.imports.tasks import run_import

    actor.require(Role.MEMBER)
    _own(actor, job)
    if job.status in (ImportStatus.RUNNING, ImportStatus.VALIDATING):
        raise ValidationError("This import is already running.")
    if job.status == ImportStatus.DONE:
        raise ValidationError("This import is done. Upload the file again to import it once more.")
    if not job.header or not job.sample:
        raise ValidationError(job.failure or "This file could not be read, so it cannot be imported.")
    check_mapping(job.kind, job.header, job.mapping)
    if stop_on_first_error is not None:
        job.options = {**job.options, "stop_on_first_error": stop_on_first_error}
    with transaction.atomic():
        _reset(job, ImportStatus.RUNNING)
        run_import.enqueue(job.pk)
    return job


def _own(actor: Actor, job: ImportJob) -> None:
    if job.workspace_id != actor.workspace.pk:
        raise ValidationError("This import belongs to another workspace.")


def _require_editable(job: ImportJob) -> None:
    if job.status in (ImportStatus.RUNNING, ImportStatus.VALIDATING, ImportStatus.DONE):
        raise ValidationError(f"This import is {job.get_status_display().lower()}; its mapping can no longer change.")
    if not job.header or not job.sample:
        raise ValidationError(job.failure or "This file could not be read.")


def _reset(job: ImportJob, status: str) -> None:
    job.status = status
    job.progress = 0
    job.processed_rows = 0
    job.failure = ""
    job.started_at = None
    job.finished_at = None
    job.save()
    progress_file(job).unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# Progress: committed to the job row when we can, else to a small side file
# ---------------------------------------------------------------------------------------------


def progress_file(job: ImportJob) -> Path:
    """While the run's single transaction is open the job row cannot show progress to others (and
    SQLite allows no second writer), so live progress goes to this file until the commit."""
    return Path(settings.DATA_DIR) / "import-progress" / f"{job.pk}.json"


def _write_progress(job: ImportJob, percent: int, rows: int) -> None:
    if not connection.in_atomic_block:
        ImportJob.objects.filter(pk=job.pk).update(progress=percent, processed_rows=rows)
        return
    path = progress_file(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"progress": percent, "processed_rows": rows}))
    os.replace(tmp, path)


def live_progress(job: ImportJob) -> dict[str, int]:
    """Progress for the job page: the side file while a run is open, else the row."""
    if job.is_active:
        try:
            data = json.loads(progress_file(job).read_text())
            return {"progress": int(data["progress"]), "processed_rows": int(data["processed_rows"])}
        except (OSError, ValueError, KeyError):
            pass
    return {"progress": job.progress, "processed_rows": job.processed_rows}


# ---------------------------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------------------------


class RowProblem(Exception):
    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        super().__init__("; ".join(m for _, m in problems))
        self.problems = problems


class StopImport(Exception):
    pass


@dataclass
class Outcome:
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    duplicates: int = 0
    errors: int = 0
    report: list[dict[str, Any]] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    grouped: dict[tuple[str | None, str], list[int]] = field(default_factory=dict)

    def note_once(self, row: int, column: str | None, message: str) -> None:
        """A note that repeats for many rows (an unknown product line) is reported once, with its rows."""
        self.grouped.setdefault((column, message), []).append(row)

    def finish(self) -> None:
        for (column, message), rows in self.grouped.items():
            listed = ", ".join(str(r) for r in rows[:10]) + (", …" if len(rows) > 10 else "")
            suffix = f" ({len(rows)} rows: {listed})" if len(rows) > 1 else ""
            self.note(rows[0], column, message + suffix, "warning")
        self.grouped.clear()
        self.report.sort(key=lambda p: p["row"])

    def note(self, row: int, column: str | None, message: str, level: str = "error") -> None:
        if level == "error":
            self.errors += 1
        if len(self.report) < MAX_REPORT:
            self.report.append({"row": row, "column": column, "message": message, "level": level})


def describe(problem: dict[str, Any]) -> str:
    """ "Row 17, column 'ARR': ARR must be a number, got 'abc'"."""
    where = f"Row {problem['row']}" + (f", column '{problem['column']}'" if problem.get("column") else "")
    return f"{where}: {problem['message']}"


@dataclass
class Prepared:
    key: str  # identity within the file, for duplicate detection
    payload: dict[str, Any]
    display: dict[str, str]
    warnings: list[tuple[str | None, str]] = field(default_factory=list)


class Writer:
    """Turns one CSV record into a write. Subclasses per kind."""

    def __init__(self, actor: Actor, job: ImportJob) -> None:
        self.actor = actor
        self.job = job
        self.mapping = job.mapping
        self.labels = {f.name: f.label for f in fields_for(job.kind)}

    def cell(self, values: dict[str, str], name: str) -> str:
        column = self.mapping.get(name)
        return (values.get(column) or "").strip() if column else ""

    def column_of(self, name: str) -> str | None:
        return self.mapping.get(name) or (self.labels.get(name) if name in self.labels else None)

    def problems_from(self, exc: ValidationError) -> list[tuple[str | None, str]]:
        if hasattr(exc, "error_dict"):
            return [(self.column_of(key), msg) for key, msgs in exc.message_dict.items() for msg in msgs]
        return [(None, msg) for msg in exc.messages]

    def prepare(self, record: csvio.Record) -> Prepared:
        raise NotImplementedError

    def write(self, prepared: Prepared, dry_run: bool) -> str:
        """Returns "created", "updated" or "skipped" (already present, nothing to change)."""
        raise NotImplementedError


def _changed(obj: Any, model: type[Any], fields: Iterable[str]) -> bool:
    current = model.objects.filter(pk=obj.pk).values(*fields).first()
    if current is None:
        return True
    return any(current[name] != getattr(obj, name) for name in fields)


class AccountWriter(Writer):
    COMPARE = (
        "name",
        "domain",
        "plan",
        "segment",
        "lifecycle_stage",
        "arr",
        "renewal_date",
        "owner_id",
        "external_id",
        "notes",
    )

    def prepare(self, record: csvio.Record) -> Prepared:
        data = {name: self.cell(record.values, name) for name in self.mapping}
        if not data.get("name"):
            raise RowProblem([(self.column_of("name"), "An account needs a name; this cell is empty.")])
        key = ""
        if data.get("external_id"):
            key = f"id:{data['external_id']}"
        elif data.get("domain"):
            try:
                key = f"domain:{customer_queries.normalise_domain(data['domain'])}"
            except ValueError as exc:
                raise RowProblem([(self.column_of("domain"), str(exc))]) from None
        else:
            key = f"name:{data['name'].lower()}"
        return Prepared(key=key, payload=data, display=data)

    def write(self, prepared: Prepared, dry_run: bool) -> str:
        account, created = customer_actions.upsert_account(self.actor, prepared.payload, dry_run=True)
        if not created and not _changed(account, Account, self.COMPARE):
            return "skipped"
        if not dry_run:
            customer_actions.upsert_account(self.actor, prepared.payload, dry_run=False)
        return "created" if created else "updated"


class ContactWriter(Writer):
    COMPARE = ("name", "email", "title", "external_id", "account_id")

    def prepare(self, record: csvio.Record) -> Prepared:
        data = {name: self.cell(record.values, name) for name in self.mapping}
        if not data.get("email"):
            raise RowProblem([(self.column_of("email"), "A contact needs an email address; this cell is empty.")])
        try:
            email = customer_queries.normalise_email(data["email"])
        except ValueError as exc:
            raise RowProblem([(self.column_of("email"), str(exc))]) from None
        key = f"id:{data['external_id']}" if data.get("external_id") else f"email:{email}"
        return Prepared(key=key, payload=data, display=data)

    def write(self, prepared: Prepared, dry_run: bool) -> str:
        contact, created = customer_actions.upsert_contact(self.actor, prepared.payload, dry_run=True)
        if not created and not _changed(contact, Contact, self.COMPARE):
            return "skipped"
        if not dry_run:
            customer_actions.upsert_contact(self.actor, prepared.payload, dry_run=False)
        return "created" if created else "updated"


class FeedbackWriter(Writer):
    def __init__(self, actor: Actor, job: ImportJob) -> None:
        super().__init__(actor, job)
        self.channel = job.options.get("channel") or Channel.CSV
        self.tz = actor.workspace.timezone or "UTC"
        self._accounts: dict[str, Account | None] = {}
        self._lines: dict[str, Any] = {}
        self._senders: dict[str, tuple[Contact | None, Account | None]] = {}

    def _account(self, name: str) -> Account | None:
        key = name.lower()
        if key not in self._accounts:
            matches = list(self.actor.workspace.accounts.filter(name__iexact=name)[:2])
            self._accounts[key] = matches[0] if len(matches) == 1 else None
        return self._accounts[key]

    def _sender(self, email: str) -> tuple[Contact | None, Account | None]:
        if email not in self._senders:
            if len(self._senders) > 20000:
                self._senders.clear()
            self._senders[email] = customer_queries.match_sender(self.actor.workspace, email)
        return self._senders[email]

    def _product_line(self, value: str) -> Any:
        key = value.lower()
        if key not in self._lines:
            try:
                self._lines[key] = feedback_actions.resolve_product_line(self.actor.workspace, value)
            except ValidationError as exc:
                self._lines[key] = exc
        return self._lines[key]

    def prepare(self, record: csvio.Record) -> Prepared:
        values = record.values
        problems: list[tuple[str | None, str]] = []
        warnings: list[tuple[str | None, str]] = []
        text = self.cell(values, "text")
        if not text:
            problems.append((self.column_of("text"), "the feedback text is empty"))
        elif len(text.encode()) > feedback_actions.MAX_TEXT_BYTES:
            problems.append((self.column_of("text"), "the feedback text is larger than 1 MB"))
        title = self.cell(values, "title")
        if len(title) > feedback_actions.MAX_TITLE_CHARS:
            problems.append(
                (
                    self.column_of("title"),
                    f"is too long ({len(title)} characters, at most {feedback_actions.MAX_TITLE_CHARS})",
                )
            )
        email = ""
        if raw_email := self.cell(values, "author_email"):
            try:
                email = parse_email(raw_email)
            except CellError as exc:
                problems.append((self.column_of("author_email"), str(exc)))
        received_at = None
        if raw_date := self.cell(values, "received_at"):
            try:
                received_at = parse_datetime(raw_date, self.tz)
            except CellError as exc:
                problems.append((self.column_of("received_at"), str(exc)))
        tags: list[str] = []
        if raw_tags := self.cell(values, "tags"):
            try:
                tags = feedback_actions.parse_tag_names(raw_tags.replace(";", ",").replace("|", ","))
            except ValidationError as exc:
                problems += [(self.column_of("tags"), m) for m in exc.messages]
        external_id = self.cell(values, "external_id")
        if len(external_id) > 300:
            problems.append((self.column_of("external_id"), "is longer than 300 characters"))
        if problems:
            raise RowProblem(problems)
        contact, account = (None, None)
        if email:
            # Who sent it decides the contact; the company column only fills in when the sender is unknown.
            contact, account = self._sender(email)
        if (company := self.cell(values, "account")) and contact is None:
            account = self._account(company) or account
            if account is None:
                warnings.append(
                    (
                        self.column_of("account"),
                        f"No single account is named '{company}'; linked by the sender's email where possible.",
                    )
                )
        product_line = None
        if line := self.cell(values, "product_line"):
            found = self._product_line(line)
            if isinstance(found, ValidationError):
                warnings.append(
                    (self.column_of("product_line"), f"{found.messages[0]} Imported without a product line.")
                )
            else:
                product_line = found
        if external_id:
            key = feedback_actions.external_dedupe_key(self.channel, external_id)
        else:
            key = "hash:" + content_hash(text, title, email, received_at.isoformat() if received_at else "")
        payload: dict[str, Any] = {
            "text": text,
            "title": title,
            "channel": self.channel,
            "author_email": email,
            "author_name": self.cell(values, "author_name")[:200],
            "account": account,
            "contact": contact,
            "product_line": product_line,
            "tags": tags,
            "received_at": received_at,
            "external_id": external_id,
            "dedupe_key": key,
            "raw_payload": json.dumps(
                {"import": self.job.pk, "row": record.number, "values": values}, ensure_ascii=False
            ),
            "raw_content_type": "application/x-harken-csv-row+json",
        }
        display: dict[str, str] = {
            "text": text[:200] + ("…" if len(text) > 200 else ""),
            "title": title,
            "author_email": email,
            "author_name": str(payload["author_name"]),
            "account": account.name if account else "",
            "received_at": received_at.strftime("%Y-%m-%d %H:%M") if received_at else "",
            "external_id": external_id,
            "tags": ", ".join(tags),
            "product_line": product_line.name if product_line else "",
        }
        return Prepared(key=key, payload=payload, display=display, warnings=warnings)

    def write(self, prepared: Prepared, dry_run: bool) -> str:
        if dry_run:
            exists = self.actor.workspace.feedback_items.filter(dedupe_key=prepared.key).exists()
            return "skipped" if exists else "created"
        _, created = feedback_actions.create_feedback(self.actor, **prepared.payload)
        return "created" if created else "skipped"


WRITERS: dict[str, type[Writer]] = {
    ImportKind.ACCOUNTS: AccountWriter,
    ImportKind.CONTACTS: ContactWriter,
    ImportKind.FEEDBACK: FeedbackWriter,
}


def _digest(key: str) -> bytes:
    return hashlib.blake2b(key.encode(), digest_size=12).digest()


def process(
    actor: Actor,
    job: ImportJob,
    *,
    dry_run: bool,
    stop_on_first_error: bool = False,
    on_progress: ProgressCallback | None = None,
) -> Outcome:
    """Read every row once, validate it and (unless dry_run) write it. Streams the file.

    Raises StopImport on the first invalid row when `stop_on_first_error`; the caller's
    transaction then rolls everything back.
    """
    writer = WRITERS[job.kind](actor, job)
    layout = csvio.Layout(encoding=job.encoding, delimiter=job.delimiter, header=job.header)
    outcome = Outcome()
    seen: dict[bytes, int] = {}
    last_report = 0.0
    with job.file.open("rb") as binary:
        counter, records = csvio.iter_records(binary, layout)
        for record in records:
            outcome.total_rows += 1
            entry: dict[str, Any] | None = None
            try:
                prepared = writer.prepare(record)
                digest = _digest(prepared.key)
                if digest in seen:
                    outcome.duplicates += 1
                    outcome.note(record.number, None, f"duplicate of row {seen[digest]}; skipped", "warning")
                    entry = {"row": record.number, "values": prepared.display, "result": "duplicate"}
                else:
                    seen[digest] = record.number
                    for column, message in prepared.warnings:
                        outcome.note_once(record.number, column, message)
                    result = writer.write(prepared, dry_run)
                    setattr(outcome, result, getattr(outcome, result) + 1)
                    entry = {"row": record.number, "values": prepared.display, "result": result}
            except RowProblem as exc:
                problems = exc.problems
            except ValidationError as exc:
                problems = writer.problems_from(exc)
            else:
                problems = []
            if problems:
                for column, message in problems:
                    outcome.note(record.number, column, message)
                entry = {
                    "row": record.number,
                    "values": {},
                    "result": "error",
                    "message": describe(outcome.report[-1]) if outcome.report else "",
                }
                if stop_on_first_error:
                    raise StopImport(
                        describe({"row": record.number, "column": problems[0][0], "message": problems[0][1]})
                    )
            if entry is not None and len(outcome.preview) < PREVIEW_ROWS:
                outcome.preview.append(entry)
            now = time.monotonic()
            if on_progress and now - last_report >= PROGRESS_EVERY_SECONDS:
                last_report = now
                on_progress(counter.bytes_read, job.size, outcome.total_rows)
    outcome.finish()
    if on_progress:
        on_progress(job.size, job.size, outcome.total_rows)
    return outcome


def _apply(job: ImportJob, outcome: Outcome, *, dry_run: bool) -> None:
    job.total_rows = outcome.total_rows
    job.processed_rows = outcome.total_rows
    job.created = outcome.created
    job.updated = outcome.updated
    job.skipped = outcome.skipped
    job.duplicates = outcome.duplicates
    job.errors = outcome.errors
    job.error_report = outcome.report
    job.preview = outcome.preview
    job.dry_run = dry_run
    job.progress = 100


def _reporter(job: ImportJob, extra: ProgressCallback | None = None) -> ProgressCallback:
    def report(done: int, total: int, rows: int) -> None:
        percent = min(99, int(done * 100 / total)) if total else 0
        _write_progress(job, percent, rows)
        if extra:
            extra(done, total, rows)

    return report


def run_dry(actor: Actor, job: ImportJob, on_progress: ProgressCallback | None = None) -> ImportJob:
    """Validate every row without writing: counts, first rows and the per-row report."""
    actor.require(Role.MEMBER)
    _own(actor, job)
    job.status = ImportStatus.VALIDATING
    job.started_at = timezone.now()
    job.save(update_fields=["status", "started_at", "updated_at"])
    try:
        outcome = process(actor, job, dry_run=True, on_progress=_reporter(job, on_progress))
    except ValidationError as exc:  # the file itself (encoding, malformed CSV)
        _fail(job, " ".join(exc.messages))
        return job
    except Exception as exc:
        log.exception("Dry run of import %s failed", job.pk)
        _fail(job, f"Unexpected error while checking the file: {exc}")
        return job
    _apply(job, outcome, dry_run=True)
    job.status = ImportStatus.PREVIEWED
    job.finished_at = timezone.now()
    job.save()
    return job


def run(actor: Actor, job: ImportJob, on_progress: ProgressCallback | None = None) -> ImportJob:
    """Write every valid row in one transaction; on any unexpected error nothing is kept."""
    actor.require(Role.MEMBER)
    _own(actor, job)
    stop = bool(job.options.get("stop_on_first_error"))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, started_at=timezone.now(), progress=0)
    job.refresh_from_db()
    try:
        with transaction.atomic():
            outcome = process(
                actor, job, dry_run=False, stop_on_first_error=stop, on_progress=_reporter(job, on_progress)
            )
            _apply(job, outcome, dry_run=False)
            job.status = ImportStatus.DONE
            job.finished_at = timezone.now()
            job.failure = ""
            job.save()
    except StopImport as exc:
        _fail(job, f"Stopped at the first error, so nothing was imported. {exc}")
    except ValidationError as exc:
        _fail(job, " ".join(exc.messages) + " Nothing was imported.")
    except Exception as exc:
        log.exception("Import %s failed", job.pk)
        _fail(job, f"The import failed and nothing was imported: {type(exc).__name__}: {exc}")
    finally:
        progress_file(job).unlink(missing_ok=True)
    if job.status == ImportStatus.FAILED:
        job.refresh_from_db()
    return job


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def job_summary(job: ImportJob) -> dict[str, Any]:
    """What the API returns (and the CLI prints)."""
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "dry_run": job.dry_run,
        "file": job.original_name,
        "size": job.size,
        "encoding": job.encoding,
        "delimiter": csvio.DELIMITER_NAMES.get(job.delimiter, job.delimiter),
        "columns": job.header,
        "mapping": job.mapping,
        "total_rows": job.total_rows,
        "progress": live_progress(job)["progress"],
        "counts": job.counts,
        "errors": [describe(p) for p in job.error_report if p.get("level") == "error"][:200],
        "warnings": [describe(p) for p in job.error_report if p.get("level") == "warning"][:200],
        "failure": job.failure,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def result_link(job: ImportJob) -> tuple[str, str] | None:
    """Where the imported records can be seen: (label, url), if that page exists."""
    from django.urls import NoReverseMatch, reverse

    target = {
        ImportKind.ACCOUNTS: ("customers:account_list", "", "View accounts"),
        ImportKind.CONTACTS: ("customers:contact_list", "", "View contacts"),
        ImportKind.FEEDBACK: (
            "feedback:inbox",
            f"?channel={job.options.get('channel') or Channel.CSV}",
            "View feedback",
        ),
    }[ImportKind(job.kind)]
    try:
        return target[2], reverse(target[0], kwargs={"ws": job.workspace.slug}) + target[1]
    except NoReverseMatch:
        return None


def mapping_rows(job: ImportJob) -> list[dict[str, Any]]:
    """One row per column of the file: its name, sample values and the field it is mapped to."""
    by_column = {column: field for field, column in job.mapping.items()}
    rows = []
    for i, column in enumerate(job.header):
        samples = [row[i] for row in job.sample if i < len(row) and row[i].strip()][:3]
        rows.append({"index": i, "column": column, "samples": samples, "field": by_column.get(column, "")})
    return rows


def preview_table(job: ImportJob) -> dict[str, Any]:
    """Headers and cells for the preview page, in field order, only mapped fields."""
    specs = [f for f in fields_for(job.kind) if f.name in job.mapping]
    rows = []
    for entry in job.preview:
        rows.append(
            {
                "row": entry["row"],
                "result": entry["result"],
                "message": entry.get("message", ""),
                "cells": [entry["values"].get(f.name, "") for f in specs],
            }
        )
    return {"headers": [f.label for f in specs], "rows": rows}
