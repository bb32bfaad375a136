"""The request guard: hostile input is refused before any view runs, with a clear 4xx.

- Query strings (every path): a NUL character, or an integer beyond 64 bits (except in the free-text
  search `q`) → 400 on pages, 422 on the API.
- Form posts on pages (urlencoded or multipart fields, not files): a NUL character → 400.
- API JSON bodies (/api/): NUL, unpaired surrogates, integers beyond 64 bits, nesting deeper than
  32 levels, or JSON that cannot be decoded at all → 422.
- API bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (multipart uploads excepted, which have their own
  limits) → 413.
API errors use the one shape of `harken.core.apierrors`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from harken.core import safeinput

API_PREFIX = "/api/"
FREE_TEXT_PARAMS = {"q"}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _bad_request(problem: str) -> HttpResponse:
    return HttpResponseBadRequest(f"Bad request: {problem}", content_type="text/plain; charset=utf-8")


def _api_error(field: str, message: str, status: int = 422) -> JsonResponse:
    return JsonResponse({"detail": message, "errors": {field: [message]}}, status=status)


class RequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = self.check(request)
        return refused if refused is not None else self.get_response(request)

    def check(self, request: HttpRequest) -> HttpResponse | None:
        is_api = request.path.startswith(API_PREFIX)
        for key, values in request.GET.lists():
            for value in [key, *values]:
                # Free-text search may be a long number (an order id): only NUL counts there.
                check = safeinput.text_problem if key in FREE_TEXT_PARAMS else safeinput.query_value_problem
                problem = check(value)
                if problem:
                    if is_api:
                        return _api_error(safeinput.strip_nul(key)[:100] or "__all__", problem)
                    return _bad_request(problem)
        if not is_api:
            if request.method == "POST" and (request.content_type or "").startswith(FORM_TYPES):
                for key, values in request.POST.lists():  # fields only; uploaded files may be binary
                    for value in [key, *values]:
                        problem = safeinput.text_problem(value)
                        if problem:
                            return _bad_request(problem)
            return None
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        content_type = request.content_type or ""
        if content_type.startswith("multipart/"):
            return None
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            return JsonResponse(
                {"detail": f"The request body is over the limit of {limit // 1024} KB.", "errors": {}}, status=413
            )
        if content_type != "application/json":
            return None
        try:
            body = request.body
        except RequestDataTooBig:
            return JsonResponse(
                {"detail": f"The request body is over the limit of {(limit or 0) // 1024} KB.", "errors": {}},
                status=413,
            )
        if not body.strip():
            return None
        try:
            data = json.loads(body)
        except RecursionError:
            return _api_error("__all__", f"JSON is nested more than {safeinput.MAX_DEPTH} levels deep.")
        except (UnicodeDecodeError, ValueError) as exc:
            return _api_error("__all__", f"The body is not valid JSON: {getattr(exc, 'msg', 'cannot decode')}.")
        field, problem = safeinput.json_problem(data)
        if problem:
            return _api_error(field, problem)
        return None


DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    """Send a Content-Security-Policy on every response: scripts only from this site's static files
    (no inline scripts, no event-handler attributes, no eval), nothing from other origins.

    Inline *styles* stay allowed (style attributes are used for chart geometry); they cannot run code.
    Override with the HARKEN_CSP setting (an empty string sends no header).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "HARKEN_CSP", DEFAULT_CSP)
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
