"""Triage: the clock opens with each item, decisions with reasons and history, assignment,
notes with @mentions, templates, reminders, the owner's summary, metrics, pages and the API."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from harken.feedback.actions import create_feedback
from harken.notify.models import OutboundEmail
from harken.triage import actions, queries
from harken.triage.models import Decision, EventKind, Triage
from harken.workspaces.access import Actor
from tests.base import HarkenTestCase, make_token


class TriageTestCase(HarkenTestCase):
    def item(
        self, text: str = "Please add dark mode", email: str = "pat@acme.test", hours_ago: float = 0, **kw: object
    ) -> Triage:
        feedback, _ = create_feedback(
            Actor.system(self.alpha),
            text=text,
            author_email=email,
            author_name="Pat Customer",
            received_at=timezone.now() - timedelta(hours=hours_ago),
            **kw,  # type: ignore[arg-type]
        )
        return Triage.objects.get(feedback=feedback)


class ClockAndQueueTests(TriageTestCase):
    def test_every_new_item_opens_a_clock_from_received_at(self) -> None:
        item = self.item(hours_ago=2)
        self.assertEqual(item.workspace, self.alpha)
        self.assertEqual(item.due_at, item.feedback.received_at + timedelta(hours=24))
        self.assertTrue(item.clock_running)
        self.assertEqual(list(item.events.values_list("kind", flat=True)), [EventKind.RECEIVED])

    def test_items_without_a_customer_email_need_no_response(self) -> None:
        item = self.item(email="")
        self.assertFalse(item.needs_response)
        self.assertEqual(queries.clock(item, queries.get_settings(self.alpha)).state, "none")

    def test_tabs_sort_items_where_they_belong(self) -> None:
        fresh = self.item("fresh")
        overdue = self.item("late", hours_ago=30)
        decided = self.item("decided")
        actions.decide(self.actor(self.bob), decided, Decision.PLANNED)
        answered = self.item("answered")
        actions.send_reply(self.actor(self.bob), answered, body="Thanks!")
        actions.decide(self.actor(self.bob), answered, Decision.ANSWERED)

        def tab(name: str) -> set[str]:
            return {t.feedback.text for t in queries.queue(self.alpha, name)}

        self.assertEqual(tab("new"), {"fresh", "late"})
        self.assertEqual(tab("awaiting_response"), {"fresh", "late", "decided"})
        self.assertEqual(tab("overdue"), {"late"})
        self.assertEqual(tab("awaiting_decision"), {"fresh", "late"})
        self.assertEqual(tab("done"), {"answered"})
        self.assertEqual(queries.clock(overdue, queries.get_settings(self.alpha)).state, "overdue")
        self.assertEqual(queries.clock(fresh, queries.get_settings(self.alpha)).state, "running")
        near = self.item("near", hours_ago=21)
        self.assertEqual(queries.clock(near, queries.get_settings(self.alpha)).state, "near")
        with self.assertRaises(ValidationError):
            queries.queue(self.alpha, "bogus")

    def test_queues_never_show_another_workspace(self) -> None:
        create_feedback(Actor.system(self.bravo), text="Bravo's secret", author_email="x@bravo-customer.test")
        self.item("alpha's")
        texts = {t.feedback.text for key, _ in queries.TABS for t in queries.queue(self.alpha, key)}
        self.assertNotIn("Bravo's secret", texts)

    def test_sla_settings_retime_open_items_and_reject_bad_zones(self) -> None:
        item = self.item()
        actions.update_settings(
            self.actor(self.alice),
            target_hours=4,
            near_breach_hours=1,
            business_hours=False,
            timezone_name="Europe/Berlin",
            work_days=[0, 1, 2, 3, 4],
            day_start=timezone.datetime(2026, 1, 1, 9).time(),
            day_end=timezone.datetime(2026, 1, 1, 17).time(),
        )
        item.refresh_from_db()
        self.assertEqual(item.due_at, item.received_at + timedelta(hours=4))
        with self.assertRaises(ValidationError) as ctx:
            actions.update_settings(
                self.actor(self.alice),
                target_hours=4,
                near_breach_hours=1,
                business_hours=True,
                timezone_name="Mars/Olympus",
                work_days=[],
                day_start=timezone.datetime(2026, 1, 1, 9).time(),
                day_end=timezone.datetime(2026, 1, 1, 8).time(),
            )
        self.assertIn("timezone", ctx.exception.message_dict)
        self.assertIn("work_days", ctx.exception.message_dict)
        with self.assertRaises(PermissionDenied):
            actions.update_settings(
                self.actor(self.bob),
                target_hours=4,
                near_breach_hours=1,
                business_hours=False,
                timezone_name="",
                work_days=[],
                day_start=None,
                day_end=None,
            )


class DecisionTests(TriageTestCase):
    def test_negative_decisions_need_a_reason_and_history_keeps_old_values(self) -> None:
        item = self.item()
        bob = self.actor(self.bob)
        with self.assertRaises(ValidationError) as ctx:
            actions.decide(bob, item, Decision.WONT_DO)
        self.assertIn("reason", ctx.exception.message_dict)
        actions.decide(bob, item, Decision.UNDER_CONSIDERATION)
        actions.decide(self.actor(self.alice), item, Decision.NOT_NOW, reason="Focus is on mobile this quarter")
        events = list(item.events.filter(kind=EventKind.DECIDED).select_related("actor"))
        self.assertEqual(
            [(e.old_value, e.new_value, e.actor) for e in events],
            [
                ("Undecided", "Under consideration", self.bob),
                ("Under consideration", "Not now — Focus is on mobile this quarter", self.alice),
            ],
        )
        item.refresh_from_db()
        self.assertEqual((item.decision, item.decided_by), (Decision.NOT_NOW, self.alice))

    def test_links_for_already_exists_and_duplicates(self) -> None:
        item, original = self.item("one"), self.item("two")
        bob = self.actor(self.bob)
        with self.assertRaises(ValidationError):
            actions.decide(bob, item, Decision.ALREADY_EXISTS)
        with self.assertRaises(ValidationError):
            actions.decide(bob, item, Decision.ALREADY_EXISTS, link="javascript:alert(1)")
        actions.decide(bob, item, Decision.ALREADY_EXISTS, link="https://docs.example.com/export")
        with self.assertRaises(ValidationError):
            actions.decide(bob, item, Decision.DUPLICATE)
        with self.assertRaises(ValidationError):
            actions.decide(bob, item, Decision.DUPLICATE, duplicate_of=item.feedback)
        bravo_item, _ = create_feedback(Actor.system(self.bravo), text="elsewhere")
        with self.assertRaises(ValidationError):
            actions.decide(bob, item, Decision.DUPLICATE, duplicate_of=bravo_item)
        actions.decide(bob, item, Decision.DUPLICATE, duplicate_of=original.feedback)
        item.refresh_from_db()
        self.assertEqual(item.duplicate_of, original.feedback)
        self.assertEqual(item.decision_link, "")

    def test_viewers_cannot_decide_assign_or_reply(self) -> None:
        item = self.item()
        vera = self.actor(self.vera)
        for call in (
            lambda: actions.decide(vera, item, Decision.PLANNED),
            lambda: actions.assign(vera, item, self.bob),
            lambda: actions.send_reply(vera, item, body="hi"),
            lambda: actions.add_note(vera, item, "hi"),
        ):
            with self.assertRaises(PermissionDenied):
                call()


class AssignmentAndNoteTests(TriageTestCase):
    def test_assignment_is_history_and_tells_the_assignee(self) -> None:
        item = self.item()
        actions.assign(self.actor(self.alice), item, self.bob)
        event = item.events.get(kind=EventKind.ASSIGNED)
        self.assertEqual((event.old_value, event.new_value), ("Nobody", "Bob Member"))
        mail = OutboundEmail.objects.get(kind="assignment")
        self.assertEqual(mail.to, ["bob@alpha.test"])
        with self.assertRaises(ValidationError):
            actions.assign(self.actor(self.alice), item, self.vera)  # viewers cannot own items
        with self.assertRaises(ValidationError):
            actions.assign(self.actor(self.alice), item, self.charlie)  # outsiders neither

    def test_mentions_notify_members_only(self) -> None:
        item = self.item()
        note = actions.add_note(
            self.actor(self.alice), item, "@bob can you check? cc @vera@alpha.test and @charlie@bravo.test, @nobody."
        )
        self.assertEqual({u.email for u in note.mentions.all()}, {"bob@alpha.test", "vera@alpha.test"})
        sent = sorted(m.to[0] for m in OutboundEmail.objects.filter(kind="mention"))
        self.assertEqual(sent, ["bob@alpha.test", "vera@alpha.test"])
        self.assertIn("can you check", OutboundEmail.objects.filter(kind="mention").first().text)  # type: ignore[union-attr]
        with self.assertRaises(ValidationError):
            actions.add_note(self.actor(self.alice), item, "   ")

    def test_ambiguous_mentions_ask_for_the_email(self) -> None:
        from harken.workspaces.models import Membership, Role
        from tests.base import make_user

        Membership.objects.create(
            workspace=self.alpha, user=make_user("bob.other@alpha.test", "Bob Other"), role=Role.MEMBER
        )
        with self.assertRaises(ValidationError) as ctx:
            actions.add_note(self.actor(self.alice), self.item(), "@bob?")
        self.assertIn("by email", str(ctx.exception))


class TemplateTests(TriageTestCase):
    def test_variables_are_filled_and_nothing_else_is_evaluated(self) -> None:
        line = self.alpha.product_lines.get()
        item = self.item(product_line=line)
        actions.decide(self.actor(self.bob), item, Decision.WONT_DO, reason="It conflicts with {{name}} privacy rules")
        with self.assertRaises(ValidationError):
            actions.create_template(self.actor(self.bob), name="Bad", body="Hi {{ request }}")
        template = actions.create_template(
            self.actor(self.bob),
            name="Won't do",
            subject="About {{ product }}",
            body="Hi {{name}}, we decided: {{decision}} because {{reason}}. {% debug %}",
        )
        draft = queries.draft_from_template(item, template)
        self.assertEqual(draft["subject"], "About Mobile")
        self.assertEqual(
            draft["body"],
            "Hi Pat, we decided: won't do because It conflicts with {{name}} privacy rules. {% debug %}",
        )
        with self.assertRaises(ValidationError):
            actions.create_template(self.actor(self.bob), name="won't DO", body="dup")

    def test_template_pages(self) -> None:
        client = self.login(self.bob)
        url = reverse("triage:templates", kwargs={"ws": "alpha"})
        response = client.post(url, {"name": "Thanks", "subject": "", "body": "Thanks {{name}}!"})
        self.assertRedirects(response, url)
        response = client.post(url, {"name": "Broken", "subject": "", "body": "Hi {{ nmae }}"})
        self.assertContains(response, "Unknown variable nmae")
        template = self.alpha.reply_templates.get()
        client.post(
            reverse("triage:template_edit", kwargs={"ws": "alpha", "pk": template.pk}),
            {"name": "Thanks!", "body": "Ta"},
        )
        template.refresh_from_db()
        self.assertEqual(template.name, "Thanks!")
        client.post(reverse("triage:template_delete", kwargs={"ws": "alpha", "pk": template.pk}))
        self.assertFalse(self.alpha.reply_templates.exists())


class ReminderTests(TriageTestCase):
    def test_assignee_is_reminded_once_before_breach(self) -> None:
        soon = self.item("soon", hours_ago=21)  # 3 h left, inside the 4 h window
        later = self.item("later", hours_ago=1)
        unassigned = self.item("unassigned", hours_ago=22)
        actions.assign(self.actor(self.bob), soon, self.alice)
        actions.assign(self.actor(self.bob), later, self.alice)
        self.assertEqual(actions.send_reminders(), 1)
        self.assertEqual(actions.send_reminders(), 0)  # once per item
        reminder = OutboundEmail.objects.get(kind="sla_reminder")
        self.assertEqual(reminder.to, ["alice@alpha.test"])
        self.assertIn("due in", reminder.subject)
        self.assertIn("soon", reminder.text)
        self.assertIsNotNone(unassigned.pk)

    def test_owner_gets_a_daily_overdue_summary(self) -> None:
        self.item("late one", hours_ago=30)
        self.item("fine", hours_ago=1)
        create_feedback(
            Actor.system(self.bravo),
            text="bravo late",
            author_email="x@b.test",
            received_at=timezone.now() - timedelta(hours=40),
        )
        self.assertEqual(actions.send_overdue_summaries(), 2)
        alice_mail = OutboundEmail.objects.get(kind="sla_summary", to=["alice@alpha.test"])
        self.assertIn("1 overdue first response in Alpha", alice_mail.subject)
        self.assertIn("late one", alice_mail.text)
        self.assertNotIn("fine", alice_mail.text)
        self.assertNotIn("bravo late", alice_mail.text)

    def test_jobs_are_registered_with_the_scheduler(self) -> None:
        from harken.core.scheduling import jobs

        names = {job.name: job.cron for job in jobs()}
        self.assertEqual(names["triage.send_sla_reminders"], "5 * * * *")
        self.assertEqual(names["triage.send_overdue_summaries"], "0 8 * * *")


class MetricsTests(TriageTestCase):
    def test_median_and_share_within_target_per_member_and_line(self) -> None:
        line = self.alpha.product_lines.get()
        quick = self.item("quick", hours_ago=5, product_line=line)
        slow = self.item("slow", hours_ago=50)
        actions.send_reply(self.actor(self.bob), quick, body="Thanks")
        actions.send_reply(self.actor(self.alice), slow, body="Sorry for the wait")
        self.item("open")
        m = queries.metrics(self.alpha)
        self.assertEqual(m["overall"]["count"], 2)
        self.assertEqual(m["overall"]["within_pct"], 50)
        self.assertAlmostEqual(m["overall"]["median_hours"], 27.5, delta=0.2)
        by_member = {r["label"]: r for r in m["by_member"]}
        self.assertEqual(by_member["Bob Member"]["within_pct"], 100)
        self.assertEqual(by_member["Alice Owner"]["within_pct"], 0)
        by_line = {r["label"]: r["count"] for r in m["by_line"]}
        self.assertEqual(by_line, {"Mobile": 1, "No product line": 1})
        self.assertEqual(len(m["median_chart"]["bars"]), 12)
        self.assertEqual(m["open"], 1)
        response = self.login(self.vera).get(reverse("triage:metrics", kwargs={"ws": "alpha"}))
        self.assertContains(response, "Median first response")
        self.assertContains(response, "Bob Member")


class PageTests(TriageTestCase):
    def test_inbox_shows_the_clock_and_keyboard_help(self) -> None:
        self.item("Overdue thing", hours_ago=30)
        response = self.login(self.bob).get(reverse("triage:inbox", kwargs={"ws": "alpha"}) + "?tab=overdue")
        self.assertContains(response, "Overdue thing")
        self.assertContains(response, 'data-clock="overdue"')
        self.assertContains(response, "<kbd>j</kbd>")

    def test_item_page_actions_end_up_in_history(self) -> None:
        item = self.item("Export please")
        client = self.login(self.bob)
        url = reverse("triage:item", kwargs={"ws": "alpha", "pk": item.feedback_id})
        kwargs = {"ws": "alpha", "pk": item.feedback_id}
        response = client.post(
            reverse("triage:decide", kwargs=kwargs), {"decision": "wont_do", "reason": ""}, follow=True
        )
        self.assertContains(response, "needs a reason")
        client.post(reverse("triage:decide", kwargs=kwargs), {"decision": "wont_do", "reason": "Out of scope"})
        client.post(reverse("triage:assign", kwargs=kwargs), {"assignee": str(self.alice.pk)})
        client.post(reverse("triage:note", kwargs=kwargs), {"body": "@alice FYI"})
        response = client.post(
            reverse("triage:reply", kwargs=kwargs), {"subject": "", "body": "Hi {{name}}: {{reason}}"}, follow=True
        )
        self.assertContains(response, "queued in the outbox")
        page = client.get(url)
        self.assertContains(page, "Won&#x27;t do — Out of scope")
        self.assertContains(page, "Undecided")
        self.assertContains(page, "Hi Pat: Out of scope")
        self.assertContains(page, "Answered in")
        self.assertContains(page, 'data-event="assigned"')

    def test_items_without_a_row_are_opened_explicitly_never_by_a_page(self) -> None:
        from harken.feedback.models import Feedback

        old = Feedback.objects.create(workspace=self.alpha, text="from before", author_email="old@acme.test")
        self.assertFalse(Triage.objects.filter(feedback=old).exists())
        self.login(self.bob).get(reverse("triage:inbox", kwargs={"ws": "alpha"}))
        self.assertFalse(Triage.objects.filter(feedback=old).exists())  # reads never write
        self.assertEqual(actions.open_missing(self.alpha), 1)
        self.assertTrue(Triage.objects.filter(feedback=old).exists())
        self.assertEqual(actions.open_missing(self.alpha), 0)


class ApiTests(TriageTestCase):
    def test_queue_decide_assign_and_reply_over_the_api(self) -> None:
        item = self.item("API item")
        headers = self.api(make_token(self.alpha, self.bob))
        base = f"/api/triage/items/{item.feedback_id}"
        response = self.client.get("/api/triage/queue?tab=new", **headers)
        self.assertEqual(response.status_code, 200)
        self.assertEqual([i["headline"] for i in response.json()["items"]], ["API item"])
        self.assertEqual(self.client.get("/api/triage/queue?tab=nope", **headers).status_code, 422)
        response = self.client.post(
            f"{base}/decide", {"decision": "not_now"}, content_type="application/json", **headers
        )
        self.assertEqual(response.status_code, 422)
        self.assertIn("reason", response.json()["errors"])
        response = self.client.post(
            f"{base}/decide", {"decision": "not_now", "reason": "Next year"}, content_type="application/json", **headers
        )
        self.assertEqual(response.json()["decision"], "not_now")
        response = self.client.post(
            f"{base}/assign", {"assignee_email": "alice@alpha.test"}, content_type="application/json", **headers
        )
        self.assertEqual(response.json()["assignee_email"], "alice@alpha.test")
        response = self.client.post(
            f"{base}/assign", {"assignee_email": "charlie@bravo.test"}, content_type="application/json", **headers
        )
        self.assertEqual(response.status_code, 422)
        response = self.client.post(
            f"{base}/reply", {"body": "Thanks {{name}}"}, content_type="application/json", **headers
        )
        self.assertEqual(response.status_code, 201)
        self.assertEqual(response.json()["body"], "Thanks Pat")
        self.assertEqual(response.json()["email_status"], "queued")
        self.assertEqual(self.client.get(base, **headers).json()["clock"], "met")


class FeedbackPagePanelTests(TriageTestCase):
    def test_feedback_item_page_carries_the_triage_panel(self) -> None:
        item = self.item("Panel please", hours_ago=30)
        response = self.login(self.bob).get(reverse("feedback:detail", kwargs={"ws": "alpha", "pk": item.feedback_id}))
        self.assertContains(response, 'data-clock="overdue"')
        self.assertContains(response, 'id="triage-decision"')
        self.assertContains(response, 'id="triage-reply-body"')
        viewer = self.login(self.vera).get(reverse("feedback:detail", kwargs={"ws": "alpha", "pk": item.feedback_id}))
        self.assertContains(viewer, 'data-clock="overdue"')
        self.assertNotContains(viewer, 'id="triage-reply-body"')


class HistoryAndSettingsPageTests(TriageTestCase):
    def test_imported_or_old_items_start_no_clock(self) -> None:
        imported = self.item("from a CSV", channel="csv")
        old = self.item("last year", hours_ago=24 * 30)
        for item in (imported, old):
            self.assertFalse(item.needs_response)
            self.assertNotIn(item, queries.queue(self.alpha, "overdue"))
        self.assertIn("Imported history", imported.events.get().detail)
        self.assertEqual(actions.send_overdue_summaries(), 0)

    def test_admin_sets_business_hours_on_the_settings_page(self) -> None:
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
        self.assertEqual(self.login(self.bob).post(url, data).status_code, 403)  # members cannot change it
        response = self.login(self.alice).post(url, data)
        self.assertRedirects(response, url)
        config = queries.get_settings(self.alpha)
        self.assertEqual((config.target_hours, config.business_hours, config.work_days), (8, True, [0, 1, 2, 3, 4]))
        self.assertEqual(config.schedule().tz, "Europe/Berlin")
        response = self.client.post(url, {**data, "day_end": "08:00"})
        self.assertContains(response, "must end after it starts")


class BusinessHoursClockTests(TriageTestCase):
    def test_near_breach_counts_working_hours_only(self) -> None:
        import datetime as dt

        actions.update_settings(
            self.actor(self.alice),
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
        friday_noon = (now - dt.timedelta(days=(now.weekday() - 4) % 7)).replace(
            hour=12, minute=0, second=0, microsecond=0
        )
        if friday_noon > now:
            friday_noon -= dt.timedelta(days=7)
        feedback, _ = create_feedback(
            Actor.system(self.alpha), text="weekend", author_email="pat@acme.test", received_at=friday_noon
        )
        item = Triage.objects.get(feedback=feedback)
        self.assertEqual(item.due_at, friday_noon + dt.timedelta(days=3))  # Monday noon
        config = queries.get_settings(self.alpha)
        # Saturday: 3 working hours left (Monday 09:00–12:00), although 2 days of wall-clock remain.
        saturday = friday_noon + dt.timedelta(hours=22)  # Saturday 10:00
        state = queries.clock(item, config, saturday)
        self.assertEqual((state.state, state.label), ("near", "3h 0m of business hours left"))
        # Friday 13:00: 7 working hours left, not near yet.
        self.assertEqual(queries.clock(item, config, friday_noon + dt.timedelta(hours=1)).state, "running")
        actions.assign(self.actor(self.bob), item, self.bob)
        self.assertEqual(actions.send_reminders(saturday), 1)
