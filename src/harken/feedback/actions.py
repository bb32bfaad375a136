"""Every write to the feedback record (create, update, delete, tags).

Channels, the CSV import, the manual form and the API all create feedback through
`create_feedback`, so validation, sender matching, tagging and idempotency behave the same
whichever way evidence arrives. Reads live in `feedback.queries`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from harken.customers.models import Account, Contact
from harken.customers.queries import match_sender
from harken.feedback.models import Channel, Feedback, Tag
from harken.feedback.queries import workspace_tz
from harken.feedback.signals import feedback_created, feedback_deleted, feedback_updated
from harken.workspaces.access import Actor
from harken.workspaces.models import ProductLine, Role, Workspace

MAX_TEXT_BYTES = 1_000_000  # 1 MB: anything larger is an attachment, not feedback
MAX_TITLE_CHARS = 300
MAX_TAG_CHARS = 60
MAX_TAGS = 30
MAX_DEDUPE_KEY = 400


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
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"author_email": f"“{email[:100]}” is not a valid email address."}) from None
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def _check_owned(workspace: Workspace, obj: Any, label: str) -> None:
    if obj is not None and obj.workspace_id != workspace.pk:
        raise ValidationError(f"That {label} belongs to another workspace.")


def _ensure_aware(value: datetime, workspace: Workspace) -> datetime:
    if timezone.is_naive(value):
        return timezone.make_aware(value, workspace_tz(workspace))
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
    tags: list[Tag] = []
    for name in parse_tag_names(names if isinstance(names, str) else list(names)):
        tag = workspace.tags.filter(name__iexact=name).first()
        if tag is None:
            try:
                with transaction.atomic():
                    tag = Tag.objects.create(workspace=workspace, name=name)
            except IntegrityError:  # created concurrently
                tag = workspace.tags.filter(name__iexact=name).first()
                if tag is None:
                    raise
        tags.append(tag)
    return tags


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
) -> tuple[Feedback, bool]:
    """Create one item, or return the existing one with created=False when its dedupe key is known.

    `feedback_created` is sent inside this transaction.
    """
    actor.require(Role.MEMBER)
    workspace = actor.workspace
    channel = str(channel)
    if channel not in Channel.values:
        raise ValidationError({"channel": f"Unknown channel “{channel[:40]}”; use one of {', '.join(Channel.values)}."})
    external_id = (external_id or "").strip()
    if len(external_id) > 300:
        raise ValidationError({"external_id": "External id is longer than 300 characters."})
    if not dedupe_key and external_id:
        dedupe_key = external_dedupe_key(channel, external_id)
    if dedupe_key and len(dedupe_key) > MAX_DEDUPE_KEY:
        dedupe_key = _bounded_key("", dedupe_key)
    dedupe_key = dedupe_key or None

    if dedupe_key:
        existing = _find_existing(workspace, dedupe_key)
        if existing is not None:
            return existing, False

    text = _clean_text(text)
    title = _clean_title(title)
    author_email = _clean_email(author_email)
    author_name = " ".join((author_name or "").split())[:200]
    for obj, label in ((account, "account"), (contact, "contact"), (product_line, "product line")):
        _check_owned(workspace, obj, label)

    if contact is None and account is None and author_email:
        contact, account = match_sender(workspace, author_email)
    elif contact is not None and account is None:
        account = contact.account
    if contact is not None and not author_email:
        author_email = contact.email
    if contact is not None and not author_name:
        author_name = contact.name

    tag_objects = get_or_create_tags(workspace, tags)
    received = _ensure_aware(received_at, workspace) if received_at else timezone.now()

    try:
        with transaction.atomic():  # savepoint: a concurrent duplicate must not poison the outer transaction
            item = Feedback.objects.create(
                workspace=workspace,
                title=title,
                text=text,
                channel=channel,
                contact=contact,
                account=account,
                author_email=author_email,
                author_name=author_name,
                product_line=product_line,
                received_at=received,
                external_id=external_id,
                dedupe_key=dedupe_key,
                raw_payload=raw_payload or "",
                raw_content_type=(raw_content_type or "")[:100],
                created_by=actor.user,
            )
    except IntegrityError:
        if dedupe_key:
            existing = _find_existing(workspace, dedupe_key)
            if existing is not None:
                return existing, False
        raise
    if tag_objects:
        item.tags.set(tag_objects)
    feedback_created.send(sender=Feedback, feedback=item, actor=actor)
    return item, True


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
    with transaction.atomic():
        if changed:
            item.save()
        if tag_objects is not None and {t.pk for t in tag_objects} != set(item.tags.values_list("pk", flat=True)):
            item.tags.set(tag_objects)
            changed.add("tags")
        if changed:
            feedback_updated.send(sender=Feedback, feedback=item, actor=actor, changed=frozenset(changed))
    return item


def delete_feedback(actor: Actor, item: Feedback) -> None:
    actor.require(Role.MEMBER)
    _check_owned(actor.workspace, item, "feedback item")
    with transaction.atomic():
        feedback_deleted.send(sender=Feedback, feedback=item, actor=actor)
        item.delete()
