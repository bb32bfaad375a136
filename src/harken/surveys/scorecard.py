"""The scorecard's NPS / CSAT card, from real survey answers (the `SCORECARD_SURVEYS` seam).

`survey_reading(scope, start, end, now)` reads the current scored answers given in [start, end):

- which answers: the whole team counts every answer; a product line counts answers of that line
  (the survey's product line, stored on each answer); a PM counts answers of the lines they manage
  (answers without a product line belong to no PM).
- value: NPS (−100…100, promoters 9–10 minus detractors 0–6). A scope with no NPS answer at all
  before `now` falls back to CSAT (% satisfied, each survey's own threshold) so CSAT-only
  workspaces still get a card; the choice is made once per scope, so a trend never mixes the two.
- detail: the score with its 95 % interval (from 10 answers, `stats.MIN_SAMPLE`), the number of
  answers, and the CSAT beside the NPS.
- action: below target, call back the detractors (they wait in triage); on target, ask the
  promoters for a testimonial or reference (the advocacy queue).

Reads only. The scorecard imports this module through `harken.core.registry.collect`; this module
imports the scorecard's `Reading` lazily, so nothing imports the scorecard at load time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from harken.surveys import stats
from harken.surveys.models import Kind, Response

NPS_TARGET = 30.0
CSAT_TARGET = 80.0  # % satisfied
CSAT_WATCH = 60.0


def _answers(scope: Any) -> Any:
    rows = Response.objects.for_workspace(scope.workspace).filter(current=True, score__isnull=False)
    if scope.kind == "line" and scope.line is not None:
        rows = rows.filter(product_line=scope.line)
    elif scope.kind == "pm" and scope.user is not None:
        rows = rows.filter(product_line__managers=scope.user)
    return rows


def _kind(scope: Any, now: dt.datetime) -> str | None:
    rows = _answers(scope).filter(answered_at__lt=now)
    if rows.filter(survey__kind=Kind.NPS).exists():
        return Kind.NPS
    if rows.filter(survey__kind=Kind.CSAT).exists():
        return Kind.CSAT
    return None


def _csat(rows: Any) -> stats.Score:
    """CSAT over answers whose surveys may set different thresholds: satisfied by its own survey's."""
    pairs = list(rows.filter(survey__kind=Kind.CSAT).values_list("score", "survey__csat_satisfied_from"))
    return stats.csat_counts(sum(1 for score, threshold in pairs if score >= threshold), len(pairs))


def _interval(score: stats.Score) -> str:
    if score.margin is None:
        return f" (interval from {stats.MIN_SAMPLE} answers)"
    return f" ± {score.margin:.0f}"


def survey_reading(scope: Any, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> Any:
    from harken.scorecard.metrics import Reading

    kind = _kind(scope, now)
    if kind is None:
        return None
    rows = _answers(scope).filter(answered_at__gte=start, answered_at__lt=end)
    csat = _csat(rows)
    if kind == Kind.NPS:
        score = stats.nps(rows.filter(survey__kind=Kind.NPS).values_list("score", flat=True))
        if score.value is None:
            return Reading(None, note="No NPS answers in this period.")
        detail = f"NPS {score.value:+.0f}{_interval(score)} from {score.n} answers"
        if csat.value is not None:
            detail += f"; CSAT {csat.value:.0f} % from {csat.n}"
        counts = score.counts
        if score.value >= NPS_TARGET:
            action = (
                f"Ask the promoters ({counts['promoters']}) for a testimonial, review or reference (Advocacy → queue)."
            )
        else:
            action = (
                f"Call back the detractors ({counts['detractors']}) — their answers wait in triage — "
                "and fix what they name."
            )
        return Reading(
            score.value,
            counts["promoters"] - counts["detractors"],
            score.n,
            note=detail,
            display=f"NPS {score.value:+.0f}",
            action=action,
            target=(NPS_TARGET, 0.0, f"target NPS ≥ {NPS_TARGET:+.0f}"),
        )
    if csat.value is None:
        return Reading(None, note="No CSAT answers in this period.")
    unsatisfied = csat.counts["unsatisfied"]
    return Reading(
        csat.value,
        csat.counts["satisfied"],
        csat.n,
        note=f"CSAT {csat.value:.0f} %{_interval(csat)} satisfied from {csat.n} answers (no NPS survey yet)",
        display=f"CSAT {csat.value:.0f} %",
        target=(CSAT_TARGET, CSAT_WATCH, f"target CSAT ≥ {CSAT_TARGET:.0f} %"),
        action=(
            f"Follow up the unsatisfied answers ({unsatisfied}) in triage; send an NPS survey too."
            if unsatisfied
            else "Send an NPS survey to hear whether customers would recommend you."
        ),
    )


#: Collected by `harken.scorecard.metrics.survey_providers`.
SCORECARD_SURVEYS = [survey_reading]
