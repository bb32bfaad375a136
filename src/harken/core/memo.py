"""Per-request data version and a process memo of small product-data reads, keyed by that version.

A cached page hit used to cost five queries before its bytes were sent: the session, the user, the
membership with its workspace, the member's time-zone preference and the data version. All but the
session are product data, and the data version (harken/core/dataversion.py) moves after every
committed write of product data in any process (and, in this process, at the moment of the write).
So a read of product data made *after* reading version V is valid for as long as the version is V:

    row = memo.remember("user", user_id, lambda: fetch_row(user_id))

- `RequestScopeMiddleware` opens a scope per request. The first `remember()` (or `request_version()`,
  which `respcache` uses for its key) reads the shared version once for the whole request, together
  with the process-local version at that moment: (V, L). Every later memo lookup and the response
  cache use that same (V, L), so a hit is the session plus that one read.
- Entries are stored under (V, L) and only the newest generation is kept: a write anywhere empties
  the memo exactly when it would have made a cached page stale. Like cached pages, a generation also
  lives at most `HARKEN_RESPONSE_CACHE_SECONDS` (60): a change made behind Django's back (psql) is
  seen within that time even if nothing else writes.
- A request that wrote (or runs while another thread of this process wrote) sees a local version other
  than its L: the memo is bypassed for it, and nothing it reads is stored. So nothing read inside an
  uncommitted transaction is ever shared; rolled-back writes cannot leave a stale entry behind.
- Outside a GET/HEAD request (writes, workers, commands, tests calling services) there is no scope and
  `remember()` just calls the function: nothing changes there.
- Values must be immutable (tuples of column values, zones); `build()` makes a fresh model instance from a
  stored row for each request, so no two threads ever share a mutable model instance.

Two columns are bookkeeping the version ignores: a user's `last_login` and a token's `last_used_at`. A
memoised row may carry an older value of them; nothing decides on them from here (Django's session
check compares the password hash; `api_auth` keeps its own per-process time of its last stamp).

What the memo may hold is therefore exactly as fresh as the response cache: what a session does (sign-in,
sign-out) is not product data and is never memoised; a password change, role change, member removal
or token revocation is a write of product data and empties it everywhere.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Sequence
from time import monotonic
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from harken.core import dataversion

M = TypeVar("M", bound=Model)
MAX_ENTRIES = 20_000
SAFE_METHODS = ("GET", "HEAD")
_MISSING = object()


class _Scope:
    __slots__ = ("local", "read", "version")

    def __init__(self) -> None:
        self.read = False
        self.version: int | None = None
        self.local = 0


class _Store:
    __slots__ = ("born", "data", "generation")

    def __init__(self, generation: tuple[int, int]) -> None:
        self.generation = generation
        self.born = monotonic()
        self.data: dict[tuple[str, Any], Any] = {}


def _max_age() -> float:
    return float(getattr(settings, "HARKEN_RESPONSE_CACHE_SECONDS", 60))


_state = threading.local()
_store = _Store((-1, -1))


def _scope() -> _Scope | None:
    return getattr(_state, "scope", None)


def request_version() -> int | None:
    """The shared data version for this request: read once, on first use (None outside a request
    scope, or when it cannot be read). Outside a scope: read now, as `dataversion.current()` does."""
    scope = _scope()
    if scope is None:
        return dataversion.current()
    if not scope.read:
        scope.local = dataversion.local_version()
        scope.version = dataversion.current()
        scope.read = True
    return scope.version


def remember(kind: str, key: Any, compute: Callable[[], Any]) -> Any:
    """`compute()`, or what it returned earlier at this request's data version. The result must be immutable."""
    global _store
    scope = _scope()
    if scope is None:
        return compute()
    version = request_version()
    if version is None or dataversion.local_version() != scope.local:
        return compute()
    generation = (version, scope.local)
    store = _store
    if store.generation != generation or monotonic() - store.born > _max_age():
        if generation[0] < store.generation[0] or generation[1] < store.generation[1]:
            return compute()  # an older request still running: neither read nor replace the newer memo
        store = _store = _Store(generation)
    value = store.data.get((kind, key), _MISSING)
    if value is not _MISSING:
        return value
    value = compute()
    if dataversion.local_version() == scope.local and len(store.data) < MAX_ENTRIES:
        store.data[(kind, key)] = value
    return value


def row_of(instance: Model) -> tuple[Any, ...]:
    """The concrete column values of an instance, in field order (what `build` takes back)."""
    return tuple(getattr(instance, f.attname) for f in instance._meta.concrete_fields)


def build(model: type[M], row: Sequence[Any], names: Sequence[str] | None = None) -> M:
    """A fresh instance of `model` from `row_of()` values, as if just loaded from the database (with
    `names`, only those columns, as `.only(*names)` loads them: the others are deferred)."""
    if names is None:
        names = [f.attname for f in model._meta.concrete_fields]
    return model.from_db(DEFAULT_DB_ALIAS, list(names), copy.deepcopy(list(row)))


def clear() -> None:
    """Forget everything (tests)."""
    global _store
    _store = _Store((-1, -1))


class RequestScopeMiddleware:
    """Open a memo scope for each GET or HEAD request (first in the list, so auth and views run inside it).

    Other methods get none: they write, so the memo could not be reused after them anyway, and reading the
    version first would only add a query to each write (an API create stays at its one token lookup)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        previous = _scope()
        _state.scope = _Scope() if request.method in SAFE_METHODS else None
        try:
            return self.get_response(request)
        finally:
            _state.scope = previous
