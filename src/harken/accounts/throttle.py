"""Slow down password guessing without letting anyone lock other people out.

Failures are counted per (client IP, email) and per client IP. A pair is refused after
MAX_FAILURES, an IP after MAX_FAILURES_PER_IP (whatever emails it tries), for WINDOW_SECONDS.
There is deliberately no lock on an email alone: then anyone could lock any account at will;
a guesser elsewhere is refused on their own IP, while the owner keeps signing in from theirs.

Counts live in Django's cache. The default cache is per process, which still caps guessing per
worker; deployments with several web processes should point CACHES at a shared backend.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import HttpRequest

MAX_FAILURES = 10
MAX_FAILURES_PER_IP = 50
WINDOW_SECONDS = 15 * 60
MESSAGE = "Too many failed sign-in attempts. Wait 15 minutes, or reset your password."


def client_ip(request: HttpRequest | None) -> str:
    return (request.META.get("REMOTE_ADDR") or "unknown") if request is not None else "unknown"


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _pair_key(email: str, ip: str) -> str:
    return "harken:signin-failures:pair:" + _hash(ip, (email or "").strip().lower())


def _ip_key(ip: str) -> str:
    return "harken:signin-failures:ip:" + _hash(ip)


def is_locked(email: str, ip: str) -> bool:
    return (
        int(cache.get(_pair_key(email, ip), 0)) >= MAX_FAILURES or int(cache.get(_ip_key(ip), 0)) >= MAX_FAILURES_PER_IP
    )


def _incr(key: str) -> None:
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)


def record_failure(email: str, ip: str) -> None:
    _incr(_pair_key(email, ip))
    _incr(_ip_key(ip))


def reset(email: str, ip: str) -> None:
    """A successful sign-in clears that pair only (not the IP's count of other emails)."""
    cache.delete(_pair_key(email, ip))
