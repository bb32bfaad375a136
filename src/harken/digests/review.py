"""The monthly raw-data review pack: verbatims sampled per theme and segment, with counts and changes.

Sampling: for each theme (the month's 10 largest, plus "No theme") and each segment (the account's
segment field, "No segment" without one), up to `PER_CELL` items are drawn with a random generator
seeded by the workspace and month, so everyone who opens the pack reads the same verbatims and the
CSV matches the page. Counts compare the month with the previous one. Reads only.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections import Counter, defaultdict
from typing import Any

from django.core.exceptions import FieldError
from django.db.models import QuerySet

from harken.core.charts import delta, hbar_rows
from harken.digests.digest import zone
from harken.workspaces.models import Workspace

PER_CELL = 3
MAX_THEMES = 10
NO_THEME = "No theme"
NO_SEGMENT = "No segment"


def parse_month(value: str, today: dt.date) -> dt.date:
    """'2026-10' → 2026-10-01; empty or unreadable → the previous month."""
    try:
        year, month = (int(p) for p in value.split("-")[:2])
        return dt.date(year, month, 1)
    except (ValueError, TypeError):
        first = today.replace(day=1)
        return (first - dt.timedelta(days=1)).replace(day=1)


def local_today(workspace: Workspace, now: dt.datetime | None = None) -> dt.date:
    """Today in the workspace's time zone, on the given clock (default: now)."""
    from django.utils import timezone

    return (now or timezone.now()).astimezone(zone(workspace)).date()


def last_month(workspace: Workspace, now: dt.datetime | None = None) -> dt.date:
    """The first day of the month before the workspace-local month of `now`: the pack's default."""
    return parse_month("", local_today(workspace, now))


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def previous_month(month: dt.date) -> dt.date:
    return (month - dt.timedelta(days=1)).replace(day=1)


def _range(workspace: Workspace, month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = zone(workspace)
    return (
        dt.datetime.combine(month, dt.time(0, 0), tzinfo=tz),
        dt.datetime.combine(next_month(month), dt.time(0, 0), tzinfo=tz),
    )


def _items(workspace: Workspace, month: dt.date) -> QuerySet[Any]:
    start, end = _range(workspace, month)
    return workspace.feedback_items.filter(received_at__gte=start, received_at__lt=end, merged_into__isnull=True)


def _theme_of(rows: list[dict[str, Any]]) -> None:
    for r in rows:
        r["theme"] = r.pop("theme_assignment__theme__name", None) or NO_THEME
        r["segment"] = r.pop("account__segment", None) or NO_SEGMENT


def _rows(qs: QuerySet[Any], fields: tuple[str, ...]) -> list[dict[str, Any]]:
    try:
        rows = list(qs.values(*fields, "theme_assignment__theme__name"))
    except FieldError:  # insight not installed: no themes
        rows = list(qs.values(*fields))
    _theme_of(rows)
    return rows


def pack(workspace: Workspace, month: dt.date) -> dict[str, Any]:
    fields = ("pk", "received_at", "text", "channel", "author_name", "account__name", "account__segment")
    now_rows = _rows(_items(workspace, month), fields)
    prev_rows = _rows(_items(workspace, previous_month(month)), ("pk", "account__segment"))
    theme_now, theme_prev = Counter(r["theme"] for r in now_rows), Counter(r["theme"] for r in prev_rows)
    seg_now, seg_prev = Counter(r["segment"] for r in now_rows), Counter(r["segment"] for r in prev_rows)
    top_themes = [t for t, _ in theme_now.most_common() if t != NO_THEME][:MAX_THEMES]
    if theme_now.get(NO_THEME):
        top_themes.append(NO_THEME)

    cells: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in now_rows:
        cells[(r["theme"], r["segment"])].append(r)
    rng = random.Random(f"{workspace.pk}:{month:%Y-%m}")
    samples = []
    for theme in top_themes:
        groups = []
        for segment in sorted({s for (t, s) in cells if t == theme}):
            members = sorted(cells[(theme, segment)], key=lambda r: r["pk"])
            picked = rng.sample(members, min(PER_CELL, len(members)))
            groups.append(
                {"segment": segment, "count": len(members), "items": sorted(picked, key=lambda r: r["received_at"])}
            )
        samples.append(
            {
                "theme": theme,
                "count": theme_now[theme],
                "previous": theme_prev.get(theme, 0),
                "delta": delta(theme_now[theme], theme_prev.get(theme, 0), higher_is_good=None, period="last month"),
                "groups": groups,
            }
        )
    themes_table = [
        {
            "label": t,
            "value": theme_now.get(t, 0),
            "previous": theme_prev.get(t, 0),
            "change": theme_now.get(t, 0) - theme_prev.get(t, 0),
            "display": f"{theme_now.get(t, 0)} (was {theme_prev.get(t, 0)})",
        }
        for t in sorted(set(theme_now) | set(theme_prev), key=lambda t: (-theme_now.get(t, 0), t))
    ]
    segments_table = [
        {
            "label": s,
            "value": seg_now.get(s, 0),
            "previous": seg_prev.get(s, 0),
            "change": seg_now.get(s, 0) - seg_prev.get(s, 0),
            "display": f"{seg_now.get(s, 0)} (was {seg_prev.get(s, 0)})",
        }
        for s in sorted(set(seg_now) | set(seg_prev), key=lambda s: (-seg_now.get(s, 0), s))
    ]
    return {
        "month": month,
        "previous_month": previous_month(month),
        "next_month": next_month(month),
        "total": len(now_rows),
        "previous_total": len(prev_rows),
        "total_delta": delta(len(now_rows), len(prev_rows), higher_is_good=None, period="last month"),
        "themes": hbar_rows(themes_table) if themes_table else [],
        "segments": hbar_rows(segments_table) if segments_table else [],
        "samples": samples,
        "sampled": sum(len(g["items"]) for s in samples for g in s["groups"]),
        "signoffs": list(
            workspace.review_signoffs.filter(month=month).select_related("user")  # type: ignore[attr-defined]
        ),
    }


def to_csv(data: dict[str, Any]) -> str:
    """Counts (per theme, per segment) then the sampled verbatims, one CSV with a `section` column."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "section",
            "theme",
            "segment",
            "this_month",
            "previous_month",
            "change",
            "feedback_id",
            "received_at",
            "account",
            "channel",
            "verbatim",
        ]
    )
    writer.writerow(
        [
            "total",
            "",
            "",
            data["total"],
            data["previous_total"],
            data["total"] - data["previous_total"],
            "",
            "",
            "",
            "",
            "",
        ]
    )
    for row in data["themes"]:
        writer.writerow(
            ["theme_count", row["label"], "", row["value"], row["previous"], row["change"], "", "", "", "", ""]
        )
    for row in data["segments"]:
        writer.writerow(
            ["segment_count", "", row["label"], row["value"], row["previous"], row["change"], "", "", "", "", ""]
        )
    for theme in data["samples"]:
        for group in theme["groups"]:
            for item in group["items"]:
                writer.writerow(
                    [
                        "verbatim",
                        theme["theme"],
                        group["segment"],
                        "",
                        "",
                        "",
                        item["pk"],
                        item["received_at"].isoformat(),
                        item.get("account__name") or "",
                        item["channel"],
                        _safe_cell(item["text"]),
                    ]
                )
    return out.getvalue()


def _safe_cell(text: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: customer text must never execute."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
