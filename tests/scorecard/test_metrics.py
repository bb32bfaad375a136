"""Each scorecard metric against its hand-computed value on the constructed dataset (conftest.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from harken.scorecard import metrics
from harken.scorecard.metrics import Scope
from harken.scorecard.talk import name_pattern, why_customer
from tests.base import World
from tests.scorecard.conftest import Data

EXPECTED = {
    "conversations": 1 / 3,
    "sla": 1 / 3,
    "decided": 3 / 5,
    "time_to_decision": 2.0,
    "promises_kept": 1 / 3,
    "notices_in_time": 1 / 2,
    "evidence": 1 / 2,
    "talk": 3 / 5,
}


def _values(scope: Scope, now: object) -> dict[str, float | None]:
    return {c.key: c.value for c in metrics.scorecard(scope, now)}  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["team", "line", "pm"])
def test_every_metric_matches_the_hand_computed_value(scorecard_data: Data, kind: str) -> None:
    w = scorecard_data.world
    scope = Scope(w.alpha, kind, line=w.alpha_line if kind == "line" else None, user=w.bob if kind == "pm" else None)
    values = _values(scope, scorecard_data.now)
    for key, expected in EXPECTED.items():
        assert values[key] == pytest.approx(expected, abs=1e-3), key
    assert values["survey"] is None


def test_another_pm_sees_only_their_own_work(scorecard_data: Data) -> None:
    w = scorecard_data.world
    values = _values(Scope(w.alpha, "pm", user=w.alice), scorecard_data.now)
    # alice manages no line, is assigned nothing, made no promise, owns no item, wrote nothing
    assert values == {k: None for k in values}


def test_survey_seam_says_no_survey_data_yet(scorecard_data: Data) -> None:
    card = next(c for c in metrics.scorecard(Scope(scorecard_data.world.alpha)) if c.key == "survey")
    assert card.value is None and card.detail == "No survey data yet" and not card.enough_for_trend


def test_survey_provider_seam_is_used(scorecard_data: Data, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "survey_providers", lambda: [lambda *a: metrics.Reading(42.0, 10, 20)])
    card = next(c for c in metrics.scorecard(Scope(scorecard_data.world.alpha)) if c.key == "survey")
    assert card.value == 42.0 and card.status == "good"


def test_trends_and_not_enough_data(scorecard_data: Data) -> None:
    w = scorecard_data.world
    cards = {c.key: c for c in metrics.scorecard(Scope(w.alpha), scorecard_data.now)}
    conv = cards["conversations"]
    # last 4-week period: 3 conversations on the pair over 4 weeks; the one before: 1 (attended)
    assert conv.trend[-1][1] == pytest.approx(3 / 4, abs=1e-3)
    assert conv.trend[-2][1] == pytest.approx(1 / 4, abs=1e-3)
    # periods ending before the first conversation have no value (not a run of zeros)
    assert conv.trend[0][1] is None
    assert conv.enough_for_trend and conv.chart is not None
    # everything else happened in the last period only: not enough for a trend
    assert not cards["sla"].enough_for_trend and cards["sla"].chart is None
    # a workspace with nothing at all: no values, no trends
    empty = metrics.scorecard(Scope(w.bravo))
    assert all(not c.enough_for_trend for c in empty)


def test_status_and_action(scorecard_data: Data) -> None:
    cards = {c.key: c for c in metrics.scorecard(Scope(scorecard_data.world.alpha), scorecard_data.now)}
    assert cards["sla"].status == "bad" and "triage" in cards["sla"].action
    assert cards["time_to_decision"].status == "good" and cards["time_to_decision"].action == "Keep it up."
    assert cards["conversations"].status == "bad"  # 1/3 a week against a target of 3


def test_talk_index_method() -> None:
    names = name_pattern(["Acme Corp", "Jo", "Pat Smith"])
    assert why_customer("Customer wants CSV", names) == "cue: customer"
    assert why_customer("Acme Corp needs audit logs", names) == "name: Acme Corp"
    assert why_customer('She said "we do this by hand"', names) == "quote"
    assert why_customer('Rename to "v2"', names) == ""  # a short quote is not the customer's words
    assert why_customer("Jo fixed CI", names) == ""  # names under 3 characters are ignored
    assert why_customer("Refactor the userspace driver", names) == ""  # whole words only
    assert why_customer("Fix CI before the release", None) == ""


def test_scopes_list_team_lines_and_pms(world: World) -> None:
    world.alpha_line.managers.add(world.bob)
    keys = [s.key for s in metrics.scopes(world.alpha)]
    assert keys == ["team", "line:mobile", f"pm:{world.bob.pk}"]
    with pytest.raises(LookupError):
        metrics.scope_for(world.alpha, "line:web")  # Bravo's line


def test_weeks_start_on_monday_in_the_pms_time_zone(world: World) -> None:
    """Periods start Monday 00:00 in the PM's zone (Tokyo, UTC+9) and in the workspace's (UTC) for the team.

    W = Monday 00:00 in Tokyo (Sunday 15:00 UTC); now = W + 2 days, so the last period starts at
    W − 4 weeks in Tokyo, and at W − 4 weeks + 9 hours for the team. A call at Sunday 23:30 Tokyo
    (W − 4 weeks − 30 min) and one at Monday 00:30 Tokyo (W − 4 weeks + 30 min) fall in different
    Tokyo periods but, both before Monday 00:00 UTC, in the same UTC period."""
    from zoneinfo import ZoneInfo

    from harken.conversations.models import Conversation, MemberPreference

    tokyo = ZoneInfo("Asia/Tokyo")
    world.alpha_line.managers.add(world.bob)
    MemberPreference.objects.create(workspace=world.alpha, user=world.bob, time_zone="Asia/Tokyo")
    today = timezone.now().astimezone(tokyo).date()
    monday = dt.datetime.combine(today - dt.timedelta(days=today.weekday() + 7), dt.time(0, 0), tzinfo=tokyo)
    now = monday + dt.timedelta(days=2)
    boundary = monday - dt.timedelta(weeks=4)
    for moment in (boundary - dt.timedelta(minutes=30), boundary + dt.timedelta(minutes=30)):
        Conversation.objects.create(
            workspace=world.alpha, title="c", happened_at=moment, owner=world.bob, product_line=world.alpha_line
        )
    pm, team = Scope(world.alpha, "pm", user=world.bob), Scope(world.alpha)
    assert metrics.scope_zone(pm) == tokyo and metrics.scope_zone(team) == ZoneInfo("UTC")

    def counts(scope: Scope) -> list[float]:
        return [
            metrics.conversations(scope, s, e, now).numerator
            for s, e in metrics.periods(now, metrics.scope_zone(scope))
        ]

    assert counts(pm)[-2:] == [1, 1]  # Sunday 23:30 in the period before, Monday 00:30 in the last
    assert counts(team)[-2:] == [2, 0]  # both on Sunday in UTC
    pm_periods = metrics.periods(now, tokyo)
    assert pm_periods[-1] == (boundary, now) and pm_periods[-2][0] == boundary - dt.timedelta(weeks=4)
    assert all(s.astimezone(tokyo).weekday() == 0 and s.astimezone(tokyo).hour == 0 for s, _ in pm_periods)
    # the card's trend labels are the local Mondays
    card = next(c for c in metrics.scorecard(pm, now) if c.key == "conversations")
    assert card.trend[-1][0] == boundary.date().isoformat()
    assert metrics.periods(now, ZoneInfo("UTC"))[-1][0] == boundary + dt.timedelta(hours=9)
