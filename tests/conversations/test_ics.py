"""Calendar import: recurring events, time zones, no attendees, malformed lines, idempotency."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from harken.conversations import ics
from harken.conversations.models import Conversation, Kind
from harken.customers.models import Account, Contact
from tests.base import World

CALENDAR = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Harken tests//EN
BEGIN:VEVENT
UID:weekly-1@test
DTSTAMP:20261001T000000Z
DTSTART;TZID=America/New_York:20261005T090000
DTEND;TZID=America/New_York:20261005T093000
RRULE:FREQ=WEEKLY;COUNT=4
EXDATE;TZID=America/New_York:20261012T090000
SUMMARY:Weekly customer interview
ORGANIZER:mailto:bob@alpha.test
ATTENDEE;CN=Pat Doe:mailto:pat@acme.test
ATTENDEE:mailto:bob@alpha.test
THIS LINE IS GARBAGE
END:VEVENT
BEGIN:VEVENT
UID:weekly-1@test
DTSTAMP:20261001T000000Z
RECURRENCE-ID;TZID=America/New_York:20261019T090000
DTSTART;TZID=America/New_York:20261019T140000
DTEND;TZID=America/New_York:20261019T143000
SUMMARY:Weekly customer interview (moved)
ATTENDEE:mailto:pat@acme.test
END:VEVENT
BEGIN:VEVENT
UID:utc-1@test
DTSTART:20261007T230000Z
DTEND:20261008T000000Z
SUMMARY:Sprint review with Globex
ATTENDEE;CN=New Person:mailto:new.person@eu.globex.test
END:VEVENT
BEGIN:VEVENT
UID:lonely@test
DTSTART:20261008T100000Z
SUMMARY:Focus time
END:VEVENT
BEGIN:VEVENT
UID:internal@test
DTSTART:20261008T110000Z
SUMMARY:Team sync
ATTENDEE:mailto:alice@alpha.test
ATTENDEE:mailto:someone@gmail.com
END:VEVENT
BEGIN:VEVENT
UID:broken@test
DTSTART:NOT-A-DATE
SUMMARY:Broken start
ATTENDEE:mailto:pat@acme.test
END:VEVENT
BEGIN:VEVENT
UID:allday@test
DTSTART;VALUE=DATE:20261009
SUMMARY:Offsite
ATTENDEE:mailto:pat@acme.test
END:VEVENT
END:VCALENDAR
"""
NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


@pytest.fixture
def customers(world: World) -> dict[str, object]:
    acme = Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.test")
    globex = Account.objects.create(workspace=world.alpha, name="Globex", domain="globex.test")
    pat = Contact.objects.create(workspace=world.alpha, account=acme, name="Pat", email="pat@acme.test")
    return {"acme": acme, "globex": globex, "pat": pat}


def test_import_expands_recurrences_keeps_zones_and_reports_problems(world: World, customers: dict) -> None:
    seen: list[tuple[int, int]] = []
    record, result = ics.import_calendar(
        world.actor(world.bob),
        CALENDAR.encode(),
        filename="cal.ics",
        until=NOW,
        progress=lambda d, t: seen.append((d, t)),
    )
    convs = list(Conversation.objects.order_by("happened_at"))
    weekly = [c for c in convs if c.title.startswith("Weekly")]
    # 4 occurrences minus the EXDATE; the 19th was moved to 14:00 New York time
    assert [c.happened_at for c in weekly] == [
        dt.datetime(2026, 10, 5, 13, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 19, 18, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 26, 13, 0, tzinfo=dt.UTC),  # after the DST change: still 09:00 local
    ]
    assert weekly[1].title == "Weekly customer interview (moved)"
    assert all(c.account == customers["acme"] and c.kind == Kind.INTERVIEW for c in weekly)
    assert weekly[0].owner == world.bob and weekly[0].duration_minutes == 30
    review = next(c for c in convs if c.title.startswith("Sprint review"))
    assert review.kind == Kind.SPRINT_REVIEW and review.account == customers["globex"]
    assert review.contacts.get().email == "new.person@eu.globex.test"  # matched by domain, added as contact
    assert result.created == 4 and result.skipped == 2
    text = " ".join(record.problems)
    assert "malformed line" in text and "no attendees" in text and "no usable start" in text
    assert "all-day" in text and "known customer" in text
    assert record.raw.startswith("BEGIN:VCALENDAR") and seen[-1][0] == seen[-1][1]
    _again, result2 = ics.import_calendar(world.actor(world.bob), CALENDAR, until=NOW)
    assert result2.created == 0 and result2.existing == 4 and Conversation.objects.count() == 4


def test_not_a_calendar_is_a_clear_error(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        ics.import_calendar(world.actor(world.bob), b"hello, world")
    assert "BEGIN:VCALENDAR" in str(exc.value)


def test_upload_page(world: World, customers: dict) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client = world.client_for(world.bob)
    url = reverse("conversations:import_ics", kwargs={"ws": "alpha"})
    bad = client.post(url, {"file": SimpleUploadedFile("x.ics", b"\xff\xfenot ics")})
    assert bad.status_code == 400
    ok = client.post(url, {"file": SimpleUploadedFile("cal.ics", CALENDAR.encode())})
    assert ok.status_code == 302
    page = client.get(ok["Location"])
    assert "Conversations created" in page.content.decode()


def test_hostile_repeat_rules_are_bounded(world: World, customers: dict) -> None:
    flood = """BEGIN:VCALENDAR
BEGIN:VEVENT
UID:flood@test
DTSTART:19900101T090000Z
RRULE:FREQ=SECONDLY
SUMMARY:Flood
ATTENDEE:mailto:pat@acme.test
END:VEVENT
BEGIN:VEVENT
UID:daily@test
DTSTART:20000101T090000Z
RRULE:FREQ=DAILY
SUMMARY:Daily standup with Acme
ATTENDEE:mailto:pat@acme.test
END:VEVENT
END:VCALENDAR
"""
    _, result = ics.import_calendar(world.actor(world.bob), flood, since=NOW - dt.timedelta(days=1000), until=NOW)
    text = " ".join(result.problems)
    assert "repeats secondly" in text and f"more than {ics.MAX_OCCURRENCES_PER_EVENT} times" in text
    assert result.created == ics.MAX_OCCURRENCES_PER_EVENT  # the flood's first date is before the window
