"""Every write to the feedback record (create, update, delete, tags).

Channels, the CSV import, the manual form and the API all create feedback through
`create_feedback`, so validation, sender matching, tagging and idempotency behave the same
whichever way evidence arrives. Reads live in `feedback.queries`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from harken.core import bulkinsert
from harken.customers.models import Account, Contact
from harken.customers.queries import SenderMatcher
from harken.feedback.models import Channel, Feedback, Tag
from harken.feedback.queries import workspace_tz
from harken.feedback.signals import feedback_created, feedback_updated
from harken.workspaces import audit
from harken.workspaces.access import Actor
from harken.workspaces.models import AuditAction, ProductLine, Role, Workspace

MAX_TEXT_BYTES = 1_000_000  # 1 MB: anything larger is an attachment, not feedback
MAX_TITLE_CHARS = 300
MAX_TAG_CHARS = 60
MAX_TAGS = 30
MAX_DEDUPE_KEY = 400
#: Fields whose change alters what insight embeds, classifies and places in a theme.
EMBEDDED_FIELDS = frozenset({"title", "text"})


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
"""Marks an `update_feedback` argument that was not given (None means "clear it")."""


# --- validation helpers ------------------------------------------------------------------------


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Feedback text is empty: paste what the customer said."})
    size = len(text.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        raise ValidationError(
            {"text": f"Feedback text is {size / 1_000_000:.1f} MB; the limit is 1 MB. Attach long documents elsewhere."}
        )
    return text


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if len(title) > MAX_TITLE_CHARS:
        raise ValidationError({"title": f"Title is {len(title)} characters; keep it to {MAX_TITLE_CHARS}."})
    return title


def _clean_email(email: str) -> str:
    email = (email or "").strip()
    if not email:
        return ""
    if len(email) > MAX_EMAIL:
        raise ValidationError({"author_email": f"An email address has at most {MAX_EMAIL} characters."})
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"author_email": f"“{email[:100]}” is not a valid email address."}) from None
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def _check_owned(workspace: Workspace, obj: Any, label: str) -> None:
    if obj is not None and obj.workspace_id != workspace.pk:
        raise ValidationError(f"That {label} belongs to another workspace.")


MAX_EMAIL = 254  # RFC 5321's limit for a forward path
EARLIEST_YEAR = 1900
LATEST_AHEAD = timedelta(days=366)


def _ensure_aware(value: datetime, workspace: Workspace) -> datetime:
    """Aware, and within the years an item can really have been received (no year 1 or 9999)."""
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value, workspace_tz(workspace))
        in_utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        in_utc = None
    if in_utc is None or in_utc.year < EARLIEST_YEAR or in_utc > timezone.now() + LATEST_AHEAD:
        raise ValidationError(
            {
                "received_at": f"received_at must be between {EARLIEST_YEAR} and a year from now; got {value.isoformat()[:40]}."
            }
        )
    return value


def _bounded_key(prefix: str, value: str) -> str:
    """Keys longer than the column are replaced by a hash of themselves (still stable)."""
    key = f"{prefix}{value}"
    if len(key) <= MAX_DEDUPE_KEY:
        return key
    return f"{prefix}sha256:{hashlib.sha256(value.encode()).hexdigest()}"


def external_dedupe_key(channel: str, external_id: str) -> str:
    return _bounded_key(f"ext:{channel}:", external_id)


# --- tags --------------------------------------------------------------------------------------


def parse_tag_names(value: str | Iterable[str]) -> list[str]:
    """ "Billing, export ,billing" → ["Billing", "export"]: trimmed, de-duplicated case-insensitively."""
    raw = value.split(",") if isinstance(value, str) else list(value)
    names: list[str] = []
    seen: set[str] = set()
    for item in raw:
        name = " ".join(str(item).split())
        if not name:
            continue
        if len(name) > MAX_TAG_CHARS:
            raise ValidationError({"tags": f"Tag “{name[:30]}…” is longer than {MAX_TAG_CHARS} characters."})
        if name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    if len(names) > MAX_TAGS:
        raise ValidationError({"tags": f"{len(names)} tags given; at most {MAX_TAGS} per item."})
    return names


def get_or_create_tags(workspace: Workspace, names: str | Iterable[str]) -> list[Tag]:
    """Reuse an existing tag whatever its case ("billing" finds "Billing"); create the rest.

    `names` is a list of names or one comma-separated string (as CSV columns carry them).
    """
    wanted = parse_tag_names(names if isinstance(names, str) else list(names))
    found = _tags_by_name(workspace, wanted)
    return [found[name.lower()] for name in wanted]


def _tags_by_name(workspace: Workspace, names: Iterable[str]) -> dict[str, Tag]:
    """lower-case name → Tag for the given (parsed) names: one SELECT; new tags, if any, in one INSERT + one SELECT."""
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(name.lower(), name)  # the first spelling wins, as with one item
    if not wanted:
        return {}
    found = _tags_named(workspace, list(wanted))
    missing = [key for key in wanted if key not in found]
    if missing:
        # one INSERT for all of them; a tag created concurrently is skipped (ON CONFLICT DO NOTHING)
        # and read back with the others, so the chunk's transaction is never aborted by it
        Tag.objects.bulk_create([Tag(workspace=workspace, name=wanted[key]) for key in missing], ignore_conflicts=True)
        found.update(_tags_named(workspace, missing))
        if any(key not in found for key in missing):
            raise IntegrityError("A new tag could not be created.")
    return found


def _tags_named(workspace: Workspace, lower_names: list[str]) -> dict[str, Tag]:
    return {t.name.lower(): t for t in workspace.tags.annotate(_lname=Lower("name")).filter(_lname__in=lower_names)}


def add_tag(actor: Actor, item: Feedback, name: str) -> Tag:
    actor.require(Role.MEMBER)
    _check_owned(actor.workspace, item, "feedback item")
    names = parse_tag_names([name])
    if not names:
        raise ValidationError({"tags": "Type a tag name."})
    with transaction.atomic():
        (tag,) = get_or_create_tags(actor.workspace, names)
        item.tags.add(tag)
        feedback_updated.send(sender=Feedback, feedback=item, actor=actor, changed=frozenset({"tags"}))
    return tag


def remove_tag(actor: Actor, item: Feedback, tag: Tag) -> None:
    actor.require(Role.MEMBER)
    _check_owned(actor.workspace, item, "feedback item")
    _check_owned(actor.workspace, tag, "tag")
    with transaction.atomic():
        item.tags.remove(tag)
        feedback_updated.send(sender=Feedback, feedback=item, actor=actor, changed=frozenset({"tags"}))


def rename_tag(actor: Actor, tag: Tag, new_name: str) -> Tag:
    """Renaming onto an existing tag merges the two, so no item loses its tag."""
    actor.require(Role.MEMBER)
    _check_owned(actor.workspace, tag, "tag")
    names = parse_tag_names([new_name])
    if not names:
        raise ValidationError({"name": "Type the new tag name."})
    with transaction.atomic():
        other = actor.workspace.tags.filter(name__iexact=names[0]).exclude(pk=tag.pk).first()
        if other is None:
            tag.name = names[0]
            tag.save(update_fields=["name", "updated_at"])
            return tag
        for item in tag.feedback_items.all():
            item.tags.add(other)
        tag.delete()
        return other


def delete_tag(actor: Actor, tag: Tag) -> None:
    actor.require(Role.MEMBER)
    _check_owned(actor.workspace, tag, "tag")
    tag.delete()


def resolve_product_line(workspace: Workspace, value: Any) -> ProductLine | None:
    """Accept a ProductLine, its id, slug or (case-insensitive) name; None/"" means none."""
    if value in (None, ""):
        return None
    if isinstance(value, ProductLine):
        _check_owned(workspace, value, "product line")
        return value
    text = str(value).strip()
    lines = workspace.product_lines.all()
    found = lines.filter(slug=text).first() or lines.filter(name__iexact=text).first()
    if found is None and text.isdigit():
        found = lines.filter(pk=int(text)).first()
    if found is None:
        known = ", ".join(lines.values_list("slug", flat=True)[:20]) or "none yet"
        raise ValidationError({"product_line": f"No product line “{text[:60]}” in this workspace (known: {known})."})
    return found


# --- create / update / delete ------------------------------------------------------------------


def _find_existing(workspace: Workspace, dedupe_key: str) -> Feedback | None:
    return workspace.feedback_items.filter(dedupe_key=dedupe_key).first()


@dataclass
class NewItem:
    """The inputs of one new item: exactly `create_feedback`'s keyword arguments."""

    text: str
    title: str = ""
    channel: str = Channel.MANUAL
    author_email: str = ""
    author_name: str = ""
    account: Account | None = None
    contact: Contact | None = None
    product_line: ProductLine | None = None
    tags: str | Iterable[str] = ()
    received_at: datetime | None = None
    external_id: str = ""
    dedupe_key: str | None = None
    raw_payload: str = ""
    raw_content_type: str = ""
    source_kind: str = ""
    source_ref: str = ""


class BatchRowError(ValidationError):
    """A row of `create_feedback_batch` is invalid; `index` is its position in the input list."""

    def __init__(self, index: int, error: ValidationError) -> None:
        super().__init__(error.message_dict if hasattr(error, "error_dict") else error.messages)
        self.index = index


@dataclass
class _Prepared:
    index: int
    fields: dict[str, Any]
    tag_names: list[str]
    email: str
    dedupe_key: str | None


def validate_new_item(workspace: Workspace, row: NewItem) -> None:
    """Raise the ValidationError `create_feedback_batch` would raise for this row (no queries)."""
    _prepare(workspace, row)


def _prepare(workspace: Workspace, row: NewItem) -> _Prepared:
    """Validate one row (no queries): everything but sender matching, tags and dedupe lookups."""
    channel = str(row.channel)
    if channel not in Channel.values:
        raise ValidationError({"channel": f"Unknown channel “{channel[:40]}”; use one of {', '.join(Channel.values)}."})
    external_id = (row.external_id or "").strip()
    if len(external_id) > 300:
        raise ValidationError({"external_id": "External id is longer than 300 characters."})
    dedupe_key = row.dedupe_key
    if not dedupe_key and external_id:
        dedupe_key = external_dedupe_key(channel, external_id)
    if dedupe_key and len(dedupe_key) > MAX_DEDUPE_KEY:
        dedupe_key = _bounded_key("", dedupe_key)
    for obj, label in ((row.account, "account"), (row.contact, "contact"), (row.product_line, "product line")):
        _check_owned(workspace, obj, label)
    return _Prepared(
        index=0,
        fields={
            "title": _clean_title(row.title),
            "text": _clean_text(row.text),
            "channel": channel,
            "contact": row.contact,
            "account": row.account,
            "author_email": _clean_email(row.author_email),
            "author_name": " ".join((row.author_name or "").split())[:200],
            "product_line": row.product_line,
            "received_at": _ensure_aware(row.received_at, workspace) if row.received_at else None,
            "external_id": external_id,
            "dedupe_key": dedupe_key or None,
            "raw_payload": row.raw_payload or "",
            "raw_content_type": (row.raw_content_type or "")[:100],
            "source_kind": (row.source_kind or "")[:40],
            "source_ref": (row.source_ref or "")[:300],
        },
        tag_names=parse_tag_names(row.tags if isinstance(row.tags, str) else list(row.tags)),
        email="",
        dedupe_key=dedupe_key or None,
    )


def _insert(
    actor: Actor, rows: list[_Prepared], matcher: SenderMatcher, now: datetime, *, keys_checked: bool = False
) -> tuple[list[Feedback], dict[int, Feedback]]:
    """Write one chunk of validated rows: the queries of the path of an item, once per chunk.

    Returns (new items, index → existing item for rows whose dedupe key was already known).
    `keys_checked`: the caller already looked the dedupe keys up (and found none)."""
    workspace = actor.workspace
    keys = [r.dedupe_key for r in rows if r.dedupe_key]
    known: dict[str, Feedback] = {}
    if keys and not keys_checked:
        known = {f.dedupe_key: f for f in workspace.feedback_items.filter(dedupe_key__in=keys) if f.dedupe_key}
    existing: dict[int, Feedback] = {}
    todo: list[_Prepared] = []
    for r in rows:
        if r.dedupe_key and r.dedupe_key in known:
            existing[r.index] = known[r.dedupe_key]
        else:
            todo.append(r)
    # repeats of a key inside the chunk: the first row creates, the others return it
    firsts: dict[str, _Prepared] = {}
    repeats: list[tuple[_Prepared, str]] = []
    unique: list[_Prepared] = []
    for r in todo:
        if r.dedupe_key and r.dedupe_key in firsts:
            repeats.append((r, r.dedupe_key))
        else:
            if r.dedupe_key:
                firsts[r.dedupe_key] = r
            unique.append(r)
    matcher.prime(
        r.fields["author_email"] for r in unique if r.fields["contact"] is None and r.fields["account"] is None
    )
    tags = _tags_by_name(workspace, [name for r in unique for name in r.tag_names])
    items: list[Feedback] = []
    for r in unique:
        f = r.fields
        contact, account = f["contact"], f["account"]
        if contact is None and account is None and f["author_email"]:
            contact, account = matcher.match(f["author_email"])
        elif contact is not None and account is None:
            account = contact.account
        author_email = f["author_email"] or (contact.email if contact is not None else "")
        author_name = f["author_name"] or (contact.name if contact is not None else "")
        items.append(
            Feedback(
                **{
                    **f,
                    "received_at": f["received_at"] or now,
                    "contact": contact,
                    "account": account,
                    "author_email": author_email,
                    "author_name": author_name,
                },
                workspace=workspace,
                created_by=actor.user,
            )
        )
    bulkinsert.insert(Feedback, items)
    links = []
    for r, item in zip(unique, items, strict=True):
        item_tags = [tags[name.lower()] for name in r.tag_names]
        links += [Feedback.tags.through(feedback_id=item.pk, tag_id=t.pk) for t in item_tags]
    if links:
        bulkinsert.insert(Feedback.tags.through, links, returning=False)
    by_key = {item.dedupe_key: item for item in items if item.dedupe_key}
    for r, key in repeats:
        existing[r.index] = by_key[key]
    for r, item in zip(unique, items, strict=True):
        item._batch_index = r.index  # type: ignore[attr-defined]
    return items, existing


def _effects(actor: Actor, items: list[Feedback], triage_config: Any = None) -> None:
    """The side effects of new items, in order, inside the creating transaction:

    1. open triage: one `Triage` row (SLA clock from received_at) + a "received" history event each;
    2. enqueue ONE insight job for all of them (`insight.tasks.understand_items`): embed once →
       duplicate suggestions → category and sentiment → theme assignment;
    3. outgoing webhooks: `feedback.created` for each item (`notify.webhooks.emit`; no statement when
       no endpoint of the workspace hears it);
    4. send `feedback_created` for apps feedback must not know (none in this repository).
    """
    from harken.insight.tasks import understand_items
    from harken.notify.webhooks import emit as emit_webhook
    from harken.triage.actions import open_triage_many

    if not items:
        return
    open_triage_many(items, actor, triage_config)
    understand_items.enqueue([item.pk for item in items])
    for item in items:
        emit_webhook(
            actor.workspace,
            "feedback.created",
            {"summary": item.headline, "feedback_id": item.pk, "channel": item.channel},
        )
    if feedback_created.receivers:
        for item in items:
            feedback_created.send(sender=Feedback, feedback=item, actor=actor)


@transaction.atomic
def create_feedback(
    actor: Actor,
    *,
    text: str,
    title: str = "",
    channel: str = Channel.MANUAL,
    author_email: str = "",
    author_name: str = "",
    account: Account | None = None,
    contact: Contact | None = None,
    product_line: ProductLine | None = None,
    tags: str | Iterable[str] = (),
    received_at: datetime | None = None,
    external_id: str = "",
    dedupe_key: str | None = None,
    raw_payload: str = "",
    raw_content_type: str = "",
    source_kind: str = "",
    source_ref: str = "",
) -> tuple[Feedback, bool]:
    """Create one item, or return the existing one with created=False when its dedupe key is known.

    The path of a new item, all inside this transaction (docs/architecture.md, "The path of an item"):
    1. validate (text ≤ 1 MB, title, email, channel, same-workspace relations);
    2. the dedupe key (given, or `ext:<channel>:<external_id>`): a known key returns the existing item;
    3. sender matching (`customers.queries.SenderMatcher`): contact by email, else account by domain;
    4. tags reused case-insensitively, new ones created;
    5. INSERT the item and its tag links;
    6. open triage (`triage.actions.open_triage_many`): the SLA clock and the "received" event;
    7. enqueue one insight job (`insight.tasks.understand_items`): embed → duplicate suggestions →
       category/sentiment → theme assignment, run by the worker after commit;
    8. send `feedback_created` (for apps feedback must not know; no receiver in this repository).
    About 8 SQL statements for a known sender with existing tags (tests/feedback/test_item_path.py).
    Many items at once: `create_feedback_batch`.
    """
    actor.require(Role.MEMBER)
    row = NewItem(
        text=text,
        title=title,
        channel=channel,
        author_email=author_email,
        author_name=author_name,
        account=account,
        contact=contact,
        product_line=product_line,
        tags=tags,
        received_at=received_at,
        external_id=external_id,
        dedupe_key=dedupe_key,
        raw_payload=raw_payload,
        raw_content_type=raw_content_type,
        source_kind=source_kind,
        source_ref=source_ref,
    )
    workspace = actor.workspace
    checked = False
    if row.dedupe_key or (row.external_id or "").strip():
        # a known key returns before validation, as before: re-sending the same record is harmless
        key = row.dedupe_key or external_dedupe_key(str(row.channel), row.external_id.strip())
        key = _bounded_key("", key) if len(key) > MAX_DEDUPE_KEY else key
        found = _find_existing(workspace, key)
        if found is not None:
            return found, False
        checked = True
    prepared = _prepare(workspace, row)
    matcher = SenderMatcher(workspace)
    if prepared.dedupe_key is None:
        items, _ = _insert(actor, [prepared], matcher, timezone.now())
    else:
        try:
            with transaction.atomic():  # savepoint: a concurrent duplicate must not poison the outer transaction
                items, existing = _insert(actor, [prepared], matcher, timezone.now(), keys_checked=checked)
        except IntegrityError:
            found = _find_existing(workspace, prepared.dedupe_key)
            if found is not None:
                return found, False
            raise
        if existing:
            return existing[0], False
    _effects(actor, items)
    return items[0], True


BATCH_CHUNK = 500


def create_feedback_batch(
    actor: Actor, rows: Sequence[NewItem], *, chunk_size: int = BATCH_CHUNK
) -> list[tuple[Feedback, bool]]:
    """Create many items (an import, a channel run): the same path as `create_feedback`, per chunk.

    `rows` are `NewItem`s (the keyword arguments of `create_feedback`). Returns (item, created) per
    row, in input order; a row whose dedupe key is known (before or earlier in the batch) returns
    the existing item with created=False. Every row is validated first: an invalid row raises
    `BatchRowError` (its `.index` is the row's position) and nothing is written. All-or-nothing:
    run it inside the caller's transaction, or it opens one.

    Per chunk of `chunk_size` rows: one dedupe lookup, sender matching in two cached queries, one
    tag lookup, bulk INSERTs (items, tag links, triage rows, triage events) and ONE insight job
    (one embedding batch, one theme-assignment pass).
    """
    actor.require(Role.MEMBER)
    workspace = actor.workspace
    prepared: list[_Prepared] = []
    for index, row in enumerate(rows):
        try:
            p = _prepare(workspace, row)
        except ValidationError as exc:
            raise BatchRowError(index, exc) from None
        p.index = index
        prepared.append(p)
    from harken.triage.queries import get_settings

    results: dict[int, tuple[Feedback, bool]] = {}
    matcher = SenderMatcher(workspace)
    now = timezone.now()
    with transaction.atomic():
        config = get_settings(workspace)
        for start in range(0, len(prepared), chunk_size):
            chunk = prepared[start : start + chunk_size]
            items, existing = _insert(actor, chunk, matcher, now)
            for index, item in existing.items():
                results[index] = (item, False)
            for item in items:
                results[item._batch_index] = (item, True)  # type: ignore[attr-defined]
            _effects(actor, items, config)
    return [results[i] for i in range(len(prepared))]


def update_feedback(
    actor: Actor,
    item: Feedback,
    *,
    title: Any = UNSET,
    text: Any = UNSET,
    product_line: Any = UNSET,
    tags: Any = UNSET,
    account: Any = UNSET,
    contact: Any = UNSET,
) -> Feedback:
    """Change what was given; None clears a relation. A new contact brings its account along."""
    actor.require(Role.MEMBER)
    workspace = actor.workspace
    _check_owned(workspace, item, "feedback item")
    changed: set[str] = set()
    if title is not UNSET:
        value = _clean_title(title or "")
        if value != item.title:
            item.title = value
            changed.add("title")
    if text is not UNSET:
        value = _clean_text(text or "")
        if value != item.text:
            item.text = value
            changed.add("text")
    if product_line is not UNSET:
        line = resolve_product_line(workspace, product_line)
        if line != item.product_line:
            item.product_line = line
            changed.add("product_line")
    if contact is not UNSET:
        _check_owned(workspace, contact, "contact")
        if contact != item.contact:
            item.contact = contact
            changed.add("contact")
            if account is UNSET and contact is not None and contact.account_id:
                account = contact.account
    if account is not UNSET:
        _check_owned(workspace, account, "account")
        if account != item.account:
            item.account = account
            changed.add("account")
    tag_objects = get_or_create_tags(workspace, parse_tag_names(tags)) if tags is not UNSET else None
    from harken.insight.themes import stats as theme_stats

    # A new account moves the item's weight between accounts in its theme's stored figures.
    with transaction.atomic(), theme_stats.tracking(workspace, [item.pk] if "account" in changed else []):
        if changed:
            item.save()
        if tag_objects is not None and {t.pk for t in tag_objects} != set(item.tags.values_list("pk", flat=True)):
            item.tags.set(tag_objects)
            changed.add("tags")
        if changed & EMBEDDED_FIELDS:  # the words changed: embed, classify and place it again
            from harken.insight.tasks import understand_items

            understand_items.enqueue([item.pk], suggest=False)
        if changed:
            feedback_updated.send(sender=Feedback, feedback=item, actor=actor, changed=frozenset(changed))
    return item


def delete_feedback(actor: Actor, item: Feedback) -> None:
    actor.require(Role.MEMBER)
    _check_owned(actor.workspace, item, "feedback item")
    from harken.insight.themes import stats as theme_stats

    # The item leaves its theme's stored figures in the same transaction; items merged into it lose
    # their merge with it (`merged_into` is set to null) and count again for their own themes.
    with transaction.atomic():
        theme_stats.lock(actor.workspace)  # before reading which items are merged into it
        merged_in = list(actor.workspace.feedback_items.filter(merged_into=item).values_list("pk", flat=True))
        with theme_stats.tracking(actor.workspace, [item.pk, *merged_in]):
            audit.record(actor, AuditAction.DELETED, f"Feedback #{item.pk} “{(item.title or item.text)[:80]}”")
            item.delete()
