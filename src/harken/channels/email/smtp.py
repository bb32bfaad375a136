"""The built-in SMTP receiver (`harken mail-in`): an aiosmtpd handler that hands each message to
`ingest_for_recipients` in a worker thread (the ORM is synchronous).

Unknown recipients are refused at RCPT time (550), oversize mail at DATA time (552), so the
sending server bounces them with a clear reason instead of the mail silently vanishing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller
from django.db import close_old_connections

from harken.channels.email import services

log = logging.getLogger(__name__)


def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    close_old_connections()
    try:
        return fn(*args, **kwargs)
    finally:
        close_old_connections()


class InboundHandler:
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        loop = asyncio.get_running_loop()
        try:
            workspace = await loop.run_in_executor(None, _run, services.workspace_for_address, address)
        except Exception:  # noqa: BLE001 - database trouble is temporary: the sender retries
            log.exception("Could not look up the workspace for %s", address)
            return "451 4.3.0 Could not check this address right now; please retry later"
        if workspace is None:
            return f"550 5.1.1 <{address}>: no Harken workspace receives mail at this address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        limit = services.max_mail_bytes()
        if len(raw) > limit:
            return f"552 5.3.4 Message is {len(raw) / services.MB:.1f} MB; the limit is {limit / services.MB:.0f} MB per email"
        loop = asyncio.get_running_loop()
        try:
            results = await loop.run_in_executor(
                None,
                lambda: _run(
                    services.ingest_for_recipients,
                    raw,
                    list(envelope.rcpt_tos),
                    via="smtp",
                    envelope_from=envelope.mail_from or "",
                ),
            )
        except services.MailTooLarge as exc:
            return f"552 5.3.4 {exc}"
        except services.UnknownRecipient as exc:
            return f"550 5.1.1 {exc}"
        except Exception:  # noqa: BLE001 - a temporary failure: the sender will retry
            log.exception("Inbound email could not be stored")
            return "451 4.3.0 Could not store the message right now; please retry later"
        summary = ", ".join(f"{r.status} #{r.inbound.pk}" for r in results)
        return f"250 2.0.0 Stored ({summary})"


def make_controller(host: str = "127.0.0.1", port: int = 2525) -> Controller:
    return Controller(
        InboundHandler(),
        hostname=host,
        port=port,
        data_size_limit=services.max_mail_bytes() + 64 * 1024,
        decode_data=False,
        ident="Harken mail-in",
    )
