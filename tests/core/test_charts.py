"""Chart geometry is computed server-side; these pin the parts people read (axes, labels, tooltips)."""

from __future__ import annotations

from harken.core import charts


def test_nice_ticks_are_round_and_cover_the_maximum() -> None:
    assert charts.nice_ticks(111) == [0, 50, 100, 150]
    assert charts.nice_ticks(9, integer=True) == [0, 3, 6, 9]
    assert charts.nice_ticks(0) == [0, 1]


def test_weekly_bars_get_month_labels_and_week_tooltips() -> None:
    chart = charts.bar_chart([("2025-12-01", 3), ("2025-12-08", 5), ("2026-01-05", 9)], "Per week")
    bars = chart["bars"]
    assert [b["short_label"] for b in bars if b["show_label"]] == ["Dec 2025", "Jan 2026"]
    assert bars[1]["tip"] == "Week of Dec 8, 2025: 5"
    assert [g["label"] for g in chart["grid"]] == ["0", "3", "6", "9"]
    # the tallest bar reaches the top gridline, bars never exceed their slot
    assert bars[2]["y"] == chart["grid"][-1]["y"]
    assert all(b["w"] <= b["hit_w"] for b in bars)


def test_monthly_bars_label_every_month_and_keep_plain_labels_working() -> None:
    chart = charts.bar_chart([("2025-12-01", 1), ("2026-01-01", 0)], "Per month")
    assert [b["short_label"] for b in chart["bars"]] == ["Dec \u201925", "Jan \u201926"]
    assert chart["bars"][0]["tip"] == "December 2025: 1"
    plain = charts.bar_chart([("Alice", 2.5), ("Bob", 1)], "Hours", unit="h")
    assert [b["short_label"] for b in plain["bars"]] == ["Alice", "Bob"]
    assert plain["bars"][0]["tip"] == "Alice: 2.5h"


def test_line_chart_and_sparkline_paths() -> None:
    line = charts.line_chart([("2026-01-05", 1), ("2026-01-12", 4)], "Trend")
    assert line["line"].startswith("M") and line["area"].endswith("Z") and len(line["dots"]) == 2
    spark = charts.sparkline([1, 5, 3], width=100, height=20)
    assert spark["trend"] == "up" and spark["line"].count("L") == 2
    assert charts.sparkline([])["trend"] == "flat"


def test_delta_direction_tone_and_text() -> None:
    assert charts.delta(12, 10)["text"] == "+20%" and charts.delta(12, 10)["tone"] == "good"
    assert charts.delta(8, 10, higher_is_good=False)["tone"] == "good"
    assert charts.delta(8, 10, higher_is_good=None)["tone"] == "neutral"
    assert charts.delta(5, 0)["text"] == "new"
    assert charts.delta(3, 3)["direction"] == "flat"
