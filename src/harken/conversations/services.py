"""Every write of the conversation log: conversations, highlights (→ feedback), cadence settings.

Writes take an `Actor` first and need the member role (settings need admin). Everything a
conversation points at — account, product line, contacts, members — must belong to the actor's
workspace: a contact of another workspace is rejected with a ValidationError, never linked.
Highlights become feedback through `feedback.actions.create_feedback` (channel "conversation"), so
triage, insight and sender matching treat them like any other evidence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from harken.conversations.models import (
    CadenceSettings,
    Conversation,
    Highlight,
    Kind,
    MemberPreference,
    Source,
)
from harken.customers.models import Account, Contact
from harken.feedback.actions import create_feedback
from harken.feedback.models import Channel
from harken.workspaces.access import Actor
from harken.workspaces.models import Membership, ProductLine, Role, Workspace

MAX_TITLE = 300
MAX_NOTES = 100_000
MAX_HIGHLIGHTS = 50
MAX_ATTENDEES = 100


def _title(value: Any) -> str:
    title = " ".join(str(value or "").split())
    if not title:
        raise ValidationError({"title": "Give the conversation a title (who, about what)."})
    return title[:MAX_TITLE]


def _kind(value: Any) -> str:
    kind = str(value or Kind.INTERVIEW)
    if kind not in Kind.values:
        raise ValidationError({"kind": f"Unknown kind “{kind[:30]}”; use one of {', '.join(Kind.values)}."})
    return kind


def _aware(value: dt.datetime | dt.date | None, workspace: Workspace) -> dt.datetime:
    if value is None:
        return timezone.now()
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(9, 0))
    if timezone.is_naive(value):
        value = value.replace(tzinfo=workspace_zone(workspace))
    return value


MAX_AHEAD = dt.timedelta(days=1)


def _not_future(when: dt.datetime) -> dt.datetime:
    """The log records conversations that happened; a day of slack absorbs time-zone slips."""
    if when > timezone.now() + MAX_AHEAD:
        raise ValidationError({"happened_at": "That is in the future: log a conversation once it has happened."})
    return when


def workspace_zone(workspace: Workspace) -> ZoneInfo:
    try:
        return ZoneInfo(workspace.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _check_contacts(actor: Actor, contacts: Sequence[Contact]) -> None:
    foreign = [c for c in contacts if c.workspace_id != actor.workspace.pk]
    if foreign:
        raise ValidationError({"contacts": "A contact from another workspace cannot attend this conversation."})
    if len(contacts) > MAX_ATTENDEES:
        raise ValidationError({"contacts": f"At most {MAX_ATTENDEES} contacts per conversation."})


def _check_members(actor: Actor, members: Sequence[Any]) -> None:
    ids = {m.pk for m in members}
    known = set(Membership.objects.filter(workspace=actor.workspace, user_id__in=ids).values_list("user_id", flat=True))
    if ids - known:
        raise ValidationError({"members": "Only members of this workspace can be listed as attendees."})


def _check_owned(actor: Actor, obj: Any, label: str) -> None:
    if obj is not None and obj.workspace_id != actor.workspace.pk:
        raise ValidationError({label: f"That {label} belongs to another workspace."})


def resolve_contacts(workspace: Workspace, ids: Iterable[int]) -> list[Contact]:
    """This workspace's contacts by id. An id of another workspace gets the same answer as an unknown
    one, so nobody can probe which contact ids exist elsewhere."""
    wanted = {int(i) for i in ids}
    found = list(workspace.contacts.filter(pk__in=wanted).select_related("account"))
    if len(found) != len(wanted):
        raise ValidationError(
            {
                "contacts": "Some of those contacts are not in this workspace (a contact of another workspace cannot attend)."
            }
        )
    return found


@transaction.atomic
def create_conversation(
    actor: Actor,
    *,
    title: str,
    kind: str = Kind.INTERVIEW,
    happened_at: dt.datetime | dt.date | None = None,
    duration_minutes: int | None = None,
    account: Account | None = None,
    product_line: ProductLine | None = None,
    owner: Any = None,
    contacts: Sequence[Contact] = (),
    members: Sequence[Any] = (),
    notes: str = "",
    highlights: Sequence[str | dict[str, Any]] = (),
    source: str = Source.MANUAL,
    external_uid: str = "",
) -> Conversation:
    """Log a conversation; each highlight becomes a feedback item linked back to it.

    The owner (whose cadence it counts for) defaults to the acting user. Without an account, the
    contacts' common account is used when they all share one.
    """
    actor.require(Role.MEMBER)
    workspace = actor.workspace
    contacts, members = list(contacts), list(members)
    _check_contacts(actor, contacts)
    _check_owned(actor, account, "account")
    _check_owned(actor, product_line, "product line")
    owner = owner if owner is not None else actor.user
    if owner is not None:
        _check_members(actor, [owner, *members])
    elif members:
        _check_members(actor, members)
    if duration_minutes is not None and not 0 < int(duration_minutes) <= 24 * 60:
        raise ValidationError({"duration_minutes": "Duration is between 1 minute and 24 hours."})
    if len(highlights) > MAX_HIGHLIGHTS:
        raise ValidationError({"highlights": f"At most {MAX_HIGHLIGHTS} highlights per conversation."})
    notes = str(notes or "")
    if len(notes) > MAX_NOTES:
        raise ValidationError({"notes": "Notes are longer than 100,000 characters; attach a transcript elsewhere."})
    if account is None:
        accounts = {c.account_id for c in contacts if c.account_id}
        if len(accounts) == 1:
            account = next(c.account for c in contacts if c.account_id)
    conversation = Conversation(
        workspace=workspace,
        title=_title(title),
        kind=_kind(kind),
        happened_at=_not_future(_aware(happened_at, workspace)),
        duration_minutes=duration_minutes,
        account=account,
        product_line=product_line,
        owner=owner,
        notes=notes,
        source=source if source in Source.values else Source.MANUAL,
        external_uid=(external_uid or "")[:400],
        created_by=actor.user,
    )
    try:
        with transaction.atomic():
            conversation.save()
    except IntegrityError:
        raise ValidationError({"external_uid": "This calendar event was imported already."}) from None
    if contacts:
        conversation.contacts.set(contacts)
    attendees = {m.pk: m for m in members}
    if owner is not None:
        attendees.setdefault(owner.pk, owner)
    if attendees:
        conversation.members.set(list(attendees.values()))
    for entry in highlights:
        if isinstance(entry, dict):
            add_highlight(actor, conversation, text=entry.get("text", ""), contact=entry.get("contact"))
        elif str(entry).strip():
            add_highlight(actor, conversation, text=str(entry))
    return conversation


@transaction.atomic
def update_conversation(actor: Actor, conversation: Conversation, **changes: Any) -> Conversation:
    """Change title, kind, happened_at, duration, account, product line, notes, contacts or members."""
    actor.require(Role.MEMBER)
    _check_owned(actor, conversation, "conversation")
    if "title" in changes:
        conversation.title = _title(changes["title"])
    if "kind" in changes:
        conversation.kind = _kind(changes["kind"])
    if "happened_at" in changes:
        conversation.happened_at = _not_future(_aware(changes["happened_at"], actor.workspace))
    if "duration_minutes" in changes:
        conversation.duration_minutes = changes["duration_minutes"]
    if "notes" in changes:
        conversation.notes = str(changes["notes"] or "")[:MAX_NOTES]
    if "account" in changes:
        _check_owned(actor, changes["account"], "account")
        conversation.account = changes["account"]
    if "product_line" in changes:
        _check_owned(actor, changes["product_line"], "product line")
        conversation.product_line = changes["product_line"]
    conversation.save()
    if "contacts" in changes:
        contacts = list(changes["contacts"])
        _check_contacts(actor, contacts)
        conversation.contacts.set(contacts)
    if "members" in changes:
        members = list(changes["members"])
        _check_members(actor, members)
        conversation.members.set(members)
    return conversation


def delete_conversation(actor: Actor, conversation: Conversation) -> None:
    """The feedback made from its highlights stays (it is evidence); only the link goes."""
    actor.require(Role.MEMBER)
    _check_owned(actor, conversation, "conversation")
    conversation.delete()


@transaction.atomic
def add_highlight(actor: Actor, conversation: Conversation, *, text: str, contact: Contact | None = None) -> Highlight:
    actor.require(Role.MEMBER)
    _check_owned(actor, conversation, "conversation")
    text = str(text or "").strip()
    if not text:
        raise ValidationError({"text": "A highlight needs the words worth keeping."})
    if contact is not None:
        _check_contacts(actor, [contact])
    elif conversation.pk and conversation.contacts.count() == 1:
        contact = conversation.contacts.get()
    highlight = Highlight.objects.create(
        workspace=actor.workspace, conversation=conversation, text=text[:10_000], contact=contact
    )
    # No title: the item reads (and is embedded, themed and searched) as the customer's words. A
    # "Sales call: <call title>" title put the call in front of every highlight, so highlights grouped
    # by call instead of by subject; the item page's side panel links the conversation instead.
    item, _ = create_feedback(
        actor,
        text=highlight.text,
        channel=Channel.CONVERSATION,
        account=conversation.account if contact is None or contact.account_id is None else contact.account,
        contact=contact,
        product_line=conversation.product_line,
        received_at=conversation.happened_at,
        dedupe_key=f"conversation:{conversation.pk}:highlight:{highlight.pk}",
        raw_payload=highlight.text,
        raw_content_type="text/plain",
    )
    highlight.feedback = item
    highlight.save(update_fields=["feedback"])
    return highlight


def delete_highlight(actor: Actor, highlight: Highlight) -> None:
    """Removes the highlight; its feedback item stays as evidence."""
    actor.require(Role.MEMBER)
    _check_owned(actor, highlight, "highlight")
    highlight.delete()


# --- settings ----------------------------------------------------------------------------------------


def cadence_settings(workspace: Workspace) -> CadenceSettings:
    """The saved settings, or unsaved defaults (reads never write)."""
    return CadenceSettings.objects.filter(workspace=workspace).first() or CadenceSettings(workspace=workspace)


def update_cadence_settings(actor: Actor, *, weekly_target: Any, reminders_enabled: bool) -> CadenceSettings:
    actor.require(Role.ADMIN)
    try:
        target = int(weekly_target)
    except (TypeError, ValueError):
        target = -1
    if not 1 <= target <= 50:
        raise ValidationError({"weekly_target": "The weekly target is a whole number from 1 to 50."})
    settings_row, _ = CadenceSettings.objects.update_or_create(
        workspace=actor.workspace, defaults={"weekly_target": target, "reminders_enabled": bool(reminders_enabled)}
    )
    return settings_row


def validate_time_zone(name: str) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError({"time_zone": f"“{name[:64]}” is not a time zone (try Europe/Berlin)."}) from None
    return name


def set_my_time_zone(actor: Actor, time_zone: str) -> MemberPreference:
    """Any member (viewers included) chooses the time zone their own weeks are counted in."""
    actor.require(Role.VIEWER)
    if actor.user is None:
        raise ValidationError("Only a person has a time zone.")
    pref, _ = MemberPreference.objects.update_or_create(
        workspace=actor.workspace, user=actor.user, defaults={"time_zone": validate_time_zone(time_zone)}
    )
    return pref
