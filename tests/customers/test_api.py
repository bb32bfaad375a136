from __future__ import annotations

import json
from typing import Any

from django.test import Client

from harken.customers.models import Account, Contact, Segment
from harken.feedback.models import Feedback
from tests.base import HarkenTestCase, make_token


class ApiTestCase(HarkenTestCase):
    def setUp(self) -> None:
        self.token = make_token(self.alpha, self.bob)
        self.read_only = make_token(self.alpha, self.vera, can_write=False)
        self.http = Client()

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, token: str | None = None, **query: Any
    ) -> Any:
        if query:
            from urllib.parse import urlencode

            path += "?" + urlencode(query)
        return self.http.generic(
            method,
            "/api/customers" + path,
            data=json.dumps(body) if body is not None else "",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token or self.token}",
        )


class AccountApiTests(ApiTestCase):
    def test_crud(self) -> None:
        created = self.call(
            "POST",
            "/accounts",
            {
                "name": "Acme",
                "domain": "https://www.acme.com",
                "arr": "12k",
                "renewal_date": "31/03/2026",
                "owner_email": "bob@alpha.test",
            },
        )
        self.assertEqual(created.status_code, 201, created.content)
        body = created.json()
        self.assertEqual(
            (body["domain"], body["arr"], body["renewal_date"], body["owner_email"]),
            ("acme.com", 12000.0, "2026-03-31", "bob@alpha.test"),
        )
        account = Account.objects.get(pk=body["id"])
        self.assertEqual(account.workspace, self.alpha)

        patched = self.call("PATCH", f"/accounts/{account.pk}", {"plan": "Enterprise"})
        self.assertEqual(patched.status_code, 200)
        self.assertEqual(
            (patched.json()["plan"], patched.json()["name"], patched.json()["arr"]), ("Enterprise", "Acme", 12000.0)
        )

        Feedback.objects.create(workspace=self.alpha, text="hi", account=account)
        got = self.call("GET", f"/accounts/{account.pk}")
        self.assertEqual(got.json()["feedback_count"], 1)

        self.assertEqual(self.call("DELETE", f"/accounts/{account.pk}").status_code, 204)
        self.assertFalse(Account.objects.filter(pk=account.pk).exists())

    def test_validation_errors_are_422_with_field_messages(self) -> None:
        response = self.call("POST", "/accounts", {"name": "Acme", "arr": "abc"})
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json()["errors"], {"arr": ["ARR must be a number, got 'abc'"]})
        self.assertEqual(response.json()["detail"], "ARR must be a number, got 'abc'")
        Account.objects.create(workspace=self.alpha, name="Acme", domain="acme.com")
        response = self.call("POST", "/accounts", {"name": "Acme 2", "domain": "acme.com"})
        self.assertEqual(response.status_code, 422)
        self.assertIn("already belongs", response.json()["errors"]["domain"][0])

    def test_list_filters_pagination_and_scope(self) -> None:
        for i in range(5):
            Account.objects.create(workspace=self.alpha, name=f"Ent {i}", segment="Enterprise", arr=1000 * (i + 1))
        Account.objects.create(workspace=self.alpha, name="Small", segment="SMB", arr=10)
        Account.objects.create(workspace=self.bravo, name="Ent Bravo", segment="Enterprise")
        response = self.call("GET", "/accounts", segment="Enterprise", page_size=2, page=3, token=self.read_only)
        body = response.json()
        self.assertEqual((body["count"], body["pages"], body["page"], body["total_arr"]), (5, 3, 3, 15000.0))
        self.assertEqual([a["name"] for a in body["items"]], ["Ent 4"])
        self.assertEqual([a["name"] for a in self.call("GET", "/accounts", q="small").json()["items"]], ["Small"])
        saved = Segment.objects.create(workspace=self.alpha, name="Big", filters={"min_arr": "4000"})
        by_segment = self.call("GET", "/accounts", segment_id=saved.pk, sort="-arr").json()
        self.assertEqual([a["name"] for a in by_segment["items"]], ["Ent 4", "Ent 3"])
        theirs = Segment.objects.create(workspace=self.bravo, name="Theirs")
        self.assertEqual(self.call("GET", "/accounts", segment_id=theirs.pk).status_code, 404)
        bad = self.call("GET", "/accounts", min_arr="lots")
        self.assertEqual(bad.status_code, 422)
        self.assertEqual(bad.json()["errors"], {"min_arr": ["ARR must be a number, got 'lots'"]})

    def test_read_only_token_and_other_workspace(self) -> None:
        account = Account.objects.create(workspace=self.alpha, name="Acme")
        self.assertEqual(
            self.call("PATCH", f"/accounts/{account.pk}", {"name": "X"}, token=self.read_only).status_code, 403
        )
        self.assertEqual(self.call("GET", f"/accounts/{account.pk}", token=self.read_only).status_code, 200)
        theirs = Account.objects.create(workspace=self.bravo, name="Theirs")
        self.assertEqual(self.call("GET", f"/accounts/{theirs.pk}").status_code, 404)
        self.assertEqual(self.call("DELETE", f"/accounts/{theirs.pk}").status_code, 404)
        self.assertTrue(Account.objects.filter(pk=theirs.pk).exists())
        self.assertNotIn("Theirs", self.call("GET", "/accounts").content.decode())


class ContactApiTests(ApiTestCase):
    def test_crud_and_account_links(self) -> None:
        acme = Account.objects.create(workspace=self.alpha, name="Acme", domain="acme.com")
        globex = Account.objects.create(workspace=self.alpha, name="Globex", domain="globex.com")
        created = self.call("POST", "/contacts", {"name": "Sam", "email": "SAM@acme.com"})
        self.assertEqual(created.status_code, 201, created.content)
        body = created.json()
        self.assertEqual((body["email"], body["account_id"], body["account_name"]), ("sam@acme.com", acme.pk, "Acme"))

        by_domain = self.call("POST", "/contacts", {"email": "lee@gmail.com", "account_domain": "globex.com"}).json()
        self.assertEqual(by_domain["account_id"], globex.pk)

        moved = self.call("PATCH", f"/contacts/{body['id']}", {"account_id": globex.pk, "title": "CTO"}).json()
        self.assertEqual((moved["account_id"], moved["title"], moved["name"]), (globex.pk, "CTO", "Sam"))
        unlinked = self.call("PATCH", f"/contacts/{body['id']}", {"account_id": None}).json()
        self.assertIsNone(unlinked["account_id"])

        listing = self.call("GET", "/contacts", account_id=globex.pk).json()
        self.assertEqual([c["email"] for c in listing["items"]], ["lee@gmail.com"])
        self.assertEqual(self.call("GET", "/contacts", q="sam").json()["count"], 1)

        dup = self.call("POST", "/contacts", {"email": "sam@acme.com"})
        self.assertEqual(dup.status_code, 422)
        self.assertIn("already the contact", dup.json()["errors"]["email"][0])

        self.assertEqual(self.call("DELETE", f"/contacts/{body['id']}").status_code, 204)
        self.assertEqual(Contact.objects.filter(workspace=self.alpha).count(), 1)

    def test_scope_and_read_only(self) -> None:
        theirs = Contact.objects.create(workspace=self.bravo, email="x@bravo.test")
        their_account = Account.objects.create(workspace=self.bravo, name="Theirs")
        self.assertEqual(self.call("GET", f"/contacts/{theirs.pk}").status_code, 404)
        response = self.call("POST", "/contacts", {"email": "y@alpha.test", "account_id": their_account.pk})
        self.assertEqual(response.status_code, 422)
        self.assertEqual(
            self.call("POST", "/contacts", {"email": "z@alpha.test"}, token=self.read_only).status_code, 403
        )
        self.assertFalse(Contact.objects.filter(workspace=self.alpha).exists())


class SegmentApiTests(ApiTestCase):
    def test_list_with_counts(self) -> None:
        Account.objects.create(workspace=self.alpha, name="A", segment="Enterprise", arr=100)
        Account.objects.create(workspace=self.alpha, name="B", segment="SMB", arr=5)
        Segment.objects.create(workspace=self.alpha, name="Ent", filters={"segment": "Enterprise"}, weight=2)
        Segment.objects.create(workspace=self.bravo, name="Hidden")
        body = self.call("GET", "/segments", token=self.read_only).json()
        self.assertEqual(
            [(s["name"], s["account_count"], s["total_arr"], s["weight"], s["filters"]) for s in body],
            [("Ent", 1, 100.0, 2.0, {"segment": "Enterprise"})],
        )

    def test_requires_token(self) -> None:
        self.assertEqual(Client().get("/api/customers/segments").status_code, 401)
