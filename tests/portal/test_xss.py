"""Hostile input in idea titles, bodies, comments and names is rendered inert on every page that shows it."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client

from harken.portal import actions
from harken.portal.markup import render
from tests.base import World
from tests.portal.helpers import make_portal, visitor

pytestmark = pytest.mark.slow  # run first: see tests/conftest.py

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    "<a href=javascript:alert(1)>x</a>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<video><source onerror=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<style>@import 'javascript:alert(1)';</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<base href=javascript:alert(1)//>",
    "<link rel=stylesheet href=javascript:alert(1)>",
    "{{ 7*7 }}{% debug %}",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    '<a href="&#106;avascript:alert(1)">x</a>',
    "[x](&#106;avascript:alert(1))",
    "<textarea></textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "javascript:/*--></title></style></textarea></script><svg/onload='+/\"/+/onmouseover=1/+/[*/[]/+alert(1)//'>",
]

FORBIDDEN_TAGS = {"iframe", "object", "embed", "svg", "math", "base", "marquee", "video", "source"}


class _Scan(HTMLParser):
    """Collects what a browser would execute: event-handler attributes, script URLs, inline scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "form" and any(
            k == "action" and (v or "").strip().lower().startswith("javascript") for k, v in attrs
        ):
            self.problems.append("<form action=javascript:>")
        if tag == "script":
            self._in_script = not any(k == "src" for k, _ in attrs)
        if tag == "link" and ("rel", "icon") in attrs:
            return  # base.html's own inline favicon
        for key, value in attrs:
            text = (value or "").strip().lower().replace("\t", "").replace("\n", "")
            if key.startswith("on"):
                self.problems.append(f"<{tag} {key}=…>")
            if key in ("href", "src", "action", "data", "formaction") and text.startswith(
                ("javascript:", "vbscript:", "data:")
            ):
                self.problems.append(f"<{tag} {key}={text[:30]}>")
            if key == "style" and "javascript" in text:
                self.problems.append(f"<{tag} style=…javascript>")
        if tag == "meta" and any(k == "http-equiv" for k, _ in attrs):
            self.problems.append("<meta http-equiv>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and "alert" in data:
            self.problems.append("inline script with alert")


def _dangerous(html: str) -> list[str]:
    scan = _Scan()
    scan.feed(html)
    return scan.problems


def test_at_least_30_payloads() -> None:
    assert len(PAYLOADS) >= 30


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_renderer_makes_payload_inert(payload: str) -> None:
    html = render(payload)
    assert not _dangerous(html), html


def test_payloads_in_titles_bodies_comments_and_names_are_inert(world: World) -> None:
    portal = make_portal(world.alpha)
    ideas = []
    for n, payload in enumerate(PAYLOADS):
        v = visitor(portal, f"user{n}@x.test")
        actions.update_profile(v, payload[:120])
        idea = actions.submit_idea(v, f"Idea {n} {payload}"[:200], payload)
        assert idea is not None
        actions.comment(v, idea, payload)
        actions.official_reply(world.actor(world.bob), idea, payload)
        ideas.append(idea)
    staff = world.client_for(world.bob)
    pages = {
        "board": Client().get(f"/p/{portal.slug}/?sort=newest").content.decode(),
        "similar": Client().get(f"/p/{portal.slug}/similar/?title=Idea+alert+script").content.decode(),
        "new with title": Client()
        .get(f"/p/{portal.slug}/new/?title=%3Cscript%3Ealert(1)%3C/script%3E")
        .content.decode(),
        "staff board": staff.get("/w/alpha/portal/ideas/").content.decode(),
        "audit": staff.get("/w/alpha/portal/audit/").content.decode(),
        "feed": Client().get(f"/p/{portal.slug}/feed.atom").content.decode(),
    }
    for idea in ideas:
        pages[f"idea {idea.pk}"] = Client().get(f"/p/{portal.slug}/ideas/{idea.pk}/").content.decode()
        pages[f"staff idea {idea.pk}"] = staff.get(f"/w/alpha/portal/ideas/{idea.pk}/").content.decode()
    assert f"Idea {len(PAYLOADS) - 1} " in pages["board"] and "alert(1)" in pages["board"]  # shown, as text
    for name, html in pages.items():
        if name == "feed":
            assert "<script>alert" not in html, name  # XML: payloads are escaped text
            continue
        assert not _dangerous(html), f"{name}: {_dangerous(html)[:5]}"
