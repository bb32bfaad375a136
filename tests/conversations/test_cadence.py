"""Cadence per PM and product line in the PM's time zone; the Monday reminder through the outbox."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from harken.conversations import cadence, services, suggestions
from harken.conversations.models import CadenceReminder
from harken.conversations.reminders import send_cadence_reminders
from harken.core.taskrun import run_pending_tasks
from harken.customers.models import Account, Contact
from tests.base import World
from tests.notify.mailbox import Mailbox

MONDAY = dt.date(2026, 11, 2)


def _log(world: World, when: dt.datetime, user=None, line=None) -> None:
    services.create_conversation(
        world.actor(user or world.bob), title="Call", happened_at=when, product_line=line or world.alpha_line
    )


def test_week_is_met_after_the_target_and_streaks_count(world: World) -> None:
    world.alpha_line.managers.add(world.bob)
    now = dt.datetime(2026, 11, 4, 12, tzinfo=dt.UTC)  # Wednesday
    for days_ago in (7, 8, 9):  # last week: met
        _log(world, now - dt.timedelta(days=days_ago))
    _log(world, now - dt.timedelta(days=1))
    _log(world, now - dt.timedelta(hours=2))
    row = cadence.cadence(world.alpha, now=now)[0]
    assert (row.current.count, row.current.status) == (2, "in progress")
    assert row.weeks[-2].met and not row.weeks[-3].met and row.streak == 1 and row.gaps == 10
    _log(world, now - dt.timedelta(hours=1))
    row = cadence.cadence(world.alpha, now=now)[0]
    assert row.current.status == "met" and row.streak == 2
    # only the PM's own conversations on that line count
    _log(world, now, user=world.alice)
    assert cadence.cadence(world.alpha, now=now)[0].current.count == 3


def test_week_boundary_follows_the_pms_time_zone(world: World) -> None:
    world.alpha_line.managers.add(world.bob)
    # Sunday 23:30 in Tokyo is Sunday 14:30 UTC; Monday 00:30 in Tokyo is Sunday 15:30 UTC.
    sunday_late_tokyo = dt.datetime(2026, 11, 8, 14, 30, tzinfo=dt.UTC)
    monday_early_tokyo = dt.datetime(2026, 11, 8, 15, 30, tzinfo=dt.UTC)
    _log(world, sunday_late_tokyo)
    _log(world, monday_early_tokyo)
    now = dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC)
    utc_weeks = {w.start: w.count for w in cadence.cadence(world.alpha, now=now)[0].weeks}
    assert utc_weeks[MONDAY] == 2  # in UTC both are on Sunday Nov 8
    services.set_my_time_zone(world.actor(world.bob), "Asia/Tokyo")
    tokyo = {w.start: w.count for w in cadence.cadence(world.alpha, now=now)[0].weeks}
    assert tokyo[MONDAY] == 1 and tokyo[MONDAY + dt.timedelta(days=7)] == 1


def test_dashboard_page_and_settings(world: World) -> None:
    world.alpha_line.managers.add(world.bob)
    client = world.client_for(world.alice)
    response = client.post(reverse("conversations:cadence_settings", kwargs={"ws": "alpha"}), {"weekly_target": "2"})
    assert response.status_code == 302 and services.cadence_settings(world.alpha).weekly_target == 2
    page = world.client_for(world.vera).get(reverse("conversations:cadence", kwargs={"ws": "alpha"}))
    html = page.content.decode()
    assert "Bob Member · Mobile" in html and "0 of 2" in html
    bad = world.client_for(world.bob).post(
        reverse("conversations:my_time_zone", kwargs={"ws": "alpha"}), {"time_zone": "Mars/Base"}
    )
    assert bad.status_code == 302 and not world.alpha.member_preferences.exists()


def test_suggestions_show_reasons(world: World) -> None:
    now = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
    big = Account.objects.create(workspace=world.alpha, name="BigCo", domain="big.test", arr=500000)
    Account.objects.create(workspace=world.alpha, name="Small", domain="small.test", arr=1000)
    renewing = Account.objects.create(
        workspace=world.alpha,
        name="Renewing",
        domain="ren.test",
        arr=2000,
        renewal_date=now.date() + dt.timedelta(days=20),
    )
    Contact.objects.create(workspace=world.alpha, account=big, name="Barb", email="barb@big.test")
    Contact.objects.create(workspace=world.alpha, account=renewing, name="Ray", email="ray@ren.test")
    Contact.objects.create(workspace=world.bravo, name="Outsider", email="o@big.test")
    picks = suggestions.suggest(world.alpha, now=now)
    by_name = {str(s.contact): [r.code for r in s.reasons] for s in picks}
    assert by_name["Barb"] == ["high_arr_quiet"] and by_name["Ray"] == ["upcoming_renewal"]
    assert "Outsider" not in by_name
    assert "no conversation logged yet" in picks[0].reasons[0].text


def test_monday_reminder_reaches_the_mailbox_once_per_week(world: World, mailbox: Mailbox) -> None:
    world.alpha_line.managers.add(world.bob)
    services.set_my_time_zone(world.actor(world.bob), "America/New_York")
    big = Account.objects.create(workspace=world.alpha, name="BigCo", domain="big.test", arr=500000)
    Contact.objects.create(workspace=world.alpha, account=big, name="Barb", email="barb@big.test")
    # Monday 10:00 UTC is 05:00 in New York: too early
    assert send_cadence_reminders(dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)) == 0
    at = dt.datetime(2026, 11, 2, 14, tzinfo=dt.UTC)  # 09:00 in New York
    _log(world, at - dt.timedelta(hours=1))
    assert send_cadence_reminders(at) == 1
    assert send_cadence_reminders(at + dt.timedelta(hours=1)) == 0
    assert CadenceReminder.objects.get().week_start == MONDAY
    run_pending_tasks()
    [message] = mailbox.messages
    assert message["To"] == "bob@alpha.test"
    body = message.get_content()
    assert "2 conversations to go" in message["Subject"]
    assert "Mobile: last week 0 of 3 (missed); this week 1 so far, 2 to go" in body
    assert "Barb (BigCo) <barb@big.test>: High ARR ($500k) and no conversation logged yet" in body


def test_rising_negative_and_new_voice_in_growing_theme(world: World) -> None:
    from harken.feedback.actions import create_feedback
    from harken.insight.themes.models import ItemClassification, Theme, ThemeAssignment, TrendAlert

    now = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
    bob = world.actor(world.bob)
    sour = Account.objects.create(workspace=world.alpha, name="Sour", domain="sour.test", arr=100)
    for n in range(4):  # bigger accounts (without contacts), so Sour is not "high ARR"
        Account.objects.create(workspace=world.alpha, name=f"Big {n}", domain=f"big{n}.test", arr=900000)
    Contact.objects.create(workspace=world.alpha, account=sour, name="Sam", email="sam@sour.test")
    newbie = Contact.objects.create(workspace=world.alpha, name="Nia", email="nia@gmail.com")
    theme = Theme.objects.create(workspace=world.alpha, name="Slow exports")
    TrendAlert.objects.create(
        workspace=world.alpha,
        theme=theme,
        metric="volume",
        window_start=now.date(),
        window_end=now.date(),
        recent=5,
        baseline=1,
        baseline_weeks=8,
        recent_weeks=2,
        ratio=5.0,
        p_value=0.01,
        q_value=0.02,
    )
    for days, sentiment in ((45, "negative"), (10, "negative"), (5, "negative"), (3, "negative")):
        item, _ = create_feedback(bob, text=f"Angry {days}", account=sour, received_at=now - dt.timedelta(days=days))
        ItemClassification.objects.update_or_create(
            feedback=item, defaults={"workspace": world.alpha, "category": "complaint", "sentiment": sentiment}
        )
    item, _ = create_feedback(bob, text="Exports crawl", contact=newbie, received_at=now - dt.timedelta(days=2))
    ThemeAssignment.objects.update_or_create(feedback=item, defaults={"workspace": world.alpha, "theme": theme})
    by_name = {str(s.contact): s for s in suggestions.suggest(world.alpha, now=now)}
    assert [r.code for r in by_name["Sam"].reasons] == ["rising_negative"]
    assert "3 in the last 30 days vs 1 before" in by_name["Sam"].reasons[0].text
    assert [r.code for r in by_name["Nia"].reasons] == ["new_in_growing_theme"]
    assert "Slow exports" in by_name["Nia"].reasons[0].text
    assert suggestions.suggest(world.bravo, now=now) == []
