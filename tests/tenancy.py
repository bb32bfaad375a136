"""Tenancy cases: every workspace URL and API operation registers one in tests/<app>/tenancy.py.

A `Case` says how to build an object of the given workspace and which URL kwargs point at it.
tests/test_tenancy.py checks every case (outsider gets 404, viewer cannot write) and fails if a
URL pattern or API operation has no case at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harken.workspaces.models import Workspace

Maker = Callable[[Workspace], dict[str, Any]]


def no_objects(workspace: Workspace) -> dict[str, Any]:
    return {}


@dataclass
class Case:
    """A workspace page. `make(ws)` creates what the URL needs and returns its URL kwargs (without ws)."""

    url_name: str
    make: Maker = no_objects
    write: bool = False  # a POST changes data: viewers must get 403
    data: dict[str, Any] = field(default_factory=dict)  # POST body used for the write checks
    read: bool = True  # GET is meaningful (False for POST-only endpoints)
    min_role: str = "viewer"  # the lowest role that may open the page (GET); lower roles get 403
    write_role: str = "member"  # the lowest role that may POST (write cases); lower roles get 403


@dataclass
class ApiCase:
    """An API operation. `path` is a format string filled with what `make(ws)` returns."""

    method: str
    path: str
    make: Maker = no_objects
    write: bool = False
    json: dict[str, Any] | None = None


@dataclass
class Exempt:
    """A workspace URL with no tenant data behind it, with the reason."""

    url_name: str
    why: str
