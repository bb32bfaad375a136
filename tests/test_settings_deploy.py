"""Production settings: `check --deploy` is clean with a production-like environment, the app refuses
to start without a SECRET_KEY, and EMAIL_URL turns into the right Django email settings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from harken.core.env import parse_email_url

REPO = Path(__file__).resolve().parent.parent


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests' conftest when they run in the same session.
    dropped = {"HARKEN_DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="harken.example.com",
        HARKEN_TRUSTED_PROXY="127.0.0.1",  # behind the documented TLS proxy (harken.W001 otherwise)
        HARKEN_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="harken.settings",
    )
    env.update(overrides)
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_in_production(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_catches_a_weak_secret_key(tmp_path: Path) -> None:
    """Proves the clean result above comes from real checks: a weak key is reported."""
    result = manage(production_env(tmp_path, SECRET_KEY="too-short"), "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_check_deploy_flags_debug_mode(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path, HARKEN_DEBUG="1"), "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr


@pytest.mark.parametrize("secret_key", [None, ""])
def test_settings_refuse_to_start_without_secret_key(tmp_path: Path, secret_key: str | None) -> None:
    env = production_env(tmp_path)
    if secret_key is None:
        del env["SECRET_KEY"]
    else:
        env["SECRET_KEY"] = secret_key

    result = manage(env, "check")

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_mode_starts_without_secret_key(tmp_path: Path) -> None:
    env = production_env(tmp_path, HARKEN_DEBUG="1")
    del env["SECRET_KEY"]

    result = manage(env, "check")

    assert result.returncode == 0, result.stderr


SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://mailer:s3cr%40t@mail.example.com:2525?timeout=5",
            {
                "EMAIL_BACKEND": SMTP,
                "EMAIL_HOST": "mail.example.com",
                "EMAIL_PORT": 2525,
                "EMAIL_HOST_USER": "mailer",
                "EMAIL_HOST_PASSWORD": "s3cr@t",
                "EMAIL_USE_TLS": False,
                "EMAIL_USE_SSL": False,
                "EMAIL_TIMEOUT": 5,
            },
        ),
        (
            "smtp://localhost",
            {
                "EMAIL_BACKEND": SMTP,
                "EMAIL_HOST": "localhost",
                "EMAIL_PORT": 25,
                "EMAIL_HOST_USER": "",
                "EMAIL_HOST_PASSWORD": "",
                "EMAIL_USE_TLS": False,
                "EMAIL_USE_SSL": False,
                "EMAIL_TIMEOUT": 10,
            },
        ),
        (
            "smtp+tls://apikey:key@smtp.example.com:587",
            {
                "EMAIL_BACKEND": SMTP,
                "EMAIL_HOST": "smtp.example.com",
                "EMAIL_PORT": 587,
                "EMAIL_HOST_USER": "apikey",
                "EMAIL_HOST_PASSWORD": "key",
                "EMAIL_USE_TLS": True,
                "EMAIL_USE_SSL": False,
                "EMAIL_TIMEOUT": 10,
            },
        ),
        (
            "smtp+ssl://u:p@smtp.example.com",
            {
                "EMAIL_BACKEND": SMTP,
                "EMAIL_HOST": "smtp.example.com",
                "EMAIL_PORT": 465,
                "EMAIL_HOST_USER": "u",
                "EMAIL_HOST_PASSWORD": "p",
                "EMAIL_USE_TLS": False,
                "EMAIL_USE_SSL": True,
                "EMAIL_TIMEOUT": 10,
            },
        ),
        ("console://", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
        ("memory://", {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}),
        (
            "file:///var/lib/harken/mail",
            {
                "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": "/var/lib/harken/mail",
            },
        ),
    ],
)
def test_parse_email_url(url: str, expected: dict[str, object]) -> None:
    assert parse_email_url(url) == expected


@pytest.mark.parametrize("url", ["sendmail://localhost", "http://mail.example.com", "mail.example.com"])
def test_parse_email_url_rejects_unknown_schemes(url: str) -> None:
    with pytest.raises(ValueError, match="unsupported scheme"):
        parse_email_url(url)


def test_bad_email_url_stops_startup_with_a_clear_message(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path, EMAIL_URL="sendmail://localhost"), "check")

    assert result.returncode != 0
    assert "EMAIL_URL has an unsupported scheme" in result.stderr
