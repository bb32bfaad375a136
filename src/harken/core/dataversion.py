"""The data version: what cached GET responses are keyed by, bumped by every write of product data.

The one place a write is noticed is the database itself: a wrapper on every connection
(`watch`, installed when a connection is created) sees each INSERT, UPDATE, DELETE and TRUNCATE.
Looking at statements rather than at model methods means bulk inserts, `QuerySet.update()`,
many-to-many links, cascades and raw SQL all count; nothing has to remember to call anything.

Two counters, both only ever increase:

- `DataVersion` (one row in the database, shared by every web and worker process): bumped once per
  committed transaction that wrote, in an on-commit hook, so another process that reads the new
  version also sees the new data. A rolled-back transaction does not bump it.
- a process-local counter, bumped at the moment of the write (before the commit): within one process
  a page rendered while a write is under way is keyed by the new local value and so is never reused
  after the commit; it also keeps tests (whose transactions never commit) exact.

Readers: `respcache` (rendered responses) and `memo` (small product-data reads such as the session's
user, membership and API token, reused by later requests under the same version); both read the
version once per request through `memo.request_version()`.

Not counted (bookkeeping that no cached page shows): sessions, the last sign-in time, an API token's
`last_used_at`, task-queue rows, task leases and periodic-run slots. Writes that bypass Django's
connection (a bulk `COPY` through psycopg directly) must call `bump()` themselves.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, connections

log = logging.getLogger(__name__)

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|TRUNCATE)\b", re.IGNORECASE)
IGNORED_TABLES = (
    "core_dataversion",
    "django_session",
    "django_tasks_database_dbtaskresult",
    "core_tasklease",
    "core_periodicrun",
)
IGNORED = re.compile(
    r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(?:' + "|".join(IGNORED_TABLES) + r')"?\b'
    r'|^\s*UPDATE\s+"accounts_user"\s+SET\s+"last_login"\s*=\s*\S+\s+WHERE\s+"accounts_user"\."id"\s*=\s*\S+\s*$'
    r'|^\s*UPDATE\s+"workspaces_apitoken"\s+SET\s+"last_used_at"\s*=\s*\S+\s+WHERE\s+"workspaces_apitoken"\."id"\s*=\s*\S+\s*$',
    re.IGNORECASE,
)

_local = itertools.count(1)
_local_value = 0
_paused = False  # while `migrate` runs (the table may not exist yet; nothing is cached then anyway)


def changes_data(sql: str) -> bool:
    return bool(WRITE.match(sql)) and not IGNORED.match(sql)


def local_version() -> int:
    return _local_value


def _touch_local() -> None:
    global _local_value
    _local_value = next(_local)


def current(using: str = "default") -> int | None:
    """The shared version (0 before the first bump), or None when it cannot be read (caching is then off)."""
    try:
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(version), 0) FROM core_dataversion WHERE id = 1")
            row = cursor.fetchone()
    except DatabaseError:
        return None
    return int(row[0]) if row else None


def uncommitted_writes(using: str = "default") -> bool:
    """Whether this process's connection has written in a transaction not yet committed (such
    writes may still roll back, and a rollback moves neither version)."""
    connection = connections[using]
    hook = getattr(connection, "_harken_bump", None)
    return hook is not None and any(entry[1] is hook for entry in connection.run_on_commit)


def bump(using: str = "default") -> None:
    """Bump the shared version (after a commit). A failure is logged, and the local version still moved."""
    _touch_local()
    try:
        with connections[using].cursor() as cursor:
            cursor.execute("UPDATE core_dataversion SET version = version + 1 WHERE id = 1")
            if cursor.rowcount == 0:  # the row was removed (a test database flush): start again above 0
                cursor.execute("INSERT INTO core_dataversion (id, version) VALUES (1, 1)")
    except DatabaseError:
        log.exception("could not bump the data version; cached pages may be stale until they expire")


def watch(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    """Execute wrapper: note every write of product data, and bump the version when it commits."""
    result = execute(sql, params, many, context)
    if not _paused and isinstance(sql, str) and changes_data(sql):
        _touch_local()
        connection = context["connection"]
        if connection.in_atomic_block:
            hook = _hook_for(connection)
            if not any(entry[1] is hook for entry in connection.run_on_commit):
                connection.on_commit(hook)
        else:
            bump(connection.alias)
    return result


def _hook_for(connection: Any) -> Callable[[], None]:
    hook = getattr(connection, "_harken_bump", None)
    if hook is None:
        alias = connection.alias

        def hook() -> None:
            bump(alias)

        connection._harken_bump = hook
    return hook


def pause(**kwargs: Any) -> None:
    """`pre_migrate` receiver."""
    global _paused
    _paused = True


def resume(**kwargs: Any) -> None:
    """`post_migrate` receiver: migrations may have changed anything; start from a new version."""
    global _paused
    _paused = False
    _touch_local()


def install(sender: Any, connection: Any, **kwargs: Any) -> None:
    """`connection_created` receiver: put the wrapper on every new connection, once."""
    if watch not in connection.execute_wrappers:
        # First in the list (outermost): `connection.execute_wrapper()` pops the *last* wrapper on exit,
        # so a connection opened inside such a block must not have ours at the end.
        connection.execute_wrappers.insert(0, watch)
