"""Inbound email pages (log, one message, settings) and the HTTP endpoint for forwarding services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt

from harken.channels.email import services
from harken.channels.email.models import InboundMailbox, InboundStatus
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.models import Role


@workspace_view()
def email_log(request: HttpRequest, actor: Actor) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in InboundStatus.values:
        status = ""
    page = Paginator(services.log_page(actor.workspace, status), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "channels/email/log.html",
        {
            "page_obj": page,
            "status": status,
            "statuses": InboundStatus.choices,
            "address": services.reply_address(actor.workspace),
        },
    )


@workspace_view()
def email_message(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    inbound = get_object_or_404(actor.workspace.inbound_emails.defer("raw"), pk=pk)
    return render(
        request,
        "channels/email/message.html",
        {
            "inbound": inbound,
            "attachments": list(inbound.attachments.all()),
            "recipients": ", ".join(inbound.envelope_to),
        },
    )


@workspace_view()
def email_raw(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    inbound = get_object_or_404(actor.workspace.inbound_emails, pk=pk)
    response = HttpResponse(bytes(inbound.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="inbound-{inbound.pk}.eml"'
    return response


@workspace_view()
def email_attachment(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    attachment = get_object_or_404(actor.workspace.email_attachments, pk=pk)
    # Always a download: a stored HTML or SVG attachment must never render on our origin.
    return FileResponse(  # type: ignore[return-value]  # a streaming response; Django's own views do the same
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type="application/octet-stream",
    )


@workspace_view()
def email_settings(request: HttpRequest, actor: Actor) -> HttpResponse:
    mailbox = services.mailbox_of(actor.workspace)  # a read: created with the workspace or by a POST here
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        actor.require(Role.ADMIN)
        try:
            if request.POST.get("action") == "rotate":
                services.rotate_token(actor)
                messages.success(request, "New inbound URL created; the old one no longer works.")
            else:
                services.update_mailbox(actor, address=request.POST.get("address", ""))
                messages.success(request, "Inbound address saved.")
            return redirect("channels:email_settings", ws=actor.workspace.slug)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"address": exc.messages}
    endpoint = request.build_absolute_uri(f"/inbound/email/{mailbox.token}/") if mailbox else ""
    address = mailbox.address if mailbox else ""
    return render(
        request,
        "channels/email/settings.html",
        {
            "mailbox": mailbox,
            "plus_address": services.plus_address(actor.workspace),
            "domain_unset": services.inbound_domain_unset_and_local(),
            "endpoint": endpoint,
            "errors": errors,
            "address_value": request.POST.get("address", address) if request.method == "POST" else address,
            "max_mb": services.max_mail_bytes() // services.MB,
            "max_attachment_mb": services.max_attachment_bytes() // services.MB,
        },
    )


@csrf_exempt
def inbound_http(request: HttpRequest, token: str) -> HttpResponse:
    """POST a raw RFC 822 message (any content type; the body is the message).

    202 with what happened; 413 when over the size limit; 404 for an unknown token.
    """
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    mailbox = InboundMailbox.objects.select_related("workspace").filter(token=token).first()
    if mailbox is None or not token:
        return JsonResponse({"detail": "Unknown inbound URL. Copy it again from Inbound email settings."}, status=404)
    limit = services.max_mail_bytes()
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > limit:
        return JsonResponse({"detail": f"Message is over the {limit // services.MB} MB limit per email."}, status=413)
    raw = request.read(limit + 1)
    if len(raw) > limit:
        return JsonResponse({"detail": f"Message is over the {limit // services.MB} MB limit per email."}, status=413)
    if not raw.strip():
        return JsonResponse(
            {"detail": "The request body is empty: POST the raw message (RFC 822) as the body."}, status=400
        )
    result = services.ingest(raw, mailbox.workspace, via="http", envelope_to=services.recipients_from_headers(raw))
    return JsonResponse(
        {
            "status": result.status,
            "inbound_id": result.inbound.pk,
            "feedback_id": result.feedback.pk if result.feedback else None,
            "error": result.inbound.parse_error,
            "notes": result.notes,
        },
        status=202 if result.status != "duplicate" else 200,
    )
