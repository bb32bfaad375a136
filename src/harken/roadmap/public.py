"""What customers see: the public roadmap, sneak previews, the changelog (Markdown, Atom, email)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from markdown_it import MarkdownIt

from harken.roadmap import statuses as st
from harken.roadmap.models import Announcement, RoadmapItem, SneakPreview, StatusKind, Subscriber
from harken.workspaces.access import Actor
from harken.workspaces.models import ProductLine, Role, Workspace, hash_secret

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
ALLOWED_TAGS = {
    "p", "a", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote", "h2", "h3", "h4",
    "hr", "br", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


def render_markdown(text: str) -> str:
    """Markdown → HTML, then sanitised with nh3: scripts, event handlers and javascript: URLs are dropped."""
    html = _md.render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener nofollow ugc",
    )


def is_public(workspace: Workspace) -> bool:
    return bool(st.settings_for(workspace).public_roadmap)


def public_board(workspace: Workspace, line: ProductLine | None = None) -> list[dict[str, Any]]:
    """Columns of public items by status (only statuses shown on the roadmap)."""
    columns = [s for s in st.statuses(workspace) if s.on_roadmap]
    items = workspace.roadmap_items.filter(deleted_at__isnull=True, public=True).select_related("product_line")
    if line is not None:
        items = items.filter(product_line=line)
    by_status: dict[str, list[RoadmapItem]] = {}
    for item in items.order_by("target_date", "title"):
        by_status.setdefault(item.status, []).append(item)
    return [
        {
            "status": s,
            "items": [{"item": i, "html": render_markdown(i.public_description)} for i in by_status.get(s.key, [])],
        }
        for s in columns
    ]


# ---------------------------------------------------------------- sneak previews


def create_preview(
    actor: Actor, *, name: str, items: list[RoadmapItem], accounts: list[Any] | None = None, days: int = 14
) -> tuple[SneakPreview, str]:
    """Returns the preview and its raw token (shown once; only the hash is stored)."""
    actor.require(Role.MEMBER)
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = "Name the preview, e.g. “Q3 preview for Acme”."
    items = [i for i in items if i.workspace_id == actor.workspace.pk and i.deleted_at is None]
    if not items:
        errors["items"] = "Pick at least one item to show."
    if not 1 <= int(days) <= 90:
        errors["days"] = "A preview lasts 1 to 90 days."
    accounts = [a for a in (accounts or []) if a.workspace_id == actor.workspace.pk]
    if errors:
        raise ValidationError(errors)
    raw = "pv_" + secrets.token_urlsafe(24)
    with transaction.atomic():
        preview = SneakPreview.objects.create(
            workspace=actor.workspace,
            name=name[:120],
            token_hash=hash_secret(raw),
            hint=raw[:7],
            expires_at=timezone.now() + dt.timedelta(days=int(days)),
            created_by=actor.user,
        )
        preview.items.set(items)
        preview.accounts.set(accounts)
    return preview, raw


#: Most contacts one preview is emailed to.
MAX_PREVIEW_EMAILS = 50


def preview_contacts(preview: SneakPreview) -> list[Any]:
    """The contacts of the preview's customers with an address, minus anyone who unsubscribed."""
    gone = set(preview.workspace.roadmap_unsubscribes.values_list("email", flat=True))
    contacts = preview.workspace.contacts.filter(account__in=preview.accounts.all()).exclude(email="")
    return [c for c in contacts.order_by("email") if c.email.lower() not in gone]


def email_preview(actor: Actor, preview: SneakPreview, raw: str, note: str = "") -> int:
    """Queue one outbox email per contact of the preview's customers with the private link.

    Only possible while the raw link is at hand (right after creating the preview: only its hash is
    stored). The link is an outbox secret: sealed at rest, shown to nobody in the outbox (admins see
    a placeholder), wiped once sent. Returns the number of emails queued."""
    from harken.notify.services import queue_email

    actor.require(Role.MEMBER)
    if preview.workspace_id != actor.workspace.pk:
        raise ValidationError("That preview belongs to another workspace.")
    if hash_secret(raw or "") != preview.token_hash or not preview.active:
        raise ValidationError("This preview's link is not available any more; create a new preview to email it.")
    contacts = preview_contacts(preview)
    if not contacts:
        raise ValidationError({"email_contacts": "None of the chosen customers has a contact with an email address."})
    if len(contacts) > MAX_PREVIEW_EMAILS:
        raise ValidationError(
            {"email_contacts": f"Email at most {MAX_PREVIEW_EMAILS} contacts at once ({len(contacts)} chosen)."}
        )
    ws = preview.workspace
    url = preview_url(raw)
    titles = "\n".join(f"- {i.title}" for i in preview.items.filter(deleted_at__isnull=True))
    sender = actor.user.display_name if actor.user else f"The {ws.name} team"
    personal = " ".join(str(note or "").split())[:1000]
    for contact in contacts:
        text = (
            f"Hi {contact.name or 'there'},\n\n"
            + (f"{personal}\n\n" if personal else "")
            + f"Here is a private preview of what {ws.name} is working on:\n\n{titles}\n\n"
            f"See it here: {url}\n(The link is for you; it stops working on {preview.expires_at:%d %B %Y}.)\n\n"
            f"— {sender}\n"
        )
        queue_email(
            to=contact.email,
            subject=f"{ws.name}: a preview of what is coming",
            text=text,
            workspace=ws,
            kind="roadmap_preview",
            related_object=f"roadmap.preview:{preview.pk}",
            secrets={"preview link": url},
        )
    return len(contacts)


def preview_url(raw: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("roadmap_public:preview", kwargs={"token": raw})


def open_preview(raw: str) -> SneakPreview | None:
    """The active preview for a raw token, or None (unknown, revoked or expired look the same)."""
    preview = SneakPreview.objects.filter(token_hash=hash_secret(raw or "")).select_related("workspace").first()
    if preview is None or not preview.active:
        return None
    return preview


def preview_items(preview: SneakPreview) -> list[dict[str, Any]]:
    known = st.status_map(preview.workspace)
    return [
        {
            "item": i,
            "status": st.status_of(preview.workspace, i.status, known),
            "html": render_markdown(i.public_description or i.description),
        }
        for i in preview.items.filter(deleted_at__isnull=True).order_by("target_date", "title")
    ]


def revoke_preview(actor: Actor, preview: SneakPreview) -> None:
    actor.require(Role.MEMBER)
    if preview.workspace_id != actor.workspace.pk:
        raise ValidationError("That preview belongs to another workspace.")
    preview.revoked_at = timezone.now()
    preview.save(update_fields=["revoked_at", "updated_at"])


# ---------------------------------------------------------------- changelog


def save_announcement(
    actor: Actor,
    announcement: Announcement | None = None,
    *,
    title: str,
    body: str,
    items: list[RoadmapItem] | None = None,
    product_line: ProductLine | None = None,
) -> Announcement:
    actor.require(Role.MEMBER)
    errors: dict[str, str] = {}
    title = " ".join((title or "").split())
    if not title or len(title) > 200:
        errors["title"] = "Give the announcement a title (up to 200 characters)."
    if not (body or "").strip():
        errors["body"] = "Write what changed."
    elif len(body) > 50_000:
        errors["body"] = "Keep it under 50,000 characters."
    if product_line is not None and product_line.workspace_id != actor.workspace.pk:
        errors["product_line"] = "That product line belongs to another workspace."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if announcement is None:
            announcement = Announcement(workspace=actor.workspace, created_by=actor.user)
        elif announcement.workspace_id != actor.workspace.pk:
            raise ValidationError("That announcement belongs to another workspace.")
        announcement.title, announcement.body, announcement.product_line = title, body, product_line
        announcement.save()
        if items is not None:
            announcement.items.set([i for i in items if i.workspace_id == actor.workspace.pk])
    return announcement


def publish(actor: Actor, announcement: Announcement, *, email: bool = True) -> Announcement:
    """Publish on the changelog and the feed; email subscribers once (queued as a task)."""
    from harken.roadmap.tasks import email_announcement

    actor.require(Role.MEMBER)
    if announcement.workspace_id != actor.workspace.pk:
        raise ValidationError("That announcement belongs to another workspace.")
    with transaction.atomic():
        locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
        if locked.published_at is not None:
            raise ValidationError("This announcement is already published.")
        locked.published_at = timezone.now()
        locked.save(update_fields=["published_at", "updated_at"])
        if email:
            email_announcement.enqueue(locked.pk)
    return locked


def email_subscribers(announcement_id: int) -> int:
    from harken.notify.services import queue_email
    from harken.roadmap.loop import unsubscribe_url

    with transaction.atomic():
        announcement = Announcement.objects.select_for_update().select_related("workspace").get(pk=announcement_id)
        if announcement.emailed_at is not None or announcement.published_at is None:
            return 0
        ws = announcement.workspace
        gone = set(ws.roadmap_unsubscribes.values_list("email", flat=True))
        emails = [
            e
            for e in ws.roadmap_subscribers.filter(
                unsubscribed_at__isnull=True, confirmed_at__isnull=False
            ).values_list("email", flat=True)
            if e.lower() not in gone
        ]
        url = changelog_url(ws)
        for address in emails:
            text = (
                f"{announcement.title}\n\n{announcement.body.strip()}\n\nRead it online: {url}\n\n"
                f"— The {ws.name} team\n\nUnsubscribe: {unsubscribe_url(ws, address)}\n"
            )
            queue_email(
                to=address,
                subject=f"{ws.name}: {announcement.title}",
                text=text,
                html=render_markdown(announcement.body)
                + f'<p><a href="{unsubscribe_url(ws, address)}">Unsubscribe</a></p>',
                workspace=ws,
                kind="roadmap_changelog",
                related_object=f"roadmap.announcement:{announcement.pk}",
                headers={"List-Unsubscribe": f"<{unsubscribe_url(ws, address)}>"},
            )
        announcement.emailed_at = timezone.now()
        announcement.recipients = len(emails)
        announcement.save(update_fields=["emailed_at", "recipients", "updated_at"])
    return len(emails)


def changelog_url(ws: Workspace) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("roadmap_public:changelog", kwargs={"ws": ws.slug})


def published(workspace: Workspace) -> Any:
    return workspace.roadmap_announcements.filter(published_at__isnull=False).order_by("-published_at", "-id")


def atom_feed(workspace: Workspace) -> bytes:
    from feedgen.feed import FeedGenerator

    url = changelog_url(workspace)
    fg = FeedGenerator()
    fg.id(url)
    fg.title(f"{workspace.name} changelog")
    fg.link(href=url, rel="alternate")
    fg.link(href=url + "feed.atom", rel="self")
    fg.language("en")
    entries = list(published(workspace)[:50])
    fg.updated(entries[0].published_at if entries else workspace.created_at)
    for a in reversed(entries):
        entry = fg.add_entry()
        entry.id(f"{url}#a{a.pk}")
        entry.title(a.title)
        entry.link(href=f"{url}#a{a.pk}")
        entry.published(a.published_at)
        entry.updated(a.updated_at if a.updated_at > a.published_at else a.published_at)
        entry.content(render_markdown(a.body), type="html")
    return bytes(fg.atom_str(pretty=True))


# ---------------------------------------------------------------- subscribers


def add_subscribers(actor: Actor | None, workspace: Workspace, text: str) -> dict[str, list[str]]:
    """Add addresses (one per line, or separated by commas). Invalid ones are reported, valid ones kept."""
    if actor is not None:
        actor.require(Role.MEMBER)
    raw = [p.strip() for chunk in (text or "").splitlines() for p in chunk.replace(";", ",").split(",")]
    raw = [r for r in raw if r]
    if len(raw) > 5000:
        raise ValidationError({"emails": "Add at most 5,000 addresses at a time."})
    added, existing, invalid = [], [], []
    now = timezone.now()
    for address in dict.fromkeys(r.lower() for r in raw):
        try:
            validate_email(address)
        except ValidationError:
            invalid.append(address)
            continue
        try:
            with transaction.atomic():  # the member who adds an address vouches for it: confirmed
                Subscriber.objects.create(workspace=workspace, email=address, confirmed_at=now)
            added.append(address)
        except IntegrityError:  # already there (someone who unsubscribed stays unsubscribed)
            existing.append(address)
    if not raw:
        raise ValidationError({"emails": "Enter at least one email address."})
    return {"added": added, "existing": existing, "invalid": invalid}


#: How long a confirmation link works, and how soon the form may send another one to the same address.
CONFIRM_DAYS = 7
CONFIRM_RESEND_AFTER = dt.timedelta(minutes=10)


def subscribe(workspace: Workspace, email: str, *, now: dt.datetime | None = None) -> Subscriber:
    """The public form: one address, validated; then double opt-in.

    A new (or still unconfirmed) address gets a confirmation email through the outbox with a
    single-use link (`sc_…`; only its SHA-256 is stored, the link itself is sealed in the outbox as a
    secret); nothing else is sent to it until it is confirmed. At most one confirmation per
    `CONFIRM_RESEND_AFTER`, so the form cannot be used to flood someone's inbox. An address that
    unsubscribed stays unsubscribed and a confirmed one stays as it is (a stranger must not be able
    to sign someone back up); the form answers the same in every case so it reveals nothing.
    """
    from harken.notify.services import queue_email

    address = (email or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError({"email": "Enter a valid email address."}) from None
    now = now or timezone.now()
    with transaction.atomic():
        sub, _ = Subscriber.objects.get_or_create(workspace=workspace, email=address)
        sub = Subscriber.objects.select_for_update().get(pk=sub.pk)
        if sub.unsubscribed_at is not None or sub.confirmed_at is not None:
            return sub
        if sub.confirm_sent_at is not None and now - sub.confirm_sent_at < CONFIRM_RESEND_AFTER:
            return sub
        raw = "sc_" + secrets.token_urlsafe(24)
        sub.confirm_token_hash = hash_secret(raw)
        sub.confirm_sent_at = now
        sub.save(update_fields=["confirm_token_hash", "confirm_sent_at", "updated_at"])
        link = settings.SITE_URL.rstrip("/") + reverse("roadmap_public:confirm", kwargs={"token": raw})
        queue_email(
            to=address,
            subject=f"Confirm your subscription to the {workspace.name} changelog",
            text=(
                f"Someone (hopefully you) asked to get the {workspace.name} changelog by email.\n\n"
                f"Confirm here: {link}\n\n"
                f"The link works once, for {CONFIRM_DAYS} days. If it wasn't you, ignore this email: "
                "nothing more will be sent.\n"
            ),
            workspace=workspace,
            kind="roadmap_subscribe_confirm",
            related_object=f"roadmap.subscriber:{sub.pk}",
            secrets={"confirmation link": link},
        )
    return sub


def _pending(raw: str, now: dt.datetime) -> Any:
    if not (raw or "").startswith("sc_"):
        return Subscriber.objects.none()
    return Subscriber.objects.filter(
        confirm_token_hash=hash_secret(raw),
        confirmed_at__isnull=True,
        unsubscribed_at__isnull=True,
        confirm_sent_at__gt=now - dt.timedelta(days=CONFIRM_DAYS),
    ).select_related("workspace")


def pending_subscription(raw: str, now: dt.datetime | None = None) -> Subscriber | None:
    """The subscriber a confirmation link is for (read only), or None: unknown, used or expired look the same."""
    return _pending(raw, now or timezone.now()).first()


def confirm_subscription(raw: str, now: dt.datetime | None = None) -> Subscriber | None:
    """Use a confirmation link: the subscriber is confirmed and the token is spent (single use)."""
    now = now or timezone.now()
    with transaction.atomic():
        sub = _pending(raw, now).select_for_update().first()
        if sub is None:
            return None
        sub.confirmed_at = now
        sub.confirm_token_hash = ""
        sub.save(update_fields=["confirmed_at", "confirm_token_hash", "updated_at"])
    return sub


def done_kind(workspace: Workspace, key: str) -> bool:
    return st.status_of(workspace, key).kind == StatusKind.DONE
