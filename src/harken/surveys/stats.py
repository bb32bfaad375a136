"""The numbers on the results page: NPS and CSAT with 95 % confidence intervals. Pure functions.

NPS = 100 × (p − d), p and d the promoter (9–10) and detractor (0–6) shares of n answers.
Its standard error treats each answer as +1 / 0 / −1: Var = (p + d − (p − d)²) / n, so
SE = 100 × √Var and the interval is NPS ± 1.96 SE, clipped to [−100, 100].

CSAT = share of satisfied answers (by default 4–5 on 1–5; each survey may move the threshold), with the Wilson score interval:
centre = (p̂ + z²/2n) / (1 + z²/n), half-width = z √(p̂(1−p̂)/n + z²/4n²) / (1 + z²/n).

Fewer than MIN_SAMPLE answers: "not enough data" (the score is still shown, the interval is not).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

Z95 = 1.959963984540054
MIN_SAMPLE = 10


@dataclass(frozen=True)
class Score:
    n: int
    value: float | None  # NPS in −100…100, CSAT in 0…100 (%)
    low: float | None
    high: float | None
    enough: bool
    counts: dict[str, int]

    @property
    def margin(self) -> float | None:
        if self.low is None or self.high is None:
            return None
        return (self.high - self.low) / 2


def nps(scores: Iterable[int], *, min_sample: int = MIN_SAMPLE) -> Score:
    values = list(scores)
    n = len(values)
    promoters = sum(1 for s in values if s >= 9)
    detractors = sum(1 for s in values if s <= 6)
    counts = {"promoters": promoters, "passives": n - promoters - detractors, "detractors": detractors}
    if n == 0:
        return Score(0, None, None, None, False, counts)
    p, d = promoters / n, detractors / n
    value = 100 * (p - d)
    se = 100 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)
    low, high = max(-100.0, value - Z95 * se), min(100.0, value + Z95 * se)
    enough = n >= min_sample
    return Score(n, value, low if enough else None, high if enough else None, enough, counts)


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion, as fractions in [0, 1]."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def csat(scores: Iterable[int], *, satisfied_from: int = 4, min_sample: int = MIN_SAMPLE) -> Score:
    values = list(scores)
    return csat_counts(sum(1 for s in values if s >= satisfied_from), len(values), min_sample=min_sample)


def csat_counts(satisfied: int, n: int, *, min_sample: int = MIN_SAMPLE) -> Score:
    """CSAT from the count of satisfied answers out of n (the threshold already applied)."""
    counts = {"satisfied": satisfied, "unsatisfied": n - satisfied}
    if n == 0:
        return Score(0, None, None, None, False, counts)
    low, high = wilson(satisfied, n)
    enough = n >= min_sample
    return Score(n, 100 * satisfied / n, 100 * low if enough else None, 100 * high if enough else None, enough, counts)


def score_for(kind: str, scores: Iterable[int], *, min_sample: int = MIN_SAMPLE, satisfied_from: int = 4) -> Score:
    if kind == "nps":
        return nps(scores, min_sample=min_sample)
    if kind == "csat":
        return csat(scores, satisfied_from=satisfied_from, min_sample=min_sample)
    return Score(0, None, None, None, False, {})
