"""Segments with a relative renewal rule ("renewing in the next 90 days") stay relative."""

from __future__ import annotations

import datetime as dt
from importlib import import_module
from unittest import mock

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from harken.customers import actions, queries
from harken.customers.models import Account, Segment
from harken.insight import filters
from tests.base import World

pytestmark = pytest.mark.django_db


def _at(day: dt.date):  # type: ignore[no-untyped-def]
    """Pretend it is noon on `day` (timezone.localdate() reads timezone.now())."""
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_relative_rule_is_stored_as_days_and_evaluated_against_now(world: World) -> None:
    today = timezone.localdate()
    soon = Account.objects.create(workspace=world.alpha, name="Soon", renewal_date=today + dt.timedelta(days=30))
    later = Account.objects.create(workspace=world.alpha, name="Later", renewal_date=today + dt.timedelta(days=120))
    Account.objects.create(workspace=world.alpha, name="Past", renewal_date=today - dt.timedelta(days=1))
    segment = actions.create_segment(
        world.actor(world.alice), {"name": "Renewing in 90 days", "renewal_within_days": "90 days"}
    )
    assert segment.filters == {"renewal_within_days": "90"}  # no dates saved
    assert set(queries.segment_accounts(segment)) == {soon}
    with _at(today + dt.timedelta(days=60)):  # two months on: Soon has renewed, Later is now 60 days out
        assert set(queries.segment_accounts(segment)) == {later}
        # the decision pages' segment filter evaluates it at read time too
        evidence = filters.parse(world.alpha, {"segment": "Renewing in 90 days"})
        assert list(evidence.q().children)  # a real restriction
    with _at(today + dt.timedelta(days=200)):
        assert not queries.segment_accounts(segment).exists()
    assert queries.describe_filters(segment.filters) == ["Renews within: the next 90 days"]


@pytest.mark.parametrize("bad", ["0", "-5", "soon", "99999"])
def test_relative_days_are_validated(world: World, bad: str) -> None:
    with pytest.raises(ValidationError) as exc:
        actions.create_segment(world.actor(world.alice), {"name": "X", "renewal_within_days": bad})
    assert "renewal_within_days" in exc.value.message_dict


def test_segment_form_offers_the_relative_rule(world: World) -> None:
    client = world.client_for(world.alice)
    response = client.post(
        reverse("customers:segment_create", kwargs={"ws": "alpha"}),
        {"name": "Renewals", "weight": "1", "renewal_within_days": "60"},
    )
    assert response.status_code == 302
    assert world.alpha.segments.get(name="Renewals").filters == {"renewal_within_days": "60"}


def test_migration_makes_clearly_relative_segments_relative(world: World) -> None:
    migration = import_module("harken.customers.migrations.0004_relative_renewal_segments")
    ws = world.alpha
    clear = Segment.objects.create(
        workspace=ws,
        name="Renewing in 90 days",
        filters={"renewal_after": "2026-01-10", "renewal_before": "2026-04-10", "plan": "Pro"},
    )
    fixed_name = Segment.objects.create(
        workspace=ws, name="Q1 renewals", filters={"renewal_after": "2026-01-01", "renewal_before": "2026-03-31"}
    )
    wrong_span = Segment.objects.create(
        workspace=ws, name="Next 90 days-ish", filters={"renewal_after": "2026-01-10", "renewal_before": "2026-04-01"}
    )
    described = Segment.objects.create(
        workspace=ws,
        name="Renewals soon",
        description="Everyone renewing in the next 30 days",
        filters={"renewal_after": "2026-05-01", "renewal_before": "2026-05-31"},
    )
    migration.forwards(apps, None)
    for s in (clear, fixed_name, wrong_span, described):
        s.refresh_from_db()
    assert clear.filters == {"plan": "Pro", "renewal_within_days": "90"}
    assert fixed_name.filters == {"renewal_after": "2026-01-01", "renewal_before": "2026-03-31"}
    assert wrong_span.filters == {"renewal_after": "2026-01-10", "renewal_before": "2026-04-01"}
    assert described.filters == {"renewal_within_days": "30"}
