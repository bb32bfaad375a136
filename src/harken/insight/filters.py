"""The one filter of the decision pages: which feedback counts as evidence.

Overview, Themes, Top problems and Trends (pages and API) all read the same GET parameters:

    segment       a saved segment (id or name): only items from accounts in it
    plan          account plan (case-insensitive): only items from accounts on it
    product_line  product line (id or slug): only items filed under it
    stage         account lifecycle stage (e.g. "active", "at_risk")
    since, until  received date range, inclusive, YYYY-MM-DD in the workspace's time zone

`parse()` validates (a ValidationError naming each bad field: the API's 422); `parse_lenient()`
drops bad values and reports them (the pages). `EvidenceFilter.q(prefix)` is the restriction as a
`Q` over Feedback (prefix "") or over anything reaching Feedback (e.g. "feedback__" for theme
assignments), so every caller narrows its own workspace-scoped queryset. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Schema

from harken.customers.models import LifecycleStage, Segment
from harken.customers.queries import segment_accounts
from harken.workspaces.models import ProductLine, Workspace

_QS = TypeVar("_QS", bound=QuerySet[Any])

PARAMS = ("segment", "plan", "product_line", "stage", "since", "until")


@dataclass(frozen=True)
class EvidenceFilter:
    workspace: Workspace
    segment: Segment | None = None
    plan: str = ""
    product_line: ProductLine | None = None
    stage: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    errors: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def active(self) -> bool:
        return bool(self.segment or self.plan or self.product_line or self.stage or self.since or self.until)

    def params(self) -> dict[str, str]:
        """The canonical query parameters of this filter (for links and saved views)."""
        out: dict[str, str] = {}
        if self.segment:
            out["segment"] = str(self.segment.pk)
        if self.plan:
            out["plan"] = self.plan
        if self.product_line:
            out["product_line"] = self.product_line.slug
        if self.stage:
            out["stage"] = self.stage
        if self.since:
            out["since"] = self.since.isoformat()
        if self.until:
            out["until"] = self.until.isoformat()
        return out

    @property
    def querystring(self) -> str:
        return urlencode(self.params())

    def chips(self) -> list[str]:
        """Human-readable labels: 'Segment: Enterprise', 'Since 2026-01-01'."""
        out = []
        if self.segment:
            out.append(f"Segment: {self.segment.name}")
        if self.plan:
            out.append(f"Plan: {self.plan}")
        if self.product_line:
            out.append(f"Product line: {self.product_line.name}")
        if self.stage:
            out.append(f"Stage: {LifecycleStage(self.stage).label}")
        if self.since:
            out.append(f"Since {self.since.isoformat()}")
        if self.until:
            out.append(f"Until {self.until.isoformat()}")
        return out

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """(start inclusive, end exclusive) of the date range as aware datetimes in the workspace zone."""
        from harken.feedback.queries import workspace_tz

        tz = workspace_tz(self.workspace)
        start = dt.datetime.combine(self.since, dt.time.min, tzinfo=tz) if self.since else None
        end = dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time.min, tzinfo=tz) if self.until else None
        return start, end

    def q(self, prefix: str = "") -> Q:
        """The restriction over Feedback reached through `prefix` ("" on Feedback itself)."""
        cond = Q()
        if self.segment is not None:
            cond &= Q(**{f"{prefix}account__in": segment_accounts(self.segment).values("pk")})
        if self.plan:
            cond &= Q(**{f"{prefix}account__plan__iexact": self.plan})
        if self.stage:
            cond &= Q(**{f"{prefix}account__lifecycle_stage": self.stage})
        if self.product_line is not None:
            cond &= Q(**{f"{prefix}product_line": self.product_line})
        start, end = self.bounds()
        if start:
            cond &= Q(**{f"{prefix}received_at__gte": start})
        if end:
            cond &= Q(**{f"{prefix}received_at__lt": end})
        return cond

    def restrict(self, qs: _QS, prefix: str = "") -> _QS:
        return qs.filter(self.q(prefix)) if self.active else qs

    def feedback(self) -> QuerySet[Any]:
        """The workspace's feedback this filter keeps."""
        return self.restrict(self.workspace.feedback_items.all())

    def end_of_range(self, now: dt.datetime | None = None) -> dt.datetime:
        """`now`, or the end of the `until` day when that is earlier (the pages' "last N days" end there)."""
        now = now or timezone.now()
        _, end = self.bounds()
        return min(now, end) if end else now


def _get(params: Mapping[str, Any], key: str) -> str:
    value = params.get(key)
    # NUL cannot reach PostgreSQL, and no name or date contains one
    return str(value).replace("\x00", "").strip()[:200] if value is not None else ""


def _small_int(raw: str) -> int | None:
    """An id-like value, or None (digits beyond 18 would overflow the database's integers)."""
    return int(raw) if raw.isdigit() and len(raw) <= 18 else None


def _parse(workspace: Workspace, params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if raw := _get(params, "segment"):
        segments = workspace.segments.all()
        segment = segments.filter(pk=pk).first() if (pk := _small_int(raw)) is not None else None
        segment = segment or segments.filter(name__iexact=raw).first()
        if segment is None:
            errors["segment"] = f"No segment “{raw[:60]}” in this workspace."
        else:
            values["segment"] = segment
    if raw := _get(params, "plan"):
        values["plan"] = raw[:80]
    if raw := _get(params, "product_line"):
        lines = workspace.product_lines.all()
        line = lines.filter(pk=pk).first() if (pk := _small_int(raw)) is not None else None
        line = line or lines.filter(slug=raw.lower()).first() or lines.filter(name__iexact=raw).first()
        if line is None:
            errors["product_line"] = f"No product line “{raw[:60]}” in this workspace."
        else:
            values["product_line"] = line
    if raw := _get(params, "stage"):
        key = raw.lower().replace(" ", "_").replace("-", "_")
        if key in LifecycleStage.values:
            values["stage"] = key
        else:
            errors["stage"] = f"Unknown account stage “{raw[:40]}” (use one of: {', '.join(LifecycleStage.values)})."
    for key in ("since", "until"):
        if raw := _get(params, key):
            try:
                values[key] = dt.date.fromisoformat(raw)
            except ValueError:
                errors[key] = f"“{raw[:20]}” is not a date (use YYYY-MM-DD)."
    if values.get("since") and values.get("until") and values["since"] > values["until"]:
        errors["until"] = "The end of the date range is before its start."
        del values["until"]
    return values, errors


def parse(workspace: Workspace, params: Mapping[str, Any]) -> EvidenceFilter:
    """The filter in `params`; a ValidationError naming every bad value (the API answers 422)."""
    values, errors = _parse(workspace, params)
    if errors:
        raise ValidationError(errors)
    return EvidenceFilter(workspace, **values)


def parse_lenient(workspace: Workspace, params: Mapping[str, Any]) -> EvidenceFilter:
    """The filter in `params` with bad values dropped and listed in `.errors` (the pages)."""
    values, errors = _parse(workspace, params)
    return EvidenceFilter(workspace, errors=errors, **values)


def choices(workspace: Workspace) -> dict[str, Any]:
    """What the filter bar offers."""
    return {
        "segments": list(workspace.segments.order_by("name").values_list("pk", "name")),
        "plans": sorted(set(workspace.accounts.exclude(plan="").values_list("plan", flat=True)), key=str.lower),
        "product_lines": list(workspace.product_lines.order_by("name").values_list("slug", "name")),
        "stages": list(LifecycleStage.choices),
    }


def bar_context(evidence: EvidenceFilter) -> dict[str, Any]:
    """Template context for partials/evidence_filter.html."""
    return {"evidence": evidence, "evidence_choices": choices(evidence.workspace)}


class EvidenceQuery(Schema):
    """The filter as API query parameters (`Query[EvidenceQuery]`); bad values answer 422."""

    segment: str = Field("", description="Saved segment id or name: only items from its accounts")
    plan: str = Field("", description="Account plan (case-insensitive)")
    product_line: str = Field("", description="Product line id or slug")
    stage: str = Field("", description=f"Account lifecycle stage: {', '.join(LifecycleStage.values)}")
    since: str = Field("", description="Received on or after (YYYY-MM-DD, workspace time zone)")
    until: str = Field("", description="Received on or before (YYYY-MM-DD, workspace time zone)")

    def evidence(self, workspace: Workspace) -> EvidenceFilter:
        return parse(workspace, self.dict())


def clean_url(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """After an htmx filter change, push the page's URL without the bar's blank fields
    (`?segment=3`, not `?segment=3&plan=&stage=…`) so the address stays readable and shareable."""
    if request.headers.get("HX-Request") == "true":
        kept = [(k, v) for k, values in request.GET.lists() for v in values if v.strip()]
        response["HX-Push-Url"] = f"{request.path}?{urlencode(kept)}" if kept else request.path
    return response
