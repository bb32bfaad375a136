"""API tokens (page, hashing, revocation), the workspace API and the CLI commands."""

from __future__ import annotations

import re

from django.urls import reverse
from typer.testing import CliRunner

from harken.accounts.models import User
from harken.cli import app
from harken.workspaces.models import ApiToken, Membership, ProductLine, Role, Workspace, hash_secret
from tests.base import PASSWORD, HarkenTestCase, make_token, make_user

RAW = re.compile(r'<p class="secret" id="raw-token">(hk_[A-Za-z0-9_-]+)</p>')


def url(name: str, **kwargs: object) -> str:
    return reverse(f"workspaces:{name}", kwargs={"ws": "alpha", **kwargs})


class TokenPageTests(HarkenTestCase):
    def test_raw_token_is_shown_once_and_stored_hashed(self) -> None:
        client = self.login(self.alice)
        response = client.post(url("tokens"), {"name": "Zapier", "access": "read"})
        self.assertEqual(response["Cache-Control"], "no-store")
        raw = RAW.search(response.content.decode()).group(1)  # type: ignore[union-attr]
        token = self.alpha.api_tokens.get(name="Zapier")
        self.assertEqual(token.token_hash, hash_secret(raw))
        self.assertEqual(token.hint, raw[:8])
        self.assertFalse(token.can_write)
        self.assertEqual(token.created_by, self.alice)
        listing = client.get(url("tokens")).content.decode()
        self.assertNotIn(raw, listing)
        self.assertIn(f"{raw[:8]}…", listing)
        self.assertIn("never", listing)

        # It works, and the page shows when it was last used.
        self.assertEqual(self.client.get("/api/workspaces/current", **self.api(raw)).status_code, 200)
        token.refresh_from_db()
        self.assertIsNotNone(token.last_used_at)
        self.assertContains(client.get(url("tokens")), "ago")

    def test_revoked_token_stops_working(self) -> None:
        raw = make_token(self.alpha, self.alice)
        token = self.alpha.api_tokens.get()
        response = self.login(self.alice).post(url("token_revoke", pk=token.pk), follow=True)
        self.assertContains(response, "revoked")
        self.assertEqual(self.client.get("/api/workspaces/current", **self.api(raw)).status_code, 401)

    def test_only_admins_manage_tokens(self) -> None:
        make_token(self.alpha, self.alice)
        token = self.alpha.api_tokens.get()
        for user in (self.bob, self.vera):
            client = self.login(user)
            page = client.get(url("tokens"))
            self.assertContains(page, "Only admins and owners manage API tokens")
            self.assertNotContains(page, token.hint)
            self.assertEqual(client.post(url("tokens"), {"name": "mine", "access": "write"}).status_code, 403)
            self.assertEqual(client.post(url("token_revoke", pk=token.pk)).status_code, 403)
        self.assertEqual(self.alpha.api_tokens.count(), 1)
        dana = make_user("dana@alpha.test")
        Membership.objects.create(workspace=self.alpha, user=dana, role=Role.ADMIN)
        self.login(dana).post(url("tokens"), {"name": "admin's", "access": "write"})
        self.assertTrue(self.alpha.api_tokens.get(name="admin's").can_write)

    def test_token_needs_a_name(self) -> None:
        response = self.login(self.alice).post(url("tokens"), {"name": " ", "access": "read"})
        self.assertFalse(RAW.search(response.content.decode()))
        self.assertEqual(self.alpha.api_tokens.count(), 0)

    def test_another_workspaces_token_is_404(self) -> None:
        make_token(self.bravo, self.charlie)
        theirs = self.bravo.api_tokens.get()
        self.assertEqual(self.login(self.alice).post(url("token_revoke", pk=theirs.pk)).status_code, 404)
        theirs.refresh_from_db()
        self.assertIsNone(theirs.revoked_at)


class WorkspaceApiTests(HarkenTestCase):
    def test_current_workspace(self) -> None:
        self.world.alpha_line.managers.add(self.bob)
        raw = make_token(self.alpha, self.alice, can_write=False)
        data = self.client.get("/api/workspaces/current", **self.api(raw)).json()
        self.assertEqual(
            (data["name"], data["slug"], data["timezone"], data["can_write"]), ("Alpha", "alpha", "UTC", False)
        )
        self.assertEqual(
            data["product_lines"],
            [
                {
                    "id": self.world.alpha_line.pk,
                    "name": "Mobile",
                    "slug": "mobile",
                    "description": "",
                    "managers": ["bob@alpha.test"],
                }
            ],
        )

    def test_product_lines_are_scoped_to_the_tokens_workspace(self) -> None:
        ProductLine.objects.create(workspace=self.alpha, name="Billing", slug="billing")
        alpha = self.client.get("/api/workspaces/product-lines", **self.api(make_token(self.alpha, self.alice))).json()
        self.assertEqual([line["name"] for line in alpha], ["Billing", "Mobile"])
        bravo = self.client.get(
            "/api/workspaces/product-lines", **self.api(make_token(self.bravo, self.charlie))
        ).json()
        self.assertEqual([line["name"] for line in bravo], ["Web"])

    def test_no_or_bad_token_is_401(self) -> None:
        self.assertEqual(self.client.get("/api/workspaces/current").status_code, 401)
        self.assertEqual(self.client.get("/api/workspaces/current", **self.api("hk_nope")).status_code, 401)


class CliTests(HarkenTestCase):
    def test_bootstrap_is_idempotent(self) -> None:
        runner = CliRunner()
        args = [
            "bootstrap",
            "--email",
            "Root@Example.test",
            "--password",
            PASSWORD,
            "--name",
            "Root",
            "--workspace",
            "Acme",
        ]
        first = runner.invoke(app, args)
        self.assertEqual(first.exit_code, 0, first.output)
        self.assertIn("created", first.output)
        second = runner.invoke(app, args)
        self.assertEqual(second.exit_code, 0, second.output)
        self.assertIn("already existed", second.output)
        user = User.objects.get(email="root@example.test")
        self.assertTrue(user.is_superuser and user.is_staff and user.check_password(PASSWORD))
        workspace = Workspace.objects.get(name="Acme")
        self.assertEqual(workspace.memberships.get().user, user)
        self.assertEqual(workspace.memberships.get().role, Role.OWNER)
        self.assertEqual(User.objects.filter(email="root@example.test").count(), 1)

    def test_bootstrap_refuses_weak_password(self) -> None:
        result = CliRunner().invoke(
            app, ["bootstrap", "--email", "r@example.test", "--password", "123", "--workspace", "Acme"]
        )
        self.assertEqual(result.exit_code, 1)
        self.assertFalse(User.objects.filter(email="r@example.test").exists())
        self.assertFalse(Workspace.objects.filter(name="Acme").exists())

    def test_create_token_prints_a_working_token(self) -> None:
        result = CliRunner().invoke(app, ["create-token", "--workspace", "alpha", "--name", "deploy"])
        self.assertEqual(result.exit_code, 0, result.output)
        raw = result.output.strip()
        token = ApiToken.objects.get(name="deploy")
        self.assertEqual((token.workspace, token.token_hash, token.can_write), (self.alpha, hash_secret(raw), True))
        self.assertEqual(self.client.get("/api/workspaces/current", **self.api(raw)).json()["slug"], "alpha")

    def test_create_token_for_unknown_workspace_fails(self) -> None:
        result = CliRunner().invoke(app, ["create-token", "--workspace", "nope", "--name", "x"])
        self.assertEqual(result.exit_code, 1)
        self.assertIn("No workspace", result.output)
