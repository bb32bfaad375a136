"""Reads never write: every workspace page and every API GET, opened by a viewer, changes no row.

The pages are the ones tests/test_tenancy.py walks (each app's tests/<app>/tenancy.py cases, with
their data). A database-level wrapper fails on any INSERT, UPDATE or DELETE while the page renders;
only the session and `last_login` writes of signing in are allowed, and those happen before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from tests.base import World, make_token
from tests.tenancy import ApiCase, Case
from tests.test_tenancy import API_CASES, CASES, _url

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
# What signing in may legitimately write (the session, `last_login`, an API token's `last_used_at`).
ALLOWED = ('UPDATE "django_session"', 'INSERT INTO "django_session"', 'UPDATE "accounts_user" SET "last_login"')
ALLOWED_RE = re.compile(
    r'^UPDATE "workspaces_apitoken" SET "last_used_at" = \S+ WHERE "workspaces_apitoken"."id" = \S+$'
)


@contextmanager
def no_writes() -> Iterator[list[str]]:
    writes: list[str] = []

    def check(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if WRITE.match(sql) and not (sql.startswith(ALLOWED) or ALLOWED_RE.match(sql.strip())):
            writes.append(sql[:200])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(check):
        yield writes


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in CASES if c.read], ids=lambda c: c.url_name)
def test_viewer_page_writes_nothing(case: Case, world: World) -> None:
    kwargs = case.make(world.alpha)
    client = world.client_for(world.vera)
    client.get("/")  # the session is written here, outside the check
    with no_writes() as writes:
        response = client.get(_url(case, "alpha", kwargs))
    assert response.status_code in (200, 302, 403, 405), response.status_code  # 403: a form viewers may not use
    assert not writes, f"GET {case.url_name} wrote: {writes}"


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in API_CASES if c.method.upper() == "GET"], ids=lambda c: c.path)
def test_read_only_token_get_writes_nothing(case: ApiCase, world: World) -> None:
    kwargs = case.make(world.alpha)
    token = make_token(world.alpha, world.vera, can_write=False)
    with no_writes() as writes:
        response = Client().get("/api" + case.path.format(**kwargs), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code < 500, response.content
    assert not writes, f"GET {case.path} wrote: {writes}"


def test_the_check_catches_a_write(world: World, django_db_blocker: Any) -> None:
    """The wrapper itself must fail on a write (a check that cannot fail is no check)."""
    with django_db_blocker.unblock(), no_writes() as writes:
        world.alpha.feedback_items.create(text="written during a read")
    assert writes and writes[0].startswith("INSERT")
