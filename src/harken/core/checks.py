"""Harken's own system checks (`harken check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_proxy_for_ssl_redirect(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """SSL redirect without trusted proxy headers loops: waitress strips X-Forwarded-Proto."""
    if settings.DEBUG or not getattr(settings, "SECURE_SSL_REDIRECT", False):
        return []
    if getattr(settings, "HARKEN_TRUSTED_PROXY", ""):
        return []
    return [
        Warning(
            "SECURE_SSL_REDIRECT is on but HARKEN_TRUSTED_PROXY is not set: `harken serve` drops the "
            "proxy's X-Forwarded-Proto header, so behind a TLS proxy every request redirects to itself "
            "and HSTS is never sent.",
            hint=(
                "Set HARKEN_TRUSTED_PROXY to the address the proxy connects from (e.g. 127.0.0.1, or * when "
                "only the proxy can reach the port). If nothing proxies Harken, terminate TLS in front of it "
                "anyway; SECURE_SSL_REDIRECT=0 only if the proxy already redirects to HTTPS."
            ),
            id="harken.W001",
        )
    ]
