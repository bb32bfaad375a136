"""`harken mail-in`'s SMTP handler, driven by real mail sent with smtplib.

The handler stores mail from aiosmtpd's thread, so these tests use committed data
(transactional_db) rather than a test transaction the other thread could not see.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from harken.channels.email.smtp import make_controller
from harken.triage.models import Triage
from tests.base import World
from tests.notify.mailbox import free_port

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "email"


@pytest.fixture
def receiver(transactional_db: None, settings: Any, tmp_path: Path) -> Iterator[tuple[World, int]]:
    settings.MEDIA_ROOT = tmp_path
    world = World()
    port = free_port()
    controller = make_controller("127.0.0.1", port)
    controller.start()
    try:
        yield world, port
    finally:
        controller.stop()


def test_mail_in_receives_threads_dedupes_and_refuses_clearly(receiver: tuple[World, int]) -> None:
    world, port = receiver
    plain = (FIXTURES / "plain.eml").read_bytes()
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        refused = smtp.sendmail("pat@acme.test", ["feedback+alpha@harken.test"], plain)
        assert refused == {}
        # Same message delivered twice (a retrying MTA): stored once.
        smtp.sendmail("pat@acme.test", ["feedback+alpha@harken.test"], plain)
        smtp.sendmail("pat@acme.test", ["feedback+alpha@harken.test"], (FIXTURES / "reply.eml").read_bytes())
        with pytest.raises(smtplib.SMTPRecipientsRefused) as unknown:
            smtp.sendmail("pat@acme.test", ["feedback+nosuch@harken.test"], plain)
        code, text = unknown.value.recipients["feedback+nosuch@harken.test"]
        assert code == 550 and b"no Harken workspace" in text

    item = world.alpha.feedback_items.get()
    assert (item.channel, item.title, item.author_email) == ("email", "Export to CSV is missing", "pat@acme.test")
    assert world.alpha.inbound_emails.count() == 2  # the original (once) and the threaded reply
    assert world.alpha.inbound_emails.filter(status="threaded", feedback=item).count() == 1
    # Stored as it came off the wire (smtplib sends CRLF line endings and a final line break).
    assert (
        bytes(world.alpha.inbound_emails.get(status="created").raw).replace(b"\r\n", b"\n").rstrip() == plain.rstrip()
    )
    assert Triage.objects.get(feedback=item).events.filter(kind="customer").exists()


def test_mail_over_the_limit_gets_552(receiver: tuple[World, int]) -> None:
    world, port = receiver
    with (
        override_settings(HARKEN_MAIL_MAX_BYTES=300),
        smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp,
        pytest.raises(smtplib.SMTPDataError) as too_big,
    ):
        smtp.sendmail("pat@acme.test", ["feedback+alpha@harken.test"], (FIXTURES / "plain.eml").read_bytes())
    assert too_big.value.smtp_code == 552
    assert b"limit" in too_big.value.smtp_error
    assert not world.alpha.inbound_emails.exists()


def test_cli_registers_mail_in() -> None:
    from typer.testing import CliRunner

    from harken.cli import app

    result = CliRunner().invoke(app, ["mail-in", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.output and "feedback+" in result.output
