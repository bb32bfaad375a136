"""The customer-vs-internal talk index: does the team's own writing refer to customers?

Method (fixed a priori, not fitted to any data): a text *refers to customers* when at least one of

1. **a customer cue** — a word from `CUSTOMER_CUES` (customer, user, client, account, churn,
   renewal, interview, "they said", pain, complaint, asked for …), matched as a whole word,
   case-insensitively;
2. **a name** — the name of one of the workspace's accounts or contacts (at least 3 characters);
3. **a quote** — a quotation of three or more words in straight or curly double quotes (the
   customer's own words).

Anything else counts as internal (process, tooling, people, plans). Index = texts that refer to
customers / all texts, over the team's triage notes, decision reasons, roadmap item descriptions
and any imported chat export. Empty texts are not counted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError

CUSTOMER_CUES = (
    "customer",
    "customers",
    "user",
    "users",
    "client",
    "clients",
    "buyer",
    "buyers",
    "account",
    "accounts",
    "subscriber",
    "subscribers",
    "prospect",
    "prospects",
    "churn",
    "churned",
    "renewal",
    "renew",
    "interview",
    "interviewed",
    "feedback",
    "complaint",
    "complained",
    "complains",
    "pain",
    "painful",
    "frustrated",
    "workaround",
    "asked for",
    "they said",
    "they told",
    "told us",
    "their team",
    "their workflow",
    "use case",
    "ticket",
    "nps",
)
_CUE_RE = re.compile(r"\b(" + "|".join(re.escape(c) for c in CUSTOMER_CUES) + r")\b", re.IGNORECASE)
_QUOTE_RE = re.compile(r"[\"“]([^\"”]+)[\"”]")
MIN_NAME = 3
MAX_EXPORT_BYTES = 2_000_000
MAX_EXPORT_MESSAGES = 20_000


def name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    cleaned = sorted({n.strip() for n in names if n and len(n.strip()) >= MIN_NAME}, key=len, reverse=True)
    if not cleaned:
        return None
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(n) for n in cleaned) + r")(?!\w)", re.IGNORECASE)


def why_customer(text: str, names: re.Pattern[str] | None = None) -> str:
    """The first reason `text` refers to customers ("cue: …", "name: …", "quote"), or "" if internal."""
    if m := _CUE_RE.search(text):
        return f"cue: {m.group(1).lower()}"
    if names is not None and (m := names.search(text)):
        return f"name: {m.group(1)}"
    for m in _QUOTE_RE.finditer(text):
        if len(m.group(1).split()) >= 3:
            return "quote"
    return ""


def parse_export(raw: bytes, filename: str = "") -> list[dict[str, str]]:
    """A chat export as messages. JSON: a list of strings or of objects with "text" (or "message")
    and optional "author" (or "user"); Slack-style {"messages": [...]} too. Text: one message a
    line, optionally "author: text". Raises ValidationError on anything else."""
    if len(raw) > MAX_EXPORT_BYTES:
        raise ValidationError({"file": "The export is larger than 2 MB."})
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": "The export must be UTF-8 text or JSON."}) from None
    messages: list[dict[str, str]] = []
    stripped = text.lstrip()
    if filename.lower().endswith(".json") or stripped.startswith(("[", "{")):
        try:
            data: Any = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValidationError({"file": f"Not valid JSON: {e.msg} (line {e.lineno})."}) from None
        if isinstance(data, dict):
            data = data.get("messages")
        if not isinstance(data, list):
            raise ValidationError({"file": 'JSON must be a list of messages or {"messages": [...]}.'})
        for row in data:
            if isinstance(row, str):
                messages.append({"author": "", "text": row})
            elif isinstance(row, dict):
                body = row.get("text", row.get("message", ""))
                who = row.get("author", row.get("user", ""))
                if isinstance(body, str):
                    messages.append({"author": who if isinstance(who, str) else "", "text": body})
    else:
        for line in text.splitlines():
            author, sep, body = line.partition(": ")
            if sep and len(author) <= 60:
                messages.append({"author": author.strip(), "text": body})
            else:
                messages.append({"author": "", "text": line})
    messages = [{"author": m["author"][:200], "text": m["text"][:5000]} for m in messages if m["text"].strip()]
    if not messages:
        raise ValidationError({"file": "The export holds no messages."})
    if len(messages) > MAX_EXPORT_MESSAGES:
        raise ValidationError({"file": f"At most {MAX_EXPORT_MESSAGES} messages per export."})
    return messages
