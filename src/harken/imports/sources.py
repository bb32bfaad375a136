"""Source kinds: the formats an import can read, besides a CSV mapped column by column.

A source kind is a parser (`harken.channels.importers.sources`) that turns another tool's export into
`harken.channels.ingest.Record`s (or `Problem`s), keyed by that tool's own ids. The import pipeline
(`harken.imports.actions`) runs every kind the same way: stored file → preview → background run in
short chunks → done, idempotent by source id.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from harken.imports.models import ImportSource

FORMAT_NOTES = {
    "csv": "Any CSV: comma, semicolon or tab separated; UTF-8, UTF-16 or Latin-1. You map the columns next.",
    "zendesk": "Zendesk → Admin Center → Account → Tools → Reports → Export: the JSON ticket export (one ticket per line), "
    'an API dump ({"tickets": [...]}), or the CSV export (columns Id, Subject, Description, Requester, Requester email, '
    "Created at, Tags, Via). Keyed by the ticket id.",
    "intercom": 'Intercom conversations as the API returns them (a JSON array, {"conversations": [...]}, or one per line): '
    "id, created_at (unix seconds), source.body (HTML, converted to safe text), source.author.email/name, tags. "
    "Keyed by the conversation id.",
    "appstore": "App Store Connect reviews CSV: Review ID, Rating, Title, Review, Nickname, Date, Territory, Version. "
    "Rating, territory and version become tags. Keyed by the review id.",
    "googleplay": "Google Play Console → Download reports → Reviews: reviews_<package>_<YYYYMM>.csv (UTF-16, as Google ships it). "
    "Uses Review Link (its reviewId), Star Rating, Review Title, Review Text, Review Submit Date and Time, App Version Name, "
    "Reviewer Language. Rating-only reviews are skipped.",
    "json": "A JSON array, JSON lines, or a CSV file. Map fields to dotted paths (JSON) or column names (CSV); common names "
    "(text, body, message, email, created_at, id, tags) are found on their own. Keyed by the mapped id (or the content).",
}

ACCEPT = {
    "csv": ".csv,.tsv,.txt,text/csv",
    "zendesk": ".json,.jsonl,.ndjson,.csv,application/json,text/csv",
    "intercom": ".json,.jsonl,.ndjson,application/json",
    "appstore": ".csv,.tsv,text/csv",
    "googleplay": ".csv,text/csv",
    "json": ".json,.jsonl,.ndjson,.csv,application/json,text/csv",
}

# The fields a source kind's preview shows (a mapped CSV shows its mapped fields instead).
PREVIEW_FIELDS = [
    ("external_id", "Source id"),
    ("title", "Title"),
    ("text", "Text"),
    ("author_email", "Author email"),
    ("received_at", "Received"),
    ("tags", "Tags"),
]


@dataclass(frozen=True)
class SourceKind:
    name: str
    label: str
    notes: str
    accept: str
    has_mapping: bool  # the generic mapper takes a field → path mapping


def kinds() -> list[SourceKind]:
    return [source(value) for value in ImportSource.values]


def channel_kinds() -> list[SourceKind]:
    """The other tools' exports (everything but the mapped CSV)."""
    return [k for k in kinds() if k.name != ImportSource.CSV]


def source(name: str) -> SourceKind:
    return SourceKind(
        name=name,
        label=ImportSource(name).label,
        notes=FORMAT_NOTES[name],
        accept=ACCEPT[name],
        has_mapping=name == ImportSource.JSON,
    )


def parse(name: str, binary: IO[bytes], options: dict[str, Any]) -> Iterator[Any]:
    """Records (`Record` | `Problem`) of a stored export, in file order."""
    from harken.channels.importers.sources import PARSERS

    return PARSERS[name](binary, options)


def looks_like_json(binary: IO[bytes]) -> bool:
    head = binary.read(4096)
    binary.seek(0)
    return head.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] in (b"{", b"[")
