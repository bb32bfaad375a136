"""Defect 10 of issue 15: feed URLs cannot reach loopback, private, link-local or metadata addresses,
directly or through a redirect, and error messages reveal no ports. The allow-list is opt-in."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from harken.channels.feeds import services
from harken.channels.feeds.models import Feed, PollOutcome
from harken.core import netguard
from tests.base import World
from tests.channels.test_feeds import FeedServer

BLOCKED = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # shared address space (CGNAT)
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
    "::1",
    "fe80::1",
    "fd00:ec2::254",  # AWS metadata over IPv6
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
]


@pytest.mark.parametrize("address", BLOCKED)
def test_non_public_addresses_are_refused(address: str) -> None:
    with pytest.raises(netguard.BlockedAddress):
        netguard.check_ip(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    netguard.check_ip(ipaddress.ip_address(address))


def _feed_row(world: World, url: str) -> Feed:
    """A feed whose host resolves to an inside address (as a DNS name could), stored directly."""
    return Feed.objects.create(workspace=world.alpha, url=url, schedule_minutes=30)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/feed",
        "http://localhost/feed",
        "http://[::1]/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:10.0.0.1]/",
    ],
)
def test_saving_a_feed_on_an_inside_address_is_refused(world: World, url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_feed(world.actor(world.bob), {"url": url, "schedule_minutes": 30})
    assert "not on the public internet" in str(caught.value)


def test_polling_loopback_is_refused_before_connecting(world: World) -> None:
    server = FeedServer()
    try:
        url = server.serve("/feed.rss", "forum_latest.rss")
        poll = services.poll(_feed_row(world, url))
    finally:
        server.stop()
    assert poll.outcome == PollOutcome.ERROR
    assert "not on the public internet" in poll.error
    assert server.requests == []  # nothing ever reached the server
    assert not world.alpha.feedback_items.exists()


def test_a_redirect_into_the_inside_is_refused(world: World, settings: Any) -> None:
    settings.HARKEN_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # the test server itself is allowed
    server = FeedServer()
    try:
        server.routes["/hop"] = (302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"})
        server.routes["/hop-local"] = (302, b"", {"Location": "http://127.0.0.2:9/feed"})
        for path in ("/hop", "/hop-local"):
            poll = services.poll(_feed_row(world, server.url(path)))
            assert poll.outcome == PollOutcome.ERROR
            assert "not on the public internet" in poll.error, poll.error
    finally:
        server.stop()


def test_errors_do_not_reveal_ports(world: World, settings: Any) -> None:
    settings.HARKEN_FETCH_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    server = FeedServer()
    try:
        open_port = server.httpd.server_address[1]
        server.routes["/x"] = (200, b"not a feed at all", {"Content-Type": "text/plain"})
        refused = services.poll(_feed_row(world, f"http://127.0.0.1:{closed}/feed")).error
    finally:
        server.stop()
    assert str(closed) not in refused and str(open_port) not in refused
    assert "refused" not in refused.lower() and "errno" not in refused.lower()


def test_the_allow_list_is_opt_in(world: World, settings: Any) -> None:
    server = FeedServer()
    try:
        url = server.serve("/feed.rss", "forum_latest.rss")
        settings.HARKEN_FETCH_ALLOWED_NETWORKS = []
        assert services.poll(_feed_row(world, url)).outcome == PollOutcome.ERROR
        settings.HARKEN_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
        again = server.serve("/again.rss", "forum_latest.rss")
        feed = services.create_feed(world.actor(world.bob), {"url": again, "schedule_minutes": 30})
        assert services.poll(feed).created > 0
    finally:
        server.stop()
