"""The widget's public side: origin checks (CORS), rate limiting, honeypot, screenshot checks.

Rate limiting uses Django's cache (a fixed one-minute window per widget and client IP). With the
default local-memory cache the limit is per process; configure a shared cache (e.g. Redis or the
database cache) when running several web processes.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from harken.channels.ingest import Record, ingest_records
from harken.channels.widget.models import Widget, WidgetSubmission
from harken.feedback.models import Channel
from harken.workspaces.access import Actor
from harken.workspaces.models import Role

MAX_SCREENSHOT_BYTES = 2 * 1024 * 1024
SCREENSHOT_TYPES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
MAX_TEXT_CHARS = 10_000
HONEYPOT_FIELD = "website"


def rate_limit() -> int:
    return int(getattr(settings, "HARKEN_WIDGET_RATE_PER_MINUTE", 10))


# --- config ------------------------------------------------------------------------------------------


def clean_origins(value: str) -> str:
    origins = []
    for line in (value or "").replace(",", "\n").splitlines():
        line = line.strip().rstrip("/")
        if not line:
            continue
        parsed = urlparse(line)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.path or parsed.query:
            raise ValidationError(
                {
                    "allowed_origins": f"“{line[:80]}” is not an origin: use scheme and host only, e.g. https://app.example.com"
                }
            )
        origins.append(f"{parsed.scheme}://{parsed.netloc}".lower())
    return "\n".join(dict.fromkeys(origins))


def _clean(actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    from harken.feedback.actions import resolve_product_line

    name = " ".join(str(data.get("name") or "").split())[:120]
    if not name:
        raise ValidationError({"name": "Name the widget after where it lives, e.g. “Web app”."})
    label = " ".join(str(data.get("button_label") or "Feedback").split())[:40] or "Feedback"
    try:
        line = resolve_product_line(actor.workspace, data.get("product_line") or None)
    except ValidationError as exc:
        raise ValidationError({"product_line": " ".join(exc.messages)}) from None
    return {
        "name": name,
        "allowed_origins": clean_origins(str(data.get("allowed_origins") or "")),
        "product_line": line,
        "button_label": label,
        "enabled": bool(data.get("enabled", True)),
    }


def create_widget(actor: Actor, data: dict[str, Any]) -> Widget:
    actor.require(Role.ADMIN)
    return Widget.objects.create(workspace=actor.workspace, **_clean(actor, data))


def update_widget(actor: Actor, widget: Widget, data: dict[str, Any]) -> Widget:
    actor.require(Role.ADMIN)
    if widget.workspace_id != actor.workspace.pk:
        raise ValidationError("That widget belongs to another workspace.")
    for key, value in _clean(actor, data).items():
        setattr(widget, key, value)
    widget.save()
    return widget


def delete_widget(actor: Actor, widget: Widget) -> None:
    actor.require(Role.ADMIN)
    if widget.workspace_id != actor.workspace.pk:
        raise ValidationError("That widget belongs to another workspace.")
    widget.delete()


# --- public side ---------------------------------------------------------------------------------------


def origin_allowed(widget: Widget, origin: str) -> bool:
    return bool(origin) and origin.strip().rstrip("/").lower() in widget.origins


def hit(widget: Widget, ip: str, now: float | None = None) -> int:
    """Count one request; returns 0 when allowed, else the seconds until the window resets (Retry-After)."""
    now = time.time() if now is None else now
    window = int(now // 60)
    key = f"harken:widget-rate:{widget.pk}:{ip}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    if count > rate_limit():
        return max(1, 60 - int(now % 60))
    return 0


@dataclass
class Submitted:
    status: int
    body: dict[str, Any]


def submit(
    widget: Widget,
    data: dict[str, Any],
    screenshot: UploadedFile | None,
    *,
    origin: str,
    remote_addr: str,
    user_agent: str,
) -> Submitted:
    """Validate and store one submission; the honeypot answers 'ok' to bots and stores nothing."""
    if str(data.get(HONEYPOT_FIELD) or "").strip():
        return Submitted(200, {"status": "ok"})
    text = str(data.get("text") or "").strip()
    email = str(data.get("email") or "").strip()
    errors: dict[str, str] = {}
    if not text:
        errors["text"] = "Please write your feedback."
    elif len(text) > MAX_TEXT_CHARS:
        errors["text"] = f"Please keep it under {MAX_TEXT_CHARS} characters."
    content_type = ""
    if screenshot is not None:
        content_type = (screenshot.content_type or "").split(";")[0].strip().lower()
        if screenshot.size is not None and screenshot.size > MAX_SCREENSHOT_BYTES:
            errors["screenshot"] = f"The screenshot is larger than {MAX_SCREENSHOT_BYTES // (1024 * 1024)} MB."
        elif content_type not in SCREENSHOT_TYPES:
            errors["screenshot"] = "The screenshot must be a PNG or JPEG image."
        else:
            head = screenshot.read(8)
            screenshot.seek(0)
            if not head.startswith(SCREENSHOT_TYPES[content_type]):
                errors["screenshot"] = "The screenshot is not a valid PNG or JPEG image."
    if errors:
        return Submitted(400, {"errors": errors})
    page_url = str(data.get("page") or "")[:1000]
    raw = {"text": text, "email": email, "page": page_url, "origin": origin, "user_agent": user_agent[:300]}
    record = Record(
        number=1,
        text=text,
        author_email=email,
        channel=str(Channel.WIDGET),
        tags=[],
        raw=json.dumps(raw, ensure_ascii=False),
    )
    actor = Actor.system(widget.workspace)
    with transaction.atomic():
        # No source id: a widget post is a new item each time (keyed by submission, not by content).
        submission = WidgetSubmission.objects.create(
            workspace=widget.workspace,
            widget=widget,
            origin=origin[:300],
            page_url=page_url,
            remote_addr=remote_addr[:64],
            user_agent=user_agent[:300],
        )
        record.external_id = f"{widget.public_key}:{submission.pk}"
        result = ingest_records(actor, "widget", [record], product_line=widget.product_line)
        if result.error_count:
            transaction.set_rollback(True)
            reason = result.errors[0]["reason"]
            field = "email" if "email" in reason.lower() else "text"
            return Submitted(400, {"errors": {field: reason}})
        submission.feedback_id = result.seen_ids[0]
        if screenshot is not None:
            submission.screenshot_type = content_type
            submission.screenshot_size = screenshot.size or 0
            extension = "png" if content_type == "image/png" else "jpg"
            submission.screenshot.save(f"screenshot.{extension}", screenshot, save=False)
        submission.save()
    return Submitted(201, {"status": "ok", "id": submission.feedback_id})
