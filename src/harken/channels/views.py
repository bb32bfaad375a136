"""Channel pages. Each channel keeps its views in its own package; they are re-exported here."""

from harken.channels.email.views import (
    email_attachment,
    email_log,
    email_message,
    email_raw,
    email_settings,
    inbound_http,
)

__all__ = ["email_attachment", "email_log", "email_message", "email_raw", "email_settings", "inbound_http"]
