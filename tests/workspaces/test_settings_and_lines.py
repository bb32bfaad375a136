"""Workspace settings, product lines and the hub."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from harken.workspaces import services
from harken.workspaces.models import Membership, ProductLine, Role, Workspace
from tests.base import PASSWORD, World, make_user

pytestmark = pytest.mark.django_db


def url(name: str, **kwargs: object) -> str:
    return reverse(f"workspaces:{name}", kwargs={"ws": "alpha", **kwargs})


def test_owner_renames_and_sets_time_zone(world: World) -> None:
    response = world.client_for(world.alice).post(
        url("settings"), {"name": " Alpha Inc ", "time_zone": "Europe/Berlin"}, follow=True
    )
    assertContains(response, "Workspace settings saved.")
    world.alpha.refresh_from_db()
    assert (world.alpha.name, world.alpha.timezone) == ("Alpha Inc", "Europe/Berlin")


def test_unknown_time_zone_is_refused(world: World) -> None:
    response = world.client_for(world.alice).post(url("settings"), {"name": "Alpha", "time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    with pytest.raises(ValidationError, match=re.escape("not a time zone we know")):
        services.update_workspace(world.actor(world.alice), name="Alpha", time_zone="Mars/Olympus")
    world.alpha.refresh_from_db()
    assert world.alpha.timezone == "UTC"


def test_members_read_but_cannot_change(world: World, client: Client) -> None:
    client.force_login(world.bob)
    page = client.get(url("settings"))
    assertContains(page, "Only admins and owners can change these settings.")
    assert client.post(url("settings"), {"name": "Hacked", "time_zone": "UTC"}).status_code == 403
    world.alpha.refresh_from_db()
    assert world.alpha.name == "Alpha"


def test_settings_are_one_sidebar_link_to_the_settings_page(world: World) -> None:
    page = world.client_for(world.vera).get(url("settings"))
    assertContains(page, f'href="{url("settings_hub")}" aria-current="page" data-nav-settings>Settings</a>', html=False)
    hub = world.client_for(world.vera).get(url("settings_hub"))
    for name in ("settings", "members", "product_lines", "tokens"):
        assertContains(hub, f'href="{url(name)}"')
    for other in ("triage:templates", "triage:settings", "roadmap:settings"):
        assertContains(hub, f'href="{reverse(other, kwargs={"ws": "alpha"})}"')
    # Admin-only and owner-only settings are listed only for those who can open them.
    assertNotContains(hub, url("audit"))
    assertNotContains(hub, reverse("notify:outbox", kwargs={"ws": "alpha"}))
    owner_hub = world.client_for(world.alice).get(url("settings_hub"))
    assertContains(owner_hub, f'href="{url("audit")}"')
    assertContains(owner_hub, f'href="{reverse("notify:outbox", kwargs={"ws": "alpha"})}"')


def test_admin_creates_edits_and_deletes_with_managers(world: World) -> None:
    client = world.client_for(world.alice)
    response = client.post(
        url("product_line_create"),
        {"name": "Billing", "description": "Invoices", "managers": [world.bob.pk, world.vera.pk]},
    )
    assertRedirects(response, url("product_lines"), fetch_redirect_response=False)
    line = world.alpha.product_lines.get(name="Billing")
    assert line.slug == "billing"
    assert set(line.managers.all()) == {world.bob, world.vera}
    listing = client.get(url("product_lines"))
    assertContains(listing, "Billing")
    assertContains(listing, "Bob Member")

    client.post(url("product_line_edit", pk=line.pk), {"name": "Payments", "managers": [world.alice.pk]})
    line.refresh_from_db()
    assert (line.name, line.slug) == ("Payments", "payments")
    assert list(line.managers.all()) == [world.alice]

    client.post(url("product_line_delete", pk=line.pk))
    assert not ProductLine.objects.filter(pk=line.pk).exists()


def test_managers_must_be_members(world: World) -> None:
    response = world.client_for(world.alice).post(
        url("product_line_create"), {"name": "Sneaky", "managers": [world.charlie.pk]}
    )
    assert response.status_code == 200
    assert "managers" in response.context["form"].errors
    with pytest.raises(ValidationError, match=re.escape("must be members of this workspace")):
        services.create_product_line(world.actor(world.alice), name="Sneaky", managers=[world.charlie.pk])
    assert not world.alpha.product_lines.filter(name="Sneaky").exists()


def test_duplicate_names_are_refused(world: World) -> None:
    response = world.client_for(world.alice).post(url("product_line_create"), {"name": "mobile"})
    assertContains(response, "already a product line called")
    assert world.alpha.product_lines.count() == 1


def test_members_and_viewers_read_but_cannot_write(world: World) -> None:
    line = world.alpha_line
    for user in (world.bob, world.vera):
        client = world.client_for(user)
        assertContains(client.get(url("product_lines")), "Mobile")
        assertRedirects(client.get(url("product_line_create")), url("product_lines"), fetch_redirect_response=False)
        assert client.post(url("product_line_create"), {"name": "X"}).status_code == 403
        assert client.post(url("product_line_edit", pk=line.pk), {"name": "X"}).status_code == 403
        assert client.post(url("product_line_delete", pk=line.pk)).status_code == 403
    line.refresh_from_db()
    assert line.name == "Mobile"


def test_another_workspaces_line_is_404(world: World) -> None:
    client = world.client_for(world.alice)
    assert client.get(url("product_line_edit", pk=world.bravo_line.pk)).status_code == 404
    assert client.post(url("product_line_delete", pk=world.bravo_line.pk)).status_code == 404
    assert ProductLine.objects.filter(pk=world.bravo_line.pk).exists()


def test_single_workspace_goes_straight_in(world: World) -> None:
    response = world.client_for(world.charlie).get(reverse("hub:home"))
    assertRedirects(response, reverse("feedback:overview", kwargs={"ws": "bravo"}), fetch_redirect_response=False)


def test_several_workspaces_are_listed_with_roles(world: World) -> None:
    Membership.objects.create(workspace=world.bravo, user=world.alice, role=Role.VIEWER)
    page = world.client_for(world.alice).get(reverse("hub:home"))
    assertContains(page, "Alpha")
    assertContains(page, "Bravo")
    assertContains(page, "Viewer")
    assertContains(page, "3 members")


def test_no_workspace_shows_how_to_start(world: World) -> None:
    page = world.client_for(make_user("lonely@example.test")).get(reverse("hub:home"))
    assertContains(page, "No workspaces yet")


def test_create_workspace_makes_an_owner(world: World, client: Client) -> None:
    user = make_user("founder@example.test")
    client.force_login(user)
    response = client.post(reverse("hub:create"), {"name": "Alpha"})
    workspace = Workspace.objects.get(memberships__user=user)
    assert workspace.slug == "alpha-2"
    assertRedirects(response, reverse("feedback:overview", kwargs={"ws": "alpha-2"}), fetch_redirect_response=False)
    assert workspace.memberships.get().role == Role.OWNER
    assertContains(client.post(reverse("hub:create"), {"name": "  "}), "required")


def test_hub_needs_sign_in(world: World, client: Client) -> None:
    assert client.get(reverse("hub:home")).status_code == 302
    assert client.get(reverse("hub:create")).status_code == 302


def test_admin_pages_for_accounts_and_workspaces_load(world: World) -> None:
    root = make_user("root@example.test")
    root.is_staff = root.is_superuser = True
    root.save()
    client = world.client_for(root)
    for model in (
        "accounts/user",
        "workspaces/workspace",
        "workspaces/membership",
        "workspaces/productline",
        "workspaces/invitation",
        "workspaces/apitoken",
    ):
        assert client.get(f"/admin/{model}/").status_code == 200, model
    assert client.get(f"/admin/accounts/user/{world.alice.pk}/change/").status_code == 200
    assert client.get(f"/admin/workspaces/workspace/{world.alpha.pk}/change/").status_code == 200
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
    assert response.status_code == 302, response.content[:2000]
    from harken.accounts.models import User

    assert User.objects.get(email="made@example.test").check_password(PASSWORD)
