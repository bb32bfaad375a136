from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from harken.customers.models import Account
from harken.insight.themes import trends
from harken.insight.themes.models import Theme, ThemeAssignment, TrendAlert

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 26)  # a Thursday: the recent window is the two weeks ending Sunday Nov 22


def place(theme: Theme, weekly: list[int], accounts: list[Account] | None = None) -> None:
    """`weekly[i]` items in week i of the 14 weeks before this week (oldest first)."""
    from harken.feedback.models import Feedback

    baseline_start, _, _ = trends.window(TODAY)
    n = 0
    for week, count in enumerate(weekly):
        for k in range(count):
            day = baseline_start + dt.timedelta(weeks=week, days=k % 7)
            account = accounts[n % len(accounts)] if accounts else None
            item = Feedback.objects.create(
                workspace=theme.workspace,
                text=f"{theme.name} {n}",
                account=account,
                received_at=timezone.make_aware(dt.datetime.combine(day, dt.time(12))),
            )
            ThemeAssignment.objects.create(workspace=theme.workspace, feedback=item, theme=theme)
            n += 1


def test_poisson_rate_test() -> None:
    ratio, p = trends.poisson_rate_test(20, 24)  # 10/week vs 2/week
    assert ratio == pytest.approx(5.0) and p < 1e-6
    ratio, p = trends.poisson_rate_test(4, 24)  # exactly the baseline rate
    assert ratio == pytest.approx(1.0) and p > 0.3
    assert trends.poisson_rate_test(0, 0) == (0.0, 1.0)


def test_benjamini_hochberg() -> None:
    q = trends.benjamini_hochberg([0.01, 0.04, 0.03, 0.5])
    assert q == pytest.approx([0.04, 0.0533333, 0.0533333, 0.5], rel=1e-4)
    assert trends.benjamini_hochberg([]) == []


def test_spike_is_flagged_and_noise_is_not(world) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(7)
    spike = Theme.objects.create(workspace=world.alpha, name="Spike")
    place(spike, [2] * 12 + [9, 11])
    quiet = []
    for i in range(8):  # stable themes with Poisson noise around 3/week
        t = Theme.objects.create(workspace=world.alpha, name=f"Noise {i}")
        place(t, rng.poisson(3, 14).tolist())
        quiet.append(t)
    alerts = trends.detect_trends(world.alpha, today=TODAY)
    assert {(a.theme_id, a.metric) for a in alerts} == {(spike.pk, "volume")}
    alert = alerts[0]
    assert alert.recent == 20 and alert.baseline == 24 and alert.ratio == pytest.approx(5.0) and alert.q_value < 0.05
    assert alert.window_start == dt.date(2026, 11, 9) and alert.window_end == dt.date(2026, 11, 22)
    assert trends.detect_trends(world.alpha, today=TODAY) == []  # once per window
    assert list(trends.digest_alerts(world.alpha, timezone.now() - dt.timedelta(days=7))) == [alert]


def test_rise_in_distinct_accounts_is_flagged(world) -> None:  # type: ignore[no-untyped-def]
    accounts = [Account.objects.create(workspace=world.alpha, name=f"Acme {i}") for i in range(12)]
    theme = Theme.objects.create(workspace=world.alpha, name="Accounts")
    place(theme, [1] * 12, accounts[:1])  # one account, one item a week
    place(theme, [0] * 12 + [6, 6], accounts)
    tests = {t.metric: t for t in trends.rate_tests(world.alpha, today=TODAY)}
    assert tests["accounts"].recent == 12 and tests["accounts"].baseline == 12 and tests["accounts"].flagged


def test_small_counts_are_not_flagged(world) -> None:  # type: ignore[no-untyped-def]
    theme = Theme.objects.create(workspace=world.alpha, name="New and tiny")
    place(theme, [0] * 12 + [2, 2])  # infinite ratio, but only 4 items
    assert trends.detect_trends(world.alpha, today=TODAY) == []


def test_signal_is_sent_after_commit(world, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    received = []

    def listener(sender, alert, workspace, **kwargs):  # type: ignore[no-untyped-def]
        received.append((alert.pk, workspace.pk))

    trends.trend_detected.connect(listener)
    try:
        theme = Theme.objects.create(workspace=world.alpha, name="Spike")
        place(theme, [1] * 12 + [10, 10])
        with django_capture_on_commit_callbacks(execute=True):
            alerts = trends.detect_trends(world.alpha, today=TODAY)
    finally:
        trends.trend_detected.disconnect(listener)
    assert received == [(alerts[0].pk, world.alpha.pk)]
    assert TrendAlert.objects.filter(workspace=world.bravo).count() == 0


def test_daily_job_is_declared_and_runs(world) -> None:  # type: ignore[no-untyped-def]
    from harken.core import scheduling
    from harken.insight.themes.tasks import detect_all_trends

    scheduling.autodiscover()
    job = next(j for j in scheduling.jobs() if j.name == "insight.detect_trends")
    assert job.cron == "0 6 * * *"
    assert detect_all_trends.call() == 0


def test_trends_page_explains_the_test(world) -> None:  # type: ignore[no-untyped-def]
    theme = Theme.objects.create(workspace=world.alpha, name="Spike")
    place(theme, [1] * 12 + [10, 10])
    trends.detect_trends(world.alpha, today=TODAY)
    page = world.client_for(world.vera).get("/w/alpha/insight/trends/").content.decode()
    assert "Benjamini" in page and "Spike" in page
