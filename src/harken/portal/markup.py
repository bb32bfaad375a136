"""Markdown for idea bodies and comments: markdown-it (raw HTML off) then nh3, so nothing runs."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable(["image"])

TAGS = {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4", "hr"}


def render(text: str) -> str:
    html = _md.render(text or "")
    # Headings shrink to h3/h4 so a comment cannot shout over the page's own headings.
    for level in ("h1", "h2"):
        html = html.replace(f"<{level}>", "<h3>").replace(f"</{level}>", "</h3>")
    for level in ("h5", "h6"):
        html = html.replace(f"<{level}>", "<h4>").replace(f"</{level}>", "</h4>")
    return nh3.clean(
        html,
        tags=TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener noreferrer",
    )
