"""Server-side chart geometry: services call these, templates/partials/*.html draw SVG."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def bar_chart(
    points: Sequence[tuple[str, float]],
    title: str,
    *,
    width: int = 640,
    height: int = 180,
    caption: str = "",
    label_every: int | None = None,
) -> dict[str, Any]:
    left, top, bottom = 28, 16, 22
    baseline = height - bottom
    usable_h = baseline - top
    count = max(len(points), 1)
    slot = (width - left) / count
    max_value = max((v for _, v in points), default=0) or 1
    every = label_every or max(1, count // 12)
    bars = []
    for i, (label, value) in enumerate(points):
        h = usable_h * (value / max_value)
        bars.append(
            {
                "x": round(left + i * slot + slot * 0.15, 1),
                "w": round(slot * 0.7, 1),
                "y": round(baseline - h, 1),
                "h": round(h, 1),
                "cx": round(left + i * slot + slot / 2, 1),
                "label": label,
                "short_label": label[-5:] if len(label) > 7 else label,
                "value": value,
                "show_label": i % every == 0,
            }
        )
    return {
        "title": title,
        "caption": caption,
        "width": width,
        "height": height,
        "left": left,
        "baseline": baseline,
        "label_y": height - 6,
        "max_value": round(max_value, 1) if isinstance(max_value, float) else max_value,
        "bars": bars,
    }


def hbar_rows(rows: Sequence[dict[str, Any]], value_key: str = "value") -> list[dict[str, Any]]:
    """Add `pct` (share of the largest value) to each row for partials/hbars.html."""
    top = max((float(r[value_key]) for r in rows), default=0) or 1
    return [{**r, "pct": round(100 * float(r[value_key]) / top, 1)} for r in rows]
