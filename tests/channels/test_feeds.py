"""The feed poller against a real HTTP server on 127.0.0.1: conditional GET (ETag/304), dedup by
entry id, 500s and dead hosts with exponential backoff, broken XML, and the periodic job."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from harken.channels.feeds import services
from harken.channels.feeds.models import Feed, PollOutcome
from harken.channels.feeds.tasks import poll_due_feeds
from harken.core.scheduling import jobs
from harken.core.taskrun import run_pending_tasks
from tests.base import World

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "channels"


class FeedServer:
    """Serves fixture files by path; honours If-None-Match; records what clients sent."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes, dict[str, str]]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                headers = {k.lower(): v for k, v in self.headers.items()}
                server.requests.append((self.path, headers))
                status, body, extra = server.routes.get(self.path, (404, b"not found", {}))
                etag = extra.get("ETag")
                if etag and headers.get("if-none-match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(status)
                for key, value in extra.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def serve(self, path: str, fixture: str, status: int = 200, **headers: str) -> str:
        body = (FIXTURES / fixture).read_bytes() if fixture else b""
        self.routes[path] = (status, body, {"Content-Type": "application/rss+xml; charset=utf-8", **headers})
        return self.url(path)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(autouse=True)
def allow_loopback_feeds(settings: Any) -> None:
    """These tests poll a real server on 127.0.0.1, which the SSRF guard refuses by default."""
    settings.HARKEN_FETCH_ALLOWED_NETWORKS = ["127.0.0.0/8"]


@pytest.fixture
def server() -> Iterator[FeedServer]:
    s = FeedServer()
    yield s
    s.stop()


def make_feed(world: World, url: str, **extra: Any) -> Feed:
    return services.create_feed(world.actor(world.bob), {"url": url, "schedule_minutes": 30, **extra})


@pytest.mark.django_db
def test_poll_creates_items_then_conditional_get_then_only_new_entries(world: World, server: FeedServer) -> None:
    url = server.serve(
        "/c/feature-requests/5.rss",
        "forum_latest.rss",
        ETag='"v1"',
        **{"Last-Modified": "Fri, 03 May 2024 10:00:00 GMT"},
    )
    feed = make_feed(world, url, tags="community", product_line=world.alpha_line.pk)

    poll = services.poll(feed)
    assert (poll.outcome, poll.created, poll.http_status) == (PollOutcome.NEW, 2, 200)
    feed.refresh_from_db()
    assert feed.name == "Feature requests - Acme Community"
    assert (feed.etag, feed.last_modified) == ('"v1"', "Fri, 03 May 2024 10:00:00 GMT")
    item = world.alpha.feedback_items.get(external_id="community.acme.example-topic-1201")
    assert item.channel == "forum" and item.title == "Offline mode for the Android app"
    assert "queue scans offline" in item.text.replace("**", "") and "<p>" not in item.text
    assert item.text.rstrip().endswith("https://community.acme.example/t/offline-mode-for-the-android-app/1201")
    assert item.author_name == "kmiller" and item.product_line == world.alpha_line
    assert item.received_at.isoformat() == "2024-05-02T08:30:00+00:00"
    assert "community" in {t.name for t in item.tags.all()}
    assert item.dedupe_key == "feed:community.acme.example-topic-1201"

    poll = services.poll(feed)
    assert poll.outcome == PollOutcome.NOT_MODIFIED and poll.http_status == 304
    sent = server.requests[-1][1]
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == "Fri, 03 May 2024 10:00:00 GMT"

    server.serve("/c/feature-requests/5.rss", "forum_latest_more.rss", ETag='"v2"')
    poll = services.poll(feed)
    assert (poll.outcome, poll.entries, poll.created) == (PollOutcome.NEW, 2, 1)  # topic 1201 again: stored once
    assert world.alpha.feedback_items.count() == 3
    feed.refresh_from_db()
    assert feed.items_created == 3 and feed.etag == '"v2"' and feed.consecutive_failures == 0


@pytest.mark.django_db
def test_atom_feed_dedups_by_link_when_an_entry_has_no_id(world: World, server: FeedServer) -> None:
    feed = make_feed(
        world, server.serve("/reviews.atom", "status_updates.atom", **{"Content-Type": "application/atom+xml"})
    )
    assert services.poll(feed).created == 2
    jo = world.alpha.feedback_items.get(external_id="urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a")
    assert (jo.author_email, jo.author_name) == ("jo@reviews.example", "Jo Review") and "ten seconds" in jo.text
    assert world.alpha.feedback_items.filter(external_id="https://reviews.acme.example/r/89").exists()
    assert services.poll(feed).created == 0  # no ETag this time: a full fetch, still no duplicates


@pytest.mark.django_db
def test_server_errors_back_off_exponentially_and_show_on_the_page(world: World, server: FeedServer) -> None:
    url = server.serve("/flaky.rss", "", status=500)
    feed = make_feed(world, url)
    start = timezone.now()
    delays = []
    for _ in range(7):
        services.poll(feed, now=start)
        feed.refresh_from_db()
        delays.append(feed.next_poll_at - start)
    assert delays[:4] == [timedelta(minutes=30), timedelta(minutes=60), timedelta(minutes=120), timedelta(minutes=240)]
    assert delays[-1] == timedelta(hours=24)  # capped
    assert feed.consecutive_failures == 7 and "HTTP 500" in feed.last_error

    page = world.client_for(world.vera).get(reverse("channels:feed_detail", kwargs={"ws": "alpha", "pk": feed.pk}))
    assert "HTTP 500" in page.content.decode() and "7 times in a row" in page.content.decode()
    listing = world.client_for(world.vera).get(reverse("channels:feeds", kwargs={"ws": "alpha"})).content.decode()
    assert "Failing (7×)" in listing

    server.serve("/flaky.rss", "forum_latest.rss")
    assert services.poll(feed).created == 2
    feed.refresh_from_db()
    assert (feed.consecutive_failures, feed.last_error) == (0, "")


@pytest.mark.django_db
def test_dead_host_and_missing_feed(world: World, server: FeedServer) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    dead = make_feed(world, f"http://127.0.0.1:{dead_port}/feed.rss")
    poll = services.poll(dead)
    assert poll.outcome == PollOutcome.ERROR and "Could not reach the feed" in poll.error
    missing = make_feed(world, server.url("/gone.rss"))
    assert "HTTP 404 (the address was not found)" in services.poll(missing).error


@pytest.mark.django_db
def test_broken_xml_keeps_valid_entries_with_a_clear_warning(world: World, server: FeedServer) -> None:
    feed = make_feed(world, server.serve("/bugs.rss", "broken_forum.rss"))
    poll = services.poll(feed)
    feed.refresh_from_db()
    assert poll.outcome == PollOutcome.NEW and poll.created >= 1
    assert world.alpha.feedback_items.filter(title="Charts render blank in Safari").exists()
    assert "XML is broken" in feed.last_warning and feed.consecutive_failures == 0
    page = world.client_for(world.bob).get(reverse("channels:feed_detail", kwargs={"ws": "alpha", "pk": feed.pk}))
    assert "XML is broken" in page.content.decode()

    html = make_feed(world, server.serve("/login", "not_a_feed.html", **{"Content-Type": "text/html"}))
    poll = services.poll(html)
    assert poll.outcome == PollOutcome.ERROR
    assert "not valid RSS/Atom" in poll.error or "did not return an RSS or Atom feed" in poll.error


@pytest.mark.django_db
def test_periodic_job_polls_only_due_enabled_feeds(world: World, server: FeedServer) -> None:
    assert "channels.poll_due_feeds" in {job.name for job in jobs()}
    due = make_feed(world, server.serve("/due.rss", "forum_latest.rss"))
    later = make_feed(world, server.serve("/later.rss", "status_updates.atom"))
    paused = make_feed(world, server.serve("/paused.rss", "forum_latest_more.rss"), enabled=False)
    Feed.objects.filter(pk=later.pk).update(next_poll_at=timezone.now() + timedelta(hours=1))
    poll_due_feeds.enqueue()
    run_pending_tasks()
    paths = [path for path, _ in server.requests]
    assert paths == ["/due.rss"]
    assert world.alpha.feedback_items.count() == 2
    due.refresh_from_db()
    assert due.next_poll_at > timezone.now() + timedelta(minutes=25)
    poll_due_feeds.enqueue()
    run_pending_tasks()
    assert len(server.requests) == 1  # nothing due any more
    assert paused.polls.count() == 0


@pytest.mark.django_db
def test_feed_pages_add_edit_poll_now_delete(world: World, server: FeedServer) -> None:
    client = world.client_for(world.bob)
    url = server.serve("/forum.rss", "forum_latest.rss")
    response = client.post(
        reverse("channels:feeds", kwargs={"ws": "alpha"}), {"url": url, "schedule_minutes": 15, "enabled": "on"}
    )
    feed = world.alpha.feeds.get()
    assert response.status_code == 302
    run_pending_tasks()  # the first poll was queued on creation
    assert world.alpha.feedback_items.count() == 2

    detail = reverse("channels:feed_detail", kwargs={"ws": "alpha", "pk": feed.pk})
    response = client.post(detail, {"url": url, "schedule_minutes": 2, "enabled": "on"})
    assert "Check every 5 to" in response.content.decode() or "greater than or equal to 5" in response.content.decode()
    assert client.post(detail, {"url": url, "name": "Forum", "schedule_minutes": 60}).status_code == 302
    feed.refresh_from_db()
    assert (feed.name, feed.schedule_minutes, feed.enabled) == ("Forum", 60, False)

    dup = client.post(reverse("channels:feeds", kwargs={"ws": "alpha"}), {"url": url, "schedule_minutes": 15})
    assert "already follows" in dup.content.decode()

    assert client.post(reverse("channels:feed_poll", kwargs={"ws": "alpha", "pk": feed.pk})).status_code == 302
    run_pending_tasks()
    assert feed.polls.count() == 2
    client.post(reverse("channels:feed_delete", kwargs={"ws": "alpha", "pk": feed.pk}))
    assert not world.alpha.feeds.exists() and world.alpha.feedback_items.count() == 2  # evidence stays


@pytest.mark.django_db
def test_feed_validation_and_permissions(world: World) -> None:
    with pytest.raises(ValidationError, match="http"):
        services.create_feed(world.actor(world.bob), {"url": "file:///etc/passwd"})
    with pytest.raises(PermissionDenied):
        services.create_feed(world.actor(world.vera), {"url": "https://example.com/feed"})
    bravo_feed = services.create_feed(world.actor(world.charlie), {"url": "https://example.com/feed"})
    with pytest.raises(ValidationError):
        services.update_feed(world.actor(world.bob), bravo_feed, {"url": "https://example.com/x"})
