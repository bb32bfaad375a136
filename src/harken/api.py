"""The HTTP API: each app's `api.py` contributes a `router`; OpenAPI at /api/openapi.json."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from ninja import NinjaAPI

from harken.core.registry import HARKEN_APPS

api = NinjaAPI(
    title="Harken API",
    version="1",
    description=(
        "Authenticate with a workspace API token: `Authorization: Bearer hk_…`. "
        "Create tokens under Workspace settings → API tokens. Every call is scoped to the token's workspace."
    ),
    urls_namespace="api",
)

for _app in HARKEN_APPS:
    if find_spec(f"harken.{_app}.api"):
        _module = import_module(f"harken.{_app}.api")
        _router = getattr(_module, "router", None)
        if _router is not None:
            api.add_router(getattr(_module, "prefix", f"/{_app}"), _router)


@api.exception_handler(__import__("django.core.exceptions", fromlist=["PermissionDenied"]).PermissionDenied)
def _permission_denied(request, exc):  # type: ignore[no-untyped-def]
    return api.create_response(request, {"detail": str(exc) or "Permission denied"}, status=403)


@api.exception_handler(__import__("django.core.exceptions", fromlist=["ValidationError"]).ValidationError)
def _validation_error(request, exc):  # type: ignore[no-untyped-def]
    """A service's ValidationError that escapes an endpoint is a 422 in the one error shape."""
    from harken.core.apierrors import error_body

    return api.create_response(request, error_body(exc), status=422)
