from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from harken.customers.models import Account, Contact, Segment
from harken.feedback.models import Feedback
from tests.base import World

pytestmark = pytest.mark.django_db


def url(name: str, ws: str = "alpha", **kwargs: object) -> str:
    return reverse(f"customers:{name}", kwargs={"ws": ws, **kwargs})


@pytest.fixture
def account_list(world: World) -> SimpleNamespace:
    account_list = SimpleNamespace()
    today = timezone.localdate()
    account_list.big = Account.objects.create(
        workspace=world.alpha,
        name="Big Bank",
        domain="bigbank.com",
        segment="Enterprise",
        plan="Annual",
        arr=250000,
        renewal_date=today + dt.timedelta(days=300),
        owner=world.bob,
    )
    account_list.mid = Account.objects.create(
        workspace=world.alpha,
        name="Midco",
        domain="midco.io",
        segment="Mid-market",
        lifecycle_stage="at_risk",
        arr=30000,
        renewal_date=today + dt.timedelta(days=5),
    )
    account_list.tiny = Account.objects.create(workspace=world.alpha, name="Tiny Shop", segment="SMB", arr=900)
    Account.objects.create(workspace=world.bravo, name="Bravo Secret", arr=1)
    for _ in range(3):
        Feedback.objects.create(workspace=world.alpha, text="x", account=account_list.tiny)
    return account_list


def names(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.name for a in response.context["accounts"]]


def test_list_shows_workspace_accounts_with_total(world: World, account_list: SimpleNamespace) -> None:
    response = world.client_for(world.vera).get(url("account_list"))
    assert response.status_code == 200
    assert names(response) == ["Big Bank", "Midco", "Tiny Shop"]
    assertNotContains(response, "Bravo Secret")
    assertContains(response, "data-shortcut-search")
    assert response.context["result"].total_arr == Decimal("280900.00")
    assertContains(response, "$281k")
    # Viewers see no write buttons.
    assertNotContains(response, url("account_create"))
    assertNotContains(response, "Save as segment")


def test_member_sees_write_buttons(world: World, account_list: SimpleNamespace) -> None:
    response = world.client_for(world.bob).get(url("account_list"), {"segment": "SMB"})
    assertContains(response, url("account_create"))
    assertContains(response, f"{url('segment_create')}?segment=SMB")


def test_search_filters_and_sort(world: World, account_list: SimpleNamespace) -> None:
    client = world.client_for(world.bob)
    assert names(client.get(url("account_list"), {"q": "midco.io"})) == ["Midco"]
    assert names(client.get(url("account_list"), {"lifecycle_stage": "at_risk"})) == ["Midco"]
    assert names(client.get(url("account_list"), {"owner": world.bob.pk})) == ["Big Bank"]
    assert names(client.get(url("account_list"), {"min_arr": "1000", "max_arr": "100k"})) == ["Midco"]
    soon = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    assert names(client.get(url("account_list"), {"renewal_before": soon})) == ["Midco"]
    assert names(client.get(url("account_list"), {"sort": "-arr"})) == ["Big Bank", "Midco", "Tiny Shop"]
    assert names(client.get(url("account_list"), {"sort": "renewal"}))[:2] == ["Midco", "Big Bank"]
    assert names(client.get(url("account_list"), {"sort": "-feedback"}))[0] == "Tiny Shop"
    response = client.get(url("account_list"), {"segment": "Enterprise"})
    assert response.context["result"].total_arr == Decimal("250000.00")


def test_bad_filter_is_reported_not_500(world: World, account_list: SimpleNamespace) -> None:
    response = world.client_for(world.bob).get(url("account_list"), {"min_arr": "lots"})
    assert response.status_code == 200
    assertContains(response, "ARR must be a number, got &#x27;lots&#x27;")
    assert len(names(response)) == 3


def test_htmx_returns_only_results(world: World, account_list: SimpleNamespace) -> None:
    response = world.client_for(world.bob).get(url("account_list"), {"q": "big"}, HTTP_HX_REQUEST="true")
    assertNotContains(response, "<html")
    assertContains(response, "Big Bank")
    assertNotContains(response, "Midco")


def test_pagination(world: World, account_list: SimpleNamespace) -> None:
    Account.objects.bulk_create([Account(workspace=world.alpha, name=f"Co {i:03}") for i in range(60)])
    response = world.client_for(world.bob).get(url("account_list"), {"page": 2})
    assert len(response.context["accounts"]) == 13
    assertContains(response, "51–63 of 63")


def test_applying_a_saved_segment(world: World, client: Client, account_list: SimpleNamespace) -> None:
    segment = Segment.objects.create(workspace=world.alpha, name="Paying", filters={"min_arr": "10000"})
    client.force_login(world.vera)
    response = client.get(url("account_list"), {"segment_id": segment.pk})
    assert names(response) == ["Big Bank", "Midco"]
    assertContains(response, "Showing segment <strong>Paying</strong>")
    other = Segment.objects.create(workspace=world.bravo, name="Theirs")
    assert client.get(url("account_list"), {"segment_id": other.pk}).status_code == 404


def test_create_edit_delete(world: World) -> None:
    client = world.client_for(world.bob)
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
    account = Account.objects.get(workspace=world.alpha, name="Acme")
    assertRedirects(response, url("account_detail", pk=account.pk))
    assert (account.domain, account.arr, account.owner) == ("acme.com", Decimal("12000.00"), world.alice)

    response = client.post(
        url("account_edit", pk=account.pk), {"name": "Acme Inc", "lifecycle_stage": "active", "arr": "abc"}
    )
    assert response.status_code == 400
    assertContains(response, "ARR must be a number, got &#x27;abc&#x27;", status_code=400)
    assertContains(response, 'value="abc"', status_code=400)  # raw input kept
    response = client.post(
        url("account_edit", pk=account.pk), {"name": "Acme Inc", "lifecycle_stage": "active", "domain": "acme.com"}
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Acme Inc"

    assert client.get(url("account_delete", pk=account.pk)).status_code == 200
    response = client.post(url("account_delete", pk=account.pk))
    assertRedirects(response, url("account_list"))
    assert not Account.objects.filter(pk=account.pk).exists()


def test_duplicate_domain_error_on_field(world: World) -> None:
    Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.com")
    response = world.client_for(world.bob).post(
        url("account_create"), {"name": "Acme 2", "domain": "ACME.com", "lifecycle_stage": "active"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["domain"] == ["The domain acme.com already belongs to the account 'Acme'."]


def test_viewer_cannot_write_accounts(world: World) -> None:
    account = Account.objects.create(workspace=world.alpha, name="Acme")
    client = world.client_for(world.vera)
    assert client.get(url("account_create")).status_code == 403
    assert client.post(url("account_create"), {"name": "X", "lifecycle_stage": "active"}).status_code == 403
    assert (
        client.post(url("account_edit", pk=account.pk), {"name": "X", "lifecycle_stage": "active"}).status_code == 403
    )
    assert client.post(url("account_delete", pk=account.pk)).status_code == 403
    account.refresh_from_db()
    assert account.name == "Acme"
    assert Account.objects.count() == 1


def test_outsider_gets_404(world: World) -> None:
    account = Account.objects.create(workspace=world.alpha, name="Acme")
    client = world.client_for(world.charlie)
    assert client.get(url("account_detail", pk=account.pk)).status_code == 404
    assert client.get(url("account_detail", ws="bravo", pk=account.pk)).status_code == 404
    assert client.post(url("account_delete", ws="bravo", pk=account.pk)).status_code == 404
    assert Account.objects.filter(pk=account.pk).exists()


def test_page_shows_details_contacts_feedback_and_chart(world: World) -> None:
    account = Account.objects.create(
        workspace=world.alpha,
        name="Acme",
        domain="acme.com",
        arr=48000,
        renewal_date=timezone.localdate() + dt.timedelta(days=45),
    )
    sam = Contact.objects.create(workspace=world.alpha, account=account, name="Sam Rivera", email="sam@acme.com")
    Feedback.objects.create(
        workspace=world.alpha, title="Export to PDF please", text="...", account=account, contact=sam
    )
    Feedback.objects.create(workspace=world.alpha, title="Someone else's idea", text="...")
    Segment.objects.create(workspace=world.alpha, name="Mid ARR", filters={"min_arr": "10000"})
    response = world.client_for(world.vera).get(url("account_detail", pk=account.pk))
    assert response.status_code == 200
    for text in ("Sam Rivera", "Export to PDF please", "$48k", "in 45 days", "Mid ARR", 'class="chart"'):
        assertContains(response, text)
    assertNotContains(response, "Someone else&#x27;s idea")
    assertNotContains(response, url("account_edit", pk=account.pk))
    member_page = world.client_for(world.bob).get(url("account_detail", pk=account.pk))
    assertContains(member_page, url("account_edit", pk=account.pk))


@pytest.fixture
def contact_view(world: World) -> SimpleNamespace:
    contact_view = SimpleNamespace()
    contact_view.acme = Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.com")
    contact_view.globex = Account.objects.create(workspace=world.alpha, name="Globex", domain="globex.com")
    contact_view.sam = Contact.objects.create(
        workspace=world.alpha, account=contact_view.acme, name="Sam", email="sam@acme.com", title="CTO"
    )
    contact_view.lee = Contact.objects.create(
        workspace=world.alpha, account=contact_view.globex, name="Lee", email="lee@globex.com"
    )
    Contact.objects.create(workspace=world.bravo, name="Hidden", email="hidden@bravo.test")
    return contact_view


def test_list_search_and_account_filter(world: World, contact_view: SimpleNamespace) -> None:
    client = world.client_for(world.vera)
    names = lambda r: [c.name for c in r.context["contacts"]]  # noqa: E731
    assert names(client.get(url("contact_list"))) == ["Lee", "Sam"]
    assert names(client.get(url("contact_list"), {"q": "cto"})) == ["Sam"]
    assert names(client.get(url("contact_list"), {"account": contact_view.globex.pk})) == ["Lee"]
    assertNotContains(client.get(url("contact_list")), "Hidden")


def test_detail_shows_their_feedback(world: World, contact_view: SimpleNamespace) -> None:
    Feedback.objects.create(
        workspace=world.alpha, title="Dark mode", text="...", contact=contact_view.sam, account=contact_view.acme
    )
    Feedback.objects.create(workspace=world.alpha, title="Lee's wish", text="...", contact=contact_view.lee)
    response = world.client_for(world.vera).get(url("contact_detail", pk=contact_view.sam.pk))
    assertContains(response, "Dark mode")
    assertNotContains(response, "Lee&#x27;s wish")


def test_create_links_account_by_domain_and_validates(world: World, contact_view: SimpleNamespace) -> None:
    client = world.client_for(world.bob)
    response = client.post(url("contact_create"), {"name": "Kim", "email": "KIM@globex.com", "account": ""})
    kim = Contact.objects.get(email="kim@globex.com")
    assertRedirects(response, url("contact_detail", pk=kim.pk))
    assert kim.account == contact_view.globex
    response = client.post(url("contact_create"), {"name": "Kim 2", "email": "kim@globex.com"})
    assert response.status_code == 400
    assert "already the contact" in response.context["form"].errors["email"][0]


def test_edit_and_delete(world: World, contact_view: SimpleNamespace) -> None:
    client = world.client_for(world.bob)
    response = client.post(
        url("contact_edit", pk=contact_view.sam.pk),
        {"name": "Sam R", "email": "sam@acme.com", "account": str(contact_view.globex.pk)},
    )
    assert response.status_code == 302
    contact_view.sam.refresh_from_db()
    assert (contact_view.sam.name, contact_view.sam.account) == ("Sam R", contact_view.globex)
    client.post(url("contact_delete", pk=contact_view.sam.pk))
    assert not Contact.objects.filter(pk=contact_view.sam.pk).exists()


def test_viewer_and_outsider(world: World, contact_view: SimpleNamespace) -> None:
    viewer = world.client_for(world.vera)
    assert (
        viewer.post(url("contact_edit", pk=contact_view.sam.pk), {"name": "X", "email": "x@x.test"}).status_code == 403
    )
    assert viewer.post(url("contact_delete", pk=contact_view.sam.pk)).status_code == 403
    assertNotContains(
        viewer.get(url("contact_detail", pk=contact_view.sam.pk)), url("contact_edit", pk=contact_view.sam.pk)
    )
    outsider = world.client_for(world.charlie)
    assert outsider.get(url("contact_detail", ws="bravo", pk=contact_view.sam.pk)).status_code == 404
    assert outsider.post(url("contact_delete", ws="bravo", pk=contact_view.sam.pk)).status_code == 404
    assert Contact.objects.filter(pk=contact_view.sam.pk).exists()


@pytest.fixture
def segment_view(world: World) -> SimpleNamespace:
    segment_view = SimpleNamespace()
    Account.objects.create(workspace=world.alpha, name="Big", segment="Enterprise", arr=100000)
    Account.objects.create(workspace=world.alpha, name="Bigger", segment="Enterprise", arr=200000)
    Account.objects.create(workspace=world.alpha, name="Small", segment="SMB", arr=1000)
    return segment_view


def test_list_shows_count_and_arr(world: World, segment_view: SimpleNamespace) -> None:
    Segment.objects.create(workspace=world.alpha, name="Enterprise", filters={"segment": "Enterprise"})
    response = world.client_for(world.vera).get(url("segment_list"))
    row = response.context["rows"][0]
    assert (row["count"], row["arr"]) == (2, Decimal("300000.00"))
    assertContains(response, "$300k")
    assertNotContains(response, url("segment_create"))


def test_save_as_segment_flow(world: World, segment_view: SimpleNamespace) -> None:
    client = world.client_for(world.bob)
    form = client.get(url("segment_create"), {"segment": "Enterprise", "min_arr": "150k"})
    assert form.context["form"].initial["min_arr"] == "150k"
    response = client.post(
        url("segment_create"), {"name": "Top enterprise", "weight": "2", "segment": "Enterprise", "min_arr": "150k"}
    )
    segment = Segment.objects.get(workspace=world.alpha, name="Top enterprise")
    assert segment.filters == {"segment": "Enterprise", "min_arr": "150k"}
    assert segment.weight == 2.0
    assertRedirects(response, url("account_list") + f"?segment_id={segment.pk}")
    listing = client.get(url("account_list"), {"segment_id": segment.pk})
    assert [a.name for a in listing.context["accounts"]] == ["Bigger"]


def test_create_errors_edit_delete(world: World, segment_view: SimpleNamespace) -> None:
    client = world.client_for(world.bob)
    response = client.post(url("segment_create"), {"name": "Bad", "weight": "1", "min_arr": "lots"})
    assert response.status_code == 400
    assert response.context["form"].errors["min_arr"] == ["ARR must be a number, got 'lots'"]
    segment = Segment.objects.create(workspace=world.alpha, name="Ent", filters={"segment": "Enterprise"})
    client.post(url("segment_edit", pk=segment.pk), {"name": "SMB", "weight": "0.5", "segment": "SMB"})
    segment.refresh_from_db()
    assert (segment.name, segment.filters, segment.weight) == ("SMB", {"segment": "SMB"}, 0.5)
    client.post(url("segment_delete", pk=segment.pk))
    assert not Segment.objects.filter(pk=segment.pk).exists()


def test_viewer_cannot_write_segments(world: World, segment_view: SimpleNamespace) -> None:
    segment = Segment.objects.create(workspace=world.alpha, name="Ent")
    client = world.client_for(world.vera)
    assert client.post(url("segment_create"), {"name": "X", "weight": "1"}).status_code == 403
    assert client.post(url("segment_delete", pk=segment.pk)).status_code == 403
    assert Segment.objects.filter(pk=segment.pk).exists()


def test_sidebar_lists_customers_under_understand(world: World) -> None:
    response = world.client_for(world.vera).get(url("contact_list"))
    assertContains(response, '<div class="nav-section" id="nav-understand">Understand</div>', html=True)
    assertContains(response, f'href="{url("account_list")}"')
    assertContains(response, f'href="{url("segment_list")}"')
