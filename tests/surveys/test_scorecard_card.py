"""The scorecard's NPS / CSAT card from survey answers: hand-computed values per scope, trend, action."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from harken.scorecard import metrics
from harken.scorecard.metrics import Scope
from harken.surveys import actions
from harken.surveys.models import Response, Survey
from harken.surveys.scorecard import survey_reading
from tests.base import World
from tests.surveys.helpers import make_contact, make_survey

pytestmark = pytest.mark.django_db


def _answer(survey: Survey, score: int, days_ago: float, now: dt.datetime, email: str) -> Response:
    contact = make_contact(survey.workspace, email)
    return actions.record_answer(
        survey, score=score, email=contact.email, answered_at=now - dt.timedelta(days=days_ago)
    )


def _monday(now: dt.datetime) -> dt.datetime:
    day = now.date() - dt.timedelta(days=now.weekday())
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=dt.UTC)


@pytest.fixture
def answered(world: World) -> tuple[World, dt.datetime]:
    """Alpha, Mobile managed by bob. Base: this week's Monday 00:00 UTC (12 weeks = 84 days back).

    NPS, line Mobile, last 28 days: 10, 9, 8, 3, 6   → 2 promoters, 2 detractors of 5   = NPS 0
    NPS, no line, last 28 days:     10, 10, 9        → (team only)
    NPS, line Mobile, 28–56 days:   10, 2            → 1 promoter, 1 detractor of 2     = NPS 0
    NPS, line Mobile, 200 days ago: 0                → outside window and trend
    team, 12 weeks: promoters 10, 9, 10 (30 days), 10, 10, 9 = 6; detractors 3, 6, 2 = 3; n = 10 → NPS +30
    line/PM, 12 weeks: promoters 3 (10,9,10), detractors 3 (3,6,2), n = 7                → NPS 0
    CSAT (threshold 4), no line, last 28 days: 5, 4, 3, 2 → 2 of 4 satisfied           = 50 %
    """
    w = world
    w.alpha_line.managers.add(w.bob)
    base = _monday(timezone.now())
    line_nps = make_survey(w.alpha, "nps", product_line=w.alpha_line)
    team_nps = make_survey(w.alpha, "nps")
    csat = make_survey(w.alpha, "csat")
    n = iter(range(1000))
    for score, days in [(10, 1), (9, 2), (8, 3), (3, 4), (6, 5), (10, 30), (2, 40), (0, 200)]:
        _answer(line_nps, score, days, base, f"l{next(n)}@line.test")
    for score in (10, 10, 9):
        _answer(team_nps, score, 3, base, f"t{next(n)}@team.test")
    for score in (5, 4, 3, 2):
        _answer(csat, score, 6, base, f"c{next(n)}@csat.test")
    # Bravo's answers never count for Alpha
    _answer(make_survey(w.bravo, "nps"), 0, 1, base, "x@bravo.test")
    return w, base


def _card(scope: Scope, now: dt.datetime) -> metrics.Card:
    return next(c for c in metrics.scorecard(scope, now) if c.key == "survey")


def test_team_card_is_nps_with_csat_beside_it(answered: tuple[World, dt.datetime]) -> None:
    w, base = answered
    card = _card(Scope(w.alpha), base)
    assert card.value == pytest.approx(30.0)
    assert card.display == "NPS +30" and card.status == "good"
    assert "from 10 answers" in card.detail and "CSAT 50 % from 4" in card.detail
    assert card.action.startswith("Ask the promoters (6)")
    # trend: the last period 5 promoters, 2 detractors of 8 (NPS +37.5); the one before 1 and 1 of 2 (0)
    assert card.trend[-1][1] == pytest.approx(37.5) and card.trend[-2][1] == pytest.approx(0.0)
    assert card.enough_for_trend and card.chart is not None


@pytest.mark.parametrize("kind", ["line", "pm"])
def test_line_and_pm_count_the_lines_answers(answered: tuple[World, dt.datetime], kind: str) -> None:
    w, base = answered
    scope = Scope(w.alpha, kind, line=w.alpha_line if kind == "line" else None, user=w.bob if kind == "pm" else None)
    card = _card(scope, base)
    assert card.value == pytest.approx(0.0) and card.status == "watch"  # target +30, watch from 0
    assert "from 7 answers" in card.detail
    assert card.action.startswith("Call back the detractors (3)")
    # the last period: 2 promoters, 2 detractors of 5 → 0; the one before: 1 and 1 of 2 → 0
    assert [v for _, v in card.trend[-2:]] == [pytest.approx(0.0), pytest.approx(0.0)]


def test_a_pm_without_a_line_and_a_workspace_without_answers(answered: tuple[World, dt.datetime]) -> None:
    w, base = answered
    assert _card(Scope(w.alpha, "pm", user=w.alice), base).value is None
    assert survey_reading(Scope(w.alpha, "pm", user=w.alice), base - dt.timedelta(days=84), base, base) is None
    empty = _card(Scope(w.bravo), base)
    assert empty.value == pytest.approx(-100.0)  # Bravo: one detractor, its own answers only


def test_csat_only_scope_falls_back_to_csat_with_its_own_target(world: World) -> None:
    base = _monday(timezone.now())
    csat = make_survey(world.alpha, "csat", csat_satisfied_from=5)
    for i, score in enumerate((5, 5, 4, 1)):
        _answer(csat, score, 2 + i, base, f"c{i}@csat.test")
    card = _card(Scope(world.alpha), base)
    # threshold 5: only the two 5s are satisfied → 50 %, below the CSAT target of 80 % and watch of 60 %
    assert card.value == pytest.approx(50.0) and card.display == "CSAT 50 %"
    assert card.status == "bad" and card.target == "target CSAT ≥ 80 %"
    assert "unsatisfied answers (2)" in card.action


def test_only_current_answers_count(answered: tuple[World, dt.datetime]) -> None:
    w, base = answered
    survey = Survey.objects.get(workspace=w.bravo)
    invited = Response.objects.get(survey=survey)
    # the same person answers again: last answer wins (0 → 10), the first stays as history
    actions.record_answer(survey, score=10, email=invited.email, answered_at=base - dt.timedelta(hours=1))
    assert _card(Scope(w.bravo), base).value == pytest.approx(100.0)
