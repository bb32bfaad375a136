"""A server-side cache of rendered GET responses, correct by construction: keyed by the data version.

    @workspace_view()
    @cached_page
    def inbox(request, actor): ...

    @router.get("/", response=FeedbackList)
    @cached_result(FeedbackList)
    def list_feedback(request, ...): ...

The key is the data version (harken/core/dataversion.py: bumped after every committed write of
product data, by any process, and locally at the moment of a write) + who asks (user, role,
session and CSRF cookie for pages; the API token's actor for the API) + the full URL + the headers
that change the answer (htmx). A write anywhere therefore makes every cached response stale at
once: coarse, never wrong. Entries also expire after `HARKEN_RESPONSE_CACHE_SECONDS` (60), so
relative times ("5 minutes ago") and time-based states (snoozes) are at most that old.

The decorators sit *inside* the access checks (`workspace_view`, the API's token auth): a request is
authorised before the cache is looked at, so the cache never answers someone the view would refuse.
Not cached: non-GET requests, responses other than a plain 200, responses that set a cookie, pages
with a pending flash message, requests without a CSRF cookie (the page would carry a token for a
secret the browser does not have). Pages also get an ETag from the same key: a browser revalidating
with If-None-Match gets a 304 without a render.

Reads stay pure: the version is read, never written, by a GET, and entries live in the
`responses` cache (process memory by default), not in the database.

The version is read once per request (`memo.request_version()`, opened by `RequestScopeMiddleware`):
the access checks before the cache read the session's user, membership and time zone (or the API
token) from `harken/core/memo.py`'s memo under that same version, so a hit costs two queries (the
session and the version; an API hit, the version only). Everything the page shows is read after the
version was, so an entry stored under V is never older than V.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified

from harken.core import dataversion, memo

CACHE_ALIAS = "responses"
KEPT_HEADERS = ("Content-Type", "Content-Language", "HX-Trigger", "HX-Push-Url", "Vary")


def enabled() -> bool:
    return bool(getattr(settings, "HARKEN_RESPONSE_CACHE", True))


def _ttl() -> int:
    return int(getattr(settings, "HARKEN_RESPONSE_CACHE_SECONDS", 60))


def _key(kind: str, version: int, parts: list[str]) -> str:
    raw = "\x1f".join([kind, str(version), str(dataversion.local_version()), *parts])
    return f"harken:resp:{hashlib.blake2b(raw.encode(), digest_size=20).hexdigest()}"


def _page_key(request: HttpRequest, actor: Any) -> str | None:
    if request.method not in ("GET", "HEAD") or not enabled():
        return None
    csrf_cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    if not csrf_cookie or not getattr(request, "session", None) or not request.session.session_key:
        return None
    if len(get_messages(request)):  # a flash message is shown once; render it
        return None
    version = memo.request_version()
    if version is None:
        return None
    return _key(
        "page",
        version,
        [
            str(actor.workspace.pk),
            str(actor.role),
            str(request.user.pk),
            request.session.session_key,
            csrf_cookie,
            request.get_full_path(),
            request.headers.get("HX-Request", ""),
            request.headers.get("HX-Target", ""),
            request.headers.get("HX-Boosted", ""),
            request.headers.get("Accept", ""),
            request.META.get("wsgi.url_scheme", ""),
            request.get_host(),
        ],
    )


def cached_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Cache a workspace page `(request, actor, ...)`; put it under `@workspace_view(...)`."""

    @wraps(view)
    def wrapper(request: HttpRequest, actor: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        key = _page_key(request, actor)
        if key is None:
            return view(request, actor, *args, **kwargs)
        etag = f'"{key[-20:]}"'
        if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
            not_modified = HttpResponseNotModified()
            not_modified["ETag"] = etag
            return not_modified
        cache = caches[CACHE_ALIAS]
        hit = cache.get(key)
        if hit is not None:
            status, headers, content = hit
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response[name] = value
            response["X-Harken-Cache"] = "hit"
            response["ETag"] = etag
            return response
        response = view(request, actor, *args, **kwargs)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            # Django re-sends the CSRF cookie whenever a page uses it (to renew its expiry); only a new
            # secret (rotated at sign-in) makes the page unfit for reuse.
            and request.META.get("CSRF_COOKIE") == request.COOKIES.get(settings.CSRF_COOKIE_NAME)
            and not getattr(request.session, "modified", False)
        ):
            headers = [(name, response[name]) for name in KEPT_HEADERS if name in response]
            cache.set(key, (response.status_code, headers, response.content), _ttl())
            response["ETag"] = etag
            response["X-Harken-Cache"] = "miss"
        return response

    return wrapper


def cached_result(schema: Any = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Cache an API GET operation's answer per token actor and full URL: `@cached_result(FeedbackList)`.

    For django-ninja operations: the token was checked (and the actor resolved) before the function
    runs, so only authorised requests reach the cache. With `schema` (the operation's `response=`), the
    result is validated and rendered here, exactly as django-ninja would, and the rendered JSON bytes are
    cached: a hit costs no validation or serialisation (for 50 items that was most of the request's CPU).
    Without it the unserialised result is cached.
    """

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            actor = getattr(request, "auth", None)
            version = memo.request_version() if enabled() and request.method == "GET" and actor is not None else None
            if version is None or actor is None:
                return func(request, *args, **kwargs)
            user = getattr(actor, "user", None)
            key = _key(
                "api",
                version,
                [
                    str(actor.workspace.pk),
                    str(actor.role),
                    str(getattr(user, "pk", "")),
                    request.get_full_path(),
                    request.META.get("wsgi.url_scheme", ""),
                    request.get_host(),
                    "rendered" if schema is not None else "result",
                ],
            )
            cache = caches[CACHE_ALIAS]
            hit = cache.get(key)
            if hit is not None:
                if schema is None:
                    return hit
                content_type, content = hit
                return HttpResponse(content, status=200, content_type=content_type)
            result = func(request, *args, **kwargs)
            if isinstance(result, HttpResponse):
                return result
            if schema is None:
                cache.set(key, result, _ttl())
                return result
            response = _render(request, schema, result)
            cache.set(key, (response["Content-Type"], response.content), _ttl())
            return response

        return wrapper

    return decorate


def _render(request: HttpRequest, schema: Any, result: Any) -> HttpResponse:
    """What django-ninja's `Operation._result_to_response` makes of a 200 result with this response schema."""
    from harken.api import api

    context = {"request": request, "response_status": 200}
    data = schema.model_validate(result, context=context).model_dump(
        by_alias=False, exclude_unset=False, exclude_defaults=False, exclude_none=False, context=context
    )
    return HttpResponse(
        api.renderer.render(request, data, response_status=200), status=200, content_type=api.get_content_type()
    )
