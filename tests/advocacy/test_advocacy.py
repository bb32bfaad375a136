"""The promoter queue, asks with consent, referrals, the rewards ledger and case-study candidates."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from harken.advocacy import actions, queries
from harken.advocacy.models import Ask, Reward
from harken.surveys import actions as survey_actions
from harken.surveys.models import Response
from tests.base import World, make_token
from tests.surveys.helpers import make_contact, make_survey


def _answer(world: World, email: str, score: int, *, kind: str = "nps", arr: int = 1000, survey=None) -> Response:  # type: ignore[no-untyped-def]
    contact = (
        make_contact(world.alpha, email, arr=arr)
        if not world.alpha.contacts.filter(email=email).exists()
        else world.alpha.contacts.get(email=email)
    )
    survey = survey or make_survey(world.alpha, kind, shareable=True)
    return survey_actions.record_answer(survey, score=score, email=contact.email)


def test_promoters_land_in_the_queue_until_asked(world: World) -> None:
    survey = make_survey(world.alpha, "nps", shareable=True)
    promoter = _answer(world, "pia@happy.test", 10, survey=survey)
    _answer(world, "dan@grumpy.test", 2, survey=survey)
    _answer(world, "pat@meh.test", 8, survey=survey)
    assert [r.contact.email for r in queries.queue(world.alpha)] == ["pia@happy.test"]
    page = world.client_for(world.vera).get(reverse("advocacy:queue", kwargs={"ws": "alpha"}))
    assert b"pia@happy.test" in page.content and b"dan@grumpy.test" not in page.content
    response = world.client_for(world.bob).post(
        reverse("advocacy:ask_create", kwargs={"ws": "alpha"}),
        {"contact": promoter.contact_id, "kind": "testimonial", "response": promoter.pk},
    )
    assert response.status_code == 302
    assert queries.queue(world.alpha) == []
    # a promoter of another workspace never shows up
    assert queries.queue(world.bravo) == []


def test_consent_is_required_to_agree_and_tracked(world: World) -> None:
    contact = make_contact(world.alpha, "pia@happy.test")
    ask = actions.ask(world.actor(world.bob), contact_id=contact.pk, kind="review")
    with pytest.raises(ValidationError):
        actions.update_ask(world.actor(world.bob), ask, status="agreed")
    with pytest.raises(ValidationError):
        actions.update_ask(
            world.actor(world.bob),
            ask,
            status="agreed",
            consent_scope="Quote",
            consent_where="G2",
            consent_until=timezone.localdate() - dt.timedelta(days=1),
        )
    url = reverse("advocacy:ask_detail", kwargs={"ws": "alpha", "pk": ask.pk})
    client = world.client_for(world.bob)
    assert client.post(url, {"status": "agreed", "consent_until": "tomorrow"}).status_code == 400
    ok = client.post(
        url,
        {
            "status": "agreed",
            "consent_scope": "Quote with name and logo",
            "consent_where": "Website, G2",
            "consent_until": (timezone.localdate() + dt.timedelta(days=365)).isoformat(),
            "quote": "Love it",
        },
    )
    assert ok.status_code == 302
    ask.refresh_from_db()
    assert ask.consent_active and ask.consent_given_at is not None
    assert b"Quote with name and logo" in client.get(url).content
    # the foreign contact is refused
    foreign = make_contact(world.bravo, "x@bravo-co.test")
    with pytest.raises(ValidationError):
        actions.ask(world.actor(world.bob), contact_id=foreign.pk, kind="review")


def test_referrals_outcome_and_rewards_ledger(world: World) -> None:
    contact = make_contact(world.alpha, "pia@happy.test")
    client = world.client_for(world.bob)
    client.post(
        reverse("advocacy:referral_create", kwargs={"ws": "alpha"}), {"referrer": contact.pk, "company": "Newco"}
    )
    referral = world.alpha.advocacy_referrals.get()
    client.post(
        reverse("advocacy:referral_outcome", kwargs={"ws": "alpha", "pk": referral.pk}),
        {"outcome": "won", "value": "12000"},
    )
    referral.refresh_from_db()
    assert (referral.outcome, referral.value) == ("won", Decimal("12000.00"))
    for bad in ("abc", "-5", "NaN", "1e20"):
        client.post(
            reverse("advocacy:reward_create", kwargs={"ws": "alpha"}),
            {"contact": contact.pk, "description": "Gift", "amount": bad},
        )
    assert Reward.objects.count() == 0
    client.post(
        reverse("advocacy:reward_create", kwargs={"ws": "alpha"}),
        {"contact": contact.pk, "description": "Gift card", "amount": "50", "referral": referral.pk},
    )
    assert queries.rewards_total(world.alpha) == Decimal("50.00")
    page = client.get(reverse("advocacy:referrals", kwargs={"ws": "alpha"}))
    assert b"Newco" in page.content and b"Gift card" in page.content


def test_case_study_candidates_need_high_arr_and_several_positive_items(world: World) -> None:
    nps = make_survey(world.alpha, "nps", shareable=True)
    csat = make_survey(world.alpha, "csat", shareable=True)
    _answer(world, "a@bigfan.test", 10, arr=120000, survey=nps)
    _answer(world, "a@bigfan.test", 5, arr=120000, survey=csat)
    _answer(world, "b@smallfan.test", 10, arr=2000, survey=nps)
    _answer(world, "b@smallfan.test", 5, arr=2000, survey=csat)
    _answer(world, "c@onceonly.test", 9, arr=90000, survey=nps)
    rows = queries.case_study_candidates(world.alpha)
    assert [(r["account"].domain, r["positive"]) for r in rows] == [("bigfan.test", 2)]
    page = world.client_for(world.vera).get(reverse("advocacy:candidates", kwargs={"ws": "alpha"}))
    assert b"Bigfan" in page.content and b"Smallfan" not in page.content


def test_api_asks_and_scoping(world: World) -> None:
    contact = make_contact(world.alpha, "pia@happy.test")
    foreign = make_contact(world.bravo, "x@bravo-co.test")
    token = make_token(world.alpha, world.alice)
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    made = client.post(
        "/api/advocacy/asks",
        json.dumps({"contact_id": contact.pk, "kind": "reference"}),
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    refused = client.post(
        "/api/advocacy/asks",
        json.dumps({"contact_id": foreign.pk, "kind": "reference"}),
        content_type="application/json",
    )
    assert refused.status_code == 422
    Ask.objects.create(workspace=world.bravo, contact=foreign, kind="review")
    assert len(client.get("/api/advocacy/asks").json()) == 1
    patched = client.patch(
        f"/api/advocacy/asks/{made.json()['id']}",
        json.dumps({"status": "agreed", "consent_scope": "Name", "consent_where": "Calls"}),
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["consent_given_at"]
