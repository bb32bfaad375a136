"""Reads: reach and revenue from evidence, RICE, lists, the board, the item page. Pure: nothing is written."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet

from harken.customers.models import CustomerGoal, CustomerJob
from harken.feedback.models import Feedback
from harken.roadmap import statuses as st
from harken.roadmap.models import EvidenceKind, PromiseStatus, RoadmapItem, StatusKind
from harken.workspaces.models import Workspace

# Evidence kinds without a foreign key (conversations, later) resolve to customers here:
# EVIDENCE_RESOLVERS["conversation"] = fn(workspace, object_ids) -> iterable of (account_id | None, contact_id | None)
EVIDENCE_RESOLVERS: dict[str, Callable[[Workspace, list[int]], Iterable[tuple[int | None, int | None]]]] = {}


@dataclass(frozen=True)
class EvidenceSource:
    """How the item page names and links evidence of a kind without a foreign key (e.g. conversations).

    `describe(workspace, ids)` returns `{id: (label, url)}` for the ids that exist in `workspace`
    (others are absent: the link form refuses them). Registered by the app that owns the objects,
    next to its `EVIDENCE_RESOLVERS` entry: `EVIDENCE_SOURCES["conversation"] = EvidenceSource(...)`.
    """

    label: str
    singular: str
    describe: Callable[[Workspace, list[int]], dict[int, tuple[str, str]]]


EVIDENCE_SOURCES: dict[str, EvidenceSource] = {}


def live_items(workspace: Workspace) -> QuerySet[RoadmapItem]:
    return workspace.roadmap_items.filter(deleted_at__isnull=True)


@dataclass
class Reach:
    """Who the evidence stands for. Merged duplicates fold into their survivor and count once."""

    accounts: set[int] = field(default_factory=set)
    contacts: set[int] = field(default_factory=set)
    anonymous_emails: set[str] = field(default_factory=set)
    requests: set[int] = field(default_factory=set)  # distinct surviving feedback items
    arr: Decimal = Decimal(0)

    @property
    def customers(self) -> int:
        """RICE reach: distinct accounts, plus contacts and senders that belong to no account."""
        return len(self.accounts) + len(self.contacts) + len(self.anonymous_emails)

    @property
    def people(self) -> int:
        return len(self.contacts) + len(self.anonymous_emails)


def _root(rows: dict[int, dict[str, Any]], pk: int) -> int:
    seen = set()
    while rows.get(pk, {}).get("merged_into_id") and pk not in seen:
        seen.add(pk)
        nxt = rows[pk]["merged_into_id"]
        if nxt not in rows:
            return int(nxt)
        pk = nxt
    return pk


def reach_for(workspace: Workspace, items: Iterable[RoadmapItem]) -> dict[int, Reach]:
    """Reach and revenue at stake per item, in a handful of queries for any number of items."""
    items = list(items)
    out = {item.pk: Reach() for item in items}
    if not items:
        return out
    evidence = list(
        workspace.roadmap_evidence.filter(item__in=items).values(
            "item_id", "kind", "feedback_id", "theme_id", "account_id", "object_id"
        )
    )
    theme_ids = {e["theme_id"] for e in evidence if e["theme_id"]}
    theme_members: dict[int, set[int]] = {}
    if theme_ids:
        from harken.insight.themes.models import ThemeAssignment

        for row in (
            ThemeAssignment.objects.for_workspace(workspace)
            .filter(theme_id__in=theme_ids)
            .values("theme_id", "feedback_id")
        ):
            theme_members.setdefault(row["theme_id"], set()).add(row["feedback_id"])
    direct: dict[int, set[int]] = {}
    for e in evidence:
        if e["feedback_id"]:
            direct.setdefault(e["item_id"], set()).add(e["feedback_id"])
        if e["theme_id"]:
            direct.setdefault(e["item_id"], set()).update(theme_members.get(e["theme_id"], set()))
    all_ids = set().union(*direct.values()) if direct else set()
    rows = _closure(workspace, all_ids)
    children: dict[int, list[int]] = {}
    for row in rows.values():
        if row["merged_into_id"]:
            children.setdefault(row["merged_into_id"], []).append(row["id"])

    def family(pk: int) -> list[int]:
        found, stack = [], [pk]
        seen: set[int] = set()
        while stack:
            cur = stack.pop()
            if cur in seen:
                continue
            seen.add(cur)
            found.append(cur)
            stack.extend(children.get(cur, []))
        return found

    for item_id, ids in direct.items():
        reach = out[item_id]
        for pk in ids:
            if pk not in rows:
                continue
            reach.requests.add(_root(rows, pk))
            for member in family(pk):
                _count(reach, rows[member])
    for e in evidence:
        if e["account_id"]:
            out[e["item_id"]].accounts.add(e["account_id"])
    for kind, resolver in EVIDENCE_RESOLVERS.items():
        by_item: dict[int, list[int]] = {}
        for e in evidence:
            if e["kind"] == kind and e["object_id"]:
                by_item.setdefault(e["item_id"], []).append(e["object_id"])
        for item_id, object_ids in by_item.items():
            for account_id, contact_id in resolver(workspace, object_ids):
                if account_id:
                    out[item_id].accounts.add(account_id)
                elif contact_id:
                    out[item_id].contacts.add(contact_id)
    account_ids = set().union(*(r.accounts for r in out.values()))
    arr = dict(workspace.accounts.filter(pk__in=account_ids).values_list("pk", "arr"))
    for reach in out.values():
        reach.arr = sum((arr.get(a) or Decimal(0) for a in reach.accounts), Decimal(0))
    return out


def _closure(workspace: Workspace, ids: set[int]) -> dict[int, dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    fields = ("id", "account_id", "contact_id", "contact__account_id", "author_email", "merged_into_id")
    frontier = set(ids)
    while frontier:
        found = list(workspace.feedback_items.filter(pk__in=frontier).values(*fields))
        found += list(workspace.feedback_items.filter(merged_into_id__in=frontier).values(*fields))
        frontier = set()
        for row in found:
            if row["id"] not in rows:
                rows[row["id"]] = row
                frontier.add(row["id"])
    return rows


def _count(reach: Reach, row: dict[str, Any]) -> None:
    account = row["account_id"] or row["contact__account_id"]
    if account:
        reach.accounts.add(account)
    if account:
        return
    if row["contact_id"]:
        reach.contacts.add(row["contact_id"])
    elif row["author_email"]:
        reach.anonymous_emails.add(row["author_email"].lower())


# ---------------------------------------------------------------- prioritisation


@dataclass
class Score:
    reach: int
    impact: float
    confidence: int
    effort: float
    value_fit: int
    arr: Decimal
    serves: tuple[str, ...] = ()  # the customer goals and jobs the item names (value-proposition fit)

    @property
    def rice(self) -> float:
        if self.effort <= 0:
            return 0.0
        return round(self.reach * self.impact * (self.confidence / 100) / self.effort, 2)

    @property
    def explanation(self) -> str:
        return (
            f"RICE = reach {self.reach} × impact {self.impact:g} × confidence {self.confidence}% "
            f"÷ effort {self.effort:g} person-months = {self.rice:g}"
        )

    @property
    def short(self) -> str:
        return f"{self.reach} × {self.impact:g} × {self.confidence}% ÷ {self.effort:g}"

    @property
    def fit_explanation(self) -> str:
        """Value fit and what it rests on: the customer goals and jobs the item serves."""
        text = f"Value fit {self.value_fit}/3 ({self.fit_label})"
        return f"{text}: serves {'; '.join(self.serves)}" if self.serves else text

    @property
    def fit_label(self) -> str:
        return ["None", "Weak", "Good", "Strong"][max(0, min(3, self.value_fit))]


def score_of(item: RoadmapItem, reach: Reach) -> Score:
    return Score(
        reach=reach.customers,
        impact=float(item.impact),
        confidence=int(item.confidence),
        effort=float(item.effort or 0),
        value_fit=int(item.value_fit),
        arr=reach.arr,
        serves=serves_of(item),
    )


def serves_of(item: RoadmapItem) -> tuple[str, ...]:
    """“goal “…” (Account)” / “job “When …” (Account)” for the goals and jobs the item names."""
    goals = [f"goal “{g.title}” ({g.account.name})" for g in item.serves_goals.all()]
    jobs = [f"job “{j.statement}” ({j.account.name})" for j in item.serves_jobs.all()]
    return tuple(goals + jobs)


SORTS = {
    "rice": lambda r: -r["score"].rice,
    "reach": lambda r: -r["score"].reach,
    "arr": lambda r: -r["score"].arr,
    "fit": lambda r: -r["score"].value_fit,
    "effort": lambda r: r["score"].effort,
    "title": lambda r: r["item"].title.lower(),
}


def rows(
    workspace: Workspace, *, line: str = "", status: str = "", sort: str = "rice", include_closed: bool = True
) -> list[dict[str, Any]]:
    """One row per live item with its status, reach, revenue and score."""
    known = st.status_map(workspace)
    qs = (
        live_items(workspace)
        .select_related("product_line", "owner")
        .prefetch_related(
            Prefetch("serves_goals", queryset=CustomerGoal.objects.select_related("account")),
            Prefetch("serves_jobs", queryset=CustomerJob.objects.select_related("account")),
        )
    )
    if line:
        qs = qs.filter(product_line__slug=line)
    if status:
        qs = qs.filter(status=status)
    items = list(qs)
    if not include_closed:
        items = [
            i
            for i in items
            if st.status_of(workspace, i.status, known).kind not in (StatusKind.DONE, StatusKind.DECLINED)
        ]
    reach = reach_for(workspace, items)
    out = [
        {
            "item": i,
            "status": st.status_of(workspace, i.status, known),
            "reach": reach[i.pk],
            "score": score_of(i, reach[i.pk]),
        }
        for i in items
    ]
    out.sort(key=SORTS.get(sort, SORTS["rice"]))
    return out


def rice_bars(rows_: list[dict[str, Any]], url: Callable[[RoadmapItem], str], limit: int = 10) -> list[dict[str, Any]]:
    """The top items by RICE as horizontal bars (core.charts.hbar_rows)."""
    from harken.core.charts import hbar_rows

    top = sorted(rows_, key=lambda r: -r["score"].rice)[:limit]
    return hbar_rows(
        [
            {
                "label": r["item"].title,
                "value": r["score"].rice,
                "display": f"{r['score'].rice:g}",
                "url": url(r["item"]),
                "note": f"{r['score'].reach} customer{'' if r['score'].reach == 1 else 's'}",
            }
            for r in top
            if r["score"].rice > 0
        ]
    )


def board(workspace: Workspace, line: str = "") -> list[dict[str, Any]]:
    """Columns by status, in the workspace's order."""
    by_status: dict[str, list[dict[str, Any]]] = {}
    for row in rows(workspace, line=line, sort="rice"):
        by_status.setdefault(row["item"].status, []).append(row)
    return [{"status": s, "rows": by_status.get(s.key, [])} for s in st.statuses(workspace)]


def evidence_of(item: RoadmapItem) -> dict[str, list[Any]]:
    rows_ = item.evidence.select_related(
        "feedback", "feedback__account", "feedback__contact", "theme", "account", "linked_by"
    )
    grouped: dict[str, list[Any]] = {k: [] for k in EvidenceKind.values}
    for e in rows_:
        grouped[e.kind].append(e)
    return grouped


def items_for_feedback(feedback: Feedback) -> list[RoadmapItem]:
    ids = feedback.roadmap_evidence.values("item_id")
    return list(live_items(feedback.workspace).filter(pk__in=ids).order_by("title"))


def open_promises(workspace: Workspace) -> QuerySet[Any]:
    return workspace.roadmap_promises.filter(status=PromiseStatus.OPEN, item__deleted_at__isnull=True)


def other_evidence(workspace: Workspace, item: RoadmapItem) -> list[dict[str, Any]]:
    """Evidence of the registered kinds without a foreign key, named by their app; one group per kind."""
    groups = []
    for kind, source in EVIDENCE_SOURCES.items():
        rows_ = list(item.evidence.filter(kind=kind, object_id__isnull=False).order_by("-created_at", "-id"))
        names = source.describe(workspace, [e.object_id for e in rows_ if e.object_id]) if rows_ else {}
        groups.append(
            {
                "kind": kind,
                "label": source.label,
                "singular": source.singular,
                "rows": [
                    {"evidence": e, "label": names[e.object_id][0], "url": names[e.object_id][1]}
                    for e in rows_
                    if e.object_id in names
                ],
            }
        )
    return groups
