from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from harken.customers import actions, queries
from harken.customers.models import Account, Contact, Segment
from harken.feedback.models import Feedback
from tests.base import World

pytestmark = pytest.mark.django_db


def test_domain_is_normalised(world: World) -> None:
    for raw in ("https://www.Acme.com/about", "ACME.com", "http://acme.com:8080", "www.acme.com.", "sam@acme.com"):
        assert queries.normalise_domain(raw) == "acme.com", raw
    assert queries.normalise_domain("  ") == ""


def test_bad_domain_says_what_was_given(world: World) -> None:
    with pytest.raises(ValueError, match=re.escape("'not a domain' is not a domain name")):
        queries.normalise_domain("not a domain")


def test_arr_formats(world: World) -> None:
    assert queries.parse_arr("$12,000.50") == Decimal("12000.50")
    assert queries.parse_arr("12k") == Decimal("12000")
    assert queries.parse_arr("1.5M") == Decimal("1500000")
    assert queries.parse_arr("€ 900") == Decimal("900")
    assert queries.parse_arr("") == Decimal("0")
    with pytest.raises(ValueError, match=re.escape("ARR must be a number, got 'abc'")):
        queries.parse_arr("abc")
    with pytest.raises(ValueError, match=re.escape("ARR cannot be negative")):
        queries.parse_arr("-5")


def test_dates(world: World) -> None:
    expected = dt.date(2026, 3, 31)
    for raw in (
        "2026-03-31",
        "2026/03/31",
        "31.03.2026",
        "31/03/2026",
        "03/31/2026",
        "31 Mar 2026",
        "March 31, 2026",
        "2026-03-31T10:00:00Z",
    ):
        assert queries.parse_date(raw) == expected, raw
    assert queries.parse_date("04/04/2026") == dt.date(2026, 4, 4)
    with pytest.raises(ValueError, match=re.escape("ambiguous")):
        queries.parse_date("03/04/2026")
    with pytest.raises(ValueError, match=re.escape("must be a date like 2026-03-31, got 'soon'")):
        queries.parse_date("soon")


def test_lifecycle_accepts_labels(world: World) -> None:
    assert queries.parse_lifecycle("At risk") == "at_risk"
    assert queries.parse_lifecycle("CHURNED") == "churned"
    with pytest.raises(ValueError, match=re.escape("Unknown lifecycle stage 'zombie'")):
        queries.parse_lifecycle("zombie")


def test_create_normalises_and_validates(world: World) -> None:
    account = actions.create_account(
        world.actor(world.bob),
        {
            "name": " Acme ",
            "domain": "https://www.ACME.com",
            "arr": "12k",
            "renewal_date": "2026-12-01",
            "owner_email": "ALICE@alpha.test",
        },
    )
    account.refresh_from_db()
    assert (account.name, account.domain, account.arr) == ("Acme", "acme.com", Decimal("12000.00"))
    assert account.owner == world.alice
    assert account.workspace == world.alpha


def test_errors_are_collected_per_field(world: World) -> None:
    with pytest.raises(ValidationError) as ctx:
        actions.create_account(
            world.actor(world.bob),
            {"name": "", "arr": "abc", "renewal_date": "someday", "owner_email": "charlie@bravo.test"},
        )
    errors = ctx.value.message_dict
    assert errors["name"] == ["An account needs a name."]
    assert errors["arr"] == ["ARR must be a number, got 'abc'"]
    assert "Renewal date must be a date" in errors["renewal_date"][0]
    assert "No member of this workspace has the email 'charlie@bravo.test'" in errors["owner_email"][0]
    assert not Account.objects.exists()


def test_domain_unique_per_workspace_only(world: World) -> None:
    actions.create_account(world.actor(world.bob), {"name": "Acme", "domain": "acme.com"})
    with pytest.raises(ValidationError) as ctx:
        actions.create_account(world.actor(world.alice), {"name": "Acme 2", "domain": "WWW.acme.com"})
    assert ctx.value.message_dict["domain"] == ["The domain acme.com already belongs to the account 'Acme'."]
    # Another workspace may have the same customer.
    actions.create_account(world.actor(world.charlie), {"name": "Acme", "domain": "acme.com"})
    assert Account.objects.filter(domain="acme.com").count() == 2


def test_update_keeps_own_domain(world: World) -> None:
    account = actions.create_account(world.actor(world.bob), {"name": "Acme", "domain": "acme.com"})
    actions.update_account(world.actor(world.bob), account, {"name": "Acme Inc", "domain": "acme.com"})
    account.refresh_from_db()
    assert account.name == "Acme Inc"


def test_partial_update_changes_only_given_keys(world: World) -> None:
    account = actions.create_account(world.actor(world.bob), {"name": "Acme", "plan": "Pro", "arr": "100"})
    actions.update_account(world.actor(world.bob), account, {"plan": "Enterprise"}, partial=True)
    account.refresh_from_db()
    assert (account.name, account.plan, account.arr) == ("Acme", "Enterprise", Decimal("100.00"))


def test_viewer_cannot_write(world: World) -> None:
    with pytest.raises(PermissionDenied):
        actions.create_account(world.actor(world.vera), {"name": "Nope"})
    account = Account.objects.create(workspace=world.alpha, name="Acme")
    with pytest.raises(PermissionDenied):
        actions.delete_account(world.actor(world.vera), account)
    assert Account.objects.filter(pk=account.pk).exists()


def test_delete_keeps_contacts_and_feedback(world: World) -> None:
    account = Account.objects.create(workspace=world.alpha, name="Acme")
    contact = Contact.objects.create(workspace=world.alpha, account=account, email="a@acme.com")
    item = Feedback.objects.create(workspace=world.alpha, text="hi", account=account, contact=contact)
    actions.delete_account(world.actor(world.bob), account)
    contact.refresh_from_db()
    item.refresh_from_db()
    assert contact.account is None
    assert item.account is None


row = {
    "name": "Acme",
    "domain": "acme.com",
    "plan": "Pro",
    "segment": "Mid-market",
    "lifecycle_stage": "active",
    "arr": "$24,000",
    "renewal_date": "2026-09-30",
    "owner_email": "bob@alpha.test",
    "external_id": "crm-1",
}


def test_idempotent_by_external_id(world: World) -> None:
    actor = world.actor(world.bob)
    first, created = actions.upsert_account(actor, row)
    assert created
    again, created_again = actions.upsert_account(actor, row)
    assert not created_again
    assert first.pk == again.pk
    assert world.alpha.accounts.count() == 1
    # The CRM renamed the company and changed its domain: same row, same account.
    renamed, created = actions.upsert_account(actor, {**row, "name": "Acme Group", "domain": "acme.io"})
    assert not created
    renamed.refresh_from_db()
    assert (renamed.pk, renamed.name, renamed.domain) == (first.pk, "Acme Group", "acme.io")


def test_matches_by_domain_without_external_id(world: World) -> None:
    existing = Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.com", arr=5)
    account, created = actions.upsert_account(
        world.actor(world.bob), {"name": "ACME Corp", "domain": "www.acme.com", "arr": "7000"}
    )
    assert not created
    assert account.pk == existing.pk
    existing.refresh_from_db()
    assert existing.arr == Decimal("7000.00")


def test_blank_cells_do_not_erase(world: World) -> None:
    actor = world.actor(world.bob)
    actions.upsert_account(actor, row)
    account, _ = actions.upsert_account(actor, {"external_id": "crm-1", "name": "Acme", "plan": "", "arr": ""})
    account.refresh_from_db()
    assert (account.plan, account.arr) == ("Pro", Decimal("24000.00"))


def test_dry_run_writes_nothing(world: World) -> None:
    account, created = actions.upsert_account(world.actor(world.bob), row, dry_run=True)
    assert created
    assert account.pk is None
    assert account.arr == Decimal("24000.00")
    assert not Account.objects.exists()
    existing = Account.objects.create(workspace=world.alpha, name="Acme", external_id="crm-1")
    account, created = actions.upsert_account(world.actor(world.bob), {**row, "plan": "Enterprise"}, dry_run=True)
    assert not created
    existing.refresh_from_db()
    assert existing.plan == ""


def test_dry_run_still_validates(world: World) -> None:
    with pytest.raises(ValidationError) as ctx:
        actions.upsert_account(world.actor(world.bob), {**row, "arr": "abc"}, dry_run=True)
    assert ctx.value.message_dict == {"arr": ["ARR must be a number, got 'abc'"]}


def test_domain_owned_by_another_account(world: World) -> None:
    Account.objects.create(workspace=world.alpha, name="Other", domain="acme.com")
    Account.objects.create(workspace=world.alpha, name="Acme", external_id="crm-1")
    with pytest.raises(ValidationError) as ctx:
        actions.upsert_account(world.actor(world.bob), row)
    assert "already belongs to the account 'Other'" in ctx.value.message_dict["domain"][0]


def test_scoped_to_the_actor_workspace(world: World) -> None:
    Account.objects.create(workspace=world.bravo, name="Acme", domain="acme.com", external_id="crm-1")
    _, created = actions.upsert_account(world.actor(world.bob), row)
    assert created
    assert world.alpha.accounts.count() == 1


def test_viewer_cannot_import(world: World) -> None:
    with pytest.raises(PermissionDenied):
        actions.upsert_account(world.actor(world.vera), row)


@pytest.fixture
def contact_service(world: World) -> SimpleNamespace:
    contact_service = SimpleNamespace()
    contact_service.acme = Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.com")
    return contact_service


def test_email_lower_cased_and_unique(world: World, contact_service: SimpleNamespace) -> None:
    contact = actions.create_contact(world.actor(world.bob), {"name": "Sam", "email": "Sam@ACME.com"})
    assert contact.email == "sam@acme.com"
    with pytest.raises(ValidationError) as ctx:
        actions.create_contact(world.actor(world.bob), {"name": "Sam again", "email": "SAM@acme.com"})
    assert ctx.value.message_dict["email"] == ["sam@acme.com is already the contact 'Sam'."]


def test_invalid_email(world: World, contact_service: SimpleNamespace) -> None:
    with pytest.raises(ValidationError) as ctx:
        actions.create_contact(world.actor(world.bob), {"email": "sam at acme"})
    assert ctx.value.message_dict["email"] == ["'sam at acme' is not a valid email address"]


def test_needs_name_or_email(world: World, contact_service: SimpleNamespace) -> None:
    with pytest.raises(ValidationError) as ctx:
        actions.create_contact(world.actor(world.bob), {"title": "CTO"})
    assert "at least a name or an email" in ctx.value.message_dict["email"][0]


def test_work_email_links_account(world: World, contact_service: SimpleNamespace) -> None:
    contact = actions.create_contact(world.actor(world.bob), {"email": "kim@acme.com"})
    assert contact.account == contact_service.acme


def test_account_from_other_workspace_is_refused(world: World, contact_service: SimpleNamespace) -> None:
    other = Account.objects.create(workspace=world.bravo, name="Bravo Co")
    with pytest.raises(ValidationError) as ctx:
        actions.create_contact(world.actor(world.bob), {"email": "kim@x.test", "account": str(other.pk)})
    assert "No account with id" in ctx.value.message_dict["account"][0]


def test_upsert_idempotent_by_email_then_external_id(world: World, contact_service: SimpleNamespace) -> None:
    actor = world.actor(world.bob)
    row = {"name": "Sam", "email": "SAM@acme.com", "title": "CTO", "account_domain": "acme.com"}
    first, created = actions.upsert_contact(actor, row)
    assert created
    assert first.account == contact_service.acme
    second, created = actions.upsert_contact(actor, {**row, "title": "CEO"})
    assert not created
    assert second.pk == first.pk
    second.refresh_from_db()
    assert second.title == "CEO"
    # External id wins over email: the person changed address.
    actions.upsert_contact(actor, {**row, "external_id": "p-1"})
    moved, created = actions.upsert_contact(actor, {"external_id": "p-1", "email": "sam@acme.io"})
    assert not created
    assert (moved.pk, moved.email) == (first.pk, "sam@acme.io")
    assert world.alpha.contacts.count() == 1


def test_upsert_by_account_name(world: World, contact_service: SimpleNamespace) -> None:
    contact, _ = actions.upsert_contact(world.actor(world.bob), {"email": "lee@gmail.com", "account_name": "acme"})
    assert contact.account == contact_service.acme


def test_upsert_unknown_account(world: World, contact_service: SimpleNamespace) -> None:
    with pytest.raises(ValidationError) as ctx:
        actions.upsert_contact(world.actor(world.bob), {"email": "lee@x.test", "account_domain": "nowhere.test"})
    assert "No account with the domain nowhere.test" in ctx.value.message_dict["account_domain"][0]


def test_upsert_dry_run(world: World, contact_service: SimpleNamespace) -> None:
    contact, created = actions.upsert_contact(world.actor(world.bob), {"email": "x@acme.com"}, dry_run=True)
    assert created
    assert contact.pk is None
    assert not Contact.objects.exists()


def test_upsert_without_email_matches_name_in_account(world: World, contact_service: SimpleNamespace) -> None:
    actor = world.actor(world.bob)
    first, _ = actions.upsert_contact(actor, {"name": "Robin", "account_domain": "acme.com"})
    second, created = actions.upsert_contact(actor, {"name": "robin", "account_domain": "acme.com", "title": "PM"})
    assert not created
    assert first.pk == second.pk


@pytest.fixture
def match_sender(world: World) -> SimpleNamespace:
    match_sender = SimpleNamespace()
    match_sender.acme = Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.com")
    match_sender.sam = Contact.objects.create(
        workspace=world.alpha, account=match_sender.acme, name="Sam", email="sam@acme.com"
    )
    return match_sender


def test_exact_contact(world: World, match_sender: SimpleNamespace) -> None:
    assert queries.match_sender(world.alpha, "SAM@acme.com") == (match_sender.sam, match_sender.acme)


def test_domain_matches_account_without_creating(world: World, match_sender: SimpleNamespace) -> None:
    assert queries.match_sender(world.alpha, "kim@acme.com") == (None, match_sender.acme)
    assert not Contact.objects.filter(email="kim@acme.com").exists()


def test_create_contact_on_domain_match(world: World, match_sender: SimpleNamespace) -> None:
    contact, account = actions.match_sender_or_add_contact(world.alpha, "Kim@Acme.com", name="Kim")
    assert contact is not None
    assert contact is not None
    assert (contact.email, contact.name, contact.account, account) == (
        "kim@acme.com",
        "Kim",
        match_sender.acme,
        match_sender.acme,
    )
    again, _ = actions.match_sender_or_add_contact(world.alpha, "kim@acme.com")
    assert again == contact


def test_subdomain_matches_parent(world: World, match_sender: SimpleNamespace) -> None:
    assert queries.match_sender(world.alpha, "ops@eu.acme.com") == (None, match_sender.acme)


def test_free_mail_never_matches_an_account(world: World, match_sender: SimpleNamespace) -> None:
    Account.objects.create(workspace=world.alpha, name="Google (misconfigured)", domain="gmail.com")
    for email in (
        "someone@gmail.com",
        "a@outlook.com",
        "b@yahoo.com",
        "c@hotmail.com",
        "d@icloud.com",
        "e@proton.me",
    ):
        assert actions.match_sender_or_add_contact(world.alpha, email) == (None, None), email
    assert world.alpha.contacts.count() == 1


def test_free_mail_contact_still_matches_exactly(world: World, match_sender: SimpleNamespace) -> None:
    lee = Contact.objects.create(workspace=world.alpha, account=match_sender.acme, email="lee@gmail.com")
    assert queries.match_sender(world.alpha, "lee@gmail.com") == (lee, match_sender.acme)


def test_other_workspace_is_invisible(world: World, match_sender: SimpleNamespace) -> None:
    assert actions.match_sender_or_add_contact(world.bravo, "sam@acme.com") == (None, None)
    assert not world.bravo.contacts.exists()


def test_garbage(world: World, match_sender: SimpleNamespace) -> None:
    assert queries.match_sender(world.alpha, "") == (None, None)
    assert queries.match_sender(world.alpha, "not-an-email") == (None, None)


@pytest.fixture
def filter_data(world: World) -> SimpleNamespace:
    filter_data = SimpleNamespace()
    today = timezone.localdate()
    mk = Account.objects.create
    filter_data.big = mk(
        workspace=world.alpha,
        name="Big Bank",
        domain="bigbank.com",
        segment="Enterprise",
        plan="Annual",
        lifecycle_stage="active",
        arr=250000,
        renewal_date=today + dt.timedelta(days=20),
        owner=world.bob,
    )
    filter_data.mid = mk(
        workspace=world.alpha,
        name="Midco",
        domain="midco.io",
        segment="Mid-market",
        plan="Monthly",
        lifecycle_stage="at_risk",
        arr=30000,
        renewal_date=today + dt.timedelta(days=200),
    )
    filter_data.small = mk(workspace=world.alpha, name="Tiny Shop", domain="tiny.shop", segment="SMB", arr=900)
    mk(workspace=world.bravo, name="Big Bravo", segment="Enterprise", arr=999999)
    return filter_data


def names(world: World, filters: dict) -> list[str]:
    return sorted(a.name for a in queries.filter_accounts(world.alpha, filters))


def test_filters(world: World, filter_data: SimpleNamespace) -> None:
    today = timezone.localdate()
    assert names(world, {}) == ["Big Bank", "Midco", "Tiny Shop"]
    assert names(world, {"q": "big"}) == ["Big Bank"]
    assert names(world, {"q": "MIDCO.IO"}) == ["Midco"]
    assert names(world, {"segment": "enterprise"}) == ["Big Bank"]
    assert names(world, {"plan": "Monthly"}) == ["Midco"]
    assert names(world, {"lifecycle_stage": "At risk"}) == ["Midco"]
    assert names(world, {"owner": str(world.bob.pk)}) == ["Big Bank"]
    assert names(world, {"owner": "bob@alpha.test"}) == ["Big Bank"]
    assert names(world, {"owner": "none"}) == ["Midco", "Tiny Shop"]
    assert names(world, {"min_arr": "10k"}) == ["Big Bank", "Midco"]
    assert names(world, {"max_arr": "30000"}) == ["Midco", "Tiny Shop"]
    assert names(world, {"renewal_before": (today + dt.timedelta(days=90)).isoformat()}) == ["Big Bank"]
    assert names(world, {"renewal_after": (today + dt.timedelta(days=90)).isoformat()}) == ["Midco"]
    assert names(world, {"min_arr": "1000", "lifecycle_stage": "active"}) == ["Big Bank"]


def test_bad_filter_value(world: World, filter_data: SimpleNamespace) -> None:
    with pytest.raises(ValidationError) as ctx:
        queries.filter_accounts(world.alpha, {"min_arr": "lots"})
    assert ctx.value.message_dict == {"min_arr": ["ARR must be a number, got 'lots'"]}


def test_list_accounts_totals_and_sort(world: World, filter_data: SimpleNamespace) -> None:
    Feedback.objects.create(workspace=world.alpha, text="a", account=filter_data.small)
    Feedback.objects.create(workspace=world.alpha, text="b", account=filter_data.small)
    Feedback.objects.create(workspace=world.alpha, text="c", account=filter_data.mid)
    result = queries.list_accounts(world.alpha, {"max_arr": "100000"}, "-feedback")
    assert result.count == 2
    assert result.total_arr == Decimal("30900.00")
    assert [(a.name, a.feedback_count) for a in result.page_accounts] == [("Tiny Shop", 2), ("Midco", 1)]
    by_arr = queries.list_accounts(world.alpha, {}, "-arr")
    assert [a.name for a in by_arr.page_accounts] == ["Big Bank", "Midco", "Tiny Shop"]


def test_list_accounts_reports_bad_filters_instead_of_failing(world: World, filter_data: SimpleNamespace) -> None:
    result = queries.list_accounts(world.alpha, {"min_arr": "lots", "segment": "SMB"})
    assert [a.name for a in result.page_accounts] == ["Tiny Shop"]
    assert "min_arr" in result.errors


def test_segments(world: World, filter_data: SimpleNamespace) -> None:
    segment = actions.create_segment(
        world.actor(world.bob), {"name": "Big", "weight": "2", "min_arr": "20k", "junk": "ignored"}
    )
    assert segment.filters == {"min_arr": "20k"}
    assert [a.name for a in queries.segment_accounts(segment)] == ["Big Bank", "Midco"]
    rows = queries.segment_rows(world.alpha)
    assert [(r["segment"].name, r["count"], r["arr"]) for r in rows] == [("Big", 2, Decimal("280000.00"))]
    with pytest.raises(ValidationError) as ctx:
        actions.create_segment(world.actor(world.bob), {"name": "big", "weight": "0"})
    assert "already a segment called 'big'" in ctx.value.message_dict["name"][0]
    assert "Weight must be a number above 0" in ctx.value.message_dict["weight"][0]
    with pytest.raises(PermissionDenied):
        actions.delete_segment(world.actor(world.vera), segment)
    actions.update_segment(world.actor(world.bob), segment, {"name": "Big", "filters": {"segment": "SMB"}})
    assert [a.name for a in queries.segment_accounts(Segment.objects.get(pk=segment.pk))] == ["Tiny Shop"]


def test_chart_counts_feedback_per_month_and_renewal_countdown(world: World) -> None:
    today = timezone.localdate()
    account = Account.objects.create(workspace=world.alpha, name="Acme", renewal_date=today + dt.timedelta(days=10))
    now = timezone.now()
    for _ in range(3):
        Feedback.objects.create(workspace=world.alpha, text="now", account=account, received_at=now)
    Feedback.objects.create(
        workspace=world.alpha, text="old", account=account, received_at=now - dt.timedelta(days=800)
    )
    Feedback.objects.create(workspace=world.alpha, text="other", received_at=now)
    overview = queries.account_overview(account)
    assert overview["feedback_count"] == 4
    bars = overview["chart"]["bars"]
    assert len(bars) == 12
    assert bars[-1]["value"] == 3
    assert sum(b["value"] for b in bars) == 3
    assert overview["renewal_days"] == 10
    assert overview["renewal_text"] == "in 10 days"
    assert overview["renewal_badge"] == "badge-warn"
    assert [r["item"].text for r in overview["feedback"]][:3] == ["now", "now", "now"]
