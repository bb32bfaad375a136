"""Tiny helpers that read settings from the environment (healthchecks style)."""

from __future__ import annotations

import os
from urllib.parse import parse_qs, unquote, urlparse

TRUE_VALUES = {"1", "true", "yes", "on"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in TRUE_VALUES


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return int(value)


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def parse_email_url(url: str) -> dict[str, object]:
    """Turn EMAIL_URL (smtp://user:pass@host:port?timeout=10, smtp+tls://, smtp+ssl://,
    console://, memory://, file:///path) into Django EMAIL_* settings."""
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "memory":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme == "file":
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": unquote(parsed.path),
        }
    if scheme not in {"smtp", "smtp+tls", "smtp+ssl", "smtps"}:
        raise ValueError(f"EMAIL_URL has an unsupported scheme: {scheme!r}")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname or "localhost",
        "EMAIL_PORT": parsed.port or (465 if scheme in {"smtp+ssl", "smtps"} else 25),
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_TLS": scheme == "smtp+tls",
        "EMAIL_USE_SSL": scheme in {"smtp+ssl", "smtps"},
        "EMAIL_TIMEOUT": int(query.get("timeout", "10")),
    }
