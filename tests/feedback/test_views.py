from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from harken.customers.models import Account, Contact
from harken.feedback import actions
from harken.feedback.models import Feedback, Tag
from harken.feedback.views import PAGE_SIZE
from tests.base import World

pytestmark = pytest.mark.django_db


def url(name: str, ws: str = "alpha", **kwargs: object) -> str:
    return reverse(f"feedback:{name}", kwargs={"ws": ws, **kwargs})


@pytest.fixture
def view_fixtures(world: World) -> SimpleNamespace:
    view_fixtures = SimpleNamespace()
    view_fixtures.acme = Account.objects.create(
        workspace=world.alpha, name="Acme", domain="acme.com", arr=Decimal("120000"), segment="Enterprise"
    )
    view_fixtures.wile = Contact.objects.create(
        workspace=world.alpha, account=view_fixtures.acme, name="Wile E.", email="wile@acme.com"
    )
    actor = world.actor(world.bob)
    now = timezone.now()
    view_fixtures.export, _ = actions.create_feedback(
        actor,
        text="CSV export times out on big files",
        author_email="wile@acme.com",
        tags=["export"],
        received_at=now - timedelta(days=1),
    )
    view_fixtures.dark, _ = actions.create_feedback(
        actor,
        text="Please add dark mode <script>alert(1)</script>",
        channel="email",
        product_line=world.alpha_line,
        raw_payload="From: x@y.z\n\n<b>dark</b> mode",
        raw_content_type="message/rfc822",
        received_at=now - timedelta(days=3),
    )
    view_fixtures.bravo_item, _ = actions.create_feedback(world.actor(world.charlie), text="Bravo secret roadmap wish")
    return view_fixtures


def test_overview_shows_stats_chart_and_latest(world: World, view_fixtures: SimpleNamespace) -> None:
    html = world.client_for(world.vera).get(url("overview")).content.decode()
    assert "Feedback per week" in html and "<svg" in html
    assert "Acme" in html and "$120k" in html
    assert "CSV export times out" in html
    assert "Bravo secret" not in html
    assert "data-shortcut-new" not in html  # viewers get no "new" button


def test_overview_empty_state(world: World, client: Client, view_fixtures: SimpleNamespace) -> None:
    client.force_login(world.charlie)
    html = client.get(url("overview", ws="bravo")).content.decode()
    assert "Bravo secret" in html
    Feedback.objects.for_workspace(world.bravo).delete()
    html = client.get(url("overview", ws="bravo")).content.decode()
    assert "No feedback yet" in html


def test_inbox_lists_and_filters(world: World, view_fixtures: SimpleNamespace) -> None:
    client = world.client_for(world.bob)
    html = client.get(url("inbox")).content.decode()
    assert "CSV export times out" in html and "Please add dark mode" in html and "Bravo secret" not in html
    assert "data-shortcut-search" in html and "data-shortcut-new" in html
    html = client.get(url("inbox"), {"q": "dark"}).content.decode()
    assert "Please add dark mode" in html and "CSV export" not in html
    html = client.get(url("inbox"), {"channel": "email"}).content.decode()
    assert "Please add dark mode" in html and "CSV export" not in html
    html = client.get(url("inbox"), {"tag": "export"}).content.decode()
    assert "CSV export" in html and "dark mode" not in html
    html = client.get(url("inbox"), {"account": view_fixtures.acme.pk}).content.decode()
    assert "CSV export" in html and "dark mode" not in html and "Showing feedback from" in html
    html = client.get(url("inbox"), {"q": "Bravo"}).content.decode()
    assert "Nothing matches" in html


def test_inbox_escapes_text(world: World, view_fixtures: SimpleNamespace) -> None:
    html = world.client_for(world.bob).get(url("inbox")).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_htmx_gets_only_the_results(world: World, view_fixtures: SimpleNamespace) -> None:
    response = world.client_for(world.bob).get(url("inbox"), {"q": "dark"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "dark mode" in html and "<html" not in html and 'role="search"' not in html


def test_bad_filter_values_are_explained(world: World, view_fixtures: SimpleNamespace) -> None:
    html = world.client_for(world.bob).get(url("inbox"), {"since": "yesterday-ish", "sort": "oldest"}).content.decode()
    assert "is not a date" in html
    assert html.index("dark mode") < html.index("CSV export")  # oldest first still applied


def test_inbox_queries_do_not_grow_with_items(world: World, view_fixtures: SimpleNamespace) -> None:
    client = world.client_for(world.bob)
    client.get(url("inbox"))  # warm caches (session, content types)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url("inbox")).status_code == 200
        return len(ctx.captured_queries)

    actor = world.actor(world.bob)
    # Both counts are taken right after a write, so the per-process memo (harken/core/memo.py) is cold
    # in both: compared warm against cold, the difference would be the memo, not the items.
    actions.create_feedback(actor, text="first", author_email="wile@acme.com", product_line=world.alpha_line)
    before = queries()
    for i in range(8):
        actions.create_feedback(
            actor,
            text=f"more {i}",
            author_email="wile@acme.com",
            tags=["a", "b"],
            product_line=world.alpha_line,
        )
    assert queries() == before


def test_pagination(world: World, view_fixtures: SimpleNamespace) -> None:
    actor = world.actor(world.bob)
    for i in range(PAGE_SIZE + 5):
        actions.create_feedback(
            actor, text=f"paged item {i:02d}", received_at=timezone.now() - timedelta(days=10, minutes=i)
        )
    last = f"paged item {PAGE_SIZE + 4:02d}"
    client = world.client_for(world.vera)  # a viewer: no bulk "merge into" list repeating the page's titles
    page1 = client.get(url("inbox"), {"q": "paged"}).content.decode()
    assert "paged item 00" in page1 and last not in page1 and "page=2" in page1 and "q=paged" in page1
    page2 = client.get(url("inbox"), {"q": "paged", "page": 2}).content.decode()
    assert last in page2 and "paged item 00" not in page2


def test_item_page(world: World, view_fixtures: SimpleNamespace) -> None:
    html = world.client_for(world.vera).get(url("detail", pk=view_fixtures.export.pk)).content.decode()
    assert "CSV export times out on big files" in html
    assert "Wile E." in html and "Acme" in html and "$120k" in html and "Enterprise" in html
    assert "export" in html
    assert url("edit", pk=view_fixtures.export.pk) not in html  # viewer: no edit/delete
    html = world.client_for(world.bob).get(url("detail", pk=view_fixtures.export.pk)).content.decode()
    assert url("edit", pk=view_fixtures.export.pk) in html and url("delete", pk=view_fixtures.export.pk) in html


def test_raw_payload_is_collapsed_and_escaped(world: World, view_fixtures: SimpleNamespace) -> None:
    html = world.client_for(world.bob).get(url("detail", pk=view_fixtures.dark.pk)).content.decode()
    assert "<details>" in html and "message/rfc822" in html
    assert "&lt;b&gt;dark&lt;/b&gt; mode" in html and "<b>dark</b>" not in html
    assert "<script>alert(1)</script>" not in html


def test_other_workspace_item_is_404(world: World, view_fixtures: SimpleNamespace) -> None:
    assert world.client_for(world.alice).get(url("detail", pk=view_fixtures.bravo_item.pk)).status_code == 404


def form_data(world: World, **extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "text": "They want SAML SSO before renewal",
        "title": "SSO",
        "author_email": "new.person@acme.com",
        "tags": "security, SSO",
        "received_at": "2026-11-20T14:30",
        "product_line": world.alpha_line.pk,
        "idempotency_token": str(uuid.uuid4()),
    }
    data.update(extra)
    return data


def test_form_renders_with_token_and_defaults(world: World, view_fixtures: SimpleNamespace) -> None:
    html = world.client_for(world.bob).get(url("new")).content.decode()
    assert 'name="idempotency_token"' in html and 'type="hidden"' in html
    assert 'name="received_at"' in html and "Mobile" in html


def test_create_and_double_submit(world: World, view_fixtures: SimpleNamespace) -> None:
    client = world.client_for(world.bob)
    data = form_data(world)
    first = client.post(url("new"), data)
    item = world.alpha.feedback_items.get(title="SSO")
    assert first.status_code == 302 and first["Location"] == url("detail", pk=item.pk)
    assert item.account == view_fixtures.acme and item.contact is None  # matched by domain
    assert item.product_line == world.alpha_line and item.channel == "manual"
    assert {t.name for t in item.tags.all()} == {"security", "SSO"}
    assert item.received_at.strftime("%Y-%m-%d %H:%M") == "2026-11-20 14:30"
    assert item.dedupe_key == f"form:{data['idempotency_token']}" and item.created_by == world.bob
    second = client.post(url("new"), data)  # the double click
    assert second.status_code == 302 and second["Location"] == url("detail", pk=item.pk)
    assert world.alpha.feedback_items.filter(title="SSO").count() == 1
    client.post(url("new"), form_data(world))  # a new form (new token) is a new item
    assert world.alpha.feedback_items.filter(title="SSO").count() == 2


def test_validation_errors_are_shown(world: World, view_fixtures: SimpleNamespace) -> None:
    client = world.client_for(world.bob)
    response = client.post(url("new"), form_data(world, text="   ", author_email="nope"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "This field is required" in html
    assert "valid email" in html
    response = client.post(url("new"), form_data(world, title="x" * 301))
    assert "at most 300 characters" in response.content.decode()
    assert not world.alpha.feedback_items.filter(text__contains="SAML").exists()


def test_save_and_add_another(world: World, view_fixtures: SimpleNamespace) -> None:
    response = world.client_for(world.bob).post(url("new"), form_data(world, then="another"))
    assert response["Location"] == url("new")


def test_sender_match_hint(world: World, view_fixtures: SimpleNamespace) -> None:
    client = world.client_for(world.bob)
    assert "Wile E." in client.get(url("match_sender"), {"author_email": "wile@acme.com"}).content.decode()
    assert "Acme" in client.get(url("match_sender"), {"author_email": "x@acme.com"}).content.decode()
    assert "No matching" in client.get(url("match_sender"), {"author_email": "x@gmail.com"}).content.decode()


def test_viewer_cannot_create(world: World, view_fixtures: SimpleNamespace) -> None:
    client = world.client_for(world.vera)
    assert client.get(url("new")).status_code == 403
    assert client.post(url("new"), form_data(world)).status_code == 403
    assert not world.alpha.feedback_items.filter(title="SSO").exists()


def test_edit(world: World, view_fixtures: SimpleNamespace) -> None:
    client = world.client_for(world.bob)
    assert client.get(url("edit", pk=view_fixtures.dark.pk)).status_code == 200
    response = client.post(
        url("edit", pk=view_fixtures.dark.pk),
        {
            "title": "Dark mode",
            "text": "Dark mode please",
            "contact": view_fixtures.wile.pk,
            "product_line": "",
            "tags": "ui, theme",
        },
    )
    assert response.status_code == 302
    view_fixtures.dark.refresh_from_db()
    assert view_fixtures.dark.title == "Dark mode" and view_fixtures.dark.text == "Dark mode please"
    assert (
        view_fixtures.dark.contact == view_fixtures.wile and view_fixtures.dark.account == view_fixtures.acme
    )  # account follows the contact
    assert view_fixtures.dark.product_line is None
    assert sorted(t.name for t in view_fixtures.dark.tags.all()) == ["theme", "ui"]
    assert view_fixtures.dark.raw_payload.startswith("From: x@y.z")  # never edited


def test_edit_rejects_other_workspace_choices(world: World, view_fixtures: SimpleNamespace) -> None:
    bravo_account = Account.objects.create(workspace=world.bravo, name="Bravo Co")
    response = world.client_for(world.bob).post(
        url("edit", pk=view_fixtures.dark.pk), {"text": "x", "account": bravo_account.pk}
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    view_fixtures.dark.refresh_from_db()
    assert view_fixtures.dark.account is None


def test_viewer_cannot_edit_or_delete(world: World, view_fixtures: SimpleNamespace) -> None:
    client = world.client_for(world.vera)
    assert client.post(url("edit", pk=view_fixtures.dark.pk), {"text": "viewer was here"}).status_code == 403
    assert client.post(url("delete", pk=view_fixtures.dark.pk)).status_code == 403
    assert client.post(url("tags", pk=view_fixtures.dark.pk), {"add": "x"}).status_code == 403
    view_fixtures.dark.refresh_from_db()
    assert view_fixtures.dark.text.startswith("Please add dark mode") and not view_fixtures.dark.tags.exists()


def test_delete(world: World, view_fixtures: SimpleNamespace) -> None:
    client = world.client_for(world.bob)
    assert "cannot be undone" in client.get(url("delete", pk=view_fixtures.dark.pk)).content.decode()
    response = client.post(url("delete", pk=view_fixtures.dark.pk))
    assert response.status_code == 302 and response["Location"] == url("inbox")
    assert not world.alpha.feedback_items.filter(pk=view_fixtures.dark.pk).exists()


def test_tags_with_htmx(world: World, view_fixtures: SimpleNamespace) -> None:
    client = world.client_for(world.bob)
    response = client.post(url("tags", pk=view_fixtures.dark.pk), {"add": "Theme"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and 'id="item-tags"' in html and "Theme" in html and "<html" not in html
    tag = world.alpha.tags.get(name="Theme")
    response = client.post(url("tags", pk=view_fixtures.dark.pk), {"remove": tag.pk}, HTTP_HX_REQUEST="true")
    assert "No tags yet" in response.content.decode()
    assert not view_fixtures.dark.tags.exists()
    response = client.post(url("tags", pk=view_fixtures.dark.pk), {"add": "x" * 61}, HTTP_HX_REQUEST="true")
    assert "longer than 60" in response.content.decode()


def test_cannot_remove_another_workspace_tag(world: World, view_fixtures: SimpleNamespace) -> None:
    bravo_tag = Tag.objects.create(workspace=world.bravo, name="b")
    response = world.client_for(world.bob).post(url("tags", pk=view_fixtures.export.pk), {"remove": bravo_tag.pk})
    assert response.status_code == 404
    assert view_fixtures.export.tags.count() == 1


def test_tags_without_htmx_redirect(world: World, view_fixtures: SimpleNamespace) -> None:
    response = world.client_for(world.bob).post(url("tags", pk=view_fixtures.dark.pk), {"add": "plain"})
    assert response.status_code == 302 and view_fixtures.dark.tags.filter(name="plain").exists()
