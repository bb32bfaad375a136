"""Secret-bearing emails (invitation and password-reset links): never stored or shown in clear.

`queue_email(..., secrets={"invitation link": url})` replaces each secret in the rendered text
and HTML with a placeholder such as `[invitation link hidden · 3f9a1c]` before the row is stored.
The secret values are kept beside it, encrypted with a key derived from SECRET_KEY (Fernet), only
until the email is sent; delivery puts them back into the message it hands to SMTP and then wipes
them. So the outbox (and a database dump) shows the placeholder, never the link.
"""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import json
import secrets as _secrets

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"harken.notify.secrets:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def hide(text: str, html: str, values: dict[str, str]) -> tuple[str, str, str]:
    """Replace each secret value by its placeholder; returns (text, html, encrypted mapping)."""
    if not values:
        return text, html, ""
    nonce = _secrets.token_hex(3)
    mapping: dict[str, str] = {}
    for label, value in values.items():
        if not value:
            continue
        placeholder = f"[{label} hidden · {nonce}]"
        mapping[placeholder] = value
        text = text.replace(value, placeholder)
        html = html.replace(html_lib.escape(value), html_lib.escape(placeholder)).replace(value, placeholder)
    sealed = _fernet().encrypt(json.dumps(mapping).encode()).decode() if mapping else ""
    return text, html, sealed


def reveal(text: str, html: str, sealed: str) -> tuple[str, str]:
    """Put the secret values back for delivery (an undecryptable box leaves the placeholders)."""
    if not sealed:
        return text, html
    try:
        mapping: dict[str, str] = json.loads(_fernet().decrypt(sealed.encode()))
    except (InvalidToken, ValueError):
        return text, html
    for placeholder, value in mapping.items():
        text = text.replace(placeholder, value)
        html = html.replace(html_lib.escape(placeholder), html_lib.escape(value)).replace(placeholder, value)
    return text, html
