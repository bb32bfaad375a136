"""Triage: the clock opens with each item, decisions with reasons and history, assignment,
notes with @mentions, templates, reminders, the owner's summary, metrics, pages and the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from harken.feedback.actions import create_feedback
from harken.notify.models import OutboundEmail
from harken.triage import actions, queries
from harken.triage.models import Decision, EventKind, Triage
from harken.workspaces.access import Actor
from tests.base import World, api_headers, make_token

pytestmark = pytest.mark.django_db


def make_item(
    world: World, text: str = "Please add dark mode", email: str = "pat@acme.test", hours_ago: float = 0, **kw: object
) -> Triage:
    feedback, _ = create_feedback(
        Actor.system(world.alpha),
        text=text,
        author_email=email,
        author_name="Pat Customer",
        received_at=timezone.now() - timedelta(hours=hours_ago),
        **kw,  # type: ignore[arg-type]
    )
    return Triage.objects.get(feedback=feedback)


def test_every_new_item_opens_a_clock_from_received_at(world: World) -> None:
    item = make_item(world, hours_ago=2)
    assert item.workspace == world.alpha
    assert item.due_at == item.feedback.received_at + timedelta(hours=24)
    assert item.clock_running
    assert list(item.events.values_list("kind", flat=True)) == [EventKind.RECEIVED]


def test_items_without_a_customer_email_need_no_response(world: World) -> None:
    item = make_item(world, email="")
    assert not item.needs_response
    assert queries.clock(item, queries.get_settings(world.alpha)).state == "none"


def test_tabs_sort_items_where_they_belong(world: World) -> None:
    fresh = make_item(world, "fresh")
    overdue = make_item(world, "late", hours_ago=30)
    decided = make_item(world, "decided")
    actions.decide(world.actor(world.bob), decided, Decision.PLANNED)
    answered = make_item(world, "answered")
    actions.send_reply(world.actor(world.bob), answered, body="Thanks!")
    actions.decide(world.actor(world.bob), answered, Decision.ANSWERED)

    def tab(name: str) -> set[str]:
        return {t.feedback.text for t in queries.queue(world.alpha, name)}

    assert tab("new") == {"fresh", "late"}
    assert tab("awaiting_response") == {"fresh", "late", "decided"}
    assert tab("overdue") == {"late"}
    assert tab("awaiting_decision") == {"fresh", "late"}
    assert tab("done") == {"answered"}
    assert queries.clock(overdue, queries.get_settings(world.alpha)).state == "overdue"
    assert queries.clock(fresh, queries.get_settings(world.alpha)).state == "running"
    near = make_item(world, "near", hours_ago=21)
    assert queries.clock(near, queries.get_settings(world.alpha)).state == "near"
    with pytest.raises(ValidationError):
        queries.queue(world.alpha, "bogus")


def test_queues_never_show_another_workspace(world: World) -> None:
    create_feedback(Actor.system(world.bravo), text="Bravo's secret", author_email="x@bravo-customer.test")
    make_item(world, "alpha's")
    texts = {t.feedback.text for key, _ in queries.TABS for t in queries.queue(world.alpha, key)}
    assert "Bravo's secret" not in texts


def test_sla_settings_retime_open_items_and_reject_bad_zones(world: World) -> None:
    item = make_item(world)
    actions.update_settings(
        world.actor(world.alice),
        target_hours=4,
        near_breach_hours=1,
        business_hours=False,
        timezone_name="Europe/Berlin",
        work_days=[0, 1, 2, 3, 4],
        day_start=timezone.datetime(2026, 1, 1, 9).time(),
        day_end=timezone.datetime(2026, 1, 1, 17).time(),
    )
    item.refresh_from_db()
    assert item.due_at == item.received_at + timedelta(hours=4)
    with pytest.raises(ValidationError) as ctx:
        actions.update_settings(
            world.actor(world.alice),
            target_hours=4,
            near_breach_hours=1,
            business_hours=True,
            timezone_name="Mars/Olympus",
            work_days=[],
            day_start=timezone.datetime(2026, 1, 1, 9).time(),
            day_end=timezone.datetime(2026, 1, 1, 8).time(),
        )
    assert "timezone" in ctx.value.message_dict
    assert "work_days" in ctx.value.message_dict
    with pytest.raises(PermissionDenied):
        actions.update_settings(
            world.actor(world.bob),
            target_hours=4,
            near_breach_hours=1,
            business_hours=False,
            timezone_name="",
            work_days=[],
            day_start=None,
            day_end=None,
        )


def test_negative_decisions_need_a_reason_and_history_keeps_old_values(world: World) -> None:
    item = make_item(world)
    bob = world.actor(world.bob)
    with pytest.raises(ValidationError) as ctx:
        actions.decide(bob, item, Decision.WONT_DO)
    assert "reason" in ctx.value.message_dict
    actions.decide(bob, item, Decision.UNDER_CONSIDERATION)
    actions.decide(world.actor(world.alice), item, Decision.NOT_NOW, reason="Focus is on mobile this quarter")
    events = list(item.events.filter(kind=EventKind.DECIDED).select_related("actor"))
    assert [(e.old_value, e.new_value, e.actor) for e in events] == [
        ("Undecided", "Under consideration", world.bob),
        ("Under consideration", "Not now — Focus is on mobile this quarter", world.alice),
    ]
    item.refresh_from_db()
    assert (item.decision, item.decided_by) == (Decision.NOT_NOW, world.alice)


def test_links_for_already_exists_and_duplicates(world: World) -> None:
    item, original = make_item(world, "one"), make_item(world, "two")
    bob = world.actor(world.bob)
    with pytest.raises(ValidationError):
        actions.decide(bob, item, Decision.ALREADY_EXISTS)
    with pytest.raises(ValidationError):
        actions.decide(bob, item, Decision.ALREADY_EXISTS, link="javascript:alert(1)")
    actions.decide(bob, item, Decision.ALREADY_EXISTS, link="https://docs.example.com/export")
    with pytest.raises(ValidationError):
        actions.decide(bob, item, Decision.DUPLICATE)
    with pytest.raises(ValidationError):
        actions.decide(bob, item, Decision.DUPLICATE, duplicate_of=item.feedback)
    bravo_item, _ = create_feedback(Actor.system(world.bravo), text="elsewhere")
    with pytest.raises(ValidationError):
        actions.decide(bob, item, Decision.DUPLICATE, duplicate_of=bravo_item)
    actions.decide(bob, item, Decision.DUPLICATE, duplicate_of=original.feedback)
    item.refresh_from_db()
    assert item.duplicate_of == original.feedback
    assert item.decision_link == ""


def test_viewers_cannot_decide_assign_or_reply(world: World) -> None:
    item = make_item(world)
    vera = world.actor(world.vera)
    for call in (
        lambda: actions.decide(vera, item, Decision.PLANNED),
        lambda: actions.assign(vera, item, world.bob),
        lambda: actions.send_reply(vera, item, body="hi"),
        lambda: actions.add_note(vera, item, "hi"),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_assignment_is_history_and_tells_the_assignee(world: World) -> None:
    item = make_item(world)
    actions.assign(world.actor(world.alice), item, world.bob)
    event = item.events.get(kind=EventKind.ASSIGNED)
    assert (event.old_value, event.new_value) == ("Nobody", "Bob Member")
    mail = OutboundEmail.objects.get(kind="assignment")
    assert mail.to == ["bob@alpha.test"]
    with pytest.raises(ValidationError):
        actions.assign(world.actor(world.alice), item, world.vera)  # viewers cannot own items
    with pytest.raises(ValidationError):
        actions.assign(world.actor(world.alice), item, world.charlie)  # outsiders neither


def test_mentions_notify_members_only(world: World) -> None:
    item = make_item(world)
    note = actions.add_note(
        world.actor(world.alice), item, "@bob can you check? cc @vera@alpha.test and @charlie@bravo.test, @nobody."
    )
    assert {u.email for u in note.mentions.all()} == {"bob@alpha.test", "vera@alpha.test"}
    sent = sorted(m.to[0] for m in OutboundEmail.objects.filter(kind="mention"))
    assert sent == ["bob@alpha.test", "vera@alpha.test"]
    assert "can you check" in OutboundEmail.objects.filter(kind="mention").first().text  # type: ignore[union-attr]
    with pytest.raises(ValidationError):
        actions.add_note(world.actor(world.alice), item, "   ")


def test_ambiguous_mentions_ask_for_the_email(world: World) -> None:
    from harken.workspaces.models import Membership, Role
    from tests.base import make_user

    Membership.objects.create(
        workspace=world.alpha, user=make_user("bob.other@alpha.test", "Bob Other"), role=Role.MEMBER
    )
    with pytest.raises(ValidationError) as ctx:
        actions.add_note(world.actor(world.alice), make_item(world), "@bob?")
    assert "by email" in str(ctx.value)


def test_variables_are_filled_and_nothing_else_is_evaluated(world: World) -> None:
    line = world.alpha.product_lines.get()
    item = make_item(world, product_line=line)
    actions.decide(world.actor(world.bob), item, Decision.WONT_DO, reason="It conflicts with {{name}} privacy rules")
    with pytest.raises(ValidationError):
        actions.create_template(world.actor(world.bob), name="Bad", body="Hi {{ request }}")
    template = actions.create_template(
        world.actor(world.bob),
        name="Won't do",
        subject="About {{ product }}",
        body="Hi {{name}}, we decided: {{decision}} because {{reason}}. {% debug %}",
    )
    draft = queries.draft_from_template(item, template)
    assert draft["subject"] == "About Mobile"
    assert draft["body"] == "Hi Pat, we decided: won't do because It conflicts with {{name}} privacy rules. {% debug %}"
    with pytest.raises(ValidationError):
        actions.create_template(world.actor(world.bob), name="won't DO", body="dup")


def test_template_pages(world: World) -> None:
    client = world.client_for(world.bob)
    url = reverse("triage:templates", kwargs={"ws": "alpha"})
    response = client.post(url, {"name": "Thanks", "subject": "", "body": "Thanks {{name}}!"})
    assertRedirects(response, url)
    response = client.post(url, {"name": "Broken", "subject": "", "body": "Hi {{ nmae }}"})
    assertContains(response, "Unknown variable nmae")
    template = world.alpha.reply_templates.get()
    client.post(
        reverse("triage:template_edit", kwargs={"ws": "alpha", "pk": template.pk}),
        {"name": "Thanks!", "body": "Ta"},
    )
    template.refresh_from_db()
    assert template.name == "Thanks!"
    client.post(reverse("triage:template_delete", kwargs={"ws": "alpha", "pk": template.pk}))
    assert not world.alpha.reply_templates.exists()


def test_assignee_is_reminded_once_before_breach(world: World) -> None:
    soon = make_item(world, "soon", hours_ago=21)  # 3 h left, inside the 4 h window
    later = make_item(world, "later", hours_ago=1)
    unassigned = make_item(world, "unassigned", hours_ago=22)
    actions.assign(world.actor(world.bob), soon, world.alice)
    actions.assign(world.actor(world.bob), later, world.alice)
    assert actions.send_reminders() == 1
    assert actions.send_reminders() == 0  # once per item
    reminder = OutboundEmail.objects.get(kind="sla_reminder")
    assert reminder.to == ["alice@alpha.test"]
    assert "due in" in reminder.subject
    assert "soon" in reminder.text
    assert unassigned.pk is not None


def test_owner_gets_a_daily_overdue_summary(world: World) -> None:
    make_item(world, "late one", hours_ago=30)
    make_item(world, "fine", hours_ago=1)
    create_feedback(
        Actor.system(world.bravo),
        text="bravo late",
        author_email="x@b.test",
        received_at=timezone.now() - timedelta(hours=40),
    )
    assert actions.send_overdue_summaries() == 2
    alice_mail = OutboundEmail.objects.get(kind="sla_summary", to=["alice@alpha.test"])
    assert "1 overdue first response in Alpha" in alice_mail.subject
    assert "late one" in alice_mail.text
    assert "fine" not in alice_mail.text
    assert "bravo late" not in alice_mail.text


def test_jobs_are_registered_with_the_scheduler(world: World) -> None:
    from harken.core.scheduling import jobs

    names = {job.name: job.cron for job in jobs()}
    assert names["triage.send_sla_reminders"] == "5 * * * *"
    assert names["triage.send_overdue_summaries"] == "0 8 * * *"


def test_median_and_share_within_target_per_member_and_line(world: World) -> None:
    line = world.alpha.product_lines.get()
    quick = make_item(world, "quick", hours_ago=5, product_line=line)
    slow = make_item(world, "slow", hours_ago=50)
    actions.send_reply(world.actor(world.bob), quick, body="Thanks")
    actions.send_reply(world.actor(world.alice), slow, body="Sorry for the wait")
    make_item(world, "open")
    m = queries.metrics(world.alpha)
    assert m["overall"]["count"] == 2
    assert m["overall"]["within_pct"] == 50
    assert abs(m["overall"]["median_hours"] - 27.5) <= 0.2
    by_member = {r["label"]: r for r in m["by_member"]}
    assert by_member["Bob Member"]["within_pct"] == 100
    assert by_member["Alice Owner"]["within_pct"] == 0
    by_line = {r["label"]: r["count"] for r in m["by_line"]}
    assert by_line == {"Mobile": 1, "No product line": 1}
    assert len(m["median_chart"]["bars"]) == 12
    assert m["open"] == 1
    response = world.client_for(world.vera).get(reverse("triage:metrics", kwargs={"ws": "alpha"}))
    assertContains(response, "Median first response")
    assertContains(response, "Bob Member")


def test_inbox_shows_the_clock_and_keyboard_help(world: World) -> None:
    make_item(world, "Overdue thing", hours_ago=30)
    response = world.client_for(world.bob).get(reverse("triage:inbox", kwargs={"ws": "alpha"}) + "?tab=overdue")
    assertContains(response, "Overdue thing")
    assertContains(response, 'data-clock="overdue"')
    assertContains(response, "<kbd>j</kbd>")


def test_item_page_actions_end_up_in_history(world: World) -> None:
    item = make_item(world, "Export please")
    client = world.client_for(world.bob)
    url = reverse("triage:item", kwargs={"ws": "alpha", "pk": item.feedback_id})
    kwargs = {"ws": "alpha", "pk": item.feedback_id}
    response = client.post(reverse("triage:decide", kwargs=kwargs), {"decision": "wont_do", "reason": ""}, follow=True)
    assertContains(response, "needs a reason")
    client.post(reverse("triage:decide", kwargs=kwargs), {"decision": "wont_do", "reason": "Out of scope"})
    client.post(reverse("triage:assign", kwargs=kwargs), {"assignee": str(world.alice.pk)})
    client.post(reverse("triage:note", kwargs=kwargs), {"body": "@alice FYI"})
    response = client.post(
        reverse("triage:reply", kwargs=kwargs), {"subject": "", "body": "Hi {{name}}: {{reason}}"}, follow=True
    )
    assertContains(response, "queued in the outbox")
    page = client.get(url)
    assertContains(page, "Won&#x27;t do — Out of scope")
    assertContains(page, "Undecided")
    assertContains(page, "Hi Pat: Out of scope")
    assertContains(page, "Answered in")
    assertContains(page, 'data-event="assigned"')


def test_items_without_a_row_are_opened_explicitly_never_by_a_page(world: World) -> None:
    from harken.feedback.models import Feedback

    old = Feedback.objects.create(workspace=world.alpha, text="from before", author_email="old@acme.test")
    assert not Triage.objects.filter(feedback=old).exists()
    world.client_for(world.bob).get(reverse("triage:inbox", kwargs={"ws": "alpha"}))
    assert not Triage.objects.filter(feedback=old).exists()  # reads never write
    assert actions.open_missing(world.alpha) == 1
    assert Triage.objects.filter(feedback=old).exists()
    assert actions.open_missing(world.alpha) == 0


def test_queue_decide_assign_and_reply_over_the_api(world: World, client: Client) -> None:
    item = make_item(world, "API item")
    headers = api_headers(make_token(world.alpha, world.bob))
    base = f"/api/triage/items/{item.feedback_id}"
    response = client.get("/api/triage/queue?tab=new", **headers)
    assert response.status_code == 200
    assert [i["headline"] for i in response.json()["items"]] == ["API item"]
    assert client.get("/api/triage/queue?tab=nope", **headers).status_code == 422
    response = client.post(f"{base}/decide", {"decision": "not_now"}, content_type="application/json", **headers)
    assert response.status_code == 422
    assert "reason" in response.json()["errors"]
    response = client.post(
        f"{base}/decide", {"decision": "not_now", "reason": "Next year"}, content_type="application/json", **headers
    )
    assert response.json()["decision"] == "not_now"
    response = client.post(
        f"{base}/assign", {"assignee_email": "alice@alpha.test"}, content_type="application/json", **headers
    )
    assert response.json()["assignee_email"] == "alice@alpha.test"
    response = client.post(
        f"{base}/assign", {"assignee_email": "charlie@bravo.test"}, content_type="application/json", **headers
    )
    assert response.status_code == 422
    response = client.post(f"{base}/reply", {"body": "Thanks {{name}}"}, content_type="application/json", **headers)
    assert response.status_code == 201
    assert response.json()["body"] == "Thanks Pat"
    assert response.json()["email_status"] == "queued"
    assert client.get(base, **headers).json()["clock"] == "met"


def test_feedback_item_page_carries_the_triage_panel(world: World) -> None:
    item = make_item(world, "Panel please", hours_ago=30)
    response = world.client_for(world.bob).get(
        reverse("feedback:detail", kwargs={"ws": "alpha", "pk": item.feedback_id})
    )
    assertContains(response, 'data-clock="overdue"')
    assertContains(response, 'id="triage-decision"')
    assertContains(response, 'id="triage-reply-body"')
    viewer = world.client_for(world.vera).get(
        reverse("feedback:detail", kwargs={"ws": "alpha", "pk": item.feedback_id})
    )
    assertContains(viewer, 'data-clock="overdue"')
    assertNotContains(viewer, 'id="triage-reply-body"')


def test_imported_or_old_items_start_no_clock(world: World) -> None:
    imported = make_item(world, "from a CSV", channel="csv")
    old = make_item(world, "last year", hours_ago=24 * 30)
    for item in (imported, old):
        assert not item.needs_response
        assert item not in queries.queue(world.alpha, "overdue")
    assert "Imported history" in imported.events.get().detail
    assert actions.send_overdue_summaries() == 0


def test_admin_sets_business_hours_on_the_settings_page(world: World, client: Client) -> None:
    url = reverse("triage:settings", kwargs={"ws": "alpha"})
    data = {
        "target_hours": "8",
        "near_breach_hours": "2",
        "business_hours": "on",
        "timezone_name": "Europe/Berlin",
        "work_days": ["0", "1", "2", "3", "4"],
        "day_start": "09:00",
        "day_end": "17:00",
    }
    client.force_login(world.bob)
    assert client.post(url, data).status_code == 403  # members cannot change it
    client.force_login(world.alice)
    response = client.post(url, data)
    assertRedirects(response, url)
    config = queries.get_settings(world.alpha)
    assert (config.target_hours, config.business_hours, config.work_days) == (8, True, [0, 1, 2, 3, 4])
    assert config.schedule().tz == "Europe/Berlin"
    response = client.post(url, {**data, "day_end": "08:00"})
    assertContains(response, "must end after it starts")


def test_near_breach_counts_working_hours_only(world: World) -> None:
    import datetime as dt

    actions.update_settings(
        world.actor(world.alice),
        target_hours=8,
        near_breach_hours=4,
        business_hours=True,
        timezone_name="UTC",
        work_days=[0, 1, 2, 3, 4],
        day_start=dt.time(9),
        day_end=dt.time(17),
    )
    # The latest Friday noon (UTC) in the past week: recent enough to start a clock.
    now = timezone.now().astimezone(dt.UTC)
    friday_noon = (now - dt.timedelta(days=(now.weekday() - 4) % 7)).replace(hour=12, minute=0, second=0, microsecond=0)
    if friday_noon > now:
        friday_noon -= dt.timedelta(days=7)
    feedback, _ = create_feedback(
        Actor.system(world.alpha), text="weekend", author_email="pat@acme.test", received_at=friday_noon
    )
    item = Triage.objects.get(feedback=feedback)
    assert item.due_at == friday_noon + dt.timedelta(days=3)  # Monday noon
    config = queries.get_settings(world.alpha)
    # Saturday: 3 working hours left (Monday 09:00–12:00), although 2 days of wall-clock remain.
    saturday = friday_noon + dt.timedelta(hours=22)  # Saturday 10:00
    state = queries.clock(item, config, saturday)
    assert (state.state, state.label) == ("near", "3h 0m of business hours left")
    # Friday 13:00: 7 working hours left, not near yet.
    assert queries.clock(item, config, friday_noon + dt.timedelta(hours=1)).state == "running"
    actions.assign(world.actor(world.bob), item, world.bob)
    assert actions.send_reminders(saturday) == 1
