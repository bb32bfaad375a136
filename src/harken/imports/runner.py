"""The run engine of the import pipeline: one pass over a job's records, written in short chunks.

`process` reads every record once (a CSV row or a source kind's record), validates it through the
job's writer and, unless it is a dry run, writes the records chunk by chunk. Each chunk is one short
transaction holding the rows, their ledger entries (`ImportedRow`) and the job's counters and
checkpoint; `undo` reverses a run by its ledger. `harken.imports.actions` decides when to run,
resume or undo (see its docstring for why).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from harken.channels import ingest
from harken.core import bulkinsert
from harken.customers.models import Account, Contact
from harken.feedback.models import Feedback
from harken.imports import csvio, sources
from harken.imports.models import ImportedRow, ImportJob, ImportSource
from harken.imports.queries import describe
from harken.imports.writers import NothingToImport, Prepared, RowProblem, Writer, Written, writer_for
from harken.workspaces.access import Actor

PREVIEW_ROWS = 20
MAX_REPORT = 1000  # per-row problems kept on the job; the counts stay exact beyond that
PROGRESS_EVERY_SECONDS = 0.5
CHUNK_ROWS = ingest.CHUNK_SIZE  # records per committed chunk: a short write transaction each
CHUNK_BYTES = 4 * 1024 * 1024  # …or fewer when the records are long (keeps memory and transactions small)
CHUNK_SECONDS = 0.5  # …and fewer when writing is slow: each chunk's transaction aims at this duration
FIRST_CHUNK = 20  # rows in the first chunk, before the pace of writing is known
MIN_CHUNK = 100  # …and never fewer after it: each chunk has a fixed cost (settings, tags, one insight job,
# ledger, checkpoint) that tiny chunks multiply; on a loaded machine the pace-based size fell to ~12 rows
SQLITE_PAUSE = 0.025  # after each commit on SQLite, so writers waiting on the lock get their turn
UNDO_CHUNK = 500
READ_AHEAD = CHUNK_ROWS  # records read (and primed: senders looked up) together, before they are validated

ProgressCallback = Callable[[int, int, int], None]  # (done, total, rows read)


class StopImport(Exception):
    pass


class Cancelled(Exception):
    pass


@dataclass
class Outcome:
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    duplicates: int = 0
    errors: int = 0
    ignored: int = 0
    report: list[dict[str, Any]] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    grouped: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def resumed(cls, job: ImportJob) -> Outcome:
        """The counts a killed run had committed with its last chunk."""
        return cls(
            total_rows=int(job.state.get("rows", 0)),  # processed_rows may run ahead of the last commit
            created=job.created,
            updated=job.updated,
            skipped=job.skipped,
            duplicates=job.duplicates,
            errors=job.errors,
            ignored=job.ignored,
            report=list(job.error_report),
            preview=list(job.preview),
            grouped=dict(job.state.get("grouped") or {}),
        )

    def note_once(self, row: int, column: str | None, message: str) -> None:
        """A note that repeats for many rows (an unknown product line) is reported once, with its rows."""
        entry = self.grouped.setdefault(
            f"{column or ''}\x1f{message}", {"column": column, "message": message, "rows": [], "count": 0}
        )
        entry["count"] += 1
        if len(entry["rows"]) < 11:
            entry["rows"].append(row)

    def finish(self) -> None:
        for entry in self.grouped.values():
            rows, count = entry["rows"], entry["count"]
            listed = ", ".join(str(r) for r in rows[:10]) + (", …" if count > 10 else "")
            suffix = f" ({count} rows: {listed})" if count > 1 else ""
            self.note(rows[0], entry["column"], entry["message"] + suffix, "warning", count=count, grouped=True)
        self.grouped.clear()
        self.report.sort(key=lambda p: p["row"])

    def note(
        self, row: int, column: str | None, message: str, level: str = "error", *, count: int = 1, grouped: bool = False
    ) -> None:
        if level == "error":
            self.errors += 1
        if len(self.report) < MAX_REPORT:
            entry: dict[str, Any] = {"row": row, "column": column, "message": message, "level": level}
            if grouped:  # one note standing for `count` rows (an unknown company, an unknown product line)
                entry.update(count=count, grouped=True)
            self.report.append(entry)

    def apply_to(self, job: ImportJob) -> None:
        job.total_rows = self.total_rows
        job.processed_rows = self.total_rows
        job.created = self.created
        job.updated = self.updated
        job.skipped = self.skipped
        job.duplicates = self.duplicates
        job.errors = self.errors
        job.ignored = self.ignored
        job.error_report = self.report
        job.preview = self.preview


def _digest(key: str) -> bytes:
    return hashlib.blake2b(key.encode(), digest_size=12).digest()


def _size(record: Any) -> int:
    """About how much text a record holds (a CSV row's cells, a source record's text)."""
    values = getattr(record, "values", None)
    if isinstance(values, dict):
        return sum(len(v) for v in values.values() if isinstance(v, str))
    return len(getattr(record, "text", "") or "")


@contextmanager
def _records(job: ImportJob) -> Iterator[tuple[Callable[[], int], Iterator[Any]]]:
    """The job's records in file order (CSV rows or a source kind's records), and bytes read so far."""
    with job.file.open("rb") as binary:
        if job.source == ImportSource.CSV:
            layout = csvio.Layout(encoding=job.encoding, delimiter=job.delimiter, header=job.header)
            counter, rows = csvio.iter_records(binary, layout)
            yield (lambda: counter.bytes_read), rows
        else:
            yield (lambda: binary.tell()), sources.parse(job.source, binary, job.options)


class Run:
    """One pass over a job's records: validate each, and (unless a dry run) write them chunk by chunk."""

    def __init__(
        self, actor: Actor, job: ImportJob, *, dry_run: bool, stop: bool, on_progress: ProgressCallback | None
    ) -> None:
        self.actor = actor
        self.job = job
        self.dry_run = dry_run
        self.stop = stop
        self.on_progress = on_progress
        self.writer: Writer = writer_for(actor, job)
        self.resume_after = 0 if dry_run else job.checkpoint
        self.outcome = Outcome.resumed(job) if self.resume_after else Outcome()
        self.seen: dict[bytes, int] = {}
        self.chunk: list[tuple[int, Prepared, dict[str, Any] | None]] = []
        self.chunk_bytes = 0
        self.chunk_limit = CHUNK_ROWS if dry_run else min(CHUNK_ROWS, FIRST_CHUNK)
        self.last_number = self.resume_after
        self.last_report = 0.0
        self.expected = job.total_rows if job.dry_run and job.total_rows else 0  # from the preview

    def go(self) -> Outcome:
        with _records(self.job) as (bytes_read, records):
            for batch in self.read_ahead(records):
                self.writer.prime(batch)  # e.g. the senders of the batch, in two queries instead of one per row
                for record in batch:
                    self.outcome.total_rows += 1
                    self.last_number = record.number
                    self.take(record)
                    if len(self.chunk) >= self.chunk_limit or self.chunk_bytes >= CHUNK_BYTES:
                        self.flush()
                    now = time.monotonic()
                    if now - self.last_report >= PROGRESS_EVERY_SECONDS:
                        self.last_report = now
                        self.progress(bytes_read())
            self.flush()
        self.outcome.finish()
        if self.on_progress:
            self.on_progress(self.job.size, self.job.size, self.outcome.total_rows)
        return self.outcome

    def read_ahead(self, records: Iterator[Any]) -> Iterator[list[Any]]:
        """The records not yet committed, in batches of up to READ_AHEAD rows (or CHUNK_BYTES of text)."""
        batch: list[Any] = []
        size = 0
        for record in records:
            if record.number <= self.resume_after:
                continue
            batch.append(record)
            size += _size(record)
            if len(batch) >= READ_AHEAD or size >= CHUNK_BYTES:
                yield batch
                batch, size = [], 0
        if batch:
            yield batch

    def take(self, record: Any) -> None:
        outcome = self.outcome
        try:
            if getattr(record, "problem", ""):
                raise RowProblem([(None, record.problem)])
            prepared = self.writer.prepare(record)
        except NothingToImport as exc:
            outcome.ignored += 1
            outcome.note(record.number, None, str(exc), "warning")
            return
        except RowProblem as exc:
            self.problems(record.number, exc.problems)
            return
        except ValidationError as exc:
            self.problems(record.number, self.writer.problems_from(exc))
            return
        digest = _digest(prepared.key)
        if digest in self.seen:
            outcome.duplicates += 1
            outcome.note(record.number, None, f"duplicate of row {self.seen[digest]}; skipped", "warning")
            self.preview({"row": record.number, "values": prepared.display, "result": "duplicate"})
            return
        self.seen[digest] = record.number
        for column, message in prepared.warnings:
            outcome.note_once(record.number, column, message)
        entry = None
        if len(outcome.preview) < PREVIEW_ROWS:
            entry = {"row": record.number, "values": prepared.display, "result": ""}
            outcome.preview.append(entry)
        self.chunk.append((record.number, prepared, entry))
        payload = prepared.payload
        self.chunk_bytes += len(str(payload.get("text") or "")) + len(str(payload.get("raw_payload") or ""))

    def problems(self, number: int, problems: list[tuple[str | None, str]]) -> None:
        for column, message in problems:
            self.outcome.note(number, column, message)
        message = describe(self.outcome.report[-1]) if self.outcome.report else ""
        self.preview({"row": number, "values": {}, "result": "error", "message": message})
        if self.stop:
            raise StopImport(describe({"row": number, "column": problems[0][0], "message": problems[0][1]}))

    def preview(self, entry: dict[str, Any]) -> None:
        if len(self.outcome.preview) < PREVIEW_ROWS:
            self.outcome.preview.append(entry)

    def flush(self) -> None:
        """Write the chunk. A real run commits it, its ledger and the job's checkpoint in one short transaction."""
        chunk, self.chunk, self.chunk_bytes = self.chunk, [], 0
        if not chunk and self.dry_run:
            return
        if self.dry_run:
            self.record(chunk, self.writer.write_chunk([p for _, p, _ in chunk], True))
            return
        if ImportJob.objects.filter(pk=self.job.pk, cancel_requested=True).exists():
            raise Cancelled
        started = time.monotonic()
        with transaction.atomic():
            written = self.writer.write_chunk([p for _, p, _ in chunk], False)
            self.record(chunk, written)
            bulkinsert.insert(
                ImportedRow,
                [
                    ImportedRow(job=self.job, model=w.model, object_id=w.object_id, previous=w.previous)
                    for w in written
                    if w.object_id is not None
                ],
            )
            self.checkpoint()
        if chunk:  # size the next chunk so its transaction takes about CHUNK_SECONDS
            per_row = max(time.monotonic() - started, 1e-6) / len(chunk)
            self.chunk_limit = max(min(MIN_CHUNK, CHUNK_ROWS), min(CHUNK_ROWS, int(CHUNK_SECONDS / per_row)))
        if connection.vendor == "sqlite":
            time.sleep(SQLITE_PAUSE)

    def record(self, chunk: list[tuple[int, Prepared, dict[str, Any] | None]], written: list[Written]) -> None:
        outcome = self.outcome
        for (number, _, entry), result in zip(chunk, written, strict=True):
            if result.problems:
                if entry is not None:
                    entry["result"] = "error"
                    entry["values"] = {}
                self.problems(number, result.problems)
                if entry is not None:
                    entry["message"] = describe(outcome.report[-1]) if outcome.report else ""
                continue
            setattr(outcome, result.result, getattr(outcome, result.result) + 1)
            if entry is not None:
                entry["result"] = result.result

    def checkpoint(self) -> None:
        job = self.job
        self.outcome.apply_to(job)
        job.checkpoint = self.last_number
        job.state = {"grouped": self.outcome.grouped, "rows": self.outcome.total_rows}
        job.heartbeat_at = timezone.now()
        job.progress = self.percent(0)
        ImportJob.objects.filter(pk=job.pk).update(
            **{
                name: getattr(job, name)
                for name in (
                    "total_rows",
                    "processed_rows",
                    "created",
                    "updated",
                    "skipped",
                    "duplicates",
                    "errors",
                    "ignored",
                    "error_report",
                    "preview",
                    "checkpoint",
                    "state",
                    "heartbeat_at",
                    "progress",
                )
            }
        )

    def percent(self, done_bytes: int) -> int:
        rows = self.outcome.total_rows
        if self.expected:
            return min(99, rows * 100 // self.expected)
        return min(99, done_bytes * 100 // self.job.size) if self.job.size and done_bytes else self.job.progress

    def progress(self, done_bytes: int) -> None:
        percent = self.percent(done_bytes)
        rows = self.outcome.total_rows
        ImportJob.objects.filter(pk=self.job.pk).update(
            progress=percent, processed_rows=rows, heartbeat_at=timezone.now()
        )
        if self.on_progress:
            self.on_progress(percent, 100, rows)


def process(
    actor: Actor,
    job: ImportJob,
    *,
    dry_run: bool,
    stop_on_first_error: bool = False,
    on_progress: ProgressCallback | None = None,
) -> Outcome:
    """Read every record once, validate it and (unless dry_run) write it in committed chunks. Streams the file."""
    return Run(actor, job, dry_run=dry_run, stop=stop_on_first_error, on_progress=on_progress).go()


_MODELS: dict[str, type[Any]] = {"feedback": Feedback, "contact": Contact, "account": Account}


def undo(job: ImportJob) -> int:
    """Delete what the run created and restore what it updated, newest first, one short chunk at a time."""
    undone = 0
    while True:
        with transaction.atomic():
            entries = list(job.ledger.order_by("-id")[:UNDO_CHUNK])
            if not entries:
                return undone
            for model_name in ("feedback", "contact", "account"):  # feedback first: it points at customers
                model = _MODELS[model_name]
                scoped = model.objects.filter(workspace=job.workspace)
                created = [e.object_id for e in entries if e.model == model_name and e.previous is None]
                if created:
                    scoped.filter(pk__in=created).delete()
                for entry in entries:
                    if entry.model == model_name and entry.previous is not None:
                        scoped.filter(pk=entry.object_id).update(**entry.previous)
            ImportedRow.objects.filter(pk__in=[e.pk for e in entries]).delete()
            ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
            undone += len(entries)
