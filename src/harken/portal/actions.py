"""Every write of the ideas portal: one explicit function per action.

Two kinds of callers:
- visitors of the public portal, described by a `Visitor` (the portal, the signed-in portal user if
  any, the client IP). Their writes are rate limited and checked against the portal's visibility,
  blocking and moderation settings;
- staff, described by an `Actor` (`workspaces.access`), for settings and moderation. Each
  moderation action writes an `AuditEntry`.

Ideas reach the feedback record only through `feedback.actions` (channel "portal"), and merges
only through `insight.services.merge` / `undo_merge`. Emails go through the outbox, enqueued in the
transaction of the change (`tasks.notify_followers`, `notify.services.queue_email`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from harken.feedback import actions as feedback_services
from harken.feedback.models import Channel, Feedback
from harken.portal.models import (
    AuditEntry,
    Comment,
    Follow,
    Idea,
    IdeaStatus,
    Importance,
    MagicLink,
    ModState,
    Portal,
    PortalUser,
    Visibility,
    Vote,
)
from harken.workspaces.access import Actor
from harken.workspaces.models import Membership, Role, Workspace

MAGIC_LINK_TTL = timedelta(minutes=20)
MAX_TITLE = 200
MAX_BODY = 10_000
MAX_COMMENT = 5_000
MAX_NAME = 120
STUFFING_WINDOW = timedelta(hours=24)
STUFFING_THRESHOLD = 3  # distinct voters on one idea from one IP within the window before flagging
HONEYPOT_FIELD = "website"
LOGO_TYPES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff", "image/webp": b"RIFF"}
MAX_LOGO_BYTES = 512 * 1024
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
UNSUBSCRIBE_SALT = "harken.portal.unsubscribe"


@dataclass
class Visitor:
    """Who is on the public portal: the portal, the signed-in portal user (or None), the client IP."""

    portal: Portal
    user: PortalUser | None
    ip: str = ""


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _audit(actor: Actor, portal: Portal, action: str, summary: str, idea: Idea | None = None, **details: Any) -> None:
    AuditEntry.objects.create(
        workspace=actor.workspace,
        portal=portal,
        user=actor.user,
        action=action,
        idea=idea,
        summary=summary[:300],
        details=details,
    )


def _owned(actor: Actor, obj: Any) -> None:
    if obj is None or obj.workspace_id != actor.workspace.pk:
        raise ValidationError("That belongs to another workspace.")


def _clean_line(value: Any, limit: int, label: str, required: bool = True) -> str:
    text = " ".join(str(value or "").replace("\x00", "").split())
    if required and not text:
        raise ValidationError({label: "This field is required."})
    if len(text) > limit:
        raise ValidationError({label: f"Please keep it under {limit} characters."})
    return text


def _clean_body(value: Any, limit: int, label: str, required: bool = False) -> str:
    text = str(value or "").replace("\x00", "").replace("\r\n", "\n").strip()
    if required and not text:
        raise ValidationError({label: "This field is required."})
    if len(text) > limit:
        raise ValidationError({label: f"Please keep it under {limit:,} characters."})
    return text


# ---------------------------------------------------------------- portal settings (staff)


def _clean_portal(actor: Actor, data: dict[str, Any], instance: Portal | None) -> dict[str, Any]:
    name = _clean_line(data.get("name"), 120, "name")
    slug = slugify(str(data.get("slug") or "") or name)[:60]
    if not slug:
        raise ValidationError({"slug": "Use letters, numbers and hyphens."})
    clash = Portal.objects.filter(slug=slug)
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise ValidationError({"slug": f"The address /p/{slug}/ is taken; choose another."})
    color = str(data.get("accent_color") or "#4f46e5").strip()
    if not COLOR_RE.match(color):
        raise ValidationError({"accent_color": "Use a hex colour like #4f46e5."})
    visibility = str(data.get("visibility") or Visibility.PUBLIC)
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": "Choose public, private or closed."})
    domains = []
    for raw in str(data.get("allowed_domains") or "").replace(",", "\n").splitlines():
        domain = raw.strip().lower().lstrip("@")
        if not domain:
            continue
        if not re.match(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$", domain):
            raise ValidationError({"allowed_domains": f"“{domain[:60]}” is not a domain like example.com."})
        domains.append(domain)
    given = data.get("product_line")
    line = feedback_services.resolve_product_line(actor.workspace, given) if given not in (None, "") else None
    return {
        "name": name,
        "slug": slug,
        "accent_color": color.lower(),
        "visibility": visibility,
        "allowed_domains": "\n".join(dict.fromkeys(domains)),
        "welcome_text": _clean_body(data.get("welcome_text"), 5000, "welcome_text"),
        "approve_before_publish": bool(data.get("approve_before_publish")),
        "allow_staff_sign_in": bool(data.get("allow_staff_sign_in")),
        "product_line": line,
    }


def _check_logo(logo: UploadedFile) -> str:
    content_type = (logo.content_type or "").split(";")[0].strip().lower()
    if logo.size is not None and logo.size > MAX_LOGO_BYTES:
        raise ValidationError({"logo": "The logo must be smaller than 512 KB."})
    if content_type not in LOGO_TYPES:
        raise ValidationError({"logo": "The logo must be a PNG, JPEG or WebP image (SVG is not accepted)."})
    head = logo.read(12)
    logo.seek(0)
    if not head.startswith(LOGO_TYPES[content_type]) or (content_type == "image/webp" and head[8:12] != b"WEBP"):
        raise ValidationError({"logo": "The file is not a valid image of the type it claims."})
    return content_type


def save_portal(
    actor: Actor, data: dict[str, Any], portal: Portal | None = None, logo: UploadedFile | None = None
) -> Portal:
    actor.require(Role.ADMIN)
    if portal is not None:
        _owned(actor, portal)
    values = _clean_portal(actor, data, portal)
    logo_type = _check_logo(logo) if logo is not None else None
    with transaction.atomic():
        if portal is None:
            portal = Portal(workspace=actor.workspace, **values)
        else:
            for key, value in values.items():
                setattr(portal, key, value)
        if data.get("remove_logo") and portal.logo:
            portal.logo.delete(save=False)
            portal.logo_type = ""
        try:
            with transaction.atomic():
                portal.save()
        except IntegrityError:
            raise ValidationError({"slug": "That address is taken; choose another."}) from None
        if logo is not None and logo_type:
            portal.logo_type = logo_type
            portal.logo.save(f"logo.{logo_type.split('/')[1]}", logo, save=False)
            portal.save(update_fields=["logo", "logo_type", "updated_at"])
        _audit(actor, portal, "settings", f"Settings of “{portal.name}” saved")
    return portal


def invite_user(actor: Actor, portal: Portal, email: str, name: str = "") -> PortalUser:
    """Let one person into a private portal (they still sign in by magic link)."""
    actor.require(Role.MEMBER)
    _owned(actor, portal)
    address = _clean_email(email)
    with transaction.atomic():
        user = _ensure_user(portal, address, name)
        if not user.invited:
            user.invited = True
            user.save(update_fields=["invited", "updated_at"])
        _audit(actor, portal, "invite", f"Invited {address}")
    return user


# ---------------------------------------------------------------- portal users and sign-in


def _clean_email(email: Any) -> str:
    address = str(email or "").strip().lower()
    if len(address) > 254:
        raise ValidationError({"email": "That email address is too long."})
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError({"email": "Enter a valid email address."}) from None
    return address


def _ensure_user(portal: Portal, email: str, name: str = "") -> PortalUser:
    """The portal user for this email, linked to the matching contact (so the account's revenue counts)."""
    from harken.customers.actions import match_sender_or_add_contact

    user = portal.users.filter(email=email).first()
    if user is None:
        contact, _ = match_sender_or_add_contact(portal.workspace, email, name=name)
        try:
            with transaction.atomic():
                user = PortalUser.objects.create(
                    workspace=portal.workspace, portal=portal, email=email, name=name[:MAX_NAME], contact=contact
                )
        except IntegrityError:
            user = portal.users.get(email=email)
    elif user.contact_id is None:
        contact, _ = match_sender_or_add_contact(portal.workspace, email, name=name or user.name)
        if contact is not None:
            user.contact = contact
            user.save(update_fields=["contact", "updated_at"])
    return user


def may_sign_in(portal: Portal, email: str) -> bool:
    """Whether this address may use the portal at all (visibility, allow-list, invitation, blocking)."""
    user = portal.users.filter(email=email).first()
    if user is not None and user.blocked_at is not None:
        return False
    if portal.visibility == Visibility.PUBLIC:
        return True
    if portal.visibility == Visibility.CLOSED:
        return False
    domain = email.rsplit("@", 1)[-1]
    return bool(user is not None and user.invited) or domain in portal.domains


def magic_link_url(portal: Portal, raw: str) -> str:
    return settings.SITE_URL + reverse("portal_public:magic", kwargs={"portal": portal.slug, "token": raw})


def request_magic_link(portal: Portal, email: str, next_path: str = "") -> MagicLink | None:
    """Email a sign-in link when the address may sign in; None (and no email) otherwise.

    The caller answers the visitor the same way in both cases, so the form reveals nothing about
    who may use a private portal.
    """
    address = _clean_email(email)
    if not may_sign_in(portal, address):
        return None
    raw = secrets.token_urlsafe(32)
    if not next_path.startswith(f"/p/{portal.slug}/") or "//" in next_path[1:]:
        next_path = ""
    from harken.notify.services import queue_email

    with transaction.atomic():
        link = MagicLink.objects.create(
            workspace=portal.workspace,
            portal=portal,
            email=address,
            token_hash=hash_token(raw),
            expires_at=timezone.now() + MAGIC_LINK_TTL,
            next_path=next_path[:300],
        )
        minutes = int(MAGIC_LINK_TTL.total_seconds() // 60)
        url = magic_link_url(portal, raw)
        queue_email(
            to=address,
            subject=f"Sign in to {portal.name}",
            text=(
                f"Hello,\n\nUse this link to sign in to {portal.name}:\n\n{url}\n\n"
                f"It works once, within {minutes} minutes. If you did not ask for it, ignore this email."
            ),
            workspace=portal.workspace,
            kind="portal.magic_link",
            related_object=f"portal:{portal.pk}",
            secrets={"sign-in link": url},  # stored as a placeholder; never shown in the outbox
        )
    return link


def lookup_magic_link(portal: Portal, raw: str) -> MagicLink | None:
    link = portal.magic_links.filter(token_hash=hash_token(raw or "")).first()
    return link if link is not None and link.usable() else None


def consume_magic_link(portal: Portal, raw: str, name: str = "") -> tuple[PortalUser, str]:
    """Sign in with a link: single use (the row is locked and stamped), expiring. Returns (user, next path)."""
    with transaction.atomic():
        link = portal.magic_links.select_for_update().filter(token_hash=hash_token(raw or "")).first()
        if link is None or not link.usable():
            raise ValidationError("This sign-in link is invalid, expired or already used. Ask for a new one.")
        if not may_sign_in(portal, link.email):
            raise ValidationError("This address may not sign in to this portal.")
        link.used_at = timezone.now()
        link.save(update_fields=["used_at", "updated_at"])
        user = _ensure_user(portal, link.email, _clean_line(name, MAX_NAME, "name", required=False))
        portal.magic_links.filter(email=link.email, used_at__isnull=True).update(used_at=link.used_at)
        user.last_seen_at = link.used_at
        user.save(update_fields=["last_seen_at", "updated_at"])
    return user, link.next_path


def staff_member(portal: Portal, user: Any) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(workspace=portal.workspace, user=user).first()


def staff_sign_in(portal: Portal, user: Any) -> PortalUser:
    """A workspace member signs in to the portal with their Harken account."""
    if not portal.allow_staff_sign_in or staff_member(portal, user) is None:
        raise PermissionDenied("Staff sign-in is not available here.")
    with transaction.atomic():
        portal_user = _ensure_user(portal, user.email.lower(), user.display_name)
        if portal_user.staff_user_id != user.pk or not portal_user.invited:
            portal_user.staff_user = user
            portal_user.invited = True
            portal_user.save(update_fields=["staff_user", "invited", "updated_at"])
    return portal_user


def update_profile(visitor: Visitor, name: str) -> PortalUser:
    user = _require_user(visitor)
    user.name = _clean_line(name, MAX_NAME, "name", required=False)
    user.save(update_fields=["name", "updated_at"])
    return user


# ---------------------------------------------------------------- visitor writes


def _require_user(visitor: Visitor) -> PortalUser:
    user = visitor.user
    if user is None:
        raise PermissionDenied("Sign in to do that.")
    if user.portal_id != visitor.portal.pk:
        raise PermissionDenied("Sign in to this portal to do that.")
    if user.blocked_at is not None:
        raise PermissionDenied("Your account on this portal is blocked.")
    if visitor.portal.visibility == Visibility.CLOSED and not is_staff_user(user):
        raise PermissionDenied("This portal is closed.")
    if not may_sign_in(visitor.portal, user.email) and not is_staff_user(user):
        raise PermissionDenied("You no longer have access to this portal.")
    return user


def is_staff_user(user: PortalUser | None) -> bool:
    if user is None or user.staff_user_id is None:
        return False
    membership = Membership.objects.filter(workspace_id=user.workspace_id, user_id=user.staff_user_id).first()
    return membership is not None and Role(membership.role).at_least(Role.MEMBER)


def _visible_idea(visitor: Visitor, idea: Idea) -> Idea:
    if idea.portal_id != visitor.portal.pk or idea.state != ModState.PUBLISHED:
        raise ValidationError("That idea is not on this portal.")
    return idea


def publish_feedback(idea: Idea) -> Feedback:
    """Make the idea a feedback item (channel portal) through the feedback service."""
    portal = idea.portal
    author = idea.author
    item, _ = feedback_services.create_feedback(
        Actor.system(portal.workspace),
        title=idea.title,
        text=idea.body or idea.title,
        channel=Channel.PORTAL,
        author_email=author.email if author else "",
        author_name=author.name if author else "",
        contact=author.contact if author and author.contact_id else None,
        product_line=portal.product_line,
        external_id=f"portal-idea:{idea.pk}",
        raw_payload=f"{idea.title}\n\n{idea.body}",
        raw_content_type="text/markdown",
    )
    idea.feedback = item
    idea.save(update_fields=["feedback", "updated_at"])
    return item


def submit_idea(visitor: Visitor, title: str, body: str = "", honeypot: str = "") -> Idea | None:
    """Post an idea. A filled honeypot returns None and stores nothing (the bot sees success)."""
    if str(honeypot or "").strip():
        return None
    user = _require_user(visitor)
    clean_title = _clean_line(title, MAX_TITLE, "title")
    if len(clean_title) < 4:
        raise ValidationError({"title": "Give your idea a title of a few words."})
    clean_body = _clean_body(body, MAX_BODY, "body")
    portal = visitor.portal
    staff = is_staff_user(user)
    with transaction.atomic():
        idea = Idea.objects.create(
            workspace=portal.workspace,
            portal=portal,
            author=user,
            title=clean_title,
            body=clean_body,
            state=ModState.PENDING if portal.approve_before_publish and not staff else ModState.PUBLISHED,
            created_ip=visitor.ip[:64],
        )
        if idea.state == ModState.PUBLISHED:
            publish_feedback(idea)
        Vote.objects.create(workspace=portal.workspace, idea=idea, voter=user, ip=visitor.ip[:64])
        Follow.objects.get_or_create(workspace=portal.workspace, idea=idea, user=user)
        refresh_counts(idea)
    return idea


def _stuffing(idea: Idea, ip: str, voter: PortalUser) -> bool:
    if not ip:
        return False
    since = timezone.now() - STUFFING_WINDOW
    others = (
        idea.votes.filter(ip=ip, created_at__gte=since, on_behalf_by__isnull=True)
        .exclude(voter=voter)
        .values("voter")
        .distinct()
        .count()
    )
    return others >= STUFFING_THRESHOLD


def vote(visitor: Visitor, idea: Idea, importance: str = Importance.IMPORTANT) -> Vote:
    """Vote (or change how important it is). Many voters from one IP are flagged for moderation."""
    user = _require_user(visitor)
    _visible_idea(visitor, idea)
    if importance not in Importance.values:
        raise ValidationError({"importance": "Choose nice to have, important or critical."})
    with transaction.atomic():
        existing = idea.votes.filter(voter=user).first()
        if existing is not None:
            if existing.importance != importance:
                existing.importance = importance
                existing.save(update_fields=["importance", "updated_at"])
            return existing
        flagged = _stuffing(idea, visitor.ip, user)
        try:
            with transaction.atomic():
                record = Vote.objects.create(
                    workspace=idea.workspace,
                    idea=idea,
                    voter=user,
                    importance=importance,
                    ip=visitor.ip[:64],
                    flagged=flagged,
                )
        except IntegrityError:
            return idea.votes.get(voter=user)
        Idea.objects.filter(pk=idea.pk).update(last_activity_at=timezone.now())
        refresh_counts(root_idea(idea))
    return record


def unvote(visitor: Visitor, idea: Idea) -> None:
    user = _require_user(visitor)
    _visible_idea(visitor, idea)
    with transaction.atomic():
        idea.votes.filter(voter=user, on_behalf_by__isnull=True).delete()
        refresh_counts(root_idea(idea))


def comment(visitor: Visitor, idea: Idea, body: str, honeypot: str = "") -> Comment | None:
    if str(honeypot or "").strip():
        return None
    user = _require_user(visitor)
    _visible_idea(visitor, idea)
    text = _clean_body(body, MAX_COMMENT, "body", required=True)
    official = is_staff_user(user)
    with transaction.atomic():
        record = Comment.objects.create(
            workspace=idea.workspace,
            idea=idea,
            author=user,
            staff_user=user.staff_user if official else None,
            body=text,
            official=official,
            ip=visitor.ip[:64],
        )
        Idea.objects.filter(pk=idea.pk).update(last_activity_at=timezone.now())
        refresh_counts(idea)
        if official:
            _notify(idea, "comment", comment_id=record.pk, exclude_user_id=user.pk)
    return record


def follow(visitor: Visitor, idea: Idea, on: bool = True) -> bool:
    user = _require_user(visitor)
    _visible_idea(visitor, idea)
    if on:
        Follow.objects.get_or_create(workspace=idea.workspace, idea=idea, user=user)
    else:
        idea.follows.filter(user=user).delete()
    return on


def unsubscribe_token(follow_record: Follow) -> str:
    return signing.dumps({"f": follow_record.pk, "u": follow_record.user_id}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(follow_record: Follow) -> str:
    return settings.SITE_URL + reverse(
        "portal_public:unsubscribe",
        kwargs={"portal": follow_record.idea.portal.slug, "token": unsubscribe_token(follow_record)},
    )


def follow_for_token(portal: Portal, token: str) -> Follow | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=60 * 60 * 24 * 365)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    return (
        Follow.objects.for_workspace(portal.workspace)
        .filter(pk=data.get("f"), user_id=data.get("u"), idea__portal=portal)
        .select_related("idea")
        .first()
    )


def unsubscribe(portal: Portal, token: str) -> Idea | None:
    record = follow_for_token(portal, token)
    if record is None:
        return None
    idea = record.idea
    record.delete()
    return idea


# ---------------------------------------------------------------- counts and merges


def family(idea: Idea) -> list[Idea]:
    """The idea and every idea merged into it (through insight's merge chains)."""
    if idea.feedback_id is None:
        return [idea]
    from harken.insight.services import merged_items

    feedback = idea.feedback
    assert feedback is not None
    merged_ids = [item.pk for item in merged_items(feedback)]
    others = (
        list(Idea.objects.for_workspace(idea.workspace_id).filter(feedback_id__in=merged_ids)) if merged_ids else []
    )
    return [idea, *others]


def root_idea(idea: Idea) -> Idea:
    """The idea `idea` now lives on as (itself unless merged)."""
    if idea.feedback_id is None or idea.feedback is None or idea.feedback.merged_into_id is None:
        return idea
    from harken.insight.services import merged_into

    target = merged_into(idea.feedback)
    found = Idea.objects.for_workspace(idea.workspace_id).filter(feedback=target).first() if target else None
    return found or idea


def refresh_counts(idea: Idea) -> Idea:
    """Distinct voters over the idea and its merged ideas (each voter once), their accounts' ARR, comments."""
    ideas = family(idea)
    votes = (
        Vote.objects.for_workspace(idea.workspace_id)
        .filter(idea__in=ideas, flagged=False, voter__blocked_at__isnull=True)
        .select_related("voter__contact__account")
    )
    voters: set[int] = set()
    accounts: dict[int, Decimal] = {}
    for v in votes:
        voters.add(v.voter_id)
        contact = v.voter.contact
        if contact is not None and contact.account_id and contact.account is not None:
            accounts[contact.account_id] = contact.account.arr or Decimal(0)
    comments = idea.comments.filter(state=ModState.PUBLISHED).count()
    Idea.objects.filter(pk=idea.pk).update(
        vote_count=len(voters), demand_arr=sum(accounts.values(), Decimal(0)), comment_count=comments
    )
    idea.vote_count, idea.demand_arr, idea.comment_count = len(voters), sum(accounts.values(), Decimal(0)), comments
    return idea


def refresh_counts_for_feedback(workspace: Workspace, feedback_ids: Iterable[int]) -> None:
    for idea in (
        Idea.objects.for_workspace(workspace).filter(feedback_id__in=list(feedback_ids)).select_related("feedback")
    ):
        refresh_counts(idea)
        root = root_idea(idea)
        if root.pk != idea.pk:
            refresh_counts(root)


# ---------------------------------------------------------------- notifications


def _notify(idea: Idea, event: str, comment_id: int | None = None, exclude_user_id: int | None = None) -> None:
    from harken.portal.tasks import notify_followers

    notify_followers.enqueue(idea.pk, event, comment_id, exclude_user_id)


# ---------------------------------------------------------------- staff actions (moderation)


def _staff_idea(actor: Actor, idea: Idea) -> Idea:
    actor.require(Role.MEMBER)
    _owned(actor, idea)
    return idea


def set_status(actor: Actor, idea: Idea, status: str) -> Idea:
    _staff_idea(actor, idea)
    if status not in IdeaStatus.values:
        raise ValidationError({"status": "Unknown status."})
    if status == idea.status:
        return idea
    with transaction.atomic():
        before = idea.status
        idea.status = status
        idea.last_activity_at = timezone.now()
        idea.save(update_fields=["status", "last_activity_at", "updated_at"])
        _audit(
            actor, idea.portal, "status", f"Status {before} → {status}: {idea.title}", idea, before=before, after=status
        )
        if idea.state == ModState.PUBLISHED:
            _notify(idea, "status")
    return idea


def official_reply(actor: Actor, idea: Idea, body: str) -> Comment:
    _staff_idea(actor, idea)
    text = _clean_body(body, MAX_COMMENT, "body", required=True)
    with transaction.atomic():
        author = None
        if actor.user is not None:
            author = _ensure_user(idea.portal, actor.user.email.lower(), actor.user.display_name)
            if author.staff_user_id != actor.user.pk:
                author.staff_user = actor.user
                author.save(update_fields=["staff_user", "updated_at"])
        record = Comment.objects.create(
            workspace=idea.workspace, idea=idea, author=author, staff_user=actor.user, body=text, official=True
        )
        Idea.objects.filter(pk=idea.pk).update(last_activity_at=timezone.now())
        refresh_counts(idea)
        _audit(actor, idea.portal, "official_reply", f"Official reply on: {idea.title}", idea, comment=record.pk)
        if idea.state == ModState.PUBLISHED:
            _notify(idea, "comment", comment_id=record.pk, exclude_user_id=author.pk if author else None)
    return record


def vote_on_behalf(
    actor: Actor, idea: Idea, email: str, importance: str = Importance.IMPORTANT, evidence: str = "", name: str = ""
) -> Vote:
    """Record a customer's vote from a call or an email; marked as added by staff."""
    _staff_idea(actor, idea)
    address = _clean_email(email)
    if importance not in Importance.values:
        raise ValidationError({"importance": "Choose nice to have, important or critical."})
    note = _clean_body(evidence, MAX_COMMENT, "evidence")
    with transaction.atomic():
        voter = _ensure_user(idea.portal, address, _clean_line(name, MAX_NAME, "name", required=False))
        record, created = Vote.objects.get_or_create(
            workspace=idea.workspace,
            idea=idea,
            voter=voter,
            defaults={"importance": importance, "on_behalf_by": actor.user, "evidence": note},
        )
        if not created:
            record.importance = importance
            if note:
                record.evidence = note
            record.on_behalf_by = record.on_behalf_by or actor.user
            record.save(update_fields=["importance", "evidence", "on_behalf_by", "updated_at"])
        refresh_counts(root_idea(idea))
        _audit(actor, idea.portal, "vote_on_behalf", f"Vote for {address} on: {idea.title}", idea, vote=record.pk)
    return record


def approve_idea(actor: Actor, idea: Idea) -> Idea:
    _staff_idea(actor, idea)
    if idea.state == ModState.PUBLISHED:
        return idea
    with transaction.atomic():
        idea.state = ModState.PUBLISHED
        idea.save(update_fields=["state", "updated_at"])
        if idea.feedback_id is None:
            publish_feedback(idea)
        _audit(actor, idea.portal, "approve", f"Published: {idea.title}", idea)
    return idea


def _withdraw(actor: Actor, idea: Idea, state: str, action: str, label: str) -> Idea:
    _staff_idea(actor, idea)
    if len(family(idea)) > 1:
        raise ValidationError("Other ideas are merged into this one; undo those merges first.")
    with transaction.atomic():
        idea.state = state
        idea.save(update_fields=["state", "updated_at"])
        if idea.feedback_id is not None and idea.feedback is not None and idea.feedback.merged_into_id is None:
            # Spam and deleted ideas leave the inbox; the idea row keeps the text for the audit trail.
            feedback_services.delete_feedback(actor, idea.feedback)
            idea.feedback = None
        _audit(actor, idea.portal, action, f"{label}: {idea.title}", idea)
    return idea


def mark_spam(actor: Actor, idea: Idea) -> Idea:
    return _withdraw(actor, idea, ModState.SPAM, "spam", "Marked as spam")


def delete_idea(actor: Actor, idea: Idea) -> Idea:
    return _withdraw(actor, idea, ModState.DELETED, "delete", "Deleted")


def edit_idea(actor: Actor, idea: Idea, title: str, body: str) -> Idea:
    _staff_idea(actor, idea)
    new_title = _clean_line(title, MAX_TITLE, "title")
    new_body = _clean_body(body, MAX_BODY, "body")
    with transaction.atomic():
        before = {"title": idea.title, "body": idea.body}
        idea.title, idea.body = new_title, new_body
        idea.save(update_fields=["title", "body", "updated_at"])
        if idea.feedback is not None:
            feedback_services.update_feedback(actor, idea.feedback, title=new_title, text=new_body or new_title)
        _audit(actor, idea.portal, "edit", f"Edited: {new_title}", idea, before=before)
    return idea


def merge_ideas(actor: Actor, survivor: Idea, merged: Idea) -> Any:
    """Fold `merged` into `survivor` with insight's merge (reversible); each voter counts once."""
    _staff_idea(actor, survivor)
    _staff_idea(actor, merged)
    if survivor.feedback is None or merged.feedback is None:
        raise ValidationError("Only published ideas can be merged.")
    from harken.insight.services import merge

    with transaction.atomic():
        record = merge(actor, survivor.feedback, merged.feedback)  # insight's signal refreshes the counts
        if merged.follows.exists():
            for f in merged.follows.all():
                Follow.objects.get_or_create(workspace=survivor.workspace, idea=survivor, user=f.user)
        _audit(
            actor,
            survivor.portal,
            "merge",
            f"Merged “{merged.title}” into “{survivor.title}”",
            survivor,
            merge=record.pk,
        )
    return record


def undo_idea_merge(actor: Actor, merge_id: int) -> Any:
    actor.require(Role.MEMBER)
    from harken.insight.services import undo_merge

    record = actor.workspace.feedback_merges.filter(pk=merge_id).first()
    if record is None:
        raise ValidationError("No such merge.")
    idea = Idea.objects.for_workspace(actor.workspace).filter(feedback_id=record.survivor_id).first()
    with transaction.atomic():
        undo_merge(actor, record)
        if idea is not None:
            _audit(actor, idea.portal, "unmerge", f"Undid a merge into “{idea.title}”", idea, merge=record.pk)
    return record


def set_blocked(actor: Actor, user: PortalUser, blocked: bool) -> PortalUser:
    actor.require(Role.MEMBER)
    _owned(actor, user)
    with transaction.atomic():
        user.blocked_at = timezone.now() if blocked else None
        user.save(update_fields=["blocked_at", "updated_at"])
        for idea in Idea.objects.for_workspace(actor.workspace).filter(votes__voter=user).distinct():
            refresh_counts(root_idea(idea))
        _audit(
            actor,
            user.portal,
            "block" if blocked else "unblock",
            f"{'Blocked' if blocked else 'Unblocked'} {user.email}",
        )
    return user


def moderate_comment(actor: Actor, record: Comment, state: str) -> Comment:
    actor.require(Role.MEMBER)
    _owned(actor, record)
    if state not in ModState.values:
        raise ValidationError("Unknown state.")
    with transaction.atomic():
        record.state = state
        record.save(update_fields=["state", "updated_at"])
        refresh_counts(record.idea)
        _audit(actor, record.idea.portal, f"comment_{state}", f"Comment {state}: {record.body[:80]}", record.idea)
    return record


def clear_vote_flag(actor: Actor, record: Vote, keep: bool) -> None:
    """A flagged vote is either counted after all (keep) or removed."""
    actor.require(Role.MEMBER)
    _owned(actor, record)
    idea = record.idea
    with transaction.atomic():
        if keep:
            record.flagged = False
            record.save(update_fields=["flagged", "updated_at"])
        else:
            record.delete()
        refresh_counts(root_idea(idea))
        _audit(actor, idea.portal, "vote_kept" if keep else "vote_removed", f"Flagged vote on: {idea.title}", idea)


def pending_ideas_q() -> Q:
    return Q(state=ModState.PENDING)
