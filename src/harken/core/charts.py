"""Server-side chart geometry: services call these, templates/partials/*.html draw SVG."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any


def nice_ticks(max_value: float, count: int = 4, *, integer: bool = False) -> list[float]:
    """Round axis ticks (0, 5, 10, ...) covering max_value, so gridlines land on readable numbers."""
    if max_value <= 0:
        return [0, 1]
    raw = max_value / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if integer and step % 1:
        step = max(1, math.ceil(step))
    ticks = [0.0]
    while ticks[-1] < max_value:
        ticks.append(round(ticks[-1] + step, 10))
    return [int(t) if float(t).is_integer() else t for t in ticks]


def _fmt(value: float) -> str:
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    if abs(value) >= 1_000:
        return f"{value / 1000:.1f}k".replace(".0k", "k")
    return f"{value:g}" if isinstance(value, float) else str(value)


def _as_date(label: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(label) if len(label) == 10 else None
    except ValueError:
        return None


def _axis_labels(labels: Sequence[str], every: int | None) -> tuple[list[str], list[bool], list[str]]:
    """Short labels, which to show, and tooltip labels. ISO dates get month names, shown where a month starts."""
    dates = [_as_date(label) for label in labels]
    if labels and all(dates):
        days = [d for d in dates if d]
        gap = (days[1] - days[0]).days if len(days) > 1 else 0
        weekly, monthly = gap == 7, 28 <= gap <= 31
        short, show, tips = [], [], []
        previous_month = None
        for i, d in enumerate(days):
            month = (d.year, d.month)
            starts_month = month != previous_month and (i > 0 or d.day <= 7)
            previous_month = month
            name = d.strftime("%b")
            if monthly:
                short.append(f"{name} ’{d:%y}" if d.month == 1 or i == 0 else name)
                show.append(i % (every or max(1, math.ceil(len(days) / 12))) == 0)
                tips.append(d.strftime("%B %Y"))
                continue
            short.append(f"{name} {d.year}" if d.month == 1 or i == 0 else name)
            show.append(starts_month if every is None or len(days) > 14 else i % every == 0)
            tips.append(f"Week of {name} {d.day}, {d.year}" if weekly else f"{name} {d.day}, {d.year}")
        return short, show, tips
    step = every or max(1, math.ceil(len(labels) / 12))
    short = [label[-5:] if len(label) > 7 else label for label in labels]
    return short, [i % step == 0 for i in range(len(labels))], list(labels)


def bar_chart(
    points: Sequence[tuple[str, float]],
    title: str,
    *,
    width: int = 640,
    height: int = 180,
    caption: str = "",
    label_every: int | None = None,
    unit: str = "",
    min_top: float = 0,
) -> dict[str, Any]:
    """Vertical bars with a rounded y axis, gridlines and month labels for ISO-date points.

    `min_top`: the y axis reaches at least this value (e.g. so a reference band drawn over the bars fits)."""
    max_value = max((v for _, v in points), default=0) or 1
    ticks = nice_ticks(float(max(max_value, min_top)), integer=all(isinstance(v, int) for _, v in points))
    top_tick = ticks[-1] or 1
    left = max(32, 14 + 8 * max(len(_fmt(t)) for t in ticks))
    top, bottom, right = 10, 24, 4
    baseline = height - bottom
    usable_h = baseline - top
    count = max(len(points), 1)
    slot = (width - left - right) / count
    bar_w = min(slot * 0.72, 44)
    short, show, tips = _axis_labels([label for label, _ in points], label_every)
    bars = []
    for i, (label, value) in enumerate(points):
        h = usable_h * (value / top_tick)
        cx = left + i * slot + slot / 2
        bars.append(
            {
                "x": round(cx - bar_w / 2, 1),
                "w": round(bar_w, 1),
                "y": round(baseline - h, 1),
                "h": round(h, 1),
                "cx": round(cx, 1),
                # a transparent hit area the full height of the slot, so small bars still get a tooltip
                "hit_x": round(left + i * slot, 1),
                "hit_w": round(slot, 1),
                "label": label,
                "short_label": short[i],
                "tip": f"{tips[i]}: {_fmt(value) if isinstance(value, int | float) else value}{unit}",
                "value": value,
                "show_label": show[i],
            }
        )
    grid = [
        {"y": round(baseline - usable_h * (t / top_tick), 1), "label": f"{_fmt(t)}{unit if t else ''}"} for t in ticks
    ]
    return {
        "title": title,
        "caption": caption,
        "width": width,
        "height": height,
        "left": left,
        "top": top,
        "baseline": baseline,
        "label_y": height - 7,
        "max_value": round(max_value, 1) if isinstance(max_value, float) else max_value,
        "bars": bars,
        "grid": grid,
        "min_width": round(width * 0.6),
        "summary": _summary(points, unit),
        "top_tick": top_tick,
    }


def band(chart: dict[str, Any], low: float, high: float, mid: float | None = None) -> dict[str, Any]:
    """A horizontal reference band (e.g. a baseline's usual range) on a bar_chart()'s scale."""
    usable_h = chart["baseline"] - chart["top"]
    top_tick = chart["top_tick"] or 1

    def y(value: float) -> float:
        return round(chart["baseline"] - usable_h * min(max(value, 0.0), top_tick) / top_tick, 1)

    y_low, y_high = y(low), y(high)
    return {
        "x": chart["left"],
        "w": chart["width"] - chart["left"],
        "y": y_high,
        "h": round(max(y_low - y_high, 1.0), 1),
        "mid_y": y(mid) if mid is not None else None,
        "low": low,
        "high": high,
    }


def _summary(points: Sequence[tuple[str, float]], unit: str) -> str:
    """One sentence for screen readers: the range and the peak."""
    if not points:
        return "No data."
    peak_label, peak = max(points, key=lambda p: p[1])
    return f"{len(points)} values from {points[0][0]} to {points[-1][0]}; highest {_fmt(peak)}{unit} ({peak_label}), latest {_fmt(points[-1][1])}{unit}."


def line_chart(
    points: Sequence[tuple[str, float]],
    title: str,
    *,
    width: int = 640,
    height: int = 180,
    caption: str = "",
    label_every: int | None = None,
    unit: str = "",
) -> dict[str, Any]:
    """A line with a soft area under it; same axes and labels as bar_chart. Draw with partials/line_chart.html."""
    base = bar_chart(points, title, width=width, height=height, caption=caption, label_every=label_every, unit=unit)
    coords = [(bar["cx"], bar["y"]) for bar in base["bars"]]
    if coords:
        line = "M" + " L".join(f"{x},{y}" for x, y in coords)
        area = f"{line} L{coords[-1][0]},{base['baseline']} L{coords[0][0]},{base['baseline']} Z"
    else:
        line = area = ""
    return {**base, "line": line, "area": area, "dots": [{**bar, "cy": bar["y"]} for bar in base["bars"]]}


def sparkline(values: Sequence[float], *, width: int = 120, height: int = 32, title: str = "") -> dict[str, Any]:
    """A tiny trend line (no axes) for stat cards and table cells. Draw with partials/sparkline.html."""
    pad = 2
    vals = [float(v) for v in values] or [0.0]
    low, high = min(vals), max(vals)
    span = (high - low) or 1
    step = (width - 2 * pad) / max(len(vals) - 1, 1)
    coords = [
        (round(pad + i * step, 1), round(height - pad - (v - low) / span * (height - 2 * pad), 1))
        for i, v in enumerate(vals)
    ]
    line = "M" + " L".join(f"{x},{y}" for x, y in coords)
    area = f"{line} L{coords[-1][0]},{height} L{coords[0][0]},{height} Z"
    trend = "up" if vals[-1] > vals[0] else "down" if vals[-1] < vals[0] else "flat"
    return {
        "width": width,
        "height": height,
        "line": line,
        "area": area,
        "last_x": coords[-1][0],
        "last_y": coords[-1][1],
        "trend": trend,
        "title": title or f"Trend: {', '.join(_fmt(v) for v in vals)}",
    }


def delta(current: float, previous: float, *, higher_is_good: bool | None = True, period: str = "") -> dict[str, Any]:
    """Change vs the previous period for stat cards: direction, signed text and whether it is good news.

    higher_is_good=None for numbers where a change is news but neither good nor bad (e.g. feedback volume)."""
    diff = current - previous
    direction = "up" if diff > 0 else "down" if diff < 0 else "flat"
    if previous:
        text = f"{'+' if diff > 0 else '−' if diff < 0 else '±'}{abs(diff) / previous * 100:.0f}%"
    else:
        text = "new" if current else "±0%"
    if direction == "flat" or higher_is_good is None:
        tone = "neutral"
    else:
        tone = "good" if (direction == "up") == higher_is_good else "bad"
    arrow = {"up": "↑", "down": "↓", "flat": "→"}[direction]
    return {
        "direction": direction,
        "text": text,
        "arrow": arrow,
        "tone": tone,
        "previous": previous,
        "label": f"{arrow} {text}" + (f" vs {period}" if period else ""),
    }


def hbar_rows(rows: Sequence[dict[str, Any]], value_key: str = "value") -> list[dict[str, Any]]:
    """Add `pct` (share of the largest value) to each row for partials/hbars.html."""
    top = max((float(r[value_key]) for r in rows), default=0) or 1
    return [{**r, "pct": round(100 * float(r[value_key]) / top, 1)} for r in rows]
