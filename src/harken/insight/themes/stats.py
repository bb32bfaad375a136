"""Per-theme figures stored at write time (issue 15): what the theme list and the theme page show
in aggregate, without counting the themed items on every request.

Stored per workspace (models `ThemeStatsState`, `ThemeWeekCount`, `ThemeAccountCount`):

- items per (theme, week), weeks starting Monday in the workspace's time zone (the state's `zone`):
  the weekly series, and summed over all weeks the theme's size;
- items per (theme, account): distinct accounts, and their ARR and segments **read from the account**
  when shown, so an account's ARR or segment edit changes nothing stored and cannot go stale.

An item counts for the theme its assignment names (whatever the theme's status: the pages show
active themes only) unless it was merged into another item (`Feedback.merged_into`): it then
counts through its survivor, as the list page always did.

Maintained by the writes that change them, explicitly and in their transaction:

- `rebuild(workspace)`: the full recount, at the end of re-clustering's swap (same transaction),
  and `harken insight themestats` (repair; idempotent);
- `tracking(workspace, ids)`: around any other write that can change what these items contribute
  (theme assignment of new items, moves, theme merge/split, item deletion, duplicate merge/undo,
  an item's account change). It reads the items' contributions before and after and adds the
  difference, under the state row's lock, so concurrent writers of one workspace cannot both
  subtract the same "before".

Not stored, counted as before: anything under an evidence filter (segment, plan, dates…), and the
weekly series for a viewer whose time zone is not the workspace's (a member's own time zone):
`read_*` returns None and the caller counts from the items. Reads never write: a workspace
without a state row (never re-clustered since the migration) is counted from the items until
re-clustering or the repair command builds its figures.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from harken.insight.themes.models import ThemeAccountCount, ThemeAssignment, ThemeStatsState, ThemeWeekCount
from harken.workspaces.models import Workspace

__all__ = [
    "Stored",
    "compute",
    "differences",
    "lock",
    "read_summaries",
    "read_theme",
    "rebuild",
    "tracking",
    "zone_of",
]

Key = tuple[int, Any]  # (theme id, week date | account id)


def zone_of(workspace: Workspace) -> str:
    """The zone stored weeks are counted in: the workspace's (as pages show it by default)."""
    from harken.core.timezones import _zone

    zone = _zone(getattr(workspace, "timezone", ""))
    return str(zone) if zone is not None else str(settings.TIME_ZONE)


def _week(received: dt.datetime, zone: ZoneInfo) -> dt.date:
    day = timezone.localdate(received, zone)
    return day - dt.timedelta(days=day.weekday())


def _counted(workspace: Workspace, ids: Iterable[int] | None = None) -> Any:
    qs = ThemeAssignment.objects.filter(
        workspace=workspace, theme__isnull=False, feedback__merged_into__isnull=True
    ).order_by()
    if ids is not None:
        qs = qs.filter(feedback_id__in=list(ids))
    return qs


@dataclass
class Counts:
    weeks: Counter[Key] = field(default_factory=Counter)
    accounts: Counter[Key] = field(default_factory=Counter)


def compute(workspace: Workspace, zone: str | None = None) -> Counts:
    """The figures counted afresh from the items (grouped in the database)."""
    tz = ZoneInfo(zone or zone_of(workspace))
    qs = _counted(workspace)
    out = Counts()
    for theme_id, week, n in (
        qs.annotate(_w=TruncWeek("feedback__received_at", tzinfo=tz))
        .values("theme_id", "_w")
        .annotate(_n=Count("pk"))
        .values_list("theme_id", "_w", "_n")
    ):
        day = timezone.localdate(week, tz) if isinstance(week, dt.datetime) else week
        out.weeks[(theme_id, day)] += n
    for theme_id, account_id, n in (
        qs.filter(feedback__account__isnull=False)
        .values("theme_id", "feedback__account_id")
        .annotate(_n=Count("pk"))
        .values_list("theme_id", "feedback__account_id", "_n")
    ):
        out.accounts[(theme_id, account_id)] += n
    return out


def stored(workspace: Workspace) -> Counts:
    out = Counts()
    for theme_id, week, n in ThemeWeekCount.objects.filter(workspace=workspace).values_list(
        "theme_id", "week", "items"
    ):
        out.weeks[(theme_id, week)] = n
    for theme_id, account_id, n in ThemeAccountCount.objects.filter(workspace=workspace).values_list(
        "theme_id", "account_id", "items"
    ):
        out.accounts[(theme_id, account_id)] = n
    return out


def differences(workspace: Workspace) -> dict[str, dict[Key, tuple[int, int]]]:
    """Stored vs counted afresh, key → (stored, counted), where they differ (empty: all equal)."""
    state = ThemeStatsState.objects.filter(workspace=workspace).first()
    fresh = compute(workspace, state.zone if state else None)
    have = stored(workspace)
    out: dict[str, dict[Key, tuple[int, int]]] = {}
    for name in ("weeks", "accounts"):
        a, b = getattr(have, name), getattr(fresh, name)
        out[name] = {k: (a.get(k, 0), b.get(k, 0)) for k in set(a) | set(b) if a.get(k, 0) != b.get(k, 0)}
    return out


def lock(workspace: Workspace) -> ThemeStatsState | None:
    """The workspace's state row, locked until the end of the transaction (None: nothing stored)."""
    return ThemeStatsState.objects.select_for_update().filter(workspace=workspace).first()


def rebuild(workspace: Workspace) -> dict[str, int]:
    """Recount the workspace's figures from its items and store them (idempotent). Returns how many
    stored rows were wrong or missing before (0 after a correct maintenance)."""
    zone = zone_of(workspace)
    with transaction.atomic():
        state = lock(workspace)
        if state is None:
            state, _ = ThemeStatsState.objects.get_or_create(
                workspace=workspace, defaults={"zone": zone, "built_at": timezone.now()}
            )
            state = lock(workspace)
            assert state is not None
        fresh = compute(workspace, zone)
        have = stored(workspace) if state.zone == zone else Counts()
        changed = sum(
            1
            for name in ("weeks", "accounts")
            for k in set(getattr(have, name)) | set(getattr(fresh, name))
            if getattr(have, name).get(k, 0) != getattr(fresh, name).get(k, 0)
        )
        ThemeWeekCount.objects.filter(workspace=workspace).delete()
        ThemeAccountCount.objects.filter(workspace=workspace).delete()
        ThemeWeekCount.objects.bulk_create(
            [
                ThemeWeekCount(workspace=workspace, theme_id=t, week=w, items=n)
                for (t, w), n in fresh.weeks.items()
                if n
            ],
            batch_size=2000,
        )
        ThemeAccountCount.objects.bulk_create(
            [
                ThemeAccountCount(workspace=workspace, theme_id=t, account_id=a, items=n)
                for (t, a), n in fresh.accounts.items()
                if n
            ],
            batch_size=2000,
        )
        state.zone, state.built_at = zone, timezone.now()
        state.save(update_fields=["zone", "built_at", "updated_at"])
    return {"weeks": len(fresh.weeks), "accounts": len(fresh.accounts), "corrected": changed}


def _contributions(workspace: Workspace, ids: list[int], zone: ZoneInfo) -> Counts:
    out = Counts()
    for theme_id, account_id, received in _counted(workspace, ids).values_list(
        "theme_id", "feedback__account_id", "feedback__received_at"
    ):
        out.weeks[(theme_id, _week(received, zone))] += 1
        if account_id:
            out.accounts[(theme_id, account_id)] += 1
    return out


@contextmanager
def tracking(workspace: Workspace, feedback_ids: Iterable[int]) -> Iterator[None]:
    """Around a write that may change what these items count for: adds the difference of their
    contributions (after − before) to the stored figures, in the same transaction.

    Take it first in the write's transaction (it locks the workspace's state row; the write's own
    row locks come after, always in that order). Nothing is stored for a workspace without state."""
    ids = sorted(set(feedback_ids))
    with transaction.atomic():
        state = lock(workspace) if ids else None
        if state is None:
            yield
            return
        zone = ZoneInfo(state.zone)
        before = _contributions(workspace, ids, zone)
        yield
        after = _contributions(workspace, ids, zone)
        weeks, accounts = Counter(after.weeks), Counter(after.accounts)
        weeks.subtract(before.weeks)
        accounts.subtract(before.accounts)
        _add(workspace, ThemeWeekCount, "week", {k: n for k, n in weeks.items() if n})
        _add(workspace, ThemeAccountCount, "account_id", {k: n for k, n in accounts.items() if n})


def _add(workspace: Workspace, model: type[Any], column: str, delta: dict[Key, int]) -> None:
    """Add `delta` to the stored counts: one upsert per row (INSERT … ON CONFLICT DO UPDATE, atomic
    against the row's other writers), then rows that reached 0 are removed."""
    if not delta:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    key = connection.ops.quote_name(column)
    now = connection.ops.adapt_datetimefield_value(timezone.now())

    def adapt(value: Any) -> Any:
        return connection.ops.adapt_datefield_value(value) if column == "week" else value

    sql = (
        f"INSERT INTO {table} (created_at, updated_at, workspace_id, theme_id, {key}, items) "  # noqa: S608 (names from _meta)
        "VALUES (%s, %s, %s, %s, %s, %s) "
        f"ON CONFLICT (theme_id, {key}) DO UPDATE SET items = {table}.items + excluded.items, "
        "updated_at = excluded.updated_at"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(now, now, workspace.pk, t, adapt(k), n) for (t, k), n in sorted(delta.items())])
    themes = sorted({t for t, _ in delta})
    model.objects.filter(workspace=workspace, theme_id__in=themes, items=0).delete()


# ---------------------------------------------------------------- reading (never writes)


@dataclass
class Stored:
    sizes: dict[int, int]
    accounts: dict[int, int]
    arr: dict[int, Decimal]
    weekly: dict[int, list[int]]


def _usable(workspace: Workspace) -> bool:
    state = ThemeStatsState.objects.filter(workspace=workspace).only("zone").first()
    return state is not None and state.zone == timezone.get_current_timezone_name()


def _series(rows: Iterable[tuple[int, dt.date, int]], first_week: dt.date, weeks: int) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(lambda: [0] * weeks)
    for theme_id, week, n in rows:
        i = (week - first_week).days // 7
        if 0 <= i < weeks:
            out[theme_id][i] += n
    return out


def read_summaries(workspace: Workspace, first_week: dt.date, weeks: int) -> Stored | None:
    """Sizes, distinct accounts, their ARR and the weekly series of every theme, from the stored
    figures (three small queries); None when they cannot serve this viewer (see the module doc)."""
    if not _usable(workspace):
        return None
    last = first_week + dt.timedelta(weeks=weeks)
    week_rows = ThemeWeekCount.objects.filter(workspace=workspace)
    sizes = dict(week_rows.values("theme_id").annotate(_n=Sum("items")).order_by().values_list("theme_id", "_n"))
    weekly = _series(
        week_rows.filter(week__gte=first_week, week__lt=last).values_list("theme_id", "week", "items"),
        first_week,
        weeks,
    )
    accounts: dict[int, int] = {}
    arr: dict[int, Decimal] = {}
    for theme_id, n, total in (
        ThemeAccountCount.objects.filter(workspace=workspace, items__gt=0)
        .values("theme_id")
        .annotate(_n=Count("pk"), _arr=Sum("account__arr"))
        .order_by()
        .values_list("theme_id", "_n", "_arr")
    ):
        accounts[theme_id] = n
        arr[theme_id] = total or Decimal(0)
    return Stored(sizes, accounts, arr, weekly)


def read_theme(workspace: Workspace, theme_id: int, first_week: dt.date, weeks: int) -> dict[str, Any] | None:
    """One theme's weekly series and its accounts (id → (segment, ARR)) from the stored figures."""
    if not _usable(workspace):
        return None
    last = first_week + dt.timedelta(weeks=weeks)
    rows = ThemeWeekCount.objects.filter(workspace=workspace, theme_id=theme_id, week__gte=first_week, week__lt=last)
    series = _series(rows.values_list("theme_id", "week", "items"), first_week, weeks).get(theme_id, [0] * weeks)
    accounts = {
        account_id: (segment or "", arr or Decimal(0))
        for account_id, segment, arr in ThemeAccountCount.objects.filter(
            workspace=workspace, theme_id=theme_id, items__gt=0
        ).values_list("account_id", "account__segment", "account__arr")
    }
    return {"weekly": series, "accounts": accounts}
