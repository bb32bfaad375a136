"""Defect 2 of issue 15: behind the documented TLS proxy, `harken serve` redirected every request to
itself (waitress stripped X-Forwarded-Proto) and never sent HSTS, while `check --deploy` passed.

A real `harken serve` in production mode on 127.0.0.1, with requests as the proxy sends them.
"""

from __future__ import annotations

import http.client
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.test_serve import PROJECT, Server, harken_env

pytestmark = pytest.mark.slow  # run first: see tests/conftest.py

SECRET = "test-secret-key-for-proxy-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFG"


def production(tmp_path: Path, **extra: str) -> dict[str, str]:
    return harken_env(tmp_path, HARKEN_DEBUG="0", SECRET_KEY=SECRET, ALLOWED_HOSTS="127.0.0.1", **extra)


def fetch(port: int, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def test_serve_trusts_the_configured_proxy_so_https_works_and_hsts_is_sent(migrated: Path) -> None:
    server = Server([], production(migrated, HARKEN_TRUSTED_PROXY="127.0.0.1"))
    try:
        server.wait_until_up_https()
        behind_tls = fetch(server.port, "/accounts/login/", {"X-Forwarded-Proto": "https"})
        assert behind_tls.status == 200, server.lines
        assert behind_tls.getheader("Strict-Transport-Security", "").startswith("max-age=31536000")

        plain = fetch(server.port, "/accounts/login/", {})
        assert plain.status == 301
        assert plain.getheader("Location") == f"https://127.0.0.1:{server.port}/accounts/login/"
    finally:
        server.stop()


def test_without_a_trusted_proxy_the_header_is_ignored_and_check_deploy_says_so(migrated: Path) -> None:
    env = production(migrated)
    server = Server([], env)
    try:
        server.wait_until_up_https()
        spoofed = fetch(server.port, "/accounts/login/", {"X-Forwarded-Proto": "https"})
        assert spoofed.status == 301, "an untrusted peer cannot claim HTTPS"
        assert spoofed.getheader("Strict-Transport-Security") is None
    finally:
        server.stop()

    check = subprocess.run(
        [sys.executable, "-m", "harken.cli", "check", "--deploy"], env=env, cwd=PROJECT, capture_output=True, text=True
    )
    assert check.returncode != 0
    assert "harken.W001" in check.stdout + check.stderr
    assert "redirects to itself" in check.stdout + check.stderr

    trusted = subprocess.run(
        [sys.executable, "-m", "harken.cli", "check", "--deploy"],
        env={**env, "HARKEN_TRUSTED_PROXY": "127.0.0.1"},
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )
    assert "harken.W001" not in trusted.stdout + trusted.stderr
