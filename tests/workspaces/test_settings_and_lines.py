"""Workspace settings, product lines and the hub."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import reverse

from harken.workspaces import services
from harken.workspaces.models import Membership, ProductLine, Role, Workspace
from tests.base import PASSWORD, HarkenTestCase, make_user


def url(name: str, **kwargs: object) -> str:
    return reverse(f"workspaces:{name}", kwargs={"ws": "alpha", **kwargs})


class SettingsTests(HarkenTestCase):
    def test_owner_renames_and_sets_time_zone(self) -> None:
        response = self.login(self.alice).post(
            url("settings"), {"name": " Alpha Inc ", "time_zone": "Europe/Berlin"}, follow=True
        )
        self.assertContains(response, "Workspace settings saved.")
        self.alpha.refresh_from_db()
        self.assertEqual((self.alpha.name, self.alpha.timezone), ("Alpha Inc", "Europe/Berlin"))

    def test_unknown_time_zone_is_refused(self) -> None:
        response = self.login(self.alice).post(url("settings"), {"name": "Alpha", "time_zone": "Mars/Olympus"})
        self.assertEqual(response.status_code, 200)
        self.assertIn("time_zone", response.context["form"].errors)
        with self.assertRaisesMessage(ValidationError, "not a time zone we know"):
            services.update_workspace(self.actor(self.alice), name="Alpha", time_zone="Mars/Olympus")
        self.alpha.refresh_from_db()
        self.assertEqual(self.alpha.timezone, "UTC")

    def test_members_read_but_cannot_change(self) -> None:
        page = self.login(self.bob).get(url("settings"))
        self.assertContains(page, "Only admins and owners can change these settings.")
        self.assertEqual(self.client.post(url("settings"), {"name": "Hacked", "time_zone": "UTC"}).status_code, 403)
        self.alpha.refresh_from_db()
        self.assertEqual(self.alpha.name, "Alpha")

    def test_workspace_section_in_the_sidebar(self) -> None:
        page = self.login(self.vera).get(url("settings"))
        for name in ("settings", "members", "product_lines", "tokens"):
            self.assertContains(page, f'href="{url(name)}"')
        self.assertContains(page, 'nav-section">Workspace')


class ProductLineTests(HarkenTestCase):
    def test_admin_creates_edits_and_deletes_with_managers(self) -> None:
        client = self.login(self.alice)
        response = client.post(
            url("product_line_create"),
            {"name": "Billing", "description": "Invoices", "managers": [self.bob.pk, self.vera.pk]},
        )
        self.assertRedirects(response, url("product_lines"), fetch_redirect_response=False)
        line = self.alpha.product_lines.get(name="Billing")
        self.assertEqual(line.slug, "billing")
        self.assertEqual(set(line.managers.all()), {self.bob, self.vera})
        listing = client.get(url("product_lines"))
        self.assertContains(listing, "Billing")
        self.assertContains(listing, "Bob Member")

        client.post(url("product_line_edit", pk=line.pk), {"name": "Payments", "managers": [self.alice.pk]})
        line.refresh_from_db()
        self.assertEqual((line.name, line.slug), ("Payments", "payments"))
        self.assertEqual(list(line.managers.all()), [self.alice])

        client.post(url("product_line_delete", pk=line.pk))
        self.assertFalse(ProductLine.objects.filter(pk=line.pk).exists())

    def test_managers_must_be_members(self) -> None:
        response = self.login(self.alice).post(
            url("product_line_create"), {"name": "Sneaky", "managers": [self.charlie.pk]}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("managers", response.context["form"].errors)
        with self.assertRaisesMessage(ValidationError, "must be members of this workspace"):
            services.create_product_line(self.actor(self.alice), name="Sneaky", managers=[self.charlie.pk])
        self.assertFalse(self.alpha.product_lines.filter(name="Sneaky").exists())

    def test_duplicate_names_are_refused(self) -> None:
        response = self.login(self.alice).post(url("product_line_create"), {"name": "mobile"})
        self.assertContains(response, "already a product line called")
        self.assertEqual(self.alpha.product_lines.count(), 1)

    def test_members_and_viewers_read_but_cannot_write(self) -> None:
        line = self.world.alpha_line
        for user in (self.bob, self.vera):
            client = self.login(user)
            self.assertContains(client.get(url("product_lines")), "Mobile")
            self.assertRedirects(
                client.get(url("product_line_create")), url("product_lines"), fetch_redirect_response=False
            )
            self.assertEqual(client.post(url("product_line_create"), {"name": "X"}).status_code, 403)
            self.assertEqual(client.post(url("product_line_edit", pk=line.pk), {"name": "X"}).status_code, 403)
            self.assertEqual(client.post(url("product_line_delete", pk=line.pk)).status_code, 403)
        line.refresh_from_db()
        self.assertEqual(line.name, "Mobile")

    def test_another_workspaces_line_is_404(self) -> None:
        client = self.login(self.alice)
        self.assertEqual(client.get(url("product_line_edit", pk=self.world.bravo_line.pk)).status_code, 404)
        self.assertEqual(client.post(url("product_line_delete", pk=self.world.bravo_line.pk)).status_code, 404)
        self.assertTrue(ProductLine.objects.filter(pk=self.world.bravo_line.pk).exists())


class HubTests(HarkenTestCase):
    def test_single_workspace_goes_straight_in(self) -> None:
        response = self.login(self.charlie).get(reverse("hub:home"))
        self.assertRedirects(
            response, reverse("feedback:overview", kwargs={"ws": "bravo"}), fetch_redirect_response=False
        )

    def test_several_workspaces_are_listed_with_roles(self) -> None:
        Membership.objects.create(workspace=self.bravo, user=self.alice, role=Role.VIEWER)
        page = self.login(self.alice).get(reverse("hub:home"))
        self.assertContains(page, "Alpha")
        self.assertContains(page, "Bravo")
        self.assertContains(page, "Viewer")
        self.assertContains(page, "3 members")

    def test_no_workspace_shows_how_to_start(self) -> None:
        page = self.login(make_user("lonely@example.test")).get(reverse("hub:home"))
        self.assertContains(page, "No workspaces yet")

    def test_create_workspace_makes_an_owner(self) -> None:
        user = make_user("founder@example.test")
        response = self.login(user).post(reverse("hub:create"), {"name": "Alpha"})
        workspace = Workspace.objects.get(memberships__user=user)
        self.assertEqual(workspace.slug, "alpha-2")
        self.assertRedirects(
            response, reverse("feedback:overview", kwargs={"ws": "alpha-2"}), fetch_redirect_response=False
        )
        self.assertEqual(workspace.memberships.get().role, Role.OWNER)
        self.assertContains(self.client.post(reverse("hub:create"), {"name": "  "}), "required")

    def test_hub_needs_sign_in(self) -> None:
        self.assertEqual(self.client.get(reverse("hub:home")).status_code, 302)
        self.assertEqual(self.client.get(reverse("hub:create")).status_code, 302)


class AdminTests(HarkenTestCase):
    def test_admin_pages_for_accounts_and_workspaces_load(self) -> None:
        root = make_user("root@example.test")
        root.is_staff = root.is_superuser = True
        root.save()
        client = self.login(root)
        for model in (
            "accounts/user",
            "workspaces/workspace",
            "workspaces/membership",
            "workspaces/productline",
            "workspaces/invitation",
            "workspaces/apitoken",
        ):
            self.assertEqual(client.get(f"/admin/{model}/").status_code, 200, model)
        self.assertEqual(client.get(f"/admin/accounts/user/{self.alice.pk}/change/").status_code, 200)
        self.assertEqual(client.get(f"/admin/workspaces/workspace/{self.alpha.pk}/change/").status_code, 200)
        response = client.post(
            "/admin/accounts/user/add/",
            {
                "email": "Made@Example.test",
                "name": "Made",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "usable_password": "true",
            },
        )
        self.assertEqual(response.status_code, 302, response.content[:2000])
        from harken.accounts.models import User

        self.assertTrue(User.objects.get(email="made@example.test").check_password(PASSWORD))
