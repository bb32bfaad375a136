"""The weekly conversation cadence: per product manager, per product line, counted in the PM's week.

A product manager is a member who manages a product line (`ProductLine.managers`). A conversation
counts for (pm, line) when its product line is that line and the PM owns or attended it. Weeks
run Monday 00:00 to Sunday 24:00 in the PM's own time zone (their `MemberPreference`, else the
workspace's), so a call on Sunday 23:30 in Tokyo counts for the Tokyo PM's week even though it is
already Monday in UTC. The current week is "in progress" until it ends, never "missed".

Streak: consecutive met weeks ending with the last finished week (plus the current week once it
is met). Gaps: missed finished weeks in the window.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.urls import reverse
from django.utils import timezone

from harken.conversations.models import Conversation, MemberPreference
from harken.conversations.services import cadence_settings, workspace_zone
from harken.core.charts import bar_chart, line_chart
from harken.workspaces.models import Workspace

DEFAULT_WEEKS = 12


def zone_for(workspace: Workspace, user: Any) -> ZoneInfo:
    pref = MemberPreference.objects.filter(workspace=workspace, user=user).values_list("time_zone", flat=True).first()
    if pref:
        try:
            return ZoneInfo(pref)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return workspace_zone(workspace)


def week_start(moment: dt.datetime, zone: ZoneInfo) -> dt.date:
    local = moment.astimezone(zone).date()
    return local - dt.timedelta(days=local.weekday())


def week_bounds(start: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    begin = dt.datetime.combine(start, dt.time(0, 0), tzinfo=zone)
    end = dt.datetime.combine(start + dt.timedelta(days=7), dt.time(0, 0), tzinfo=zone)
    return begin, end


@dataclass
class Week:
    start: dt.date
    count: int
    target: int
    current: bool

    @property
    def met(self) -> bool:
        return self.count >= self.target

    @property
    def status(self) -> str:
        if self.met:
            return "met"
        return "in progress" if self.current else "missed"

    @property
    def gap(self) -> int:
        return max(0, self.target - self.count)


@dataclass
class PmLine:
    user: Any
    line: Any
    zone: ZoneInfo
    weeks: list[Week] = field(default_factory=list)

    @property
    def current(self) -> Week:
        return self.weeks[-1]

    @property
    def finished(self) -> list[Week]:
        return [w for w in self.weeks if not w.current]

    @property
    def streak(self) -> int:
        run = 1 if self.current.met else 0
        for week in reversed(self.finished):
            if not week.met:
                break
            run += 1
        return run

    @property
    def longest_streak(self) -> int:
        best = run = 0
        for week in self.weeks:
            run = run + 1 if week.met else (0 if not week.current else run)
            best = max(best, run)
        return best

    @property
    def gaps(self) -> int:
        return sum(1 for w in self.finished if not w.met)

    @property
    def met_weeks(self) -> int:
        return sum(1 for w in self.finished if w.met)


def pm_lines(workspace: Workspace, user: Any = None) -> list[tuple[Any, Any]]:
    """(pm, product line) pairs, by PM name then line name."""
    through = workspace.product_lines.model.managers.through
    rows = through.objects.filter(productline__workspace=workspace, user__memberships__workspace=workspace)
    if user is not None:
        rows = rows.filter(user=user)
    pairs = [(r.user, r.productline) for r in rows.select_related("user", "productline")]
    pairs.sort(key=lambda p: (p[0].display_name.lower(), p[1].name.lower()))
    return pairs


def cadence(
    workspace: Workspace, *, weeks: int = DEFAULT_WEEKS, now: dt.datetime | None = None, user: Any = None
) -> list[PmLine]:
    """Each (pm, line)'s last `weeks` weeks, the current one last."""
    now = now or timezone.now()
    target = cadence_settings(workspace).weekly_target
    pairs = pm_lines(workspace, user)
    if not pairs:
        return []
    earliest = now - dt.timedelta(weeks=weeks + 1)
    line_ids = {line.pk for _, line in pairs}
    convs = list(
        Conversation.objects.for_workspace(workspace)
        .filter(product_line_id__in=line_ids, happened_at__gte=earliest, happened_at__lte=now + dt.timedelta(days=7))
        .values("pk", "happened_at", "owner_id", "product_line_id")
    )
    attended: dict[int, set[int]] = defaultdict(set)
    for conv_id, user_id in Conversation.members.through.objects.filter(
        conversation_id__in=[c["pk"] for c in convs]
    ).values_list("conversation_id", "user_id"):
        attended[conv_id].add(user_id)
    zones: dict[int, ZoneInfo] = {}
    result = []
    for pm, line in pairs:
        zone = zones.get(pm.pk) or zones.setdefault(pm.pk, zone_for(workspace, pm))
        this_week = week_start(now, zone)
        starts = [this_week - dt.timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
        counts: dict[dt.date, int] = defaultdict(int)
        for c in convs:
            if c["product_line_id"] == line.pk and (c["owner_id"] == pm.pk or pm.pk in attended[c["pk"]]):
                counts[week_start(c["happened_at"], zone)] += 1
        result.append(
            PmLine(
                user=pm,
                line=line,
                zone=zone,
                weeks=[Week(s, counts.get(s, 0), target, s == this_week) for s in starts],
            )
        )
    return result


def dashboard(workspace: Workspace, *, weeks: int = DEFAULT_WEEKS, now: dt.datetime | None = None) -> dict[str, Any]:
    rows = cadence(workspace, weeks=weeks, now=now)
    settings_row = cadence_settings(workspace)
    team: list[tuple[str, float]] = []
    volume: list[tuple[str, int]] = []
    if rows:
        for i in range(weeks):
            week = rows[0].weeks[i]
            finished = [r.weeks[i] for r in rows]
            share = round(100 * sum(1 for w in finished if w.met) / len(finished))
            team.append((week.start.isoformat(), share))
            volume.append((week.start.isoformat(), sum(w.count for w in finished)))
    people = []
    for r in rows:
        people.append(
            {
                "pm": r.user,
                "line": r.line,
                "zone": str(r.zone),
                "weeks": r.weeks,
                "current": r.current,
                "streak": r.streak,
                "longest": r.longest_streak,
                "gaps": r.gaps,
                "met": r.met_weeks,
                "finished": len(r.finished),
            }
        )
    return {
        "settings": settings_row,
        "people": people,
        "team_chart": line_chart(team, "Share of PM × product line pairs meeting the target", unit="%")
        if team
        else None,
        "volume_chart": bar_chart(volume, "Conversations per week, all PMs") if volume else None,
        "weeks": weeks,
    }


def pm_url(workspace: Workspace) -> str:
    return reverse("conversations:cadence", kwargs={"ws": workspace.slug})
