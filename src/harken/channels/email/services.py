"""Inbound email → feedback, shared by the SMTP receiver (`harken mail-in`) and the HTTP endpoint.

Order of work, so nothing valid is ever lost:
1. size check (the only reason to refuse a message outright: SMTP 552 / HTTP 413);
2. the raw bytes are stored verbatim in their own transaction (a duplicate Message-ID, or the
   same bytes delivered twice, is recognised here and stored once);
3. the message is parsed with the stdlib `email` package (policy=default); a reply to a known
   thread becomes a follow-up on that item, anything else becomes new feedback through
   `feedback.actions.create_feedback`. A parse failure leaves the raw message with a clear error.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import os
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from typing import Any

import html2text
import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from harken.channels.email.models import EmailAttachment, InboundEmail, InboundMailbox, InboundStatus
from harken.channels.email.signals import email_followup_received
from harken.core import safeinput
from harken.feedback.models import Feedback
from harken.workspaces.access import Actor
from harken.workspaces.models import Role, Workspace

log = logging.getLogger(__name__)

MB = 1024 * 1024
_MSGID = re.compile(r"<[^<>\s]+>")
# Defects after which the structure of the message cannot be trusted.
SERIOUS_DEFECTS = {
    "NoBoundaryInMultipartDefect",
    "StartBoundaryNotFoundDefect",
    "MultipartInvariantViolationDefect",
    "MissingHeaderBodySeparatorDefect",
}


def max_mail_bytes() -> int:
    return int(getattr(settings, "HARKEN_MAIL_MAX_BYTES", 25 * MB))


def max_attachment_bytes() -> int:
    return int(getattr(settings, "HARKEN_MAIL_MAX_ATTACHMENT_BYTES", 10 * MB))


class MailTooLarge(ValueError):
    """The whole message is over the per-mail limit: refused (SMTP 552, HTTP 413)."""


class UnknownRecipient(ValueError):
    """No workspace receives mail at this address (SMTP 550, HTTP 404)."""


@dataclass
class IngestResult:
    status: str  # created, threaded, duplicate, error
    inbound: InboundEmail
    feedback: Feedback | None = None
    notes: list[str] = field(default_factory=list)


# --- addresses and workspaces ---------------------------------------------------------------------


def inbound_domain() -> str:
    configured = str(getattr(settings, "HARKEN_INBOUND_DOMAIN", "") or "")
    if configured:
        return configured
    return settings.SITE_URL.split("//")[-1].split(":")[0].split("/")[0] or "localhost"


def inbound_domain_unset_and_local() -> bool:
    """True when no HARKEN_INBOUND_DOMAIN is set and SITE_URL's host cannot receive mail (an IP
    address, localhost, a name without a dot): the address shown would be `…@127.0.0.1`."""
    if str(getattr(settings, "HARKEN_INBOUND_DOMAIN", "") or ""):
        return False
    domain = inbound_domain()
    try:
        ipaddress.ip_address(domain.strip("[]"))
    except ValueError:
        return "." not in domain or domain.endswith((".localhost", ".local"))
    return True


def plus_address(workspace: Workspace) -> str:
    return f"feedback+{workspace.slug}@{inbound_domain()}"


def get_mailbox(workspace: Workspace) -> InboundMailbox:
    """The workspace's mailbox, created if missing (a write: new workspaces and POSTs only)."""
    mailbox, _ = InboundMailbox.objects.get_or_create(workspace=workspace)
    return mailbox


def mailbox_of(workspace: Workspace) -> InboundMailbox | None:
    """The workspace's mailbox if it has one (a read)."""
    return InboundMailbox.objects.filter(workspace=workspace).first()


def reply_address(workspace: Workspace) -> str:
    """Where customers' answers to our replies go: back into this workspace."""
    mailbox = InboundMailbox.objects.filter(workspace=workspace).first()
    if mailbox and mailbox.address:
        return mailbox.address
    return plus_address(workspace)


def workspace_for_address(address: str) -> Workspace | None:
    """`feedback+<slug>@any-domain`, or an address configured on a workspace's mailbox."""
    _, addr = parseaddr(address or "")
    addr = addr.strip().lower()
    if "@" not in addr:
        return None
    local, _, _domain = addr.rpartition("@")
    if "+" in local:
        base, _, slug = local.partition("+")
        if base == "feedback" and slug:
            found = Workspace.objects.filter(slug=slug).first()
            if found is not None:
                return found
    mailbox = InboundMailbox.objects.select_related("workspace").filter(address__iexact=addr).first()
    return mailbox.workspace if mailbox else None


def update_mailbox(actor: Actor, *, address: str) -> InboundMailbox:
    actor.require(Role.ADMIN)
    address = (address or "").strip().lower()
    if address:
        from django.core.validators import validate_email

        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError({"address": f"“{address[:100]}” is not an email address."}) from None
        taken = InboundMailbox.objects.filter(address__iexact=address).exclude(workspace=actor.workspace).exists()
        if taken:
            raise ValidationError({"address": "Another workspace already receives mail at that address."})
    mailbox = get_mailbox(actor.workspace)
    mailbox.address = address
    mailbox.save(update_fields=["address", "updated_at"])
    return mailbox


def rotate_token(actor: Actor) -> InboundMailbox:
    """A new secret for the HTTP endpoint; the old URL stops working at once."""
    from harken.channels.email.models import new_inbound_token

    actor.require(Role.ADMIN)
    mailbox = get_mailbox(actor.workspace)
    mailbox.token = new_inbound_token()
    mailbox.save(update_fields=["token", "updated_at"])
    return mailbox


# --- parsing ---------------------------------------------------------------------------------------


def _msgids(value: Any) -> list[str]:
    return _MSGID.findall(str(value or ""))


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception as exc:  # noqa: BLE001 - a broken header must not lose the mail
        return f"(unreadable {name} header: {exc})"
    return " ".join(str(value).split()) if value is not None else ""


def _decode_part(part: Message) -> str:
    """Text of a part in its declared charset; unknown or lying charsets fall back without loss."""
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, UnicodeError, AttributeError, KeyError, ValueError):
        pass
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload() or "")
    for charset in (part.get_content_charset() or "", "utf-8", "cp1252"):
        if not charset:
            continue
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1")


def html_to_text(html: str) -> str:
    """Safe text from HTML mail: scripts/styles dropped by nh3, the rest turned into plain text."""
    cleaned = nh3.clean(
        html,
        tags={
            "p",
            "br",
            "div",
            "a",
            "ul",
            "ol",
            "li",
            "b",
            "strong",
            "i",
            "em",
            "blockquote",
            "h1",
            "h2",
            "h3",
            "h4",
            "pre",
            "code",
            "table",
            "tr",
            "td",
            "th",
        },
        clean_content_tags={"script", "style", "head", "title"},
    )
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True
    text = converter.handle(cleaned)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


@dataclass
class Parsed:
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    sender_email: str = ""
    sender_name: str = ""
    subject: str = ""
    text: str = ""
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""


def peek_message_id(raw: bytes) -> str:
    try:
        headers = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
        ids = _msgids(_header(headers, "Message-ID"))
    except Exception:  # noqa: BLE001
        return ""
    return ids[0][:500] if ids else ""


def parse(raw: bytes) -> Parsed:
    """Parse a raw message; NUL characters are dropped (PostgreSQL cannot store them, and the
    sender cannot be asked to resend), the raw bytes stay stored unchanged."""
    out = _parse(raw)
    for name in ("message_id", "in_reply_to", "sender_email", "sender_name", "subject", "text", "error"):
        setattr(out, name, safeinput.strip_nul(getattr(out, name)))
    out.references = [safeinput.strip_nul(r) for r in out.references]
    out.notes = [safeinput.strip_nul(n) for n in out.notes]
    out.attachments = [(safeinput.strip_nul(n), safeinput.strip_nul(t), data) for n, t, data in out.attachments]
    return out


def _parse(raw: bytes) -> Parsed:
    out = Parsed()
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # noqa: BLE001 - the parser is lenient; this is the truly broken case
        out.error = f"The message could not be parsed: {type(exc).__name__}: {exc}"
        return out
    ids = _msgids(_header(message, "Message-ID"))
    out.message_id = ids[0][:500] if ids else ""
    reply_ids = _msgids(_header(message, "In-Reply-To"))
    out.in_reply_to = reply_ids[0][:500] if reply_ids else ""
    out.references = _msgids(_header(message, "References"))[-50:]
    name, addr = parseaddr(_header(message, "Reply-To") or _header(message, "From"))
    if not addr:
        name, addr = parseaddr(_header(message, "From"))
    out.sender_email, out.sender_name = addr.strip()[:300], name.strip()[:300]
    out.subject = _header(message, "Subject")[:500]

    defects = [type(d).__name__ for part in message.walk() for d in part.defects] + [
        type(d).__name__ for d in message.defects
    ]
    serious = sorted(set(defects) & SERIOUS_DEFECTS)
    if defects:
        out.notes.append("MIME defects: " + ", ".join(sorted(set(defects))))

    body_text = ""
    chosen: Message | None = None
    if isinstance(message, EmailMessage):
        try:
            chosen = message.get_body(preferencelist=("plain", "html"))
        except Exception as exc:  # noqa: BLE001
            out.notes.append(f"Could not find the body: {exc}")
    if chosen is not None:
        text = _decode_part(chosen)
        body_text = html_to_text(text) if chosen.get_content_subtype() == "html" else text
        if chosen.get_content_subtype() == "html":
            out.notes.append("HTML-only message: converted to text.")

    limit = max_attachment_bytes()
    for part in message.walk():
        if part.is_multipart() or part is chosen or part.get_content_maintype() == "multipart":
            continue  # containers (and a broken multipart's unsplit body, which stays in the raw message)
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        if disposition != "attachment" and not filename and part.get_content_maintype() == "text":
            continue  # an alternative text/html body we did not choose
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        safe_name = os.path.basename((filename or "attachment").replace("\\", "/"))[:200] or "attachment"
        if len(payload) > limit:
            out.notes.append(
                f"Attachment “{safe_name}” ({len(payload) / MB:.1f} MB) is over the {limit / MB:.0f} MB limit: "
                "not stored separately (it is still inside the raw message)."
            )
            continue
        out.attachments.append((safe_name, part.get_content_type(), payload))

    if serious and not body_text.strip():
        out.error = (
            "Malformed MIME (" + ", ".join(serious) + "): no readable text could be found. "
            "The raw message is stored unchanged; download it to read it."
        )
        return out
    if serious:
        out.notes.append("Malformed MIME (" + ", ".join(serious) + "): the text may be incomplete.")
    body_text = body_text.replace("\r\n", "\n").strip()
    if not body_text:
        names = ", ".join(name for name, _, _ in out.attachments)
        body_text = f"(This email has no text. Attachments: {names}.)" if names else "(This email has no text.)"
        if not out.subject and not names:
            body_text = "(Empty email: no subject, no text, no attachments.)"
        out.notes.append("No text part.")
    out.text = body_text
    return out


# --- ingest ----------------------------------------------------------------------------------------


def _thread_target(workspace: Workspace, ids: list[str]) -> Feedback | None:
    from harken.notify.models import OutboundEmail

    if not ids:
        return None
    known = workspace.inbound_emails.filter(message_id__in=ids, feedback__isnull=False).order_by("-created_at").first()
    if known is not None:
        return known.feedback
    for email in OutboundEmail.objects.filter(workspace=workspace, message_id__in=ids).order_by("-created_at"):
        kind, _, pk = email.related_object.partition(":")
        if kind == "feedback.feedback" and pk.isdigit():
            found = workspace.feedback_items.filter(pk=int(pk)).first()
            if found is not None:
                return found
    return None


def ingest(
    raw: bytes,
    workspace: Workspace,
    *,
    via: str = "smtp",
    envelope_from: str = "",
    envelope_to: list[str] | None = None,
) -> IngestResult:
    """Store, then parse one message for one workspace. Idempotent per Message-ID (and per bytes)."""
    if len(raw) > max_mail_bytes():
        raise MailTooLarge(f"Message is {len(raw) / MB:.1f} MB; the limit is {max_mail_bytes() / MB:.0f} MB per email.")
    digest = hashlib.sha256(raw).hexdigest()
    message_id = peek_message_id(raw)
    duplicate = workspace.inbound_emails.filter(message_id=message_id).first() if message_id else None
    duplicate = duplicate or workspace.inbound_emails.filter(sha256=digest).first()
    if duplicate is not None:
        return IngestResult("duplicate", duplicate, duplicate.feedback)
    try:
        with transaction.atomic():
            inbound = InboundEmail.objects.create(
                workspace=workspace,
                raw=raw,
                size=len(raw),
                sha256=digest,
                via=via,
                envelope_from=envelope_from[:300],
                envelope_to=list(envelope_to or [])[:50],
                message_id=message_id,
            )
    except IntegrityError:  # the same Message-ID raced in through another connection
        existing = workspace.inbound_emails.filter(message_id=message_id).first()
        if existing is None:
            raise
        return IngestResult("duplicate", existing, existing.feedback)
    try:
        return _process(inbound)
    except Exception as exc:  # noqa: BLE001 - keep the raw message and say what went wrong
        log.exception("Inbound email %s could not be processed", inbound.pk)
        InboundEmail.objects.filter(pk=inbound.pk).update(
            status=InboundStatus.ERROR, parse_error=f"Processing failed: {type(exc).__name__}: {exc}"[:5000]
        )
        inbound.refresh_from_db()
        return IngestResult("error", inbound)


def _process(inbound: InboundEmail) -> IngestResult:
    from harken.feedback.actions import create_feedback

    workspace = inbound.workspace
    parsed = parse(bytes(inbound.raw))
    with transaction.atomic():
        inbound.in_reply_to = parsed.in_reply_to
        inbound.references = " ".join(parsed.references)
        inbound.sender_email = parsed.sender_email
        inbound.sender_name = parsed.sender_name
        inbound.subject = parsed.subject
        inbound.text = parsed.text
        inbound.notes = "\n".join(parsed.notes)
        for name, content_type, payload in parsed.attachments:
            attachment = EmailAttachment(
                workspace=workspace, email=inbound, filename=name, content_type=content_type[:200], size=len(payload)
            )
            attachment.file.save(name, ContentFile(payload), save=False)
            attachment.save()
        if parsed.error:
            inbound.status = InboundStatus.ERROR
            inbound.parse_error = parsed.error
            inbound.save()
            return IngestResult("error", inbound, notes=parsed.notes)
        thread_ids = (
            [parsed.in_reply_to, *reversed(parsed.references)]
            if parsed.in_reply_to
            else list(reversed(parsed.references))
        )
        target = _thread_target(workspace, [i for i in thread_ids if i])
        if target is not None:
            inbound.feedback = target
            inbound.status = InboundStatus.THREADED
            inbound.save()
            email_followup_received.send(sender=InboundEmail, feedback=target, inbound=inbound)
            return IngestResult("threaded", inbound, target, parsed.notes)
        sender = parsed.sender_email
        try:
            from django.core.validators import validate_email

            validate_email(sender)
        except ValidationError:
            if sender:
                parsed.notes.append(f"Sender “{sender[:100]}” is not a valid address: not matched to a contact.")
            sender = ""
        text = parsed.text
        if len(text.encode()) > 900_000:
            text = (
                text.encode()[:900_000].decode(errors="ignore") + "\n\n(Truncated: the full text is in the raw email.)"
            )
            parsed.notes.append("Text over 900 KB: truncated on the feedback item.")
        try:
            with transaction.atomic():
                feedback, _created = create_feedback(
                    Actor.system(workspace),
                    text=text,
                    title=parsed.subject[:300],
                    channel="email",
                    author_email=sender,
                    author_name=parsed.sender_name[:200],
                    external_id=parsed.message_id[:300],
                    raw_payload=f"Inbound email #{inbound.pk} (raw message stored verbatim, {inbound.size} bytes)",
                    raw_content_type="message/rfc822",
                )
        except ValidationError as exc:
            inbound.status = InboundStatus.ERROR
            inbound.parse_error = "Could not create feedback: " + "; ".join(exc.messages)
            inbound.notes = "\n".join(parsed.notes)
            inbound.save()
            return IngestResult("error", inbound, notes=parsed.notes)
        inbound.feedback = feedback
        inbound.status = InboundStatus.CREATED
        inbound.notes = "\n".join(parsed.notes)
        inbound.save()
        return IngestResult("created", inbound, feedback, parsed.notes)


def ingest_for_recipients(
    raw: bytes, recipients: list[str], *, via: str = "smtp", envelope_from: str = ""
) -> list[IngestResult]:
    """One copy per distinct workspace among the recipients (SMTP RCPT TO)."""
    seen: dict[int, Workspace] = {}
    for address in recipients:
        workspace = workspace_for_address(address)
        if workspace is not None:
            seen.setdefault(workspace.pk, workspace)
    if not seen:
        raise UnknownRecipient("No Harken workspace receives mail at " + ", ".join(recipients[:5]))
    return [ingest(raw, ws, via=via, envelope_from=envelope_from, envelope_to=recipients) for ws in seen.values()]


def recipients_from_headers(raw: bytes) -> list[str]:
    try:
        headers = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    except Exception:  # noqa: BLE001
        return []
    values = [_header(headers, name) for name in ("Delivered-To", "X-Original-To", "To", "Cc")]
    return [addr for _, addr in getaddresses(values) if addr]


# --- used by triage --------------------------------------------------------------------------------


def thread_headers(feedback: Feedback) -> tuple[str, list[str]]:
    """In-Reply-To and References for a reply to this item: the customer's latest message."""
    latest = (
        feedback.workspace.inbound_emails.filter(feedback=feedback)
        .exclude(message_id="")
        .order_by("-created_at")
        .first()
    )
    if latest is None:
        if feedback.channel == "email" and _MSGID.fullmatch(feedback.external_id or ""):
            return feedback.external_id, [feedback.external_id]
        return "", []
    refs = [r for r in latest.references.split() if r]
    refs.append(latest.message_id)
    return latest.message_id, refs[-20:]


def followups(feedback: Feedback) -> list[InboundEmail]:
    return list(
        feedback.workspace.inbound_emails.filter(feedback=feedback, status=InboundStatus.THREADED).order_by(
            "created_at"
        )
    )


def log_page(workspace: Workspace, status: str = "") -> Any:
    items = workspace.inbound_emails.select_related("feedback").defer("raw")
    if status:
        items = items.filter(status=status)
    return items
