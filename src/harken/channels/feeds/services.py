"""Polling feeds: conditional GET, feedparser, dedup by entry id, exponential backoff on errors.

HTTP goes through the standard library (urllib) with a timeout and a size cap. A feed that fails is
retried after schedule × 2^failures minutes (capped at a day); its page shows the last error.
"""

from __future__ import annotations

import calendar
import http.client
import logging
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from harken.channels.feeds.models import Feed, FeedPoll, PollOutcome
from harken.channels.ingest import Problem, Record, as_text, html_to_text, ingest_records
from harken.core import netguard
from harken.feedback.models import Channel
from harken.workspaces.access import Actor
from harken.workspaces.models import Role

log = logging.getLogger(__name__)

MAX_FEED_BYTES = 5 * 1024 * 1024
TIMEOUT_SECONDS = 15
MAX_BACKOFF = timedelta(hours=24)
MIN_SCHEDULE, MAX_SCHEDULE = 5, 7 * 24 * 60
POLLS_KEPT = 50
USER_AGENT = "Harken feed poller (+https://github.com/harken)"
UNREACHABLE_MESSAGE = "Could not reach the feed. Check the address, and that the site is up."
BLOCKED_MESSAGE = (
    "This feed's address is not on the public internet, so Harken does not fetch it. "
    "An administrator can allow intranet networks with HARKEN_FETCH_ALLOWED_NETWORKS."
)


# --- managing feeds ----------------------------------------------------------------------------------


def _blocked_literal(host: str) -> bool:
    try:
        netguard.check_host_literal(host)
    except netguard.BlockedAddress:
        return True
    return False


def _clean(actor: Actor, data: dict[str, Any], feed: Feed | None = None) -> dict[str, Any]:
    from harken.feedback.actions import parse_tag_names, resolve_product_line

    errors: dict[str, str] = {}
    url = str(data.get("url") or "").strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        errors["url"] = "Enter the feed's full address, starting with http:// or https://."
    elif _blocked_literal(parsed.hostname or ""):
        errors["url"] = BLOCKED_MESSAGE
    elif actor.workspace.feeds.filter(url=url).exclude(pk=feed.pk if feed else None).exists():
        errors["url"] = "This workspace already follows that feed."
    try:
        schedule = int(data.get("schedule_minutes") or 60)
    except (TypeError, ValueError):
        schedule = -1
    if not MIN_SCHEDULE <= schedule <= MAX_SCHEDULE:
        errors["schedule_minutes"] = f"Check every {MIN_SCHEDULE} to {MAX_SCHEDULE} minutes."
    line = None
    try:
        line = resolve_product_line(actor.workspace, data.get("product_line") or None)
    except ValidationError as exc:
        errors["product_line"] = " ".join(exc.messages)
    try:
        tags = ", ".join(parse_tag_names(str(data.get("tags") or "")))
    except ValidationError as exc:
        errors["tags"] = " ".join(exc.messages)
        tags = ""
    if errors:
        raise ValidationError(errors)
    return {
        "url": url,
        "name": " ".join(str(data.get("name") or "").split())[:120],
        "schedule_minutes": schedule,
        "product_line": line,
        "tags": tags,
        "enabled": bool(data.get("enabled", True)),
    }


def create_feed(actor: Actor, data: dict[str, Any]) -> Feed:
    actor.require(Role.MEMBER)
    values = _clean(actor, data)
    try:
        with transaction.atomic():
            return Feed.objects.create(workspace=actor.workspace, next_poll_at=timezone.now(), **values)
    except IntegrityError:
        raise ValidationError({"url": "This workspace already follows that feed."}) from None


def update_feed(actor: Actor, feed: Feed, data: dict[str, Any]) -> Feed:
    actor.require(Role.MEMBER)
    _own(actor, feed)
    values = _clean(actor, data, feed)
    if values["url"] != feed.url:
        feed.etag = feed.last_modified = ""  # a new address starts without cached validators
    was_enabled = feed.enabled
    for key, value in values.items():
        setattr(feed, key, value)
    if values["enabled"] and not was_enabled:
        feed.consecutive_failures = 0
        feed.next_poll_at = timezone.now()
    feed.save()
    return feed


def delete_feed(actor: Actor, feed: Feed) -> None:
    actor.require(Role.MEMBER)
    _own(actor, feed)
    feed.delete()  # items already created stay: they are customer evidence


def request_poll(actor: Actor, feed: Feed) -> None:
    """ "Poll now": queue the poll for the worker (no HTTP inside a web request)."""
    from harken.channels.feeds.tasks import poll_feed_task

    actor.require(Role.MEMBER)
    _own(actor, feed)
    with transaction.atomic():
        Feed.objects.filter(pk=feed.pk).update(next_poll_at=timezone.now())
        poll_feed_task.enqueue(feed.pk)


def _own(actor: Actor, feed: Feed) -> None:
    if feed.workspace_id != actor.workspace.pk:
        raise ValidationError("That feed belongs to another workspace.")


# --- polling ---------------------------------------------------------------------------------------


class FetchError(Exception):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def fetch(feed: Feed) -> tuple[int, bytes, dict[str, str]]:
    """GET with If-None-Match / If-Modified-Since. Returns (status, body, headers); 304 has no body."""
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5",
    }
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    if urlparse(feed.url).scheme not in ("http", "https"):
        raise FetchError("Only http:// and https:// feeds can be polled.")
    request = urllib.request.Request(feed.url, headers=headers)  # noqa: S310  (scheme checked above)
    try:
        with netguard.open_url(request, timeout=TIMEOUT_SECONDS) as response:
            body = response.read(MAX_FEED_BYTES + 1)
            if len(body) > MAX_FEED_BYTES:
                raise FetchError(f"The feed is larger than {MAX_FEED_BYTES // (1024 * 1024)} MB.", response.status)
            return response.status, body, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return 304, b"", {k.lower(): v for k, v in exc.headers.items()}
        reason = {
            404: "the address was not found",
            410: "the feed is gone",
            401: "it needs a login",
            403: "access is forbidden",
        }
        raise FetchError(
            f"The server answered HTTP {exc.code} ({reason.get(exc.code, exc.reason)}).", exc.code
        ) from None
    except netguard.BlockedAddress:
        raise FetchError(BLOCKED_MESSAGE) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, netguard.BlockedAddress):
            raise FetchError(BLOCKED_MESSAGE) from None
        raise FetchError(UNREACHABLE_MESSAGE) from None  # no reason: it would tell open ports from closed ones
    except (OSError, http.client.HTTPException, ValueError):
        raise FetchError(UNREACHABLE_MESSAGE) from None


def backoff(feed: Feed, failures: int) -> timedelta:
    """schedule × 2^(failures-1), capped at a day (and never shorter than the schedule)."""
    delay = timedelta(minutes=feed.schedule_minutes) * (2 ** min(max(failures - 1, 0), 16))
    return max(min(delay, MAX_BACKOFF), timedelta(minutes=feed.schedule_minutes))


def entry_records(feed: Feed, parsed: Any) -> list[Record | Problem]:
    records: list[Record | Problem] = []
    tags = [t.strip() for t in feed.tags.split(",") if t.strip()]
    for number, entry in enumerate(parsed.entries, start=1):
        entry_id = as_text(entry.get("id") or entry.get("link"))
        content = ""
        if entry.get("content"):
            content = as_text(entry["content"][0].get("value"))
        text = html_to_text(content or as_text(entry.get("summary")))
        title = html_to_text(as_text(entry.get("title")))
        if not text and not title:
            records.append(Problem(number, f"Entry {number}: no title and no text", skipped=True))
            continue
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        author = entry.get("author_detail") or {}
        link = as_text(entry.get("link"))
        raw = {
            "feed": feed.url,
            "id": as_text(entry.get("id")),
            "link": link,
            "title": as_text(entry.get("title")),
            "author": as_text(entry.get("author")),
            "published": as_text(entry.get("published") or entry.get("updated")),
            "summary": as_text(entry.get("summary")),
            "content": content,
            "tags": [as_text(t.get("term")) for t in entry.get("tags", [])],
        }
        body = text or title
        if link and link not in body:
            body = f"{body}\n\n{link}"
        records.append(
            Record(
                number=number,
                external_id=entry_id,
                text=body,
                title=title,
                author_email=as_text(author.get("email")),
                author_name=as_text(author.get("name") or entry.get("author")),
                received_at=datetime.fromtimestamp(calendar.timegm(when), tz=UTC) if when else None,
                channel=str(Channel.FORUM),
                tags=tags + [as_text(t.get("term")) for t in entry.get("tags", []) if as_text(t.get("term"))][:5],
                raw=raw,
                source_ref=str(feed.pk),
            )
        )
    return records


def poll(feed: Feed, now: datetime | None = None) -> FeedPoll:
    """Fetch and ingest one feed; never raises for feed problems (they are recorded on the feed)."""
    import feedparser  # type: ignore[import-untyped]

    now = now or timezone.now()
    actor = Actor.system(feed.workspace)
    status: int | None = None
    try:
        status, body, headers = fetch(feed)
    except FetchError as exc:
        return _failed(feed, now, str(exc), exc.status)
    if status == 304:
        return _succeeded(feed, now, status, PollOutcome.NOT_MODIFIED, entries=0, created=0, warning=feed.last_warning)
    parsed = feedparser.parse(body, response_headers=headers)
    warning = ""
    if parsed.bozo:
        problem = parsed.get("bozo_exception")
        reason = f"{type(problem).__name__}: {problem}" if problem else "malformed feed"
        if not parsed.entries:
            return _failed(
                feed, now, f"The feed is not valid RSS/Atom XML ({reason}); no entries could be read.", status
            )
        warning = f"The feed's XML is broken ({reason}); {len(parsed.entries)} entries were read anyway."
    if not parsed.entries and not parsed.get("version") and not parsed.feed:
        return _failed(feed, now, "The address did not return an RSS or Atom feed.", status)
    if not feed.name and parsed.feed.get("title"):
        feed.name = as_text(parsed.feed.get("title"))[:120]
    result = ingest_records(actor, "feed", entry_records(feed, parsed), product_line=feed.product_line)
    if result.error_count:
        problems = "; ".join(e["reason"] for e in result.errors if e["level"] == "error")[:500]
        warning = (warning + " " if warning else "") + f"{result.error_count} entries could not be stored: {problems}"
    feed.etag = headers.get("etag", "")[:300]
    feed.last_modified = headers.get("last-modified", "")[:100]
    outcome = PollOutcome.NEW if result.created else PollOutcome.UNCHANGED
    return _succeeded(feed, now, status, outcome, entries=result.total, created=result.created, warning=warning)


def _succeeded(
    feed: Feed, now: datetime, status: int | None, outcome: str, *, entries: int, created: int, warning: str
) -> FeedPoll:
    feed.last_polled_at = feed.last_success_at = now
    feed.last_status = status
    feed.consecutive_failures = 0
    feed.last_error = ""
    feed.last_warning = warning
    feed.items_created += created
    feed.next_poll_at = now + timedelta(minutes=feed.schedule_minutes)
    feed.save()
    return _record(feed, outcome, status, entries, created, warning)


def _failed(feed: Feed, now: datetime, error: str, status: int | None) -> FeedPoll:
    feed.consecutive_failures += 1
    feed.last_polled_at = now
    feed.last_status = status
    feed.last_error = error
    feed.next_poll_at = now + backoff(feed, feed.consecutive_failures)
    feed.save()
    log.warning("Feed %s (%s) failed %s time(s): %s", feed.pk, feed.url, feed.consecutive_failures, error)
    return _record(feed, PollOutcome.ERROR, status, 0, 0, error)


def _record(feed: Feed, outcome: str, status: int | None, entries: int, created: int, error: str) -> FeedPoll:
    row = FeedPoll.objects.create(
        workspace=feed.workspace,
        feed=feed,
        outcome=outcome,
        http_status=status,
        entries=entries,
        created=created,
        error=error,
    )
    old = list(feed.polls.values_list("pk", flat=True)[POLLS_KEPT:])
    if old:
        feed.polls.filter(pk__in=old).delete()
    return row


def claim_due(now: datetime | None = None, limit: int = 50) -> list[int]:
    """Feeds due now, each claimed by moving its next poll forward so a second worker skips it."""
    now = now or timezone.now()
    claimed = []
    # Background job across all workspaces: there is no tenant here, every feed is polled as its own workspace.
    due = Feed.objects.filter(enabled=True, next_poll_at__lte=now).order_by("next_poll_at")[:limit]
    for feed in due:
        lease = now + timedelta(minutes=10)
        if Feed.objects.filter(pk=feed.pk, next_poll_at=feed.next_poll_at).update(next_poll_at=lease):
            claimed.append(feed.pk)
    return claimed


def feeds_page(actor: Actor) -> QuerySet[Feed]:
    return actor.workspace.feeds.select_related("product_line")
