"""The widget in a real browser: a customer's page on another origin loads the script from Harken,
sends feedback with a screenshot through CORS, and a page on a non-allowed origin is refused."""

from __future__ import annotations

import struct
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from harken.channels.widget import services
from tests.base import World

pytestmark = pytest.mark.browser


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\xff\x00\x00" * 2 + b"\x00" + b"\x00\x00\xff" * 2)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


class CustomerSite:
    """The customer's own web page, on its own origin, embedding the snippet."""

    def __init__(self) -> None:
        self.html = b""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(site.html)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def site() -> Iterator[CustomerSite]:
    s = CustomerSite()
    yield s
    s.stop()


def test_widget_submits_across_origins_with_a_screenshot(
    browser: Browser,  # noqa: F811
    live_server: Any,
    world: World,
    site: CustomerSite,
    tmp_path: Path,
    settings: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    widget = services.create_widget(
        world.actor(world.alice),
        {"name": "Web app", "allowed_origins": site.origin, "product_line": world.alpha_line.pk},
    )
    site.html = (
        f'<!doctype html><html lang="en"><head><title>Acme app</title></head><body><h1>Acme dashboard</h1>'
        f'<script src="{live_server.url}/widget/{widget.public_key}.js" async></script></body></html>'
    ).encode()
    shot = tmp_path / "screen.png"
    shot.write_bytes(tiny_png())

    context = browser.new_context()
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(site.origin + "/settings")
    page.get_by_role("button", name="Feedback").click()
    page.get_by_label("What's on your mind?").fill("The save button is hidden below the fold on my laptop.")
    page.get_by_label("Your email (optional)").fill("pat@acme.example")
    page.get_by_label("Screenshot (optional)").set_input_files(str(shot))
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_have_text("Thank you! Your feedback was sent.")
    context.close()
    assert not errors, errors

    item = world.alpha.feedback_items.get()
    assert (
        item.channel == "widget" and item.author_email == "pat@acme.example" and item.product_line == world.alpha_line
    )
    submission = item.widget_submissions.get()
    assert submission.origin == site.origin and submission.page_url == site.origin + "/settings"
    with submission.screenshot.open("rb") as stored:
        assert stored.read() == tiny_png()

    # The same snippet on a site that is not allowed: the browser shows the refusal, nothing is stored.
    services.update_widget(
        world.actor(world.alice),
        widget,
        {"name": "Web app", "allowed_origins": "https://elsewhere.example", "product_line": world.alpha_line.pk},
    )
    context = browser.new_context()
    page = context.new_page()
    page.goto(site.origin + "/")
    page.get_by_role("button", name="Feedback").click()
    page.get_by_label("What's on your mind?").fill("From a site that is not allowed")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("not allowed to use this widget")  # CORS hides the 403 itself
    context.close()
    assert world.alpha.feedback_items.count() == 1
