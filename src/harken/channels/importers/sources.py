"""Parsers for the exports teams actually have. Each yields `Record`s keyed by the source's own id.

The exact formats (columns, fields) are documented in docs/channels.md; fixtures live in
tests/fixtures/channels/.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO, Any
from urllib.parse import parse_qs, urlparse

from django.core.exceptions import ValidationError

from harken.channels.ingest import (
    Problem,
    Record,
    as_tags,
    as_text,
    dig,
    html_to_text,
    iter_json_records,
    parse_when,
)
from harken.feedback.models import Channel

Parser = Callable[[IO[bytes], dict[str, Any]], Iterator[Record | Problem]]


# --- CSV helpers (encoding and dialect detection come from the generic CSV importer) -------------


def _csv_rows(binary: IO[bytes]) -> tuple[set[str], Iterator[tuple[int, Any]]]:
    """The lower-cased header and the rows; a row csvio could not read comes as (number, ValueError)."""
    from harken.imports.csvio import iter_records, sniff

    layout = sniff(binary)
    _, records = iter_records(binary, layout)

    def rows() -> Iterator[tuple[int, Any]]:
        for row in records:
            if row.problem:
                yield row.number, ValueError(row.problem)
            else:
                yield row.number, {key.lower(): value for key, value in row.values.items()}

    return {name.lower() for name in layout.header}, rows()


def _col(row: dict[str, str], *names: str) -> str:
    for name in names:
        value = row.get(name.lower())
        if value not in (None, ""):
            return str(value).strip()
    return ""


def _require_columns(header: set[str], source: str, *groups: tuple[str, ...]) -> None:
    missing = [" or ".join(f"“{n}”" for n in group) for group in groups if not header & {n.lower() for n in group}]
    if missing:
        raise ValidationError(
            f"This does not look like a {source} export: missing column {', '.join(missing)}. "
            f"Columns found: {', '.join(sorted(header))[:300]}."
        )


def _when(value: Any, number: int) -> Any:
    try:
        return parse_when(value)
    except ValueError as exc:
        raise _RecordError(number, str(exc)) from None


class _RecordError(Exception):
    def __init__(self, number: int, reason: str) -> None:
        super().__init__(reason)
        self.number = number
        self.reason = reason


def _guarded(
    rows: Iterator[tuple[int, Any]], build: Callable[[int, Any], Record | Problem]
) -> Iterator[Record | Problem]:
    for number, value in rows:
        if isinstance(value, Exception):
            yield Problem(number, f"Record {number}: {value}")
            continue
        try:
            yield build(number, value)
        except _RecordError as exc:
            yield Problem(exc.number, f"Record {exc.number}: {exc.reason}")


# --- Zendesk -----------------------------------------------------------------------------------------

_ZENDESK_VIA = {
    "email": Channel.EMAIL,
    "web": Channel.SUPPORT,
    "api": Channel.SUPPORT,
    "chat": Channel.CHAT,
    "native_messaging": Channel.CHAT,
    "messaging": Channel.CHAT,
    "mobile_sdk": Channel.SUPPORT,
    "voice": Channel.SUPPORT,
}


def _zendesk_channel(via: str) -> str:
    return str(_ZENDESK_VIA.get(via.strip().lower().replace(" ", "_"), Channel.SUPPORT))


def zendesk(binary: IO[bytes], options: dict[str, Any]) -> Iterator[Record | Problem]:
    """Zendesk tickets: the JSON data export (one ticket per line), an API dump, or the CSV export."""
    head = binary.read(4096)
    binary.seek(0)
    if head.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] in (b"{", b"["):
        return _guarded(iter_json_records(binary.read()), _zendesk_json)
    return _zendesk_csv(binary)


def _zendesk_json(number: int, ticket: Any) -> Record | Problem:
    if not isinstance(ticket, dict):
        raise _RecordError(number, "expected a ticket object")
    ticket_id = as_text(ticket.get("id"))
    if not ticket_id:
        raise _RecordError(number, "the ticket has no “id”")
    text = as_text(ticket.get("description")) or as_text(dig(ticket, "comments.0.body"))
    subject = as_text(ticket.get("subject") or ticket.get("raw_subject"))
    if not text and not subject:
        return Problem(number, f"Record {number} (ticket {ticket_id}): no subject or description", skipped=True)
    email = as_text(
        dig(ticket, "requester.email") or ticket.get("requester_email") or dig(ticket, "via.source.from.address")
    )
    name = as_text(dig(ticket, "requester.name") or ticket.get("requester_name") or dig(ticket, "via.source.from.name"))
    via = as_text(dig(ticket, "via.channel") or ticket.get("via"))
    return Record(
        number=number,
        external_id=ticket_id,
        text=text or subject,
        title=subject,
        author_email=email,
        author_name=name,
        received_at=_when(ticket.get("created_at"), number),
        channel=_zendesk_channel(via),
        tags=as_tags(ticket.get("tags")),
        raw=ticket,
    )


def _zendesk_csv(binary: IO[bytes]) -> Iterator[Record | Problem]:
    header, rows = _csv_rows(binary)
    _require_columns(header, "Zendesk tickets", ("Id", "Ticket ID"), ("Subject",))

    def build(number: int, row: dict[str, str]) -> Record | Problem:
        ticket_id = _col(row, "Id", "Ticket ID")
        if not ticket_id:
            raise _RecordError(number, "the “Id” column is empty")
        subject = _col(row, "Subject")
        text = _col(row, "Description", "Ticket description", "Comment")
        if not text and not subject:
            return Problem(number, f"Row {number} (ticket {ticket_id}): no subject or description", skipped=True)
        return Record(
            number=number,
            external_id=ticket_id,
            text=text or subject,
            title=subject,
            author_email=_col(row, "Requester email", "Requester e-mail"),
            author_name=_col(row, "Requester", "Requester name"),
            received_at=_when(_col(row, "Created at", "Ticket created - Timestamp"), number),
            channel=_zendesk_channel(_col(row, "Via", "Ticket channel")),
            tags=as_tags(_col(row, "Tags")),
            raw=row,
        )

    return _guarded(rows, build)


# --- Intercom ----------------------------------------------------------------------------------------


def intercom(binary: IO[bytes], options: dict[str, Any]) -> Iterator[Record | Problem]:
    """Intercom conversations (the API's conversation model, as an array, `{"conversations": [...]}` or lines)."""
    return _guarded(iter_json_records(binary.read()), _intercom_conversation)


def _intercom_conversation(number: int, conversation: Any) -> Record | Problem:
    if not isinstance(conversation, dict):
        raise _RecordError(number, "expected a conversation object")
    conversation_id = as_text(conversation.get("id"))
    if not conversation_id:
        raise _RecordError(number, "the conversation has no “id”")
    body = as_text(dig(conversation, "source.body") or dig(conversation, "conversation_message.body"))
    text = html_to_text(body)
    subject = html_to_text(as_text(dig(conversation, "source.subject") or conversation.get("title")))
    if not text:
        return Problem(
            number, f"Record {number} (conversation {conversation_id}): the first message has no text", skipped=True
        )
    author = dig(conversation, "source.author") or dig(conversation, "conversation_message.author") or {}
    tags = (
        dig(conversation, "tags.tags.name") if isinstance(conversation.get("tags"), dict) else conversation.get("tags")
    )
    delivered = as_text(dig(conversation, "source.delivered_as"))
    return Record(
        number=number,
        external_id=conversation_id,
        text=text,
        title=subject,
        author_email=as_text(author.get("email")) if isinstance(author, dict) else "",
        author_name=as_text(author.get("name")) if isinstance(author, dict) else "",
        received_at=_when(conversation.get("created_at"), number),
        channel=str(Channel.EMAIL if as_text(dig(conversation, "source.type")) == "email" else Channel.CHAT),
        tags=as_tags(tags) + ([f"intercom:{delivered}"] if delivered == "customer_initiated" else []),
        raw=conversation,
    )


# --- App Store Connect -------------------------------------------------------------------------------


def appstore(binary: IO[bytes], options: dict[str, Any]) -> Iterator[Record | Problem]:
    """App Store Connect customer reviews (CSV; also the API's attribute names)."""
    header, rows = _csv_rows(binary)
    _require_columns(header, "App Store Connect reviews", ("Review ID", "id"), ("Review", "body", "Review Text"))

    def build(number: int, row: dict[str, str]) -> Record | Problem:
        review_id = _col(row, "Review ID", "id")
        if not review_id:
            raise _RecordError(number, "the “Review ID” column is empty")
        text = _col(row, "Review", "body", "Review Text")
        rating = _col(row, "Rating", "Star Rating")
        if not text:
            return Problem(number, f"Row {number} (review {review_id}): rating only, no review text", skipped=True)
        territory = _col(row, "Territory", "Storefront", "territory")
        version = _col(row, "Version", "App Version")
        tags = [f"rating:{rating}"] if rating else []
        tags += [f"territory:{territory}"] if territory else []
        tags += [f"version:{version}"] if version else []
        return Record(
            number=number,
            external_id=review_id,
            text=text,
            title=_col(row, "Title", "title"),
            author_name=_col(row, "Nickname", "reviewerNickname", "Reviewer"),
            received_at=_when(_col(row, "Date", "createdDate", "Last Modified"), number),
            channel=str(Channel.REVIEW),
            tags=tags,
            raw=row,
        )

    return _guarded(rows, build)


# --- Google Play -------------------------------------------------------------------------------------


def googleplay(binary: IO[bytes], options: dict[str, Any]) -> Iterator[Record | Problem]:
    """Google Play `reviews_<package>_<YYYYMM>.csv` from the Cloud Storage export (UTF-16, as Google ships it)."""
    header, rows = _csv_rows(binary)
    _require_columns(header, "Google Play reviews", ("Review Text",), ("Review Submit Date and Time",))

    def build(number: int, row: dict[str, str]) -> Record | Problem:
        link = _col(row, "Review Link")
        review_id = _col(row, "Review ID") or (parse_qs(urlparse(link).query).get("reviewId") or [""])[0]
        millis = _col(row, "Review Submit Millis Since Epoch")
        package = _col(row, "Package Name")
        if not review_id and millis:
            review_id = f"{package}:{millis}"  # old exports without a link: submit time is unique per reviewer
        text = _col(row, "Review Text")
        rating = _col(row, "Star Rating")
        if not text:
            return Problem(number, f"Row {number}: rating only ({rating or '?'} stars), no review text", skipped=True)
        tags = [f"rating:{rating}"] if rating else []
        for label, column in (("version", "App Version Name"), ("lang", "Reviewer Language"), ("device", "Device")):
            value = _col(row, column)
            if value:
                tags.append(f"{label}:{value}"[:60])
        return Record(
            number=number,
            external_id=review_id,
            text=text,
            title=_col(row, "Review Title"),
            received_at=_when(_col(row, "Review Submit Date and Time") or millis, number),
            channel=str(Channel.REVIEW),
            tags=tags,
            product_hint="",
            raw=row,
        )

    return _guarded(rows, build)


# --- Generic JSON / CSV mapper -----------------------------------------------------------------------

MAPPABLE_FIELDS = [
    "text",
    "title",
    "external_id",
    "author_email",
    "author_name",
    "received_at",
    "tags",
    "product_line",
    "channel",
]

_GUESSES = {
    "text": ["text", "body", "message", "comment", "feedback", "content", "description", "review"],
    "title": ["title", "subject", "summary"],
    "external_id": ["id", "external_id", "uuid", "key"],
    "author_email": ["email", "author_email", "user.email", "author.email", "requester.email"],
    "author_name": ["name", "author_name", "user.name", "author.name"],
    "received_at": ["created_at", "date", "timestamp", "submitted_at", "received_at", "time"],
    "tags": ["tags", "labels", "categories"],
    "product_line": ["product", "product_line"],
}


def guess_mapping(sample: dict[str, Any]) -> dict[str, str]:
    lowered = {str(key).lower(): str(key) for key in sample}
    mapping: dict[str, str] = {}
    for target, candidates in _GUESSES.items():
        for candidate in candidates:
            if candidate in lowered:
                mapping[target] = lowered[candidate]
                break
            if "." in candidate and dig(sample, candidate) not in (None, ""):
                mapping[target] = candidate
                break
    return mapping


def clean_mapping(value: Any) -> dict[str, str]:
    """`{field: dotted.path}`; unknown fields are an error people can fix."""
    if value in (None, "", {}):
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValidationError('The mapping must be a JSON object of field → path, e.g. {"text": "message.body"}.')
    unknown = sorted(set(value) - set(MAPPABLE_FIELDS))
    if unknown:
        raise ValidationError(
            f"Unknown field(s) in the mapping: {', '.join(unknown)}. Use: {', '.join(MAPPABLE_FIELDS)}."
        )
    return {k: v.strip() for k, v in value.items() if v.strip()}


def generic(binary: IO[bytes], options: dict[str, Any]) -> Iterator[Record | Problem]:
    """A JSON array, JSON lines, or CSV; fields found by the mapping (dotted paths) or guessed from names."""
    mapping = clean_mapping(options.get("mapping"))
    channel = str(options.get("channel") or Channel.API)
    if channel not in Channel.values:
        raise ValidationError(f"Unknown channel “{channel[:40]}”; use one of {', '.join(Channel.values)}.")
    head = binary.read(4096)
    binary.seek(0)
    is_json = head.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] in (b"{", b"[")
    rows: Iterator[tuple[int, Any]] = iter_json_records(binary.read()) if is_json else _csv_rows(binary)[1]
    state: dict[str, dict[str, str]] = {}

    def build(number: int, value: Any) -> Record | Problem:
        if not isinstance(value, dict):
            raise _RecordError(number, "expected an object with fields")
        if "mapping" not in state:
            explicit = mapping if is_json else {k: v.lower() for k, v in mapping.items()}
            state["mapping"] = {**guess_mapping(value), **explicit}
        fields = state["mapping"]
        if "text" not in fields:
            raise ValidationError(
                'No field for the feedback text: add a mapping such as {"text": "message.body"} '
                f"(fields found: {', '.join(list(value)[:20])})."
            )

        def get(name: str) -> Any:
            path = fields.get(name, "")
            if not path:
                return None
            return value.get(path) if not is_json else dig(value, path)

        text = as_text(get("text"))
        if not text:
            raise _RecordError(number, f"no text at “{fields['text']}”")
        record_channel = as_text(get("channel")) or channel
        return Record(
            number=number,
            external_id=as_text(get("external_id")),
            text=text,
            title=as_text(get("title")),
            author_email=as_text(get("author_email")),
            author_name=as_text(get("author_name")),
            received_at=_when(get("received_at"), number),
            channel=record_channel if record_channel in Channel.values else channel,
            tags=as_tags(get("tags")),
            product_hint=as_text(get("product_line")),
            raw=value,
        )

    return _guarded(rows, build)


PARSERS: dict[str, Parser] = {
    "zendesk": zendesk,
    "intercom": intercom,
    "appstore": appstore,
    "googleplay": googleplay,
    "json": generic,
}
