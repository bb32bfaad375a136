"""Row writers: turn one record of a file into a validated payload, then write chunks of payloads.

One writer per import kind (accounts, contacts, feedback from a mapped CSV) plus `SourceWriter` for
other tools' exports (records from a source kind's parser). `prepare` validates and never writes;
`write_chunk` writes a chunk and says, per row, what happened and what to put in the run's ledger.
Feedback of every kind is written through `harken.channels.ingest.create_items`, the one place the
bulk insert plugs in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from harken.channels import ingest
from harken.customers import actions as customer_actions
from harken.customers import queries as customer_queries
from harken.customers.models import Account, Contact
from harken.feedback import actions as feedback_actions
from harken.feedback.models import Channel, content_hash
from harken.imports import csvio
from harken.imports.fields import CellError, fields_for, parse_datetime, parse_email
from harken.imports.models import ImportJob, ImportKind, ImportSource
from harken.workspaces.access import Actor


class RowProblem(Exception):
    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        super().__init__("; ".join(m for _, m in problems))
        self.problems = problems


@dataclass
class Written:
    """What became of one prepared row: created / updated / skipped, or problems; plus its ledger entry."""

    result: str = ""
    model: str = ""
    object_id: int | None = None
    previous: dict[str, Any] | None = None
    problems: list[tuple[str | None, str]] = field(default_factory=list)


@dataclass
class Prepared:
    key: str  # identity within the file, for duplicate detection
    payload: dict[str, Any]
    display: dict[str, str]
    warnings: list[tuple[str | None, str]] = field(default_factory=list)


class Writer:
    """Turns one record into a write. Subclasses per kind."""

    MODEL = ""

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

    def prime(self, records: Sequence[Any]) -> None:
        """Read ahead: look up what the next `records` will need in a few queries (reads only)."""

    def write(self, prepared: Prepared, dry_run: bool) -> Written:
        """Says "created", "updated" or "skipped" (already present, nothing to change)."""
        raise NotImplementedError

    def write_chunk(self, chunk: Sequence[Prepared], dry_run: bool) -> list[Written]:
        """Write a chunk of rows; the caller holds the (short) transaction."""
        written = []
        for prepared in chunk:
            try:
                written.append(self.write(prepared, dry_run))
            except RowProblem as exc:
                written.append(Written(problems=exc.problems))
            except ValidationError as exc:
                written.append(Written(problems=self.problems_from(exc)))
        return written


def _current(obj: Any, model: type[Any], fields: Iterable[str]) -> dict[str, Any] | None:
    """The stored values of `fields` (JSON-safe, for the ledger), or None if the row is new."""
    if obj.pk is None:
        return None
    return model.objects.filter(pk=obj.pk).values(*fields).first()


def _differs(current: dict[str, Any], obj: Any, fields: Iterable[str]) -> bool:
    return any(current[name] != getattr(obj, name) for name in fields)


class AccountWriter(Writer):
    MODEL = "account"
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

    def write(self, prepared: Prepared, dry_run: bool) -> Written:
        account, created = customer_actions.upsert_account(self.actor, prepared.payload, dry_run=True)
        previous = None if created else _current(account, Account, self.COMPARE)
        if previous is not None and not _differs(previous, account, self.COMPARE):
            return Written("skipped")
        if dry_run:
            return Written("created" if created else "updated")
        saved, _ = customer_actions.upsert_account(self.actor, prepared.payload, dry_run=False)
        return Written("created" if created else "updated", self.MODEL, saved.pk, previous)


class ContactWriter(Writer):
    MODEL = "contact"
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

    def write(self, prepared: Prepared, dry_run: bool) -> Written:
        contact, created = customer_actions.upsert_contact(self.actor, prepared.payload, dry_run=True)
        previous = None if created else _current(contact, Contact, self.COMPARE)
        if previous is not None and not _differs(previous, contact, self.COMPARE):
            return Written("skipped")
        if dry_run:
            return Written("created" if created else "updated")
        saved, _ = customer_actions.upsert_contact(self.actor, prepared.payload, dry_run=False)
        return Written("created" if created else "updated", self.MODEL, saved.pk, previous)


class FeedbackWriter(Writer):
    MODEL = "feedback"

    def __init__(self, actor: Actor, job: ImportJob) -> None:
        super().__init__(actor, job)
        self.channel = job.options.get("channel") or Channel.CSV
        self.tz = actor.workspace.timezone or "UTC"
        self._accounts: dict[str, Account | None] = {}
        self._lines: dict[str, Any] = {}
        self._matcher = customer_queries.SenderMatcher(actor.workspace)

    def _account(self, name: str) -> Account | None:
        key = name.lower()
        if key not in self._accounts:
            matches = list(self.actor.workspace.accounts.filter(name__iexact=name)[:2])
            self._accounts[key] = matches[0] if len(matches) == 1 else None
        return self._accounts[key]

    def _sender(self, email: str) -> tuple[Contact | None, Account | None]:
        # Answered from the matcher's cache: `prime` looked the chunk's senders up in two queries.
        return self._matcher.match(email)

    def prime(self, records: Sequence[Any]) -> None:
        """The senders of the next records: contacts by email and accounts by domain, two queries for all."""
        # One matcher for the run (a known domain's accounts are read once), renewed when it grows large.
        if len(self._matcher._emails) > 20000:
            self._matcher = customer_queries.SenderMatcher(self.actor.workspace)
        if not self.mapping.get("author_email"):
            return
        emails = []
        for record in records:
            if raw := self.cell(getattr(record, "values", None) or {}, "author_email"):
                try:
                    emails.append(parse_email(raw))
                except CellError:
                    continue  # prepare reports it
        self._matcher.prime(emails)

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

    def write(self, prepared: Prepared, dry_run: bool) -> Written:
        return self.write_chunk([prepared], dry_run)[0]

    def write_chunk(self, chunk: Sequence[Prepared], dry_run: bool) -> list[Written]:
        if dry_run:
            keys = [_bounded(p.payload["dedupe_key"]) for p in chunk]
            present = set(
                self.actor.workspace.feedback_items.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
            )
            return [Written("skipped" if key in present else "created") for key in keys]
        written = []
        for result in ingest.create_items(self.actor, [p.payload for p in chunk]):
            if result.error is not None:
                written.append(Written(problems=self.problems_from(result.error)))
            elif result.created:
                written.append(Written("created", self.MODEL, result.item.pk))
            else:
                written.append(Written("skipped"))
        return written


def _bounded(key: str) -> str:
    """The dedupe key as `create_feedback` stores it (long keys are hashed)."""
    if len(key) > feedback_actions.MAX_DEDUPE_KEY:
        return feedback_actions._bounded_key("", key)
    return key


class SourceWriter(FeedbackWriter):
    """Another tool's export: records come from the source kind's parser, already in Harken's vocabulary."""

    def __init__(self, actor: Actor, job: ImportJob) -> None:
        super().__init__(actor, job)
        self.lines = ingest.ProductLines(actor, job.options.get("product_line") or None)

    def prepare(self, record: Any) -> Prepared:  # type: ignore[override]
        if isinstance(record, ingest.Problem):
            if record.skipped:
                raise NothingToImport(record.reason)
            raise RowProblem([(None, record.reason)])
        payload = ingest.record_payload(self.job.source, record, self.lines.for_record(record))
        nul = [
            name for name in ("text", "title", "author_email", "author_name", "external_id") if "\x00" in payload[name]
        ]
        if nul or any("\x00" in tag for tag in payload["tags"]):
            raise RowProblem(
                [(None, f"Record {record.number}: contains a NUL byte (\\x00) in {', '.join(nul) or 'tags'}.")]
            )
        display = {
            "external_id": record.external_id,
            "title": payload["title"],
            "text": record.text[:200] + ("…" if len(record.text) > 200 else ""),
            "author_email": record.author_email,
            "received_at": record.received_at.strftime("%Y-%m-%d %H:%M") if record.received_at else "",
            "tags": ", ".join(payload["tags"]),
        }
        return Prepared(key=payload["dedupe_key"], payload=payload, display=display)


class NothingToImport(Exception):
    """A record with nothing to import (a rating without text): counted as ignored, not an error."""


def writer_for(actor: Actor, job: ImportJob) -> Writer:
    if job.source != ImportSource.CSV:
        return SourceWriter(actor, job)
    return WRITERS[job.kind](actor, job)


WRITERS: dict[str, type[Writer]] = {
    ImportKind.ACCOUNTS: AccountWriter,
    ImportKind.CONTACTS: ContactWriter,
    ImportKind.FEEDBACK: FeedbackWriter,
}
