"""What every channel shares: a source yields normalised records, and one function writes a chunk of them.

A source (a file import's parser, a feed, a webhook, the widget) turns its own format into `Record`s, or
`Problem`s for records it cannot read. `ingest_chunk` turns a chunk of records into feedback with the
dedupe key `<source>:<source's own id>`, so ingesting the same records twice creates nothing the second
time. Every write of ingested feedback goes through `create_items` (the one call to swap for a bulk
insert), whether the records came from a channel or from a mapped CSV import.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime

from harken.feedback.models import content_hash
from harken.workspaces.access import Actor

MAX_ERRORS_KEPT = 500
CHUNK_SIZE = 500  # records per write: one short transaction each on the import path


@dataclass
class Record:
    """One piece of feedback as a source sees it, already in Harken's vocabulary."""

    number: int  # position in the source (row number for CSV, record number for JSON), for error messages
    text: str
    external_id: str = ""
    title: str = ""
    author_email: str = ""
    author_name: str = ""
    received_at: datetime | None = None
    channel: str = "support"
    tags: list[str] = field(default_factory=list)
    product_hint: str = ""
    raw: Any = None  # the source's own record, stored verbatim (as JSON) on the item
    source_ref: str = ""  # which one of the source kind (e.g. the feed's id): stored, indexed, on the item


@dataclass
class Problem:
    """A record the source could not turn into feedback, with a reason people can act on."""

    number: int
    reason: str
    skipped: bool = False  # nothing to import (e.g. a rating without text): counted, not an error


@dataclass
class Written:
    """What became of one payload handed to `create_items`."""

    item: Any = None  # the Feedback row (new or already present); None when refused
    created: bool = False
    error: ValidationError | None = None


@dataclass
class IngestResult:
    total: int = 0
    created: int = 0
    existing: int = 0
    skipped: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    feedback_ids: list[int] = field(default_factory=list)  # created by this run
    seen_ids: list[int] = field(default_factory=list)  # created or found, in record order

    def problem(self, number: int, reason: str, level: str = "error") -> None:
        if level == "error":
            self.error_count += 1
        else:
            self.skipped += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append({"record": number, "reason": reason, "level": level})

    def merge(self, other: IngestResult) -> None:
        self.total += other.total
        self.created += other.created
        self.existing += other.existing
        self.skipped += other.skipped
        self.error_count += other.error_count
        self.errors.extend(other.errors[: max(0, MAX_ERRORS_KEPT - len(self.errors))])
        self.feedback_ids.extend(other.feedback_ids)
        self.seen_ids.extend(other.seen_ids)


def dedupe_key(source: str, record: Record) -> str:
    """`<source>:<id>`; without an id, a fingerprint of the content (still stable across re-runs)."""
    if record.external_id:
        return f"{source}:{record.external_id}"
    return f"{source}:sha256:{content_hash(record.text, record.title, record.author_email, record.received_at)}"


def raw_json(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    return json.dumps(raw, ensure_ascii=False, default=str)


def create_items(actor: Actor, payloads: Sequence[dict[str, Any]]) -> list[Written]:
    """Write a chunk of feedback: THE one place where ingested records become feedback items.

    Each payload holds `create_feedback`'s keyword arguments. The chunk goes through
    `feedback.actions.create_feedback_batch` (bulk inserts, triage rows, one insight job per chunk)
    inside the caller's transaction. The batch validates every row before writing anything; a row
    it refuses is reported as that row's error and the others are written without it.
    """
    from harken.feedback.actions import BatchRowError, NewItem, create_feedback_batch, validate_new_item

    written: list[Written | None] = [None] * len(payloads)
    pending = list(range(len(payloads)))
    screened = False
    while pending:
        try:
            results = create_feedback_batch(actor, [NewItem(**payloads[i]) for i in pending])
        except BatchRowError as exc:
            if screened:  # cannot happen after screening; kept as the safe fallback
                written[pending.pop(exc.index)] = Written(error=exc)
                continue
            # a bad row: check every row once on its own (no queries), set the bad ones aside and write
            # the others in one more batch — linear in the chunk, however many rows are bad
            screened = True
            for i in list(pending):
                try:
                    validate_new_item(actor.workspace, NewItem(**payloads[i]))
                except ValidationError as error:
                    written[i] = Written(error=error)
                    pending.remove(i)
            continue
        for i, (item, created) in zip(pending, results, strict=True):
            written[i] = Written(item=item, created=created)
        break
    return [w if w is not None else Written(error=ValidationError("not written")) for w in written]


class ProductLines:
    """Product-line lookups for a run: a default for every record, plus per-record hints (cached)."""

    def __init__(self, actor: Actor, default: Any = None) -> None:
        from harken.feedback.actions import resolve_product_line

        self.actor = actor
        self.default = resolve_product_line(actor.workspace, default) if default else None
        self._hints: dict[str, Any] = {}

    def for_record(self, record: Record) -> Any:
        if not record.product_hint:
            return self.default
        key = record.product_hint.lower()
        if key not in self._hints:
            self._hints[key] = _product_line_for(self.actor, record.product_hint)
        return self._hints[key] or self.default


def record_payload(source: str, record: Record, product_line: Any = None) -> dict[str, Any]:
    """`create_feedback`'s keyword arguments for one record."""
    return {
        "text": record.text,
        "title": " ".join(record.title.split())[:300],  # a long source title is shortened, not refused
        "channel": record.channel,
        "author_email": record.author_email,
        "author_name": record.author_name,
        "product_line": product_line,
        "tags": [" ".join(t.split())[:60] for t in record.tags][:30],
        "received_at": record.received_at,
        "external_id": record.external_id[:300],
        "dedupe_key": dedupe_key(source, record),
        "raw_payload": raw_json(record.raw),
        "raw_content_type": "application/json" if not isinstance(record.raw, str) else "text/plain",
        "source_kind": source.split(":", 1)[0],  # "webhook:12" → kind webhook, ref 12
        "source_ref": record.source_ref or source.partition(":")[2],
    }


def ingest_chunk(
    actor: Actor,
    source: str,
    records: Sequence[Record | Problem],
    *,
    product_line: Any = None,
    lines: ProductLines | None = None,
) -> IngestResult:
    """Create feedback for one chunk of records; a bad record never stops the others.

    The caller decides the transaction: an import run wraps each chunk in one short transaction
    (see `harken.imports.actions`); feeds, webhooks and the widget call it per delivery.
    """
    lines = lines or ProductLines(actor, product_line)
    result = IngestResult()
    payloads: list[dict[str, Any]] = []
    numbers: list[int] = []
    for item in records:
        result.total += 1
        if isinstance(item, Problem):
            result.problem(item.number, item.reason, "skipped" if item.skipped else "error")
            continue
        payloads.append(record_payload(source, item, lines.for_record(item)))
        numbers.append(item.number)
    for number, written in zip(numbers, create_items(actor, payloads), strict=True):
        if written.error is not None:
            result.problem(number, error_message(written.error))
            continue
        result.seen_ids.append(written.item.pk)
        if written.created:
            result.created += 1
            result.feedback_ids.append(written.item.pk)
        else:
            result.existing += 1
    return result


def ingest_records(
    actor: Actor,
    source: str,
    records: Iterable[Record | Problem],
    *,
    product_line: Any = None,
    progress: Callable[[IngestResult], None] | None = None,
) -> IngestResult:
    """Ingest any number of records chunk by chunk (feeds, webhooks, the widget: small deliveries)."""
    lines = ProductLines(actor, product_line)
    result = IngestResult()
    for chunk in chunked(records, CHUNK_SIZE):
        result.merge(ingest_chunk(actor, source, chunk, lines=lines))
        if progress is not None:
            progress(result)
    return result


def chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _product_line_for(actor: Actor, hint: str) -> Any:
    """A product hint that names no product line is ignored rather than failing the record."""
    from harken.feedback.actions import resolve_product_line

    try:
        return resolve_product_line(actor.workspace, hint)
    except ValidationError:
        return None


def error_message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(m for messages in exc.message_dict.values() for m in messages)
    return " ".join(exc.messages)


# --- helpers shared by sources ----------------------------------------------------------------------

_INDEX = re.compile(r"^\d+$")


def dig(obj: Any, path: str) -> Any:
    """Follow a dotted path through dicts and lists: "source.author.email", "tags.0.name".

    A path that names a list of dicts without an index collects the key from each item
    ("tags.tags.name" → ["a", "b"]). A missing step gives None.
    """
    if not path:
        return None
    current = obj
    for step in path.split("."):
        if current is None:
            return None
        if isinstance(current, list):
            if _INDEX.match(step):
                index = int(step)
                current = current[index] if index < len(current) else None
            else:
                current = [dig(element, step) for element in current if isinstance(element, dict)]
                current = [value for value in current if value not in (None, "")]
        elif isinstance(current, dict):
            current = current.get(step)
        else:
            return None
    return current


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(as_text(v) for v in value if v not in (None, ""))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


def as_tags(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return [as_text(v) for v in value if as_text(v)]
    # Zendesk CSV uses spaces, most tools commas.
    text = str(value)
    parts = text.split(",") if "," in text else text.split()
    return [p.strip() for p in parts if p.strip()]


def html_to_text(html: str) -> str:
    """Untrusted HTML → plain readable text: sanitised first, then converted; nothing executable survives."""
    import html2text
    import nh3

    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return html.strip()
    cleaned = nh3.clean(
        html, tags={"p", "br", "div", "ul", "ol", "li", "b", "strong", "i", "em", "a", "blockquote", "pre", "code"}
    )
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.protect_links = False
    text = converter.handle(cleaned)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_FORMATS = [
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d %b %Y",
]


def parse_when(value: Any) -> datetime | None:
    """ISO 8601, unix seconds or milliseconds, and the date styles exports use. Naive → workspace zone later."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) or (isinstance(value, str) and re.fullmatch(r"\d{9,13}(\.\d+)?", value.strip())):
        number = float(value)
        if number > 1e11:  # milliseconds
            number /= 1000
        return datetime.fromtimestamp(number, tz=UTC)
    text = str(value).strip()
    if text.endswith(" UTC"):
        text = text[:-4] + "+00:00"
    parsed = parse_datetime(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    if parsed:
        return parsed
    for fmt in _FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"“{text[:40]}” is not a date we can read (use ISO 8601, e.g. 2024-05-01T09:30:00Z)")


def iter_json_records(data: bytes) -> Iterator[tuple[int, Any]]:
    """A JSON array, an object wrapping one (`{"tickets": [...]}`), one object, or JSON lines.

    Yields (record number, value); a JSON-lines line that does not parse yields (number, ValueError).
    """
    text = decode_json_bytes(data)
    stripped = text.strip()
    if not stripped:
        raise ValidationError("The file is empty.")
    try:
        document = json.loads(stripped)
    except json.JSONDecodeError as exc:
        if stripped.startswith("[") or "\n" not in stripped:
            raise ValidationError(
                f"The file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
            ) from None
        yield from _json_lines(stripped)
        return
    if isinstance(document, dict):
        lists = [
            value for value in document.values() if isinstance(value, list) and value and isinstance(value[0], dict)
        ]
        document = lists[0] if len(lists) == 1 and not {"id", "text", "body"} & set(document) else [document]
    if not isinstance(document, list):
        raise ValidationError("Expected a JSON array of records (or one record per line).")
    yield from enumerate(document, start=1)


def _json_lines(text: str) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, ValueError(f"line {number} is not valid JSON ({exc.msg})")


def decode_json_bytes(data: bytes) -> str:
    from harken.imports.csvio import detect_encoding

    try:
        encoding = detect_encoding(data[: 256 * 1024])
    except ValidationError:
        raise
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise ValidationError(
            f"The file could not be read as {encoding}; save it as UTF-8 and upload it again."
        ) from None
