"""The tenancy boundary, for every workspace URL and every API operation.

Each app lists its cases in tests/<app>/tenancy.py (CASES, API_CASES, EXEMPT). A new URL or
API operation without a case fails `test_every_url_has_a_tenancy_case`.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import tests
from harken.api import api
from tests.base import World, make_token
from tests.tenancy import ApiCase, Case, Exempt


def _collect() -> tuple[list[Case], list[ApiCase], list[Exempt]]:
    cases: list[Case] = []
    api_cases: list[ApiCase] = []
    exempt: list[Exempt] = []
    for module_info in pkgutil.iter_modules(tests.__path__):
        if not module_info.ispkg:
            continue
        try:
            module = importlib.import_module(f"tests.{module_info.name}.tenancy")
        except ModuleNotFoundError:
            continue
        cases += getattr(module, "CASES", [])
        api_cases += getattr(module, "API_CASES", [])
        exempt += getattr(module, "EXEMPT", [])
    return cases, api_cases, exempt


CASES, API_CASES, EXEMPT = _collect()


def _workspace_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str, under_ws: bool) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, ns, under_ws or "<slug:ws>" in str(p.pattern))
            elif isinstance(p, URLPattern) and under_ws and p.name:
                names.add(f"{namespace}{p.name}")

    walk(get_resolver().url_patterns, "", False)
    return names


def _api_operations() -> set[tuple[str, str]]:
    operations = set()
    for path, methods in api.get_openapi_schema(path_prefix="")["paths"].items():
        for method in methods:
            operations.add((method.upper(), path))
    return operations


def test_every_url_has_a_tenancy_case() -> None:
    covered = {c.url_name for c in CASES} | {e.url_name for e in EXEMPT}
    missing = sorted(_workspace_url_names() - covered)
    assert not missing, f"Workspace URLs without a tenancy case in tests/<app>/tenancy.py: {missing}"


def test_every_api_operation_has_a_tenancy_case() -> None:
    covered = {(c.method.upper(), c.path.split("?")[0]) for c in API_CASES}

    def normalise(path: str) -> str:
        import re

        return re.sub(r"\{[^}]+\}", "{}", path)

    covered_norm = {(m, normalise(p)) for m, p in covered}
    missing = sorted((m, p) for m, p in _api_operations() if (m, normalise(p)) not in covered_norm)
    assert not missing, f"API operations without a tenancy case: {missing}"


def _url(case: Case, ws: str, kwargs: dict[str, Any]) -> str:
    return reverse(case.url_name, kwargs={"ws": ws, **kwargs})


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.url_name)
def test_outsider_gets_404(case: Case, world: World) -> None:
    """Alice (Alpha) asks for Bravo's pages: by Bravo's slug, and by Bravo's ids under Alpha's slug."""
    bravo_kwargs = case.make(world.bravo)
    client = world.client_for(world.alice)
    method = client.get if case.read else client.post
    assert method(_url(case, "bravo", bravo_kwargs)).status_code == 404
    if bravo_kwargs:
        response = (
            method(_url(case, "alpha", bravo_kwargs), data=case.data)
            if not case.read
            else method(_url(case, "alpha", bravo_kwargs))
        )
        assert response.status_code == 404, f"{case.url_name} served Bravo's object under Alpha's slug"
        if case.write:
            response = client.post(_url(case, "alpha", bravo_kwargs), data=case.data)
            assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in CASES if c.read], ids=lambda c: c.url_name)
def test_member_can_read(case: Case, world: World) -> None:
    kwargs = case.make(world.alpha)
    reader = world.alice if case.min_role in ("admin", "owner") else world.bob
    response = world.client_for(reader).get(_url(case, "alpha", kwargs))
    assert response.status_code in (200, 302, 405), response.status_code


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in CASES if c.write], ids=lambda c: c.url_name)
def test_viewer_cannot_write(case: Case, world: World) -> None:
    kwargs = case.make(world.alpha)
    response = world.client_for(world.vera).post(_url(case, "alpha", kwargs), data=case.data)
    assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("case", API_CASES, ids=lambda c: f"{c.method} {c.path}")
def test_api_outsider_gets_404(case: ApiCase, world: World) -> None:
    """A token of Alpha never reaches Bravo's objects."""
    bravo_kwargs = case.make(world.bravo)
    if not bravo_kwargs:
        pytest.skip("collection endpoint: see test_list_endpoints_show_nothing_of_another_workspace")
    token = make_token(world.alpha, world.alice)
    from django.test import Client

    response = Client().generic(
        case.method.upper(),
        "/api" + case.path.format(**bravo_kwargs),
        data=__import__("json").dumps(case.json or {}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 404, response.content


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in API_CASES if c.write], ids=lambda c: f"{c.method} {c.path}")
def test_api_read_only_token_cannot_write(case: ApiCase, world: World) -> None:
    kwargs = case.make(world.alpha)
    token = make_token(world.alpha, world.vera, can_write=False)
    from django.test import Client

    response = Client().generic(
        case.method.upper(),
        "/api" + case.path.format(**kwargs),
        data=__import__("json").dumps(case.json or {}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 403, response.content


@pytest.mark.django_db
@pytest.mark.parametrize("case", API_CASES, ids=lambda c: f"{c.method} {c.path}")
def test_api_requires_a_token(case: ApiCase, world: World) -> None:
    kwargs = case.make(world.alpha)
    from django.test import Client

    response = Client().generic(
        case.method.upper(), "/api" + case.path.format(**kwargs), data="{}", content_type="application/json"
    )
    assert response.status_code == 401


# --- The authorisation matrix: every page × role × own/foreign workspace × anonymous ---------------

ROLES = ["owner", "admin", "member", "viewer"]
RANK = {role: n for n, role in enumerate(reversed(ROLES))}  # viewer 0 … owner 3


def _person(world: World, role: str) -> Any:
    from harken.workspaces.models import Membership

    if role == "admin":
        from tests.base import make_user

        ada = make_user("ada@alpha.test", "Ada Admin")
        Membership.objects.create(workspace=world.alpha, user=ada, role="admin")
        return ada
    return {"owner": world.alice, "member": world.bob, "viewer": world.vera}[role]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", [c for c in CASES if c.read], ids=lambda c: c.url_name)
def test_each_role_reads_exactly_what_it_may(case: Case, role: str, world: World) -> None:
    kwargs = case.make(world.alpha)
    response = world.client_for(_person(world, role)).get(_url(case, "alpha", kwargs))
    if RANK[role] >= RANK[case.min_role]:
        assert response.status_code in (200, 302, 405), (role, response.status_code)
    else:
        assert response.status_code == 403, (role, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["viewer", "member"])
@pytest.mark.parametrize("case", [c for c in CASES if c.write], ids=lambda c: c.url_name)
def test_roles_below_the_write_role_are_refused(case: Case, role: str, world: World) -> None:
    if RANK[role] >= RANK[case.write_role]:
        pytest.skip(f"{role} may write here")
    kwargs = case.make(world.alpha)
    response = world.client_for(_person(world, role)).post(_url(case, "alpha", kwargs), data=case.data)
    assert response.status_code == 403, (role, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.url_name)
def test_anonymous_is_sent_to_sign_in(case: Case, world: World) -> None:
    from django.test import Client

    kwargs = case.make(world.alpha)
    client = Client()
    response = client.get(_url(case, "alpha", kwargs)) if case.read else client.post(_url(case, "alpha", kwargs))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"], response.status_code


# --- List endpoints: a second workspace full of data, and none of it shows -----------------------

CANARY = "bravo"  # every maker names its objects after the workspace slug; Alpha's people never see it


def _seed(workspace: Any) -> None:
    """Run every case's maker for `workspace` (each in a savepoint; a maker that clashes is skipped)."""
    from django.db import transaction

    for case in [*CASES, *API_CASES]:
        try:
            with transaction.atomic():
                case.make(workspace)
        except Exception:  # noqa: BLE001,S112 - a maker that needs a fresh workspace; others cover it
            continue


def _list_api_cases() -> list[ApiCase]:
    return [c for c in API_CASES if c.method.upper() == "GET" and "{" not in c.path]


def _list_page_cases() -> list[Case]:
    return [c for c in CASES if c.read and c.make is _no_objects()]


def _no_objects() -> Any:
    from tests.tenancy import no_objects

    return no_objects


@pytest.mark.slow
@pytest.mark.django_db
def test_list_endpoints_show_nothing_of_another_workspace(world: World) -> None:
    """Seed both workspaces with everything every case can make, then read every list (API with a
    token, pages with a session) as Alpha: Bravo's seeding changes none of Alpha's API lists, and no
    list, API or page, mentions Bravo."""
    from django.test import Client

    api_lists, page_lists = _list_api_cases(), _list_page_cases()
    assert len(api_lists) >= 12 and len(page_lists) >= 20, (len(api_lists), len(page_lists))
    token = make_token(world.alpha, world.alice)
    client = Client()

    def read_api(case: ApiCase) -> Any:
        response = client.get("/api" + case.path, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200, (case.path, response.status_code)
        return response.json()

    _seed(world.alpha)
    before = {c.path: read_api(c) for c in api_lists}
    _seed(world.bravo)
    from harken.feedback.models import Feedback

    assert Feedback.objects.filter(workspace=world.bravo).count() >= 3, "the foreign workspace has data"
    leaks = []
    for case in api_lists:
        after = read_api(case)
        if CANARY in json.dumps(after).lower() or after != before[case.path]:
            leaks.append(f"API {case.path}")
    session = world.client_for(world.alice)
    for case in page_lists:
        response = session.get(_url(case, "alpha", {}))
        if response.status_code == 200 and CANARY in response.content.decode().lower():
            leaks.append(f"page {case.url_name}")
    assert not leaks, f"Lists that show another workspace's data: {leaks}"
