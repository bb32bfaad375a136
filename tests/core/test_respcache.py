"""The rendered-response cache (harken/core/respcache.py) and the data version it is keyed by.

What must hold: a write is visible on the very next GET (same process or another one), a rolled-back
write does not bump the shared version, access checks run before the cache, and nothing leaks
between people, roles or sessions."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from harken.core import dataversion
from harken.feedback import actions
from harken.feedback.models import Feedback
from harken.workspaces.models import ApiToken, Membership
from tests.base import World, api_headers, make_token


def inbox(client: Client) -> Any:
    return client.get(reverse("feedback:inbox", kwargs={"ws": "alpha"}))


def warm(client: Client) -> None:
    """The first page sets the CSRF cookie (never cached); the second is stored."""
    inbox(client)
    assert inbox(client)["X-Harken-Cache"] == "miss"


@pytest.mark.django_db
def test_a_write_is_visible_on_the_next_get(world: World) -> None:
    client = world.client_for(world.bob)
    warm(client)
    hit = inbox(client)
    assert hit["X-Harken-Cache"] == "hit"
    actions.create_feedback(world.actor(world.bob), text="Exports time out on big dashboards")
    fresh = inbox(client)
    assert fresh["X-Harken-Cache"] == "miss"
    assert "Exports time out on big dashboards" in fresh.content.decode()
    # a bulk UPDATE (no model save) counts too
    Feedback.objects.filter(workspace=world.alpha).update(title="Renamed in bulk")
    assert "Renamed in bulk" in inbox(client).content.decode()


@pytest.mark.django_db
def test_another_process_bumping_the_shared_version_makes_the_page_stale(world: World) -> None:
    client = world.client_for(world.bob)
    warm(client)
    assert inbox(client)["X-Harken-Cache"] == "hit"
    with connection.cursor() as cursor:  # what a worker's commit does, seen from this process
        cursor.execute("UPDATE core_dataversion SET version = version + 1 WHERE id = 1")
    assert inbox(client)["X-Harken-Cache"] == "miss"


@pytest.mark.django_db
def test_people_roles_and_sessions_do_not_share_entries(world: World) -> None:
    bob, vera = world.client_for(world.bob), world.client_for(world.vera)
    warm(bob)
    first = inbox(vera)
    assert first.get("X-Harken-Cache") is None  # vera's first page: her CSRF cookie is being set
    assert inbox(vera)["X-Harken-Cache"] == "miss"
    other_session = world.client_for(world.bob)
    inbox(other_session)
    assert inbox(other_session)["X-Harken-Cache"] == "miss"


@pytest.mark.django_db
def test_access_is_checked_before_the_cache(world: World) -> None:
    client = world.client_for(world.vera)
    warm(client)
    assert inbox(client)["X-Harken-Cache"] == "hit"
    Membership.objects.filter(workspace=world.alpha, user=world.vera).delete()
    assert inbox(client).status_code in (403, 404)
    client.logout()
    assert inbox(client).status_code == 302


@pytest.mark.django_db
def test_etag_revalidation_and_flash_messages(world: World) -> None:
    client = world.client_for(world.bob)
    warm(client)
    etag = inbox(client)["ETag"]
    assert client.get(reverse("feedback:inbox", kwargs={"ws": "alpha"}), HTTP_IF_NONE_MATCH=etag).status_code == 304
    item, _ = actions.create_feedback(world.actor(world.bob), text="Something new")
    again = client.get(reverse("feedback:inbox", kwargs={"ws": "alpha"}), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200 and "Something new" in again.content.decode()
    detail = reverse("feedback:detail", kwargs={"ws": "alpha", "pk": item.pk})
    client.get(detail)
    assert client.get(detail)["X-Harken-Cache"] == "hit"


@pytest.mark.django_db
def test_api_list_is_cached_per_token_actor_and_invalidated_by_writes(world: World) -> None:
    token = make_token(world.alpha, world.bob)
    client = Client()
    first = client.get("/api/feedback/", **api_headers(token)).json()
    assert first["count"] == 0
    actions.create_feedback(world.actor(world.bob), text="API sees this at once")
    second = client.get("/api/feedback/", **api_headers(token)).json()
    assert second["count"] == 1 and second["items"][0]["text"] == "API sees this at once"
    ApiToken.objects.filter(workspace=world.alpha).delete()  # a revoked token gets nothing from the cache
    assert client.get("/api/feedback/", **api_headers(token)).status_code == 401
    bravo = make_token(world.bravo, world.charlie)
    assert client.get("/api/feedback/", **api_headers(bravo)).json()["count"] == 0


@pytest.mark.django_db
def test_api_list_served_from_the_cache_is_byte_for_byte_what_django_ninja_renders(world: World, settings: Any) -> None:
    """The cache stores the rendered JSON (no validation or serialisation on a hit); it must be exactly
    what django-ninja makes of the same result, headers included, for items with and without relations."""
    from harken.customers.models import Account

    account = Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.test")
    actions.create_feedback(world.actor(world.bob), text="With an account", author_email="x@acme.test")
    actions.create_feedback(world.actor(world.bob), text="Without one", tags=["exports", "speed"])
    token = make_token(world.alpha, world.bob)
    client = Client()
    url = "/api/feedback/?limit=10&sort=oldest"
    miss = client.get(url, **api_headers(token))
    hit = client.get(url, **api_headers(token))
    settings.HARKEN_RESPONSE_CACHE = False
    plain = client.get(url, **api_headers(token))
    assert miss.status_code == hit.status_code == plain.status_code == 200
    assert hit.content == miss.content == plain.content
    assert hit["Content-Type"] == plain["Content-Type"]
    assert plain.json()["count"] == 2 and any(i["account"] for i in plain.json()["items"]), account


def test_which_statements_count_as_writes() -> None:
    assert dataversion.changes_data('INSERT INTO "feedback_feedback" ("text") VALUES (%s)')
    assert dataversion.changes_data('UPDATE "feedback_feedback" SET "title" = %s')
    assert dataversion.changes_data('DELETE FROM "feedback_feedback_tags" WHERE id = 1')
    assert not dataversion.changes_data('SELECT "feedback_feedback"."id" FROM "feedback_feedback"')
    assert not dataversion.changes_data('UPDATE "django_session" SET "session_data" = %s')
    assert not dataversion.changes_data('INSERT INTO "django_tasks_database_dbtaskresult" ("id") VALUES (%s)')
    assert not dataversion.changes_data('UPDATE "accounts_user" SET "last_login" = %s WHERE "accounts_user"."id" = %s')
    assert dataversion.changes_data('UPDATE "accounts_user" SET "last_login" = %s, "name" = %s WHERE "id" = %s')


@pytest.mark.django_db(transaction=True)
def test_the_shared_version_moves_on_commit_only() -> None:
    world = World()
    before = dataversion.current()
    assert before is not None
    with pytest.raises(RuntimeError), transaction.atomic():
        Feedback.objects.create(workspace=world.alpha, text="rolled back")
        raise RuntimeError
    assert dataversion.current() == before
    with transaction.atomic():
        Feedback.objects.create(workspace=world.alpha, text="kept")
        Feedback.objects.create(workspace=world.alpha, text="kept too")
        assert dataversion.current() == before  # not before the commit
    assert dataversion.current() == before + 1  # once per transaction


@pytest.mark.django_db
def test_reads_do_not_bump(world: World) -> None:
    client = world.client_for(world.bob)
    warm(client)
    local = dataversion.local_version()
    inbox(client)
    client.get("/api/feedback/", **api_headers(make_token(world.alpha, world.bob)))
    assert dataversion.local_version() > local  # the token was made here…
    local = dataversion.local_version()
    inbox(client)
    assert dataversion.local_version() == local  # …a page view writes nothing that counts
