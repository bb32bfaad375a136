"""Import meetings from an .ics calendar file as conversations (parsed with `icalendar`).

- The file is stored verbatim (`CalendarImport.raw`) before it is parsed.
- Recurring events (RRULE, RDATE, EXDATE, and RECURRENCE-ID overrides) are expanded with
  dateutil into one conversation per occurrence in the window [since, until] (default: the last
  year up to now — a conversation log records meetings that happened).
- Times with a TZID or in UTC keep their zone; floating times are read in the workspace's zone;
  all-day events are skipped (they are rarely conversations).
- Attendees: workspace members by email; contacts by email; other addresses are matched to an
  account by their email domain through `customers.actions.match_sender_or_add_contact` (which adds them as
  contacts of that account). An event with no attendees, or with no customer among them, is
  skipped and reported.
- Lines icalendar cannot parse are reported and the rest of the event is used; an event without a
  usable start is skipped. Re-importing the same file creates nothing (UID + occurrence start).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from harken.conversations.models import CalendarImport, Conversation, Kind, Source
from harken.conversations.services import create_conversation, workspace_zone
from harken.customers.actions import match_sender_or_add_contact
from harken.workspaces.access import Actor
from harken.workspaces.models import ProductLine, Role

MAX_BYTES = 5_000_000
MAX_OCCURRENCES_PER_EVENT = 500
TOO_FREQUENT = {"SECONDLY", "MINUTELY", "HOURLY"}
DEFAULT_LOOKBACK_DAYS = 365

KIND_WORDS = [
    (re.compile(r"sprint review|demo day", re.I), Kind.SPRINT_REVIEW),
    (re.compile(r"design sprint|co-?invent|workshop|co-?design", re.I), Kind.CO_INVENTION),
    (re.compile(r"shadow|ride[- ]?along|site visit", re.I), Kind.RIDE_ALONG),
    (re.compile(r"interview|discovery|research", re.I), Kind.INTERVIEW),
    (re.compile(r"support|escalation|incident", re.I), Kind.SUPPORT_CALL),
    (re.compile(r"sales|demo|pricing|renewal|qbr", re.I), Kind.SALES_CALL),
]


def guess_kind(summary: str) -> str:
    for pattern, kind in KIND_WORDS:
        if pattern.search(summary):
            return kind
    return Kind.CALL


@dataclass
class ImportResult:
    created: int = 0
    existing: int = 0
    skipped: int = 0
    events: int = 0
    problems: list[str] = field(default_factory=list)
    conversation_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "existing": self.existing, "skipped": self.skipped, "events": self.events}


@dataclass
class Occurrence:
    uid: str
    start: dt.datetime
    end: dt.datetime | None
    summary: str
    description: str
    attendees: list[tuple[str, str]]  # (email, name)
    organizer: str


def decode_upload(data: bytes | str) -> str:
    if isinstance(data, str):
        text = data
    else:
        if len(data) > MAX_BYTES:
            raise ValidationError({"file": f"The calendar file is larger than {MAX_BYTES // 1_000_000} MB."})
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    if len(text) > MAX_BYTES:
        raise ValidationError({"file": f"The calendar file is larger than {MAX_BYTES // 1_000_000} MB."})
    if "BEGIN:VCALENDAR" not in text.upper():
        raise ValidationError({"file": "This is not an iCalendar (.ics) file: it has no BEGIN:VCALENDAR."})
    return text


def _email(value: Any) -> str:
    text = str(value or "").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text.strip().lower() if "@" in text else ""


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _to_aware(value: Any, zone: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=zone)
    return None


def _dates(prop: Any) -> list[Any]:
    out: list[Any] = []
    for entry in _as_list(prop):
        out.extend(d.dt for d in getattr(entry, "dts", []))
    return out


def parse_occurrences(
    text: str, *, zone: Any, since: dt.datetime, until: dt.datetime
) -> tuple[list[Occurrence], list[str], int]:
    """All occurrences in [since, until], the problems found, and the number of events read."""
    import icalendar
    from dateutil.rrule import rruleset, rrulestr  # type: ignore[import-untyped]

    problems: list[str] = []
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError as exc:
        raise ValidationError({"file": f"The calendar could not be read: {str(exc)[:200]}"}) from None
    events = list(calendar.walk("VEVENT"))
    overrides: dict[tuple[str, dt.datetime], Any] = {}
    masters = []
    for number, event in enumerate(events, start=1):
        uid = str(event.get("UID") or f"no-uid-{number}")
        for _prop, message in getattr(event, "errors", []) or []:
            problems.append(f"Event “{event.get('SUMMARY', uid)}”: ignored a malformed line ({str(message)[:120]}).")
        if event.get("RECURRENCE-ID") is not None:
            try:
                rid = _to_aware(event.decoded("RECURRENCE-ID"), zone)
            except (ValueError, KeyError, TypeError):
                rid = None
            if rid is not None:
                overrides[(uid, rid)] = event
                continue
        masters.append((uid, event))

    def occurrence(uid: str, event: Any, start: dt.datetime, duration: dt.timedelta | None) -> Occurrence:
        attendees = []
        for a in _as_list(event.get("ATTENDEE")):
            email = _email(a)
            if email:
                name = str(getattr(a, "params", {}).get("CN", "")).strip()
                attendees.append((email, name))
        return Occurrence(
            uid=uid,
            start=start,
            end=start + duration if duration else None,
            summary=" ".join(str(event.get("SUMMARY") or "").split()) or "(no title)",
            description=str(event.get("DESCRIPTION") or "").strip(),
            attendees=attendees,
            organizer=_email(event.get("ORGANIZER")),
        )

    out: list[Occurrence] = []
    for uid, event in masters:
        label = str(event.get("SUMMARY") or uid)[:80]
        try:
            raw_start = event.decoded("DTSTART")
        except (KeyError, ValueError, TypeError):
            problems.append(f"Event “{label}” has no usable start time; skipped.")
            continue
        if isinstance(raw_start, dt.date) and not isinstance(raw_start, dt.datetime):
            problems.append(f"Event “{label}” is an all-day event; skipped.")
            continue
        start = _to_aware(raw_start, zone)
        if start is None:
            problems.append(f"Event “{label}” has no usable start time ({str(raw_start)[:40]}); skipped.")
            continue
        duration: dt.timedelta | None = None
        try:
            if event.get("DTEND") is not None:
                end = _to_aware(event.decoded("DTEND"), zone)
                duration = end - start if end else None
            elif event.get("DURATION") is not None:
                duration = event.decoded("DURATION")
        except (ValueError, TypeError):
            duration = None
        starts: list[dt.datetime]
        if event.get("RRULE") is not None or event.get("RDATE") is not None:
            rules = rruleset()
            try:
                for rule in _as_list(event.get("RRULE")):
                    freq = str((rule.get("FREQ") or [""])[0]).upper()
                    if freq in TOO_FREQUENT:
                        raise ValueError(f"it repeats {freq.lower()}, more often than any meeting")
                    rule_text = rule.to_ical().decode()
                    rules.rrule(rrulestr(rule_text, dtstart=start, ignoretz=False))  # type: ignore[arg-type]
                for d in _dates(event.get("RDATE")):
                    if (aware := _to_aware(d, zone)) is not None:
                        rules.rdate(aware)
                for d in _dates(event.get("EXDATE")):
                    if (aware := _to_aware(d, zone)) is not None:
                        rules.exdate(aware)
                starts = []
                # a lazy, bounded walk from `since`: a rule that repeats forever cannot stall the import
                for s in rules.xafter(since, count=MAX_OCCURRENCES_PER_EVENT + 1, inc=True):
                    if s > until:
                        break
                    if len(starts) >= MAX_OCCURRENCES_PER_EVENT:
                        problems.append(
                            f"Event “{label}” repeats more than {MAX_OCCURRENCES_PER_EVENT} times; kept the first ones."
                        )
                        break
                    starts.append(s)
            except (ValueError, TypeError) as exc:
                problems.append(
                    f"Event “{label}” has a repeat rule that was not used ({str(exc)[:80]}); imported its first date only."
                )
                starts = [start] if since <= start <= until else []
        else:
            starts = [start] if since <= start <= until else []
        for s in starts:
            override = overrides.pop((uid, s), None)
            if override is not None:
                try:
                    s2 = _to_aware(override.decoded("DTSTART"), zone) or s
                except (KeyError, ValueError, TypeError):
                    s2 = s
                if str(override.get("STATUS", "")).upper() == "CANCELLED":
                    continue
                out.append(occurrence(uid, override, s2, duration))
                # keep the original occurrence start in the uid so a re-import matches
                out[-1].uid = uid
                out[-1].start = s2
                continue
            if str(event.get("STATUS", "")).upper() == "CANCELLED":
                continue
            out.append(occurrence(uid, event, s, duration))
    return out, problems, len(events)


def _uid_key(occ: Occurrence) -> str:
    return f"{occ.uid}@{occ.start.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"[:400]


def import_calendar(
    actor: Actor,
    data: bytes | str,
    *,
    filename: str = "",
    product_line: ProductLine | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[CalendarImport, ImportResult]:
    """Store the file, then turn each occurrence with customer attendees into a conversation."""
    actor.require(Role.MEMBER)
    if product_line is not None and product_line.workspace_id != actor.workspace.pk:
        raise ValidationError({"product_line": "That product line belongs to another workspace."})
    workspace = actor.workspace
    text = decode_upload(data)
    record = CalendarImport.objects.create(
        workspace=workspace, filename=(filename or "")[:255], raw=text, created_by=actor.user
    )
    zone = workspace_zone(workspace)
    until = until or timezone.now()
    since = since or until - dt.timedelta(days=DEFAULT_LOOKBACK_DAYS)
    occurrences, problems, events = parse_occurrences(text, zone=zone, since=since, until=until)
    result = ImportResult(events=events, problems=problems)
    User = get_user_model()
    members = {
        u.email.lower(): u
        for u in User.objects.filter(memberships__workspace=workspace)  # type: ignore[misc]
    }
    known = set(
        workspace.conversations.filter(external_uid__in=[_uid_key(o) for o in occurrences]).values_list(
            "external_uid", flat=True
        )
    )
    for index, occ in enumerate(occurrences, start=1):
        key = _uid_key(occ)
        if key in known:
            result.existing += 1
        else:
            emails = [e for e, _ in occ.attendees]
            if occ.organizer and occ.organizer not in emails:
                emails.append(occ.organizer)
            names = dict(occ.attendees)
            if not emails:
                result.skipped += 1
                result.problems.append(f"“{occ.summary[:80]}” on {occ.start:%Y-%m-%d} has no attendees; skipped.")
            else:
                with transaction.atomic():
                    people = [members[e] for e in emails if e in members]
                    contacts, accounts = [], []
                    for email in emails:
                        if email in members:
                            continue
                        contact, account = match_sender_or_add_contact(workspace, email, name=names.get(email, ""))
                        if contact is not None:
                            contacts.append(contact)
                        if account is not None:
                            accounts.append(account)
                    if not contacts and not accounts:
                        result.skipped += 1
                        result.problems.append(
                            f"“{occ.summary[:80]}” on {occ.start:%Y-%m-%d}: no attendee is a known customer; skipped."
                        )
                    else:
                        account = accounts[0] if len({a.pk for a in accounts}) == 1 else None
                        owner = next((p for p in people if p.email.lower() == occ.organizer), None) or actor.user
                        conversation = create_conversation(
                            actor,
                            title=occ.summary,
                            kind=guess_kind(occ.summary),
                            happened_at=occ.start,
                            duration_minutes=_minutes(occ),
                            account=account,
                            product_line=product_line,
                            owner=owner,
                            contacts=contacts,
                            members=people,
                            notes=occ.description[:10_000],
                            source=Source.ICS,
                            external_uid=key,
                        )
                        known.add(key)
                        result.created += 1
                        result.conversation_ids.append(conversation.pk)
        if progress:
            progress(index, len(occurrences))
    record.stats = result.as_dict()
    record.problems = result.problems[:500]
    record.finished_at = timezone.now()
    record.save(update_fields=["stats", "problems", "finished_at"])
    return record, result


def _minutes(occ: Occurrence) -> int | None:
    if occ.end is None:
        return None
    minutes = int((occ.end - occ.start).total_seconds() // 60)
    return minutes if 0 < minutes <= 24 * 60 else None


__all__ = ["Conversation", "ImportResult", "import_calendar", "parse_occurrences"]
