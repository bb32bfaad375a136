"""The scorecard on the demo workspace: every metric has a value; the ones fed by a year of demo
conversations, roadmap promises and evidence, survey answers and chat exports also have a trend."""

from __future__ import annotations

from typing import Any

import pytest

from harken.demo import load_demo
from harken.scorecard import metrics

pytestmark = pytest.mark.django_db

#: Every metric: the demos date conversations, roadmap, surveys and self-assessments, and the triage
#: story dates decisions and replies over the year, so each one has a trend, not just a value.
DATED_HERE = [m.key for m in metrics.METRICS]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_every_metric_has_a_value_and_a_trend_on_the_demo() -> None:
    ws = load_demo(items=200).workspace
    cards = {c.key: c for c in metrics.scorecard(metrics.Scope(ws))}
    assert set(cards) == {m.key for m in metrics.METRICS}
    missing = [key for key, c in cards.items() if c.value is None]
    assert not missing, missing
    flat = [key for key in DATED_HERE if not cards[key].enough_for_trend]
    assert not flat, {key: cards[key].trend for key in flat}
    # the trends go back further than the last period: several periods carry a value
    for key in DATED_HERE:
        assert sum(v is not None for _, v in cards[key].trend) >= 4, (key, cards[key].trend)
    survey = cards["survey"]
    assert survey.display.startswith("NPS ") and "CSAT" in survey.detail
    # promises: kept on time and late; notices before and after the date
    assert 0 < cards["promises_kept"].value < 1 and 0 < cards["notices_in_time"].value <= 1  # type: ignore[operator]
    # every PM and product line gets the survey card from the answers of their lines
    for scope in metrics.scopes(ws)[1:]:
        card = next(c for c in metrics.scorecard(scope) if c.key == "survey")
        assert card.value is not None, scope.key
