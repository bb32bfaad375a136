"""The per-request data version and the memo of the session's user, membership, time zone and API token
(harken/core/memo.py).

What must hold: a cached page hit runs two queries (the session and the data version), an API hit
one; and the memo is never staler than the data version, including for writes made by *another*
process (which move only the shared version, not this process's local one): a role change, a member
removal, a password change and a token revocation there take effect here on the next request."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from harken.core import dataversion, memo
from harken.workspaces.access import membership_for
from harken.workspaces.models import ApiToken, Membership, Role
from tests.base import World, api_headers, make_token


@pytest.fixture(autouse=True)
def _fresh_memo() -> Iterator[None]:
    memo.clear()
    yield
    memo.clear()


def inbox(client: Client) -> Any:
    return client.get(reverse("feedback:inbox", kwargs={"ws": "alpha"}))


def audit(client: Client) -> Any:
    """An owner-only page: shows whether the memoised membership carries the current role."""
    return client.get(reverse("workspaces:audit", kwargs={"ws": "alpha"}))


@contextmanager
def elsewhere(monkeypatch: pytest.MonkeyPatch, bump: bool = True) -> Iterator[None]:
    """Writes as another process makes them: this process's local version does not move; its commit
    moves the shared version (unless `bump=False`, the control that shows the memo is really used)."""
    with monkeypatch.context() as patch:
        patch.setattr(dataversion, "_touch_local", lambda: None)
        yield
    if bump:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE core_dataversion SET version = version + 1 WHERE id = 1")
            if cursor.rowcount == 0:
                cursor.execute("INSERT INTO core_dataversion (id, version) VALUES (1, 1)")


def warm(client: Client, get: Callable[[Client], Any] = inbox) -> None:
    get(client)  # the CSRF cookie is set
    get(client)


@pytest.mark.django_db
def test_a_cached_inbox_hit_runs_two_queries(world: World) -> None:
    client = world.client_for(world.bob)
    warm(client)
    with CaptureQueriesContext(connection) as queries:
        hit = inbox(client)
    assert hit["X-Harken-Cache"] == "hit"
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 2, sql
    assert "django_session" in sql[0] and "core_dataversion" in sql[1]


@pytest.mark.django_db
def test_a_cached_api_list_hit_runs_one_query(world: World) -> None:
    token = make_token(world.alpha, world.bob)
    client = Client()
    client.get("/api/feedback/", **api_headers(token))  # stamps last_used_at, stores the answer
    with CaptureQueriesContext(connection) as queries:
        hit = client.get("/api/feedback/", **api_headers(token))
    assert hit.status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 1 and "core_dataversion" in sql[0], sql


@pytest.mark.django_db
def test_a_role_change_in_another_process_is_seen_on_the_next_request(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = world.client_for(world.bob)
    assert audit(client).status_code == 403
    with elsewhere(monkeypatch, bump=False):
        Membership.objects.filter(workspace=world.alpha, user=world.bob).update(role=Role.OWNER)
    assert audit(client).status_code == 403  # control: no bump, the memo answers (as the page cache would)
    with elsewhere(monkeypatch):
        Membership.objects.filter(workspace=world.alpha, user=world.bob).update(role=Role.VIEWER)
    with elsewhere(monkeypatch):
        Membership.objects.filter(workspace=world.alpha, user=world.bob).update(role=Role.OWNER)
    assert audit(client).status_code == 200
    with elsewhere(monkeypatch):
        Membership.objects.filter(workspace=world.alpha, user=world.bob).update(role=Role.MEMBER)
    assert audit(client).status_code == 403


@pytest.mark.django_db
def test_a_member_removed_in_another_process_loses_access_at_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = world.client_for(world.vera)
    warm(client)
    assert inbox(client)["X-Harken-Cache"] == "hit"
    with elsewhere(monkeypatch, bump=False):
        Membership.objects.filter(workspace=world.alpha, user=world.vera).delete()
    assert inbox(client).status_code == 200  # control: the memo (and the page cache) still answer
    with elsewhere(monkeypatch):
        pass
    assert inbox(client).status_code == 404


@pytest.mark.django_db
def test_a_password_changed_in_another_process_signs_other_sessions_out(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = world.client_for(world.bob)
    warm(client)
    assert inbox(client).status_code == 200
    with elsewhere(monkeypatch, bump=False):
        world.bob.set_password("a-new-long-password-1")
        world.bob.save()
    assert inbox(client).status_code == 200  # control: the memoised row still has the old hash
    with elsewhere(monkeypatch):
        pass
    response = inbox(client)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


@pytest.mark.django_db
def test_a_token_revoked_or_downgraded_in_another_process_stops_at_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = make_token(world.alpha, world.bob)
    client = Client()
    assert client.get("/api/feedback/", **api_headers(token)).status_code == 200
    with elsewhere(monkeypatch):
        Membership.objects.filter(workspace=world.alpha, user=world.bob).update(role=Role.VIEWER)
    response = client.post("/api/feedback/", data={"text": "Hi"}, content_type="application/json", **api_headers(token))
    assert response.status_code == 403  # the creator is a viewer now: the token is read-only
    assert client.get("/api/feedback/", **api_headers(token)).status_code == 200  # reads still work (memoised)
    with elsewhere(monkeypatch, bump=False):
        ApiToken.objects.filter(workspace=world.alpha).update(revoked_at=timezone.now())
    assert client.get("/api/feedback/", **api_headers(token)).status_code == 200  # control: memoised
    with elsewhere(monkeypatch):
        pass
    assert client.get("/api/feedback/", **api_headers(token)).status_code == 401


@pytest.mark.django_db
def test_token_last_used_is_stamped_without_emptying_the_memo(world: World) -> None:
    token = make_token(world.alpha, world.bob)
    client = Client()
    client.get("/api/feedback/", **api_headers(token))
    stamped = ApiToken.objects.get(workspace=world.alpha).last_used_at
    assert stamped is not None
    client.get("/api/feedback/", **api_headers(token))
    assert ApiToken.objects.get(workspace=world.alpha).last_used_at == stamped  # within the minute: once


@pytest.mark.django_db
def test_each_request_gets_its_own_instances(world: World) -> None:
    """Two concurrent requests must never share a mutable model instance."""
    scope = memo.RequestScopeMiddleware(
        lambda request: (membership_for(world.bob, "alpha"), membership_for(world.bob, "alpha"))
    )  # type: ignore[arg-type,return-value]
    first, second = scope(RequestFactory().get("/"))  # type: ignore[misc]
    assert first.pk == second.pk and first is not second
    assert first.workspace is not second.workspace and first.user is not second.user
    first.workspace.name = "Changed in memory only"
    assert second.workspace.name == "Alpha"
    assert membership_for(world.bob, "alpha").workspace.name == "Alpha"


@pytest.mark.django_db
def test_a_request_that_writes_neither_reads_nor_fills_the_memo(world: World) -> None:
    calls: list[int] = []

    def fetch() -> int:
        calls.append(1)
        return len(calls)

    def request(write: bool) -> Any:
        def view(_: Any) -> Any:
            first = memo.remember("probe", 1, fetch)
            if write:
                Membership.objects.filter(workspace=world.alpha, user=world.bob).update(role=Role.MEMBER)
            return first, memo.remember("probe", 1, fetch)

        return memo.RequestScopeMiddleware(view)(RequestFactory().get("/"))

    assert request(write=False) == (1, 1)  # the second lookup came from the memo
    assert request(write=True) == (1, 2)  # after its own write: read again, not stored
    assert request(write=False) == (3, 3)  # the next request starts over at the new local version


@pytest.mark.django_db
def test_outside_a_request_nothing_is_memoised(world: World) -> None:
    calls: list[int] = []
    assert memo.remember("probe", 1, lambda: calls.append(1)) is None
    assert memo.remember("probe", 1, lambda: calls.append(1)) is None
    assert len(calls) == 2


@pytest.mark.django_db
def test_item_page_lists_shared_by_all_items_follow_writes_from_another_process(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The item page memoises what every item shows alike (the sidebar's workspaces, the tag
    suggestions, the roadmap link choices); a write elsewhere shows up on the next page."""
    from harken.feedback import actions
    from harken.feedback.models import Tag
    from harken.roadmap.models import RoadmapItem
    from harken.triage.models import ReplyTemplate
    from harken.workspaces.models import Workspace

    item, _ = actions.create_feedback(world.actor(world.bob), text="Side panels", author_email="c@cust.test")
    client = world.client_for(world.bob)
    url = reverse("feedback:detail", kwargs={"ws": "alpha", "pk": item.pk})
    client.get(url)
    first = client.get(url).content.decode()
    assert "Roadmap from elsewhere" not in first and "tag-from-elsewhere" not in first
    assert "Template from elsewhere" not in first and ">Vera Viewer</option>" not in first  # a viewer: not assignable
    with elsewhere(monkeypatch):
        RoadmapItem.objects.create(workspace=world.alpha, title="Roadmap from elsewhere")
        Tag.objects.create(workspace=world.alpha, name="tag-from-elsewhere")
        gamma = Workspace.objects.create(name="Gamma from elsewhere", slug="gamma")
        Membership.objects.create(workspace=gamma, user=world.bob, role=Role.MEMBER)
        ReplyTemplate.objects.create(workspace=world.alpha, name="Template from elsewhere", body="Thanks")
        Membership.objects.filter(workspace=world.alpha, user=world.vera).update(role=Role.MEMBER)
    page = client.get(url)
    assert page["X-Harken-Cache"] == "miss"
    html = page.content.decode()
    assert "Roadmap from elsewhere" in html
    assert 'value="tag-from-elsewhere"' in html
    assert "Gamma from elsewhere" in html
    assert "Template from elsewhere" in html
    assert ">Vera Viewer</option>" in html  # a member now: in the triage panel's assignee list


@pytest.mark.django_db
def test_an_item_page_miss_reads_no_workspace_wide_list_twice(world: World) -> None:
    from harken.customers.models import Account
    from harken.feedback import actions

    Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.test")
    items = [
        actions.create_feedback(world.actor(world.bob), text=f"Item {n}", author_email=f"p{n}@acme.test")[0]
        for n in range(3)
    ]
    assert items[0].account_id and items[0].account_id == items[2].account_id
    client = world.client_for(world.bob)
    urls = [reverse("feedback:detail", kwargs={"ws": "alpha", "pk": i.pk}) for i in items]
    client.get(urls[0])  # the CSRF cookie
    client.get(urls[0])
    with CaptureQueriesContext(connection) as queries:
        page = client.get(urls[1])
    assert page["X-Harken-Cache"] == "miss"
    assert ">2 items</a>" in page.content.decode()  # the account's other items: exact, not memoised wrongly
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [q for q in sql if "COUNT(*)" in q]  # the account's item count: memoised
    assert not [q for q in sql if "roadmap_" in q]  # no live roadmap item: no link lookup either
    assert not [q for q in sql if 'ORDER BY "workspaces_workspace"."name"' in q]  # the sidebar's workspaces
    assert not [q for q in sql if 'INNER JOIN "workspaces_workspace"' in q]  # the membership
    assert not [q for q in sql if q.startswith('SELECT "feedback_tag"') and "feedback_feedback_tags" not in q]
    assert not [q for q in sql if 'FROM "roadmap_roadmapitem"' in q and "roadmap_evidence" not in q]
    # the triage panel's workspace-wide reads: SLA settings, assignable members, reply templates, workspace
    assert not [q for q in sql if 'FROM "triage_triagesettings"' in q or 'FROM "triage_replytemplate"' in q]
    assert not [q for q in sql if 'FROM "workspaces_membership"' in q or 'FROM "workspaces_workspace"' in q]
    assert any('FROM "triage_triage"' in q for q in sql)  # the item's own triage row is still read


@pytest.mark.django_db
def test_writes_always_check_access_against_the_database(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A POST has no memo scope: even before the shared version moves, a revoked token cannot write."""
    token = make_token(world.alpha, world.bob)
    client = Client()
    assert client.get("/api/feedback/", **api_headers(token)).status_code == 200
    with elsewhere(monkeypatch, bump=False):
        ApiToken.objects.filter(workspace=world.alpha).update(revoked_at=timezone.now())
    assert client.get("/api/feedback/", **api_headers(token)).status_code == 200  # a read: memoised
    response = client.post("/api/feedback/", data={"text": "No"}, content_type="application/json", **api_headers(token))
    assert response.status_code == 401


@pytest.mark.django_db
def test_the_memo_expires_like_cached_pages(world: World, monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """A change made behind Django's back (no version bump) is seen within HARKEN_RESPONSE_CACHE_SECONDS."""
    settings.HARKEN_RESPONSE_CACHE_SECONDS = 60
    calls: list[int] = []

    def request() -> Any:
        def view(_: Any) -> Any:
            return memo.remember("probe", 1, lambda: calls.append(1) or len(calls))

        return memo.RequestScopeMiddleware(view)(RequestFactory().get("/"))

    now = [1000.0]
    monkeypatch.setattr(memo, "monotonic", lambda: now[0])
    assert request() == 1
    now[0] += 59
    assert request() == 1  # still memoised
    now[0] += 2
    assert request() == 2  # 61 s after the generation began: read again
