"""Slow down password guessing: after repeated failures for one email, refuse sign-in for a while.

Counts live in Django's cache. The default cache is per process, which still caps guessing per
worker; deployments with several web processes should point CACHES at a shared backend.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60
MESSAGE = "Too many failed sign-in attempts for this email. Wait 15 minutes, or reset your password."


def _key(email: str) -> str:
    return "harken:signin-failures:" + hashlib.sha256((email or "").strip().lower().encode()).hexdigest()


def is_locked(email: str) -> bool:
    return int(cache.get(_key(email), 0)) >= MAX_FAILURES


def record_failure(email: str) -> None:
    key = _key(email)
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)


def reset(email: str) -> None:
    cache.delete(_key(email))
