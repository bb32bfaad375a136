from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect


def root(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("hub:home")
    return redirect("accounts:login")


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness plus a database round trip, for load balancers and `harken check`."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"status": "error", "database": str(exc)}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


def redirect_back(request: HttpRequest, fallback: str) -> HttpResponse:
    """After a POST: back to the form's local `next` path (never another host), else `fallback`."""
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(fallback)


def error_text(exc: ValidationError) -> str:
    """A ValidationError's messages as one sentence-run for a flash message or an inline error."""
    return " ".join(exc.messages)


def flash_error(request: HttpRequest, exc: ValidationError) -> None:
    """Show a refused write's reasons as an error message on the next page."""
    messages.error(request, error_text(exc))
