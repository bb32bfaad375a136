"""The inbox at volume: columns (saved per person), ARR and age sorts, the match count, bulk tag /
merge / move to theme (decide and assign: tests/triage/test_bulk_triage.py), tenancy of bulk writes,
and a page whose query count does not grow with its rows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from harken.customers.models import Account
from harken.feedback import actions
from harken.feedback.models import Feedback, InboxColumns
from harken.insight.models import FeedbackMerge
from harken.insight.themes.models import Theme, ThemeAssignment, ThemeEdit
from harken.triage import actions as triage_actions
from harken.triage.models import Triage
from tests.base import World, api_headers, make_token

pytestmark = pytest.mark.django_db


def url(name: str, ws: str = "alpha") -> str:
    return reverse(f"feedback:{name}", kwargs={"ws": ws})


@pytest.fixture
def inbox(world: World) -> SimpleNamespace:
    ns = SimpleNamespace()
    ns.big = Account.objects.create(workspace=world.alpha, name="Bigco", domain="big.co", arr=Decimal("250000"))
    ns.small = Account.objects.create(workspace=world.alpha, name="Smallco", domain="small.co", arr=Decimal("9000"))
    actor = world.actor(world.bob)
    now = timezone.now()
    ns.from_small, _ = actions.create_feedback(
        actor, text="Small wants SSO", account=ns.small, received_at=now - timedelta(days=1)
    )
    ns.anonymous, _ = actions.create_feedback(actor, text="Anonymous wants SSO", received_at=now - timedelta(days=2))
    ns.from_big, _ = actions.create_feedback(
        actor, text="Bigco wants SSO", account=ns.big, received_at=now - timedelta(days=3)
    )
    ns.bravo_item, _ = actions.create_feedback(world.actor(world.charlie), text="Bravo private wish")
    ns.theme = Theme.objects.create(workspace=world.alpha, name="Single sign-on")
    ns.bravo_theme = Theme.objects.create(workspace=world.bravo, name="Bravo theme")
    return ns


def _order(html: str, *texts: str) -> list[int]:
    return [html.index(t) for t in texts]


def test_columns_show_decision_assignee_arr_and_theme(world: World, inbox: SimpleNamespace) -> None:
    triage_actions.decide(world.actor(world.bob), inbox.from_big.triage, "planned")
    triage_actions.assign(world.actor(world.bob), inbox.from_big.triage, world.alice)
    ThemeAssignment.objects.create(workspace=world.alpha, feedback=inbox.from_big, theme=inbox.theme)
    html = world.client_for(world.vera).get(url("inbox")).content.decode()
    for head in ("Decision", "Assignee", "ARR", "Theme", "Received", "Channel", "Customer"):
        assert f">{head}<" in html, head
    assert "Planned" in html and "Alice Owner" in html and "$250k" in html and "Single sign-on" in html
    assert "Bravo" not in html


def test_column_choice_is_saved_per_person_by_post(world: World, inbox: SimpleNamespace) -> None:
    client = world.client_for(world.vera)  # viewers choose their own columns too
    response = client.post(url("columns"), {"columns": ["arr", "nonsense"], "next": url("inbox") + "?sort=arr"})
    assert response.status_code == 302 and response["Location"] == url("inbox") + "?sort=arr"
    saved = InboxColumns.objects.for_workspace(world.alpha).get(user=world.vera)
    assert saved.columns == ["arr"]
    html = client.get(url("inbox")).content.decode()
    assert 'class="col-arr num"' in html and 'class="col-theme"' not in html and 'class="col-decision"' not in html
    # someone else still sees every column; `?cols=` picks columns for one view without saving
    other = world.client_for(world.bob).get(url("inbox")).content.decode()
    assert 'class="col-theme"' in other
    one_view = world.client_for(world.bob).get(url("inbox"), {"cols": "theme"}).content.decode()
    assert 'class="col-theme"' in one_view and 'class="col-arr' not in one_view
    assert not InboxColumns.objects.filter(user=world.bob).exists()


def test_sort_by_arr_and_by_age(world: World, inbox: SimpleNamespace) -> None:
    client = world.client_for(world.bob)
    html = client.get(url("inbox"), {"sort": "arr"}).content.decode()
    a, b, c = _order(html, "Bigco wants", "Small wants", "Anonymous wants")
    assert a < b < c  # highest ARR first, items without an account last
    assert 'class="col-arr num" aria-sort="descending"' in html
    html = client.get(url("inbox"), {"sort": "arr_asc"}).content.decode()
    a, b, c = _order(html, "Small wants", "Bigco wants", "Anonymous wants")
    assert a < b < c  # lowest first, still no account last
    assert 'class="col-arr num" aria-sort="ascending"' in html
    html = client.get(url("inbox"), {"sort": "oldest"}).content.decode()
    a, b, c = _order(html, "Bigco wants", "Anonymous wants", "Small wants")
    assert a < b < c


def test_arr_sort_is_stable_across_pages(world: World, inbox: SimpleNamespace) -> None:
    """Equal ARR everywhere: the id tie-breaker gives every item exactly one place across pages."""
    from harken.feedback.views import PAGE_SIZE

    actor = world.actor(world.bob)
    stamp = timezone.now() - timedelta(days=5)
    for i in range(PAGE_SIZE + 3):
        actions.create_feedback(actor, text=f"same time {i}", account=inbox.big, received_at=stamp)
    client = world.client_for(world.bob)
    seen: list[str] = []
    for page in (1, 2):
        html = client.get(url("inbox"), {"sort": "arr", "q": "", "page": page}).content.decode()
        seen += [f"same time {i}" for i in range(PAGE_SIZE + 3) if f"same time {i}<" in html]
    assert sorted(seen) == sorted(f"same time {i}" for i in range(PAGE_SIZE + 3))


def test_match_count(world: World, inbox: SimpleNamespace) -> None:
    client = world.client_for(world.bob)
    html = client.get(url("inbox")).content.decode()
    assert "<strong>3</strong> items match" in html
    html = client.get(url("inbox"), {"has_account": "no"}).content.decode()
    assert "<strong>1</strong> item matches these filters" in html
    actor = world.actor(world.bob)
    actions.create_feedback_batch(actor, [actions.NewItem(text=f"volume {i}") for i in range(1_200)])
    html = client.get(url("inbox")).content.decode()
    assert "<strong>1,203</strong> items match" in html


def _post_bulk(client, data):  # type: ignore[no-untyped-def]
    return client.post(url("bulk"), {"next": url("inbox"), **data}, follow=True)


def test_bulk_tag_by_owner_and_teammate(world: World, inbox: SimpleNamespace) -> None:
    ids = [inbox.from_big.pk, inbox.from_small.pk]
    response = _post_bulk(world.client_for(world.alice), {"action": "tag", "tag": "sso", "ids": ids})
    assert "Tagged 2 items “sso”" in response.content.decode()
    assert set(Feedback.objects.filter(tags__name="sso").values_list("pk", flat=True)) == set(ids)
    response = _post_bulk(world.client_for(world.bob), {"action": "tag", "tag": "auth", "ids": [inbox.anonymous.pk]})
    assert "Tagged 1 item “auth”" in response.content.decode()


def test_viewer_cannot_bulk_write_and_sees_no_bulk_controls(world: World, inbox: SimpleNamespace) -> None:
    client = world.client_for(world.vera)
    html = client.get(url("inbox")).content.decode()
    assert "data-bulk-item" not in html and "bulk-form" not in html
    response = client.post(url("bulk"), {"action": "tag", "tag": "x", "ids": [inbox.from_big.pk]})
    assert response.status_code == 403
    assert not inbox.from_big.tags.exists()
    member_html = world.client_for(world.bob).get(url("inbox")).content.decode()
    assert member_html.count("data-bulk-item") == 3 and "data-bulk-all" in member_html


def test_outsider_gets_404_and_foreign_ids_touch_nothing(world: World, inbox: SimpleNamespace) -> None:
    outsider = world.client_for(world.charlie)
    assert outsider.post(url("bulk"), {"action": "tag", "tag": "x", "ids": [inbox.from_big.pk]}).status_code == 404
    # Alpha's member slips a Bravo id into the selection: refused, and no item of either workspace changes
    response = _post_bulk(
        world.client_for(world.bob), {"action": "tag", "tag": "leak", "ids": [inbox.from_big.pk, inbox.bravo_item.pk]}
    )
    assert f"No item #{inbox.bravo_item.pk} in this workspace; nothing was changed." in response.content.decode()
    assert not Feedback.objects.filter(tags__name="leak").exists()
    # the other way round: Bravo's owner names Alpha's items under Bravo
    _post = world.client_for(world.charlie).post(
        url("bulk", ws="bravo"), {"action": "tag", "tag": "leak", "ids": [inbox.from_big.pk]}
    )
    assert _post.status_code == 302 and not Feedback.objects.filter(tags__name="leak").exists()


def test_bulk_merge_into_the_chosen_item(world: World, inbox: SimpleNamespace) -> None:
    ids = [inbox.from_big.pk, inbox.from_small.pk, inbox.anonymous.pk]
    response = _post_bulk(world.client_for(world.bob), {"action": "merge", "into": inbox.from_big.pk, "ids": ids})
    assert f"Merged 2 items into #{inbox.from_big.pk}" in response.content.decode()
    merges = FeedbackMerge.objects.for_workspace(world.alpha)
    assert merges.count() == 2 and {m.merged_id for m in merges} == {inbox.from_small.pk, inbox.anonymous.pk}
    assert set(Feedback.objects.filter(merged_into=inbox.from_big).values_list("pk", flat=True)) == {
        inbox.from_small.pk,
        inbox.anonymous.pk,
    }
    # a merged item cannot be merged again: the whole batch is refused, naming the item
    response = _post_bulk(
        world.client_for(world.bob),
        {"action": "merge", "into": inbox.anonymous.pk, "ids": [inbox.anonymous.pk, inbox.from_small.pk]},
    )
    assert f"#{inbox.from_small.pk}" in response.content.decode()
    assert FeedbackMerge.objects.for_workspace(world.alpha).count() == 2


def test_bulk_move_to_theme(world: World, inbox: SimpleNamespace) -> None:
    ids = [inbox.from_big.pk, inbox.from_small.pk]
    response = _post_bulk(world.client_for(world.bob), {"action": "theme", "theme": inbox.theme.pk, "ids": ids})
    assert "Moved 2 items to “Single sign-on”" in response.content.decode()
    rows = ThemeAssignment.objects.for_workspace(world.alpha).filter(feedback_id__in=ids)
    assert {r.theme_id for r in rows} == {inbox.theme.pk} and {r.source for r in rows} == {"user"}
    assert ThemeEdit.objects.for_workspace(world.alpha).filter(action="move").count() == 2  # one per item
    inbox.theme.refresh_from_db()
    assert inbox.theme.size == 2
    # another workspace's theme: refused
    response = _post_bulk(world.client_for(world.bob), {"action": "theme", "theme": inbox.bravo_theme.pk, "ids": ids})
    assert f"No theme #{inbox.bravo_theme.pk} in this workspace" in response.content.decode()
    assert not ThemeAssignment.objects.filter(theme=inbox.bravo_theme).exists()


def test_bulk_api(world: World, inbox: SimpleNamespace) -> None:
    from django.test import Client

    token = make_token(world.alpha, world.bob)
    client = Client()
    ids = [inbox.from_big.pk, inbox.from_small.pk]
    response = client.post(
        "/api/feedback/bulk",
        {"action": "decide", "ids": ids, "decision": "wont_do", "reason": "Out of scope"},
        content_type="application/json",
        **api_headers(token),
    )
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 2 and response.json()["ids"] == ids
    assert set(Triage.objects.filter(feedback_id__in=ids).values_list("decision", flat=True)) == {"wont_do"}
    for bad, field in (
        ({"action": "explode", "ids": ids}, "action"),
        ({"action": "tag", "ids": [], "tag": "x"}, "ids"),
        ({"action": "tag", "ids": [inbox.from_big.pk, inbox.bravo_item.pk], "tag": "x"}, "ids"),
        ({"action": "decide", "ids": ids, "decision": "not_now"}, "reason"),
        ({"action": "assign", "ids": ids, "assignee_id": world.charlie.pk}, "assignee"),
    ):
        response = client.post("/api/feedback/bulk", bad, content_type="application/json", **api_headers(token))
        assert response.status_code == 422, (bad, response.content)
        body = response.json()
        assert set(body) == {"detail", "errors"} and field in body["errors"], body
    assert not inbox.from_big.tags.exists() and not inbox.bravo_item.tags.exists()
    read_only = make_token(world.alpha, world.vera, can_write=False)
    response = client.post(
        "/api/feedback/bulk", {"action": "tag", "ids": ids, "tag": "x"}, content_type="application/json",
        **api_headers(read_only),
    )  # fmt: skip
    assert response.status_code == 403 and not inbox.from_big.tags.exists()


def test_inbox_page_query_count_does_not_grow_with_rows(world: World, inbox: SimpleNamespace) -> None:
    """A full 50-row page with every column filled (account, tags, decision, assignee, theme) runs
    the same queries as a 3-row page: no query per row."""
    from harken.feedback.views import PAGE_SIZE

    assert PAGE_SIZE == 50
    client = world.client_for(world.bob)
    client.get(url("inbox"))  # warm caches (session, content types)

    def count() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url("inbox"))
            assert response.status_code == 200
        return len(ctx.captured_queries), response.content.decode()

    def fill(item: Feedback, i: int) -> None:
        actor = world.actor(world.bob)
        triage_actions.decide(actor, item.triage, "planned")
        triage_actions.assign(actor, item.triage, world.alice if i % 2 else world.bob)
        ThemeAssignment.objects.update_or_create(workspace=world.alpha, feedback=item, defaults={"theme": inbox.theme})

    for i, item in enumerate([inbox.from_big, inbox.from_small, inbox.anonymous]):
        fill(item, i)
    small, _ = count()
    actor = world.actor(world.bob)
    for i in range(PAGE_SIZE):
        item, _ = actions.create_feedback(
            actor, text=f"row {i}", account=inbox.big if i % 2 else inbox.small, tags=["a", f"t{i}"]
        )
        fill(item, i)
    full, html = count()
    assert html.count("data-inbox-row") == PAGE_SIZE
    assert full == small, f"{small} queries for 3 rows, {full} for {PAGE_SIZE}"


def test_api_list_sorts_by_arr(world: World, inbox: SimpleNamespace) -> None:
    from django.test import Client

    token = make_token(world.alpha, world.vera, can_write=False)
    response = Client().get("/api/feedback/", {"sort": "arr"}, **api_headers(token))
    assert [i["id"] for i in response.json()["items"]] == [inbox.from_big.pk, inbox.from_small.pk, inbox.anonymous.pk]
