"""Reads of the import pipeline: what a job page, the API and the CLI show. Nothing here writes."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from harken.feedback.models import Channel
from harken.imports import csvio
from harken.imports.fields import fields_for
from harken.imports.models import ImportJob, ImportKind, ImportSource
from harken.imports.sources import PREVIEW_FIELDS
from harken.workspaces.access import Actor


def describe(problem: dict[str, Any]) -> str:
    """ "Row 17, column 'ARR': ARR must be a number, got 'abc'"."""
    where = f"Row {problem['row']}" + (f", column '{problem['column']}'" if problem.get("column") else "")
    return f"{where}: {problem['message']}"


def live_progress(job: ImportJob) -> dict[str, int]:
    """Progress for the job page: the run commits its counters with every chunk."""
    return {"progress": job.progress, "processed_rows": job.processed_rows}


def jobs(actor: Actor, *, source: str | None = None, channel_sources: bool = False) -> QuerySet[ImportJob]:
    """The workspace's import history, newest first (light: without the big JSON fields)."""
    qs = actor.workspace.imports.select_related("created_by").defer("sample", "preview", "error_report", "header")
    if source:
        qs = qs.filter(source=source)
    if channel_sources:
        qs = qs.exclude(source=ImportSource.CSV)
    return qs


def job_summary(job: ImportJob) -> dict[str, Any]:
    """What the API returns (and the CLI prints)."""
    return {
        "id": job.pk,
        "kind": job.kind,
        "source": job.source,
        "status": job.status,
        "dry_run": job.dry_run,
        "file": job.original_name,
        "size": job.size,
        "encoding": job.encoding,
        "delimiter": csvio.DELIMITER_NAMES.get(job.delimiter, job.delimiter),
        "columns": job.header,
        "mapping": job.mapping if job.source == ImportSource.CSV else job.options.get("mapping", {}),
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "progress": job.progress,
        "counts": job.counts,
        "errors": [describe(p) for p in job.error_report if p.get("level") == "error"][:200],
        "warnings": [describe(p) for p in job.error_report if p.get("level") == "warning"][:200],
        "failure": job.failure,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def notes_summary(job: ImportJob) -> dict[str, Any]:
    """The notes a preview shows first: each file-wide note (an unknown company, an unknown product
    line) with how many rows it concerns, most rows first; and how many other row notes there are."""
    grouped = [p for p in job.error_report if p.get("level") == "warning" and p.get("grouped")]
    grouped.sort(key=lambda p: (-int(p.get("count", 1)), p["row"]))
    others = sum(1 for p in job.error_report if p.get("level") == "warning" and not p.get("grouped"))
    return {
        "grouped": grouped,
        "rows": sum(int(p.get("count", 1)) for p in grouped),
        "other_notes": others,
        "errors": sum(1 for p in job.error_report if p.get("level") == "error"),
    }


def result_link(job: ImportJob) -> tuple[str, str] | None:
    """Where the imported records can be seen: (label, url), if that page exists."""
    from django.urls import NoReverseMatch, reverse

    channel = job.options.get("channel") or (Channel.CSV if job.source == ImportSource.CSV else "")
    target = {
        ImportKind.ACCOUNTS: ("customers:account_list", "", "View accounts"),
        ImportKind.CONTACTS: ("customers:contact_list", "", "View contacts"),
        ImportKind.FEEDBACK: ("feedback:inbox", f"?channel={channel}" if channel else "", "View feedback"),
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
    """Headers and cells for the preview page: the mapped fields (CSV) or the source's record fields."""
    if job.source == ImportSource.CSV:
        specs = [(f.name, f.label) for f in fields_for(job.kind) if f.name in job.mapping]
    else:
        specs = PREVIEW_FIELDS
    rows = []
    for entry in job.preview:
        rows.append(
            {
                "row": entry["row"],
                "result": entry["result"],
                "message": entry.get("message", ""),
                "cells": [entry["values"].get(name, "") for name, _ in specs],
            }
        )
    return {"headers": [label for _, label in specs], "rows": rows}
