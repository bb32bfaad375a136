from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from harken.customers.models import Account, Contact, Segment
from harken.feedback.models import Feedback
from tests.base import HarkenTestCase


def url(name: str, ws: str = "alpha", **kwargs: object) -> str:
    return reverse(f"customers:{name}", kwargs={"ws": ws, **kwargs})


class AccountListTests(HarkenTestCase):
    def setUp(self) -> None:
        today = timezone.localdate()
        self.big = Account.objects.create(
            workspace=self.alpha,
            name="Big Bank",
            domain="bigbank.com",
            segment="Enterprise",
            plan="Annual",
            arr=250000,
            renewal_date=today + dt.timedelta(days=300),
            owner=self.bob,
        )
        self.mid = Account.objects.create(
            workspace=self.alpha,
            name="Midco",
            domain="midco.io",
            segment="Mid-market",
            lifecycle_stage="at_risk",
            arr=30000,
            renewal_date=today + dt.timedelta(days=5),
        )
        self.tiny = Account.objects.create(workspace=self.alpha, name="Tiny Shop", segment="SMB", arr=900)
        Account.objects.create(workspace=self.bravo, name="Bravo Secret", arr=1)
        for _ in range(3):
            Feedback.objects.create(workspace=self.alpha, text="x", account=self.tiny)

    def names(self, response) -> list[str]:  # type: ignore[no-untyped-def]
        return [a.name for a in response.context["accounts"]]

    def test_list_shows_workspace_accounts_with_total(self) -> None:
        response = self.login(self.vera).get(url("account_list"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.names(response), ["Big Bank", "Midco", "Tiny Shop"])
        self.assertNotContains(response, "Bravo Secret")
        self.assertContains(response, "data-shortcut-search")
        self.assertEqual(response.context["result"].total_arr, Decimal("280900.00"))
        self.assertContains(response, "$281k")
        # Viewers see no write buttons.
        self.assertNotContains(response, url("account_create"))
        self.assertNotContains(response, "Save as segment")

    def test_member_sees_write_buttons(self) -> None:
        response = self.login(self.bob).get(url("account_list"), {"segment": "SMB"})
        self.assertContains(response, url("account_create"))
        self.assertContains(response, f"{url('segment_create')}?segment=SMB")

    def test_search_filters_and_sort(self) -> None:
        client = self.login(self.bob)
        self.assertEqual(self.names(client.get(url("account_list"), {"q": "midco.io"})), ["Midco"])
        self.assertEqual(self.names(client.get(url("account_list"), {"lifecycle_stage": "at_risk"})), ["Midco"])
        self.assertEqual(self.names(client.get(url("account_list"), {"owner": self.bob.pk})), ["Big Bank"])
        self.assertEqual(self.names(client.get(url("account_list"), {"min_arr": "1000", "max_arr": "100k"})), ["Midco"])
        soon = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
        self.assertEqual(self.names(client.get(url("account_list"), {"renewal_before": soon})), ["Midco"])
        self.assertEqual(
            self.names(client.get(url("account_list"), {"sort": "-arr"})), ["Big Bank", "Midco", "Tiny Shop"]
        )
        self.assertEqual(self.names(client.get(url("account_list"), {"sort": "renewal"}))[:2], ["Midco", "Big Bank"])
        self.assertEqual(self.names(client.get(url("account_list"), {"sort": "-feedback"}))[0], "Tiny Shop")
        response = client.get(url("account_list"), {"segment": "Enterprise"})
        self.assertEqual(response.context["result"].total_arr, Decimal("250000.00"))

    def test_bad_filter_is_reported_not_500(self) -> None:
        response = self.login(self.bob).get(url("account_list"), {"min_arr": "lots"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "ARR must be a number, got &#x27;lots&#x27;")
        self.assertEqual(len(self.names(response)), 3)

    def test_htmx_returns_only_results(self) -> None:
        response = self.login(self.bob).get(url("account_list"), {"q": "big"}, HTTP_HX_REQUEST="true")
        self.assertNotContains(response, "<html")
        self.assertContains(response, "Big Bank")
        self.assertNotContains(response, "Midco")

    def test_pagination(self) -> None:
        Account.objects.bulk_create([Account(workspace=self.alpha, name=f"Co {i:03}") for i in range(60)])
        response = self.login(self.bob).get(url("account_list"), {"page": 2})
        self.assertEqual(len(response.context["accounts"]), 13)
        self.assertContains(response, "51–63 of 63")

    def test_applying_a_saved_segment(self) -> None:
        segment = Segment.objects.create(workspace=self.alpha, name="Paying", filters={"min_arr": "10000"})
        response = self.login(self.vera).get(url("account_list"), {"segment_id": segment.pk})
        self.assertEqual(self.names(response), ["Big Bank", "Midco"])
        self.assertContains(response, "Showing segment <strong>Paying</strong>")
        other = Segment.objects.create(workspace=self.bravo, name="Theirs")
        self.assertEqual(self.client.get(url("account_list"), {"segment_id": other.pk}).status_code, 404)


class AccountCrudTests(HarkenTestCase):
    def test_create_edit_delete(self) -> None:
        client = self.login(self.bob)
        response = client.post(
            url("account_create"),
            {
                "name": "Acme",
                "domain": "https://www.acme.com/",
                "lifecycle_stage": "trial",
                "arr": "12k",
                "renewal_date": "2026-12-31",
                "owner_email": "alice@alpha.test",
            },
        )
        account = Account.objects.get(workspace=self.alpha, name="Acme")
        self.assertRedirects(response, url("account_detail", pk=account.pk))
        self.assertEqual((account.domain, account.arr, account.owner), ("acme.com", Decimal("12000.00"), self.alice))

        response = client.post(
            url("account_edit", pk=account.pk), {"name": "Acme Inc", "lifecycle_stage": "active", "arr": "abc"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "ARR must be a number, got &#x27;abc&#x27;", status_code=400)
        self.assertContains(response, 'value="abc"', status_code=400)  # raw input kept
        response = client.post(
            url("account_edit", pk=account.pk), {"name": "Acme Inc", "lifecycle_stage": "active", "domain": "acme.com"}
        )
        self.assertEqual(response.status_code, 302)
        account.refresh_from_db()
        self.assertEqual(account.name, "Acme Inc")

        self.assertEqual(client.get(url("account_delete", pk=account.pk)).status_code, 200)
        response = client.post(url("account_delete", pk=account.pk))
        self.assertRedirects(response, url("account_list"))
        self.assertFalse(Account.objects.filter(pk=account.pk).exists())

    def test_duplicate_domain_error_on_field(self) -> None:
        Account.objects.create(workspace=self.alpha, name="Acme", domain="acme.com")
        response = self.login(self.bob).post(
            url("account_create"), {"name": "Acme 2", "domain": "ACME.com", "lifecycle_stage": "active"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.context["form"].errors["domain"], ["The domain acme.com already belongs to the account 'Acme'."]
        )

    def test_viewer_cannot_write(self) -> None:
        account = Account.objects.create(workspace=self.alpha, name="Acme")
        client = self.login(self.vera)
        self.assertEqual(client.get(url("account_create")).status_code, 403)
        self.assertEqual(
            client.post(url("account_create"), {"name": "X", "lifecycle_stage": "active"}).status_code, 403
        )
        self.assertEqual(
            client.post(url("account_edit", pk=account.pk), {"name": "X", "lifecycle_stage": "active"}).status_code, 403
        )
        self.assertEqual(client.post(url("account_delete", pk=account.pk)).status_code, 403)
        account.refresh_from_db()
        self.assertEqual(account.name, "Acme")
        self.assertEqual(Account.objects.count(), 1)

    def test_outsider_gets_404(self) -> None:
        account = Account.objects.create(workspace=self.alpha, name="Acme")
        client = self.login(self.charlie)
        self.assertEqual(client.get(url("account_detail", pk=account.pk)).status_code, 404)
        self.assertEqual(client.get(url("account_detail", ws="bravo", pk=account.pk)).status_code, 404)
        self.assertEqual(client.post(url("account_delete", ws="bravo", pk=account.pk)).status_code, 404)
        self.assertTrue(Account.objects.filter(pk=account.pk).exists())


class AccountDetailTests(HarkenTestCase):
    def test_page_shows_details_contacts_feedback_and_chart(self) -> None:
        account = Account.objects.create(
            workspace=self.alpha,
            name="Acme",
            domain="acme.com",
            arr=48000,
            renewal_date=timezone.localdate() + dt.timedelta(days=45),
        )
        sam = Contact.objects.create(workspace=self.alpha, account=account, name="Sam Rivera", email="sam@acme.com")
        Feedback.objects.create(
            workspace=self.alpha, title="Export to PDF please", text="...", account=account, contact=sam
        )
        Feedback.objects.create(workspace=self.alpha, title="Someone else's idea", text="...")
        Segment.objects.create(workspace=self.alpha, name="Mid ARR", filters={"min_arr": "10000"})
        response = self.login(self.vera).get(url("account_detail", pk=account.pk))
        self.assertEqual(response.status_code, 200)
        for text in ("Sam Rivera", "Export to PDF please", "$48k", "in 45 days", "Mid ARR", 'class="chart"'):
            self.assertContains(response, text)
        self.assertNotContains(response, "Someone else&#x27;s idea")
        self.assertNotContains(response, url("account_edit", pk=account.pk))
        member_page = self.login(self.bob).get(url("account_detail", pk=account.pk))
        self.assertContains(member_page, url("account_edit", pk=account.pk))


class ContactViewTests(HarkenTestCase):
    def setUp(self) -> None:
        self.acme = Account.objects.create(workspace=self.alpha, name="Acme", domain="acme.com")
        self.globex = Account.objects.create(workspace=self.alpha, name="Globex", domain="globex.com")
        self.sam = Contact.objects.create(
            workspace=self.alpha, account=self.acme, name="Sam", email="sam@acme.com", title="CTO"
        )
        self.lee = Contact.objects.create(workspace=self.alpha, account=self.globex, name="Lee", email="lee@globex.com")
        Contact.objects.create(workspace=self.bravo, name="Hidden", email="hidden@bravo.test")

    def test_list_search_and_account_filter(self) -> None:
        client = self.login(self.vera)
        names = lambda r: [c.name for c in r.context["contacts"]]  # noqa: E731
        self.assertEqual(names(client.get(url("contact_list"))), ["Lee", "Sam"])
        self.assertEqual(names(client.get(url("contact_list"), {"q": "cto"})), ["Sam"])
        self.assertEqual(names(client.get(url("contact_list"), {"account": self.globex.pk})), ["Lee"])
        self.assertNotContains(client.get(url("contact_list")), "Hidden")

    def test_detail_shows_their_feedback(self) -> None:
        Feedback.objects.create(
            workspace=self.alpha, title="Dark mode", text="...", contact=self.sam, account=self.acme
        )
        Feedback.objects.create(workspace=self.alpha, title="Lee's wish", text="...", contact=self.lee)
        response = self.login(self.vera).get(url("contact_detail", pk=self.sam.pk))
        self.assertContains(response, "Dark mode")
        self.assertNotContains(response, "Lee&#x27;s wish")

    def test_create_links_account_by_domain_and_validates(self) -> None:
        client = self.login(self.bob)
        response = client.post(url("contact_create"), {"name": "Kim", "email": "KIM@globex.com", "account": ""})
        kim = Contact.objects.get(email="kim@globex.com")
        self.assertRedirects(response, url("contact_detail", pk=kim.pk))
        self.assertEqual(kim.account, self.globex)
        response = client.post(url("contact_create"), {"name": "Kim 2", "email": "kim@globex.com"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("already the contact", response.context["form"].errors["email"][0])

    def test_edit_and_delete(self) -> None:
        client = self.login(self.bob)
        response = client.post(
            url("contact_edit", pk=self.sam.pk),
            {"name": "Sam R", "email": "sam@acme.com", "account": str(self.globex.pk)},
        )
        self.assertEqual(response.status_code, 302)
        self.sam.refresh_from_db()
        self.assertEqual((self.sam.name, self.sam.account), ("Sam R", self.globex))
        client.post(url("contact_delete", pk=self.sam.pk))
        self.assertFalse(Contact.objects.filter(pk=self.sam.pk).exists())

    def test_viewer_and_outsider(self) -> None:
        viewer = self.login(self.vera)
        self.assertEqual(
            viewer.post(url("contact_edit", pk=self.sam.pk), {"name": "X", "email": "x@x.test"}).status_code, 403
        )
        self.assertEqual(viewer.post(url("contact_delete", pk=self.sam.pk)).status_code, 403)
        self.assertNotContains(viewer.get(url("contact_detail", pk=self.sam.pk)), url("contact_edit", pk=self.sam.pk))
        outsider = self.login(self.charlie)
        self.assertEqual(outsider.get(url("contact_detail", ws="bravo", pk=self.sam.pk)).status_code, 404)
        self.assertEqual(outsider.post(url("contact_delete", ws="bravo", pk=self.sam.pk)).status_code, 404)
        self.assertTrue(Contact.objects.filter(pk=self.sam.pk).exists())


class SegmentViewTests(HarkenTestCase):
    def setUp(self) -> None:
        Account.objects.create(workspace=self.alpha, name="Big", segment="Enterprise", arr=100000)
        Account.objects.create(workspace=self.alpha, name="Bigger", segment="Enterprise", arr=200000)
        Account.objects.create(workspace=self.alpha, name="Small", segment="SMB", arr=1000)

    def test_list_shows_count_and_arr(self) -> None:
        Segment.objects.create(workspace=self.alpha, name="Enterprise", filters={"segment": "Enterprise"})
        response = self.login(self.vera).get(url("segment_list"))
        row = response.context["rows"][0]
        self.assertEqual((row["count"], row["arr"]), (2, Decimal("300000.00")))
        self.assertContains(response, "$300k")
        self.assertNotContains(response, url("segment_create"))

    def test_save_as_segment_flow(self) -> None:
        client = self.login(self.bob)
        form = client.get(url("segment_create"), {"segment": "Enterprise", "min_arr": "150k"})
        self.assertEqual(form.context["form"].initial["min_arr"], "150k")
        response = client.post(
            url("segment_create"), {"name": "Top enterprise", "weight": "2", "segment": "Enterprise", "min_arr": "150k"}
        )
        segment = Segment.objects.get(workspace=self.alpha, name="Top enterprise")
        self.assertEqual(segment.filters, {"segment": "Enterprise", "min_arr": "150k"})
        self.assertEqual(segment.weight, 2.0)
        self.assertRedirects(response, url("account_list") + f"?segment_id={segment.pk}")
        listing = client.get(url("account_list"), {"segment_id": segment.pk})
        self.assertEqual([a.name for a in listing.context["accounts"]], ["Bigger"])

    def test_create_errors_edit_delete(self) -> None:
        client = self.login(self.bob)
        response = client.post(url("segment_create"), {"name": "Bad", "weight": "1", "min_arr": "lots"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.context["form"].errors["min_arr"], ["ARR must be a number, got 'lots'"])
        segment = Segment.objects.create(workspace=self.alpha, name="Ent", filters={"segment": "Enterprise"})
        client.post(url("segment_edit", pk=segment.pk), {"name": "SMB", "weight": "0.5", "segment": "SMB"})
        segment.refresh_from_db()
        self.assertEqual((segment.name, segment.filters, segment.weight), ("SMB", {"segment": "SMB"}, 0.5))
        client.post(url("segment_delete", pk=segment.pk))
        self.assertFalse(Segment.objects.filter(pk=segment.pk).exists())

    def test_viewer_cannot_write(self) -> None:
        segment = Segment.objects.create(workspace=self.alpha, name="Ent")
        client = self.login(self.vera)
        self.assertEqual(client.post(url("segment_create"), {"name": "X", "weight": "1"}).status_code, 403)
        self.assertEqual(client.post(url("segment_delete", pk=segment.pk)).status_code, 403)
        self.assertTrue(Segment.objects.filter(pk=segment.pk).exists())


class NavTests(HarkenTestCase):
    def test_sidebar_has_customers_section(self) -> None:
        response = self.login(self.vera).get(url("contact_list"))
        self.assertContains(response, '<div class="nav-section">Customers</div>', html=True)
        self.assertContains(response, f'href="{url("segment_list")}"')
