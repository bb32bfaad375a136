"""Export of an inbox view (the same filters and sort) to CSV or JSON, streamed.

Rows are read in chunks (`iterator`), so a view of 100k items never sits in memory; relations come
with each chunk (joins and one prefetch of tags per chunk), never one query per row. CSV cells that
a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) get a
leading apostrophe: customer text must never execute. The export is recorded in the audit log, as
`harken export` records a workspace export (`start_export`, a write, runs before the stream starts).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from harken.feedback.models import Feedback
from harken.feedback.queries import FeedbackFilters, inbox_rows, one_to_one, search_feedback
from harken.workspaces.access import Actor

FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
CHUNK = 500

COLUMNS = [
    "id",
    "received_at",
    "title",
    "text",
    "channel",
    "author_name",
    "author_email",
    "account",
    "account_arr",
    "product_line",
    "tags",
    "decision",
    "decision_reason",
    "assignee",
    "theme",
    "url",
]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: formula starters get a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_rows(workspace: Any, filters: FeedbackFilters) -> QuerySet[Feedback]:
    """The view's items with everything a row shows: joined, plus tags prefetched per chunk."""
    return inbox_rows(search_feedback(workspace, filters)).select_related("workspace")


def row_of(item: Feedback, base_url: str) -> dict[str, Any]:
    triage = one_to_one(item, "triage")
    assignment = one_to_one(item, "theme_assignment")
    theme = assignment.theme if assignment is not None and assignment.theme_id else None
    return {
        "id": item.pk,
        "received_at": item.received_at.isoformat(),
        "title": item.title,
        "text": item.text,
        "channel": item.channel,
        "author_name": item.author_name,
        "author_email": item.author_email,
        "account": item.account.name if item.account else None,
        "account_arr": float(item.account.arr) if item.account and item.account.arr is not None else None,
        "product_line": item.product_line.name if item.product_line else None,
        "tags": [t.name for t in item.tags.all()],
        "decision": (triage.decision or None) if triage else None,
        "decision_reason": (triage.decision_reason or None) if triage else None,
        "assignee": triage.assignee.email if triage and triage.assignee else None,
        "theme": theme.name if theme else None,
        "url": base_url + reverse("feedback:detail", kwargs={"ws": item.workspace.slug, "pk": item.pk}),
    }


def _cells(row: dict[str, Any]) -> list[Any]:
    cells: list[Any] = []
    for column in COLUMNS:
        value = row[column]
        if column in ("id", "account_arr"):  # numbers: nothing to neutralise
            cells.append("" if value is None else value)
        else:
            cells.append(safe_cell(", ".join(value) if column == "tags" else value))
    return cells


def _csv(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return value

    writer.writerow(COLUMNS)
    yield "\ufeff" + flush()  # a BOM, so spreadsheets read UTF-8
    for n, row in enumerate(rows, 1):
        writer.writerow(_cells(row))
        if n % 100 == 0:
            yield flush()
    yield flush()


def _json(rows: Iterator[dict[str, Any]], meta: dict[str, Any]) -> Iterator[str]:
    head = json.dumps(meta)[:-1]  # the object without its closing brace: items follow
    yield head + ', "items": ['
    for n, row in enumerate(rows):
        yield ("," if n else "") + "\n" + json.dumps(row)
    yield "\n]}\n"


def start_export(actor: Actor, filters: FeedbackFilters, fmt: str) -> tuple[QuerySet[Feedback], int]:
    """Record the export in the audit log (a write: callers run it on POST) and return the rows."""
    from harken.workspaces import audit
    from harken.workspaces.models import AuditAction

    qs = export_rows(actor.workspace, filters)
    count = qs.count()
    described = ", ".join(f"{k}={v}" for k, v in filter_params(filters).items()) or "all items"
    audit.record(actor, AuditAction.EXPORTED, f"Inbox export ({fmt}, {count} items): {described}")
    return qs, count


def filter_params(filters: FeedbackFilters) -> dict[str, str]:
    """The filters as the query parameters that select them (empty ones left out)."""
    params = {
        "q": filters.q,
        "channel": filters.channel,
        "product_line": filters.product_line,
        "tag": filters.tag,
        "account": str(filters.account) if filters.account is not None else "",
        "segment": filters.segment,
        "since": filters.since.isoformat() if filters.since else "",
        "until": filters.until.isoformat() if filters.until else "",
        "has_account": "" if filters.has_account is None else ("yes" if filters.has_account else "no"),
        "sort": "" if filters.sort == "newest" else filters.sort,
    }
    return {k: v for k, v in params.items() if v}


def response(
    actor: Actor, filters: FeedbackFilters, fmt: str, base_url: str, row: Callable[..., dict[str, Any]] = row_of
) -> StreamingHttpResponse:
    """The streamed download of the view. `fmt` must be one of FORMATS (callers validate it)."""
    qs, count = start_export(actor, filters, fmt)
    rows = (row(item, base_url) for item in qs.iterator(chunk_size=CHUNK))
    now: datetime = timezone.now()
    if fmt == "csv":
        body: Iterator[str] = _csv(rows)
    else:
        meta = {
            "workspace": actor.workspace.slug,
            "exported_at": now.isoformat(),
            "filters": filter_params(filters),
            "count": count,
        }
        body = _json(rows, meta)
    result = StreamingHttpResponse(body, content_type=FORMATS[fmt])
    name = f"harken-{actor.workspace.slug}-feedback-{now:%Y%m%d-%H%M}.{fmt}"
    result["Content-Disposition"] = f'attachment; filename="{name}"'
    result["X-Item-Count"] = str(count)
    result["Cache-Control"] = "no-store"
    return result
