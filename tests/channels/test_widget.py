"""The embeddable widget: script, CORS preflight and origin checks, submissions with screenshots,
the honeypot, and floods (429 with Retry-After)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from harken.channels.widget import services
from harken.channels.widget.models import Widget
from tests.base import World

ORIGIN = "https://app.acme.example"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def isolated(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    yield
    cache.clear()


def make_widget(world: World, **extra: Any) -> Widget:
    data = {
        "name": "Web app",
        "allowed_origins": f"{ORIGIN}/\nhttp://localhost:3000",
        "product_line": world.alpha_line.pk,
    }
    return services.create_widget(world.actor(world.alice), {**data, **extra})


def submit(widget: Widget, data: dict[str, Any], origin: str = ORIGIN, ip: str = "203.0.113.7") -> Any:
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    return Client().post(f"/widget/{widget.public_key}/submit", data, REMOTE_ADDR=ip, **headers)


@pytest.mark.django_db
def test_script_is_served_with_its_config(world: World) -> None:
    widget = make_widget(world, button_label="Tell us </script>")
    response = Client().get(f"/widget/{widget.public_key}.js")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    script = response.content.decode()
    assert f"/widget/{widget.public_key}/submit" in script and "FormData" in script
    assert "</script>" not in script  # config is escaped: a label cannot break out of a script tag
    assert Client().get("/widget/wgt_nope.js").status_code == 404
    page = world.client_for(world.bob).get(reverse("channels:widget_detail", kwargs={"ws": "alpha", "pk": widget.pk}))
    assert f"/widget/{widget.public_key}.js" in page.content.decode() and "&lt;script" in page.content.decode()


@pytest.mark.django_db
def test_preflight_and_origin_restriction(world: World) -> None:
    widget = make_widget(world)
    url = f"/widget/{widget.public_key}/submit"
    ok = Client().options(url, HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert ok.status_code == 204 and ok["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in ok["Access-Control-Allow-Methods"] and ok["Vary"] == "Origin"
    evil = Client().options(url, HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert evil.status_code == 403 and "Access-Control-Allow-Origin" not in evil
    refused = submit(widget, {"text": "hi"}, origin="https://evil.example")
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused
    assert submit(widget, {"text": "hi"}, origin="").status_code == 403
    assert world.alpha.feedback_items.count() == 0


@pytest.mark.django_db
def test_submission_with_screenshot_becomes_feedback_with_attachment(world: World) -> None:
    widget = make_widget(world)
    response = submit(
        widget,
        {
            "text": "The save button is hidden on mobile",
            "email": "pat@acme.example",
            "page": "https://app.acme.example/settings",
            "screenshot": SimpleUploadedFile("shot.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 201, response.content
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    item = world.alpha.feedback_items.get(pk=response.json()["id"])
    assert (item.text, item.author_email, item.channel, item.product_line) == (
        "The save button is hidden on mobile",
        "pat@acme.example",
        "widget",
        world.alpha_line,
    )
    submission = item.widget_submissions.get()
    assert submission.screenshot_type == "image/png" and submission.page_url == "https://app.acme.example/settings"
    with submission.screenshot.open("rb") as stored:
        assert stored.read() == PNG
    shot = world.client_for(world.vera).get(
        reverse("channels:widget_screenshot", kwargs={"ws": "alpha", "pk": submission.pk})
    )
    assert (
        shot.status_code == 200 and shot["Content-Type"] == "image/png" and shot["X-Content-Type-Options"] == "nosniff"
    )
    # Same text again is a new item: widget posts are never merged by content.
    assert submit(widget, {"text": "The save button is hidden on mobile"}).status_code == 201
    assert world.alpha.feedback_items.count() == 2


@pytest.mark.django_db
def test_bad_input_is_refused_with_field_errors(world: World) -> None:
    widget = make_widget(world)
    assert submit(widget, {"text": "  "}).json()["errors"]["text"] == "Please write your feedback."
    gif = submit(
        widget, {"text": "x", "screenshot": SimpleUploadedFile("a.gif", b"GIF89a....", content_type="image/gif")}
    )
    assert gif.status_code == 400 and "PNG or JPEG" in gif.json()["errors"]["screenshot"]
    fake = submit(
        widget,
        {"text": "x", "screenshot": SimpleUploadedFile("a.png", b"<svg onload=alert(1)>", content_type="image/png")},
    )
    assert fake.status_code == 400 and "not a valid" in fake.json()["errors"]["screenshot"]
    big = submit(
        widget,
        {
            "text": "x",
            "screenshot": SimpleUploadedFile("b.png", PNG + b"\x00" * (2 * 1024 * 1024), content_type="image/png"),
        },
    )
    assert big.status_code in (400, 413) and "2 MB" in big.json()["errors"]["screenshot"]
    email = submit(widget, {"text": "x", "email": "not-an-email"})
    assert email.status_code == 400 and "not a valid email" in email.json()["errors"]["email"]
    assert world.alpha.feedback_items.count() == 0 and widget.submissions.count() == 0


@pytest.mark.django_db
def test_honeypot_answers_ok_and_stores_nothing(world: World) -> None:
    widget = make_widget(world)
    response = submit(widget, {"text": "Buy cheap pills", services.HONEYPOT_FIELD: "http://spam.example"})
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert world.alpha.feedback_items.count() == 0


@pytest.mark.django_db
def test_flood_gets_429_with_retry_after_per_ip_and_widget(world: World) -> None:
    widget = make_widget(world)
    other = make_widget(world, name="Docs site")
    statuses = [submit(widget, {"text": f"message {i}"}).status_code for i in range(services.rate_limit())]
    assert statuses == [201] * services.rate_limit()
    flooded = submit(widget, {"text": "one too many"})
    assert flooded.status_code == 429
    assert 1 <= int(flooded["Retry-After"]) <= 60 and flooded["Access-Control-Allow-Origin"] == ORIGIN
    assert submit(widget, {"text": "another visitor"}, ip="198.51.100.9").status_code == 201
    assert submit(other, {"text": "another widget"}).status_code == 201
    assert world.alpha.feedback_items.count() == services.rate_limit() + 2


@pytest.mark.django_db
def test_rate_limit_behind_a_reverse_proxy_uses_the_forwarded_address(world: World, settings: Any) -> None:
    widget = make_widget(world)
    settings.HARKEN_WIDGET_RATE_PER_MINUTE = 1
    proxy = {"ip": "10.0.0.2"}
    first = Client().post(
        f"/widget/{widget.public_key}/submit",
        {"text": "a"},
        REMOTE_ADDR=proxy["ip"],
        HTTP_ORIGIN=ORIGIN,
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )
    second = Client().post(
        f"/widget/{widget.public_key}/submit",
        {"text": "b"},
        REMOTE_ADDR=proxy["ip"],
        HTTP_ORIGIN=ORIGIN,
        HTTP_X_FORWARDED_FOR="198.51.100.2",
    )
    assert (first.status_code, second.status_code) == (201, 429)  # not trusted: everyone is the proxy
    settings.HARKEN_TRUST_X_FORWARDED_FOR = True
    cache.clear()
    for visitor in ("198.51.100.1", "198.51.100.2"):
        response = Client().post(
            f"/widget/{widget.public_key}/submit",
            {"text": visitor},
            REMOTE_ADDR=proxy["ip"],
            HTTP_ORIGIN=ORIGIN,
            HTTP_X_FORWARDED_FOR=f"6.6.6.6, {visitor}",  # a spoofed left part is ignored
        )
        assert response.status_code == 201


@pytest.mark.django_db
def test_settings_pages_and_permissions(world: World) -> None:
    alice = world.client_for(world.alice)
    response = alice.post(
        reverse("channels:widgets", kwargs={"ws": "alpha"}),
        {"name": "App", "allowed_origins": "app.acme.example", "button_label": "Feedback"},
    )
    assert "is not an origin" in response.content.decode()
    response = alice.post(
        reverse("channels:widgets", kwargs={"ws": "alpha"}),
        {"name": "App", "allowed_origins": "https://App.Acme.example/", "button_label": "Feedback", "enabled": "on"},
    )
    widget = world.alpha.widgets.get()
    assert response.status_code == 302 and widget.origins == ["https://app.acme.example"]
    detail = reverse("channels:widget_detail", kwargs={"ws": "alpha", "pk": widget.pk})
    alice.post(detail, {"name": "App", "allowed_origins": "https://app.acme.example", "button_label": "Ideas?"})
    widget.refresh_from_db()
    assert not widget.enabled and widget.button_label == "Ideas?"
    assert Client().get(f"/widget/{widget.public_key}.js").status_code == 404  # disabled widgets disappear
    assert world.client_for(world.bob).post(detail, {"name": "x"}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.create_widget(world.actor(world.bob), {"name": "x"})
    alice.post(reverse("channels:widget_delete", kwargs={"ws": "alpha", "pk": widget.pk}))
    assert not world.alpha.widgets.exists()
