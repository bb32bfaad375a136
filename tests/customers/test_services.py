from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from harken.customers import actions, queries
from harken.customers.models import Account, Contact, Segment
from harken.feedback.models import Feedback
from tests.base import HarkenTestCase


class ParsingTests(HarkenTestCase):
    def test_domain_is_normalised(self) -> None:
        for raw in ("https://www.Acme.com/about", "ACME.com", "http://acme.com:8080", "www.acme.com.", "sam@acme.com"):
            self.assertEqual(queries.normalise_domain(raw), "acme.com", raw)
        self.assertEqual(queries.normalise_domain("  "), "")

    def test_bad_domain_says_what_was_given(self) -> None:
        with self.assertRaisesMessage(ValueError, "'not a domain' is not a domain name"):
            queries.normalise_domain("not a domain")

    def test_arr_formats(self) -> None:
        self.assertEqual(queries.parse_arr("$12,000.50"), Decimal("12000.50"))
        self.assertEqual(queries.parse_arr("12k"), Decimal("12000"))
        self.assertEqual(queries.parse_arr("1.5M"), Decimal("1500000"))
        self.assertEqual(queries.parse_arr("€ 900"), Decimal("900"))
        self.assertEqual(queries.parse_arr(""), Decimal("0"))
        with self.assertRaisesMessage(ValueError, "ARR must be a number, got 'abc'"):
            queries.parse_arr("abc")
        with self.assertRaisesMessage(ValueError, "ARR cannot be negative"):
            queries.parse_arr("-5")

    def test_dates(self) -> None:
        expected = dt.date(2026, 3, 31)
        for raw in (
            "2026-03-31",
            "2026/03/31",
            "31.03.2026",
            "31/03/2026",
            "03/31/2026",
            "31 Mar 2026",
            "March 31, 2026",
            "2026-03-31T10:00:00Z",
        ):
            self.assertEqual(queries.parse_date(raw), expected, raw)
        self.assertEqual(queries.parse_date("04/04/2026"), dt.date(2026, 4, 4))
        with self.assertRaisesMessage(ValueError, "ambiguous"):
            queries.parse_date("03/04/2026")
        with self.assertRaisesMessage(ValueError, "must be a date like 2026-03-31, got 'soon'"):
            queries.parse_date("soon")

    def test_lifecycle_accepts_labels(self) -> None:
        self.assertEqual(queries.parse_lifecycle("At risk"), "at_risk")
        self.assertEqual(queries.parse_lifecycle("CHURNED"), "churned")
        with self.assertRaisesMessage(ValueError, "Unknown lifecycle stage 'zombie'"):
            queries.parse_lifecycle("zombie")


class AccountServiceTests(HarkenTestCase):
    def test_create_normalises_and_validates(self) -> None:
        account = actions.create_account(
            self.actor(self.bob),
            {
                "name": " Acme ",
                "domain": "https://www.ACME.com",
                "arr": "12k",
                "renewal_date": "2026-12-01",
                "owner_email": "ALICE@alpha.test",
            },
        )
        account.refresh_from_db()
        self.assertEqual((account.name, account.domain, account.arr), ("Acme", "acme.com", Decimal("12000.00")))
        self.assertEqual(account.owner, self.alice)
        self.assertEqual(account.workspace, self.alpha)

    def test_errors_are_collected_per_field(self) -> None:
        with self.assertRaises(ValidationError) as ctx:
            actions.create_account(
                self.actor(self.bob),
                {"name": "", "arr": "abc", "renewal_date": "someday", "owner_email": "charlie@bravo.test"},
            )
        errors = ctx.exception.message_dict
        self.assertEqual(errors["name"], ["An account needs a name."])
        self.assertEqual(errors["arr"], ["ARR must be a number, got 'abc'"])
        self.assertIn("Renewal date must be a date", errors["renewal_date"][0])
        self.assertIn("No member of this workspace has the email 'charlie@bravo.test'", errors["owner_email"][0])
        self.assertFalse(Account.objects.exists())

    def test_domain_unique_per_workspace_only(self) -> None:
        actions.create_account(self.actor(self.bob), {"name": "Acme", "domain": "acme.com"})
        with self.assertRaises(ValidationError) as ctx:
            actions.create_account(self.actor(self.alice), {"name": "Acme 2", "domain": "WWW.acme.com"})
        self.assertEqual(
            ctx.exception.message_dict["domain"], ["The domain acme.com already belongs to the account 'Acme'."]
        )
        # Another workspace may have the same customer.
        actions.create_account(self.actor(self.charlie), {"name": "Acme", "domain": "acme.com"})
        self.assertEqual(Account.objects.filter(domain="acme.com").count(), 2)

    def test_update_keeps_own_domain(self) -> None:
        account = actions.create_account(self.actor(self.bob), {"name": "Acme", "domain": "acme.com"})
        actions.update_account(self.actor(self.bob), account, {"name": "Acme Inc", "domain": "acme.com"})
        account.refresh_from_db()
        self.assertEqual(account.name, "Acme Inc")

    def test_partial_update_changes_only_given_keys(self) -> None:
        account = actions.create_account(self.actor(self.bob), {"name": "Acme", "plan": "Pro", "arr": "100"})
        actions.update_account(self.actor(self.bob), account, {"plan": "Enterprise"}, partial=True)
        account.refresh_from_db()
        self.assertEqual((account.name, account.plan, account.arr), ("Acme", "Enterprise", Decimal("100.00")))

    def test_viewer_cannot_write(self) -> None:
        with self.assertRaises(PermissionDenied):
            actions.create_account(self.actor(self.vera), {"name": "Nope"})
        account = Account.objects.create(workspace=self.alpha, name="Acme")
        with self.assertRaises(PermissionDenied):
            actions.delete_account(self.actor(self.vera), account)
        self.assertTrue(Account.objects.filter(pk=account.pk).exists())

    def test_delete_keeps_contacts_and_feedback(self) -> None:
        account = Account.objects.create(workspace=self.alpha, name="Acme")
        contact = Contact.objects.create(workspace=self.alpha, account=account, email="a@acme.com")
        item = Feedback.objects.create(workspace=self.alpha, text="hi", account=account, contact=contact)
        actions.delete_account(self.actor(self.bob), account)
        contact.refresh_from_db()
        item.refresh_from_db()
        self.assertIsNone(contact.account)
        self.assertIsNone(item.account)


class UpsertAccountTests(HarkenTestCase):
    row = {
        "name": "Acme",
        "domain": "acme.com",
        "plan": "Pro",
        "segment": "Mid-market",
        "lifecycle_stage": "active",
        "arr": "$24,000",
        "renewal_date": "2026-09-30",
        "owner_email": "bob@alpha.test",
        "external_id": "crm-1",
    }

    def test_idempotent_by_external_id(self) -> None:
        actor = self.actor(self.bob)
        first, created = actions.upsert_account(actor, self.row)
        self.assertTrue(created)
        again, created_again = actions.upsert_account(actor, self.row)
        self.assertFalse(created_again)
        self.assertEqual(first.pk, again.pk)
        self.assertEqual(self.alpha.accounts.count(), 1)
        # The CRM renamed the company and changed its domain: same row, same account.
        renamed, created = actions.upsert_account(actor, {**self.row, "name": "Acme Group", "domain": "acme.io"})
        self.assertFalse(created)
        renamed.refresh_from_db()
        self.assertEqual((renamed.pk, renamed.name, renamed.domain), (first.pk, "Acme Group", "acme.io"))

    def test_matches_by_domain_without_external_id(self) -> None:
        existing = Account.objects.create(workspace=self.alpha, name="Acme", domain="acme.com", arr=5)
        account, created = actions.upsert_account(
            self.actor(self.bob), {"name": "ACME Corp", "domain": "www.acme.com", "arr": "7000"}
        )
        self.assertFalse(created)
        self.assertEqual(account.pk, existing.pk)
        existing.refresh_from_db()
        self.assertEqual(existing.arr, Decimal("7000.00"))

    def test_blank_cells_do_not_erase(self) -> None:
        actor = self.actor(self.bob)
        actions.upsert_account(actor, self.row)
        account, _ = actions.upsert_account(actor, {"external_id": "crm-1", "name": "Acme", "plan": "", "arr": ""})
        account.refresh_from_db()
        self.assertEqual((account.plan, account.arr), ("Pro", Decimal("24000.00")))

    def test_dry_run_writes_nothing(self) -> None:
        account, created = actions.upsert_account(self.actor(self.bob), self.row, dry_run=True)
        self.assertTrue(created)
        self.assertIsNone(account.pk)
        self.assertEqual(account.arr, Decimal("24000.00"))
        self.assertFalse(Account.objects.exists())
        existing = Account.objects.create(workspace=self.alpha, name="Acme", external_id="crm-1")
        account, created = actions.upsert_account(
            self.actor(self.bob), {**self.row, "plan": "Enterprise"}, dry_run=True
        )
        self.assertFalse(created)
        existing.refresh_from_db()
        self.assertEqual(existing.plan, "")

    def test_dry_run_still_validates(self) -> None:
        with self.assertRaises(ValidationError) as ctx:
            actions.upsert_account(self.actor(self.bob), {**self.row, "arr": "abc"}, dry_run=True)
        self.assertEqual(ctx.exception.message_dict, {"arr": ["ARR must be a number, got 'abc'"]})

    def test_domain_owned_by_another_account(self) -> None:
        Account.objects.create(workspace=self.alpha, name="Other", domain="acme.com")
        Account.objects.create(workspace=self.alpha, name="Acme", external_id="crm-1")
        with self.assertRaises(ValidationError) as ctx:
            actions.upsert_account(self.actor(self.bob), self.row)
        self.assertIn("already belongs to the account 'Other'", ctx.exception.message_dict["domain"][0])

    def test_scoped_to_the_actor_workspace(self) -> None:
        Account.objects.create(workspace=self.bravo, name="Acme", domain="acme.com", external_id="crm-1")
        _, created = actions.upsert_account(self.actor(self.bob), self.row)
        self.assertTrue(created)
        self.assertEqual(self.alpha.accounts.count(), 1)

    def test_viewer_cannot_import(self) -> None:
        with self.assertRaises(PermissionDenied):
            actions.upsert_account(self.actor(self.vera), self.row)


class ContactServiceTests(HarkenTestCase):
    def setUp(self) -> None:
        self.acme = Account.objects.create(workspace=self.alpha, name="Acme", domain="acme.com")

    def test_email_lower_cased_and_unique(self) -> None:
        contact = actions.create_contact(self.actor(self.bob), {"name": "Sam", "email": "Sam@ACME.com"})
        self.assertEqual(contact.email, "sam@acme.com")
        with self.assertRaises(ValidationError) as ctx:
            actions.create_contact(self.actor(self.bob), {"name": "Sam again", "email": "SAM@acme.com"})
        self.assertEqual(ctx.exception.message_dict["email"], ["sam@acme.com is already the contact 'Sam'."])

    def test_invalid_email(self) -> None:
        with self.assertRaises(ValidationError) as ctx:
            actions.create_contact(self.actor(self.bob), {"email": "sam at acme"})
        self.assertEqual(ctx.exception.message_dict["email"], ["'sam at acme' is not a valid email address"])

    def test_needs_name_or_email(self) -> None:
        with self.assertRaises(ValidationError) as ctx:
            actions.create_contact(self.actor(self.bob), {"title": "CTO"})
        self.assertIn("at least a name or an email", ctx.exception.message_dict["email"][0])

    def test_work_email_links_account(self) -> None:
        contact = actions.create_contact(self.actor(self.bob), {"email": "kim@acme.com"})
        self.assertEqual(contact.account, self.acme)

    def test_account_from_other_workspace_is_refused(self) -> None:
        other = Account.objects.create(workspace=self.bravo, name="Bravo Co")
        with self.assertRaises(ValidationError) as ctx:
            actions.create_contact(self.actor(self.bob), {"email": "kim@x.test", "account": str(other.pk)})
        self.assertIn("No account with id", ctx.exception.message_dict["account"][0])

    def test_upsert_idempotent_by_email_then_external_id(self) -> None:
        actor = self.actor(self.bob)
        row = {"name": "Sam", "email": "SAM@acme.com", "title": "CTO", "account_domain": "acme.com"}
        first, created = actions.upsert_contact(actor, row)
        self.assertTrue(created)
        self.assertEqual(first.account, self.acme)
        second, created = actions.upsert_contact(actor, {**row, "title": "CEO"})
        self.assertFalse(created)
        self.assertEqual(second.pk, first.pk)
        second.refresh_from_db()
        self.assertEqual(second.title, "CEO")
        # External id wins over email: the person changed address.
        actions.upsert_contact(actor, {**row, "external_id": "p-1"})
        moved, created = actions.upsert_contact(actor, {"external_id": "p-1", "email": "sam@acme.io"})
        self.assertFalse(created)
        self.assertEqual((moved.pk, moved.email), (first.pk, "sam@acme.io"))
        self.assertEqual(self.alpha.contacts.count(), 1)

    def test_upsert_by_account_name(self) -> None:
        contact, _ = actions.upsert_contact(self.actor(self.bob), {"email": "lee@gmail.com", "account_name": "acme"})
        self.assertEqual(contact.account, self.acme)

    def test_upsert_unknown_account(self) -> None:
        with self.assertRaises(ValidationError) as ctx:
            actions.upsert_contact(self.actor(self.bob), {"email": "lee@x.test", "account_domain": "nowhere.test"})
        self.assertIn("No account with the domain nowhere.test", ctx.exception.message_dict["account_domain"][0])

    def test_upsert_dry_run(self) -> None:
        contact, created = actions.upsert_contact(self.actor(self.bob), {"email": "x@acme.com"}, dry_run=True)
        self.assertTrue(created)
        self.assertIsNone(contact.pk)
        self.assertFalse(Contact.objects.exists())

    def test_upsert_without_email_matches_name_in_account(self) -> None:
        actor = self.actor(self.bob)
        first, _ = actions.upsert_contact(actor, {"name": "Robin", "account_domain": "acme.com"})
        second, created = actions.upsert_contact(actor, {"name": "robin", "account_domain": "acme.com", "title": "PM"})
        self.assertFalse(created)
        self.assertEqual(first.pk, second.pk)


class MatchSenderTests(HarkenTestCase):
    def setUp(self) -> None:
        self.acme = Account.objects.create(workspace=self.alpha, name="Acme", domain="acme.com")
        self.sam = Contact.objects.create(workspace=self.alpha, account=self.acme, name="Sam", email="sam@acme.com")

    def test_exact_contact(self) -> None:
        self.assertEqual(queries.match_sender(self.alpha, "SAM@acme.com"), (self.sam, self.acme))

    def test_domain_matches_account_without_creating(self) -> None:
        self.assertEqual(queries.match_sender(self.alpha, "kim@acme.com"), (None, self.acme))
        self.assertFalse(Contact.objects.filter(email="kim@acme.com").exists())

    def test_create_contact_on_domain_match(self) -> None:
        contact, account = actions.match_sender_or_add_contact(self.alpha, "Kim@Acme.com", name="Kim")
        self.assertIsNotNone(contact)
        assert contact is not None
        self.assertEqual(
            (contact.email, contact.name, contact.account, account), ("kim@acme.com", "Kim", self.acme, self.acme)
        )
        again, _ = actions.match_sender_or_add_contact(self.alpha, "kim@acme.com")
        self.assertEqual(again, contact)

    def test_subdomain_matches_parent(self) -> None:
        self.assertEqual(queries.match_sender(self.alpha, "ops@eu.acme.com"), (None, self.acme))

    def test_free_mail_never_matches_an_account(self) -> None:
        Account.objects.create(workspace=self.alpha, name="Google (misconfigured)", domain="gmail.com")
        for email in (
            "someone@gmail.com",
            "a@outlook.com",
            "b@yahoo.com",
            "c@hotmail.com",
            "d@icloud.com",
            "e@proton.me",
        ):
            self.assertEqual(actions.match_sender_or_add_contact(self.alpha, email), (None, None), email)
        self.assertEqual(self.alpha.contacts.count(), 1)

    def test_free_mail_contact_still_matches_exactly(self) -> None:
        lee = Contact.objects.create(workspace=self.alpha, account=self.acme, email="lee@gmail.com")
        self.assertEqual(queries.match_sender(self.alpha, "lee@gmail.com"), (lee, self.acme))

    def test_other_workspace_is_invisible(self) -> None:
        self.assertEqual(actions.match_sender_or_add_contact(self.bravo, "sam@acme.com"), (None, None))
        self.assertFalse(self.bravo.contacts.exists())

    def test_garbage(self) -> None:
        self.assertEqual(queries.match_sender(self.alpha, ""), (None, None))
        self.assertEqual(queries.match_sender(self.alpha, "not-an-email"), (None, None))


class FilterTests(HarkenTestCase):
    def setUp(self) -> None:
        today = timezone.localdate()
        mk = Account.objects.create
        self.big = mk(
            workspace=self.alpha,
            name="Big Bank",
            domain="bigbank.com",
            segment="Enterprise",
            plan="Annual",
            lifecycle_stage="active",
            arr=250000,
            renewal_date=today + dt.timedelta(days=20),
            owner=self.bob,
        )
        self.mid = mk(
            workspace=self.alpha,
            name="Midco",
            domain="midco.io",
            segment="Mid-market",
            plan="Monthly",
            lifecycle_stage="at_risk",
            arr=30000,
            renewal_date=today + dt.timedelta(days=200),
        )
        self.small = mk(workspace=self.alpha, name="Tiny Shop", domain="tiny.shop", segment="SMB", arr=900)
        mk(workspace=self.bravo, name="Big Bravo", segment="Enterprise", arr=999999)

    def names(self, filters: dict) -> list[str]:
        return sorted(a.name for a in queries.filter_accounts(self.alpha, filters))

    def test_filters(self) -> None:
        today = timezone.localdate()
        self.assertEqual(self.names({}), ["Big Bank", "Midco", "Tiny Shop"])
        self.assertEqual(self.names({"q": "big"}), ["Big Bank"])
        self.assertEqual(self.names({"q": "MIDCO.IO"}), ["Midco"])
        self.assertEqual(self.names({"segment": "enterprise"}), ["Big Bank"])
        self.assertEqual(self.names({"plan": "Monthly"}), ["Midco"])
        self.assertEqual(self.names({"lifecycle_stage": "At risk"}), ["Midco"])
        self.assertEqual(self.names({"owner": str(self.bob.pk)}), ["Big Bank"])
        self.assertEqual(self.names({"owner": "bob@alpha.test"}), ["Big Bank"])
        self.assertEqual(self.names({"owner": "none"}), ["Midco", "Tiny Shop"])
        self.assertEqual(self.names({"min_arr": "10k"}), ["Big Bank", "Midco"])
        self.assertEqual(self.names({"max_arr": "30000"}), ["Midco", "Tiny Shop"])
        self.assertEqual(self.names({"renewal_before": (today + dt.timedelta(days=90)).isoformat()}), ["Big Bank"])
        self.assertEqual(self.names({"renewal_after": (today + dt.timedelta(days=90)).isoformat()}), ["Midco"])
        self.assertEqual(self.names({"min_arr": "1000", "lifecycle_stage": "active"}), ["Big Bank"])

    def test_bad_filter_value(self) -> None:
        with self.assertRaises(ValidationError) as ctx:
            queries.filter_accounts(self.alpha, {"min_arr": "lots"})
        self.assertEqual(ctx.exception.message_dict, {"min_arr": ["ARR must be a number, got 'lots'"]})

    def test_list_accounts_totals_and_sort(self) -> None:
        Feedback.objects.create(workspace=self.alpha, text="a", account=self.small)
        Feedback.objects.create(workspace=self.alpha, text="b", account=self.small)
        Feedback.objects.create(workspace=self.alpha, text="c", account=self.mid)
        result = queries.list_accounts(self.alpha, {"max_arr": "100000"}, "-feedback")
        self.assertEqual(result.count, 2)
        self.assertEqual(result.total_arr, Decimal("30900.00"))
        self.assertEqual([(a.name, a.feedback_count) for a in result.page_accounts], [("Tiny Shop", 2), ("Midco", 1)])
        by_arr = queries.list_accounts(self.alpha, {}, "-arr")
        self.assertEqual([a.name for a in by_arr.page_accounts], ["Big Bank", "Midco", "Tiny Shop"])

    def test_list_accounts_reports_bad_filters_instead_of_failing(self) -> None:
        result = queries.list_accounts(self.alpha, {"min_arr": "lots", "segment": "SMB"})
        self.assertEqual([a.name for a in result.page_accounts], ["Tiny Shop"])
        self.assertIn("min_arr", result.errors)

    def test_segments(self) -> None:
        segment = actions.create_segment(
            self.actor(self.bob), {"name": "Big", "weight": "2", "min_arr": "20k", "junk": "ignored"}
        )
        self.assertEqual(segment.filters, {"min_arr": "20k"})
        self.assertEqual([a.name for a in queries.segment_accounts(segment)], ["Big Bank", "Midco"])
        rows = queries.segment_rows(self.alpha)
        self.assertEqual([(r["segment"].name, r["count"], r["arr"]) for r in rows], [("Big", 2, Decimal("280000.00"))])
        with self.assertRaises(ValidationError) as ctx:
            actions.create_segment(self.actor(self.bob), {"name": "big", "weight": "0"})
        self.assertIn("already a segment called 'big'", ctx.exception.message_dict["name"][0])
        self.assertIn("Weight must be a number above 0", ctx.exception.message_dict["weight"][0])
        with self.assertRaises(PermissionDenied):
            actions.delete_segment(self.actor(self.vera), segment)
        actions.update_segment(self.actor(self.bob), segment, {"name": "Big", "filters": {"segment": "SMB"}})
        self.assertEqual([a.name for a in queries.segment_accounts(Segment.objects.get(pk=segment.pk))], ["Tiny Shop"])


class AccountOverviewTests(HarkenTestCase):
    def test_chart_counts_feedback_per_month_and_renewal_countdown(self) -> None:
        today = timezone.localdate()
        account = Account.objects.create(workspace=self.alpha, name="Acme", renewal_date=today + dt.timedelta(days=10))
        now = timezone.now()
        for _ in range(3):
            Feedback.objects.create(workspace=self.alpha, text="now", account=account, received_at=now)
        Feedback.objects.create(
            workspace=self.alpha, text="old", account=account, received_at=now - dt.timedelta(days=800)
        )
        Feedback.objects.create(workspace=self.alpha, text="other", received_at=now)
        overview = queries.account_overview(account)
        self.assertEqual(overview["feedback_count"], 4)
        bars = overview["chart"]["bars"]
        self.assertEqual(len(bars), 12)
        self.assertEqual(bars[-1]["value"], 3)
        self.assertEqual(sum(b["value"] for b in bars), 3)
        self.assertEqual(overview["renewal_days"], 10)
        self.assertEqual(overview["renewal_text"], "in 10 days")
        self.assertEqual(overview["renewal_badge"], "badge-warn")
        self.assertEqual([r["item"].text for r in overview["feedback"]][:3], ["now", "now", "now"])
