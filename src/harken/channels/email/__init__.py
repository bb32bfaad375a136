"""Inbound email: raw RFC 822 messages in (SMTP receiver or HTTP), feedback out."""
