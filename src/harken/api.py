"""The HTTP API: each app's `api.py` contributes a `router`; OpenAPI at /api/openapi.json."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger
from ninja.errors import ValidationError as RequestValidationError

from harken.core.apierrors import error_body, request_error_body
from harken.core.registry import HARKEN_APPS

api = NinjaAPI(
    title="Harken API",
    version="1",
    description=(
        "Authenticate with a workspace API token: `Authorization: Bearer hk_…`. "
        "Create tokens under Workspace settings → API tokens. Every call is scoped to the token's workspace, "
        "and a token never acts above its creator's current role (it stops working when they leave).\n\n"
        "**Errors** all have one shape: "
        '`{"detail": "<first message>", "errors": {"<field>": ["<message>", …]}}`. '
        "Invalid input (a missing or mistyped field, a value the service refuses, a NUL character, an "
        "unpaired surrogate, an integer beyond 64 bits, JSON nested over 32 levels) is **422**; a body over "
        "the size limit is **413**; a read-only token writing, or a role too low, is **403**; no or a dead "
        "token is **401**; another workspace's object is **404**."
    ),
    urls_namespace="api",
    # Swagger UI is served from our static files ("ninja" in INSTALLED_APPS); its spec-validator badge
    # would call validator.swagger.io, so it is off: nothing on /api/docs leaves the server.
    docs=Swagger(settings={"validatorUrl": None}),
)

for _app in HARKEN_APPS:
    if find_spec(f"harken.{_app}.api"):
        _module = import_module(f"harken.{_app}.api")
        _router = getattr(_module, "router", None)
        if _router is not None:
            api.add_router(getattr(_module, "prefix", f"/{_app}"), _router)


@api.exception_handler(PermissionDenied)
def _permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    message = str(exc) or "Permission denied"
    return api.create_response(request, {"detail": message, "errors": {}}, status=403)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """A service's ValidationError that escapes an endpoint is a 422 in the one error shape."""
    return api.create_response(request, error_body(exc), status=422)


@api.exception_handler(RequestValidationError)
def _request_validation_error(request: HttpRequest, exc: RequestValidationError) -> HttpResponse:
    """ninja's own request validation (missing field, wrong type, bad JSON) in the same shape."""
    return api.create_response(request, request_error_body(exc.errors), status=422)


@api.exception_handler(DataError)
@api.exception_handler(OverflowError)
def _out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A safety net: a value the database cannot store is the client's 422, not our 500."""
    message = "A value is out of range or not storable (too long, too large, or not valid text)."
    body: dict[str, Any] = {"detail": message, "errors": {"__all__": [message]}}
    return api.create_response(request, body, status=422)
