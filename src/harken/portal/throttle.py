"""Fixed-window rate limits for the portal's public writes (ideas, comments, votes, sign-in links).

Counts live in Django's cache, like `accounts.throttle` and the widget's limit: per process with the
default local-memory cache; point CACHES at a shared backend when running several web processes.
Limits are `HARKEN_PORTAL_RATES[kind] = "count/seconds"`, applied per client IP and per account.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

DEFAULTS = {"idea": "5/600", "comment": "20/600", "vote": "60/600", "signin": "5/3600", "similar": "120/60"}
MESSAGES = {
    "idea": "You are posting ideas faster than we allow. Please wait a few minutes and try again.",
    "comment": "You are commenting faster than we allow. Please wait a few minutes and try again.",
    "vote": "Too many votes in a short time. Please wait a few minutes and try again.",
    "signin": "Too many sign-in links were requested. Please wait an hour, or use the last link we sent.",
    "similar": "Too many searches. Please slow down.",
}


@dataclass
class Limited:
    kind: str
    retry_after: int

    @property
    def message(self) -> str:
        return MESSAGES[self.kind]


def rate(kind: str) -> tuple[int, int]:
    spec = dict(DEFAULTS, **getattr(settings, "HARKEN_PORTAL_RATES", {})).get(kind, "60/60")
    count, _, seconds = str(spec).partition("/")
    return max(1, int(count)), max(1, int(seconds or 60))


def _count(key: str, window: int) -> int:
    cache.add(key, 0, timeout=window * 2)
    try:
        return int(cache.incr(key))
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window * 2)
        return 1


def hit(kind: str, *keys: str, now: float | None = None) -> Limited | None:
    """Count one attempt under each key (e.g. "ip:1.2.3.4", "user:7"); None while all are within the limit."""
    limit, window = rate(kind)
    now = time.time() if now is None else now
    slot = int(now // window)
    over = False
    for key in keys:
        if not key:
            continue
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        if _count(f"harken:portal-rate:{kind}:{digest}:{slot}", window) > limit:
            over = True
    if over:
        return Limited(kind, max(1, window - int(now % window)))
    return None


def client_ip(request: HttpRequest) -> str:
    """The visitor's address; behind a reverse proxy you run, the one it appended to X-Forwarded-For
    (only with HARKEN_TRUST_X_FORWARDED_FOR, as for the widget)."""
    if getattr(settings, "HARKEN_TRUST_X_FORWARDED_FOR", False):
        forwarded = [p.strip() for p in request.headers.get("X-Forwarded-For", "").split(",") if p.strip()]
        if forwarded:
            return forwarded[-1][:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]
