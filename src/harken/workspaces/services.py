"""Workspace writes: workspaces, members, invitations, product lines and API tokens.

Each function takes the acting `Actor` first, authorises, validates (raising `ValidationError`
with a message people can act on), then writes in a transaction. Emails go through the notify
outbox inside that same transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from harken.accounts.models import User
from harken.workspaces import audit
from harken.workspaces.access import Actor
from harken.workspaces.models import (
    ApiToken,
    AuditAction,
    Invitation,
    Membership,
    ProductLine,
    Role,
    Workspace,
    hash_secret,
)
from harken.workspaces.signals import workspace_created

INVITATION_LIFETIME = timedelta(days=7)


# --- Workspaces -----------------------------------------------------------------------------


def unique_workspace_slug(name: str) -> str:
    base = slugify(name)[:50] or "workspace"
    slug, n = base, 2
    while Workspace.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def validate_timezone(name: str) -> str:
    name = (name or "").strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"“{name}” is not a time zone we know. Use a name like Europe/Berlin or America/New_York."
        ) from None
    return name


@transaction.atomic
def create_workspace(
    *, owner: User, name: str, product_lines: list[str] | None = None, time_zone: str = "UTC"
) -> Workspace:
    """Anyone signed in may create a workspace; they become its owner."""
    name = name.strip()
    if not name:
        raise ValidationError("A workspace needs a name.")
    workspace = Workspace.objects.create(
        name=name[:120], slug=unique_workspace_slug(name), timezone=validate_timezone(time_zone)
    )
    Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
    for line in product_lines or []:
        create_product_line(Actor(workspace=workspace, user=owner, role=Role.OWNER), name=line)
    workspace_created.send(sender=Workspace, workspace=workspace, owner=owner)
    return workspace


@transaction.atomic
def update_workspace(actor: Actor, *, name: str, time_zone: str) -> Workspace:
    actor.require(Role.ADMIN)
    name = name.strip()
    if not name:
        raise ValidationError("A workspace needs a name.")
    workspace = Workspace.objects.select_for_update().get(pk=actor.workspace.pk)
    workspace.name = name[:120]
    workspace.timezone = validate_timezone(time_zone)
    workspace.save(update_fields=["name", "timezone"])
    return workspace


# --- Members --------------------------------------------------------------------------------


def _owner_count(workspace: Workspace) -> int:
    return workspace.memberships.filter(role=Role.OWNER).count()


def _check_can_manage(actor: Actor, membership: Membership, new_role: Role | None = None) -> None:
    """Admins manage members and admins; only owners touch owners or hand out ownership."""
    if (Role(membership.role) == Role.OWNER or new_role == Role.OWNER) and not actor.can(Role.OWNER):
        raise PermissionDenied("Only an owner can grant, change or remove the owner role.")


@transaction.atomic
def change_role(actor: Actor, membership_id: int, role: str) -> Membership:
    actor.require(Role.ADMIN)
    membership = actor.workspace.memberships.select_for_update().select_related("user").get(pk=membership_id)
    try:
        new_role = Role(role)
    except ValueError:
        raise ValidationError(f"“{role}” is not a role. Choose owner, admin, member or viewer.") from None
    _check_can_manage(actor, membership, new_role)
    if Role(membership.role) == Role.OWNER and new_role != Role.OWNER and _owner_count(actor.workspace) <= 1:
        raise ValidationError("This is the last owner. Make someone else an owner first.")
    old_role = Role(membership.role)
    membership.role = new_role
    membership.save(update_fields=["role"])
    audit.record(
        actor,
        AuditAction.ROLE_CHANGED,
        f"{membership.user.email}: {old_role.label} → {new_role.label}",
        subject_email=membership.user.email,
    )
    return membership


@transaction.atomic
def remove_member(actor: Actor, membership_id: int) -> None:
    """Admins remove people; anyone may leave on their own (except the last owner)."""
    membership = actor.workspace.memberships.select_for_update().select_related("user").get(pk=membership_id)
    leaving = actor.user is not None and membership.user_id == actor.user.pk
    if not leaving:
        actor.require(Role.ADMIN)
        _check_can_manage(actor, membership)
    if Role(membership.role) == Role.OWNER and _owner_count(actor.workspace) <= 1:
        raise ValidationError("This is the last owner. Make someone else an owner first.")
    for line in actor.workspace.product_lines.filter(managers=membership.user):
        line.managers.remove(membership.user)
    # Their API tokens die with the membership (authentication also refuses tokens of non-members).
    revoked = actor.workspace.api_tokens.filter(created_by=membership.user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    audit.record(
        actor,
        AuditAction.MEMBER_REMOVED,
        f"{membership.user.email} ({'left' if leaving else 'removed'}; {revoked} API token(s) revoked)",
        subject_email=membership.user.email,
    )
    membership.delete()


# --- Invitations ----------------------------------------------------------------------------


def invitation_url(raw_token: str) -> str:
    return settings.SITE_URL + reverse("accounts:invitation", kwargs={"token": raw_token})


def _queue_invitation_email(invitation: Invitation, raw_token: str) -> None:
    from harken.notify.services import queue_email

    inviter = invitation.invited_by
    context = {
        "invitation": invitation,
        "workspace": invitation.workspace,
        "inviter": inviter.display_name if inviter else "A teammate",
        "role": Role(invitation.role).label,
        "url": invitation_url(raw_token),
        "expires_at": invitation.expires_at,
    }
    queue_email(
        to=invitation.email,
        subject=f"{context['inviter']} invited you to {invitation.workspace.name} on Harken",
        text=render_to_string("workspaces/email/invitation.txt", context),
        html=render_to_string("workspaces/email/invitation.html", context),
        workspace=invitation.workspace,
        kind="invitation",
        related_object=f"workspaces.invitation:{invitation.pk}",
        secrets={"invitation link": str(context["url"])},
    )


def _check_invite_role(actor: Actor, role: str) -> Role:
    try:
        chosen = Role(role)
    except ValueError:
        raise ValidationError(f"“{role}” is not a role. Choose owner, admin, member or viewer.") from None
    if chosen == Role.OWNER and not actor.can(Role.OWNER):
        raise PermissionDenied("Only an owner can invite another owner.")
    return chosen


@transaction.atomic
def invite(actor: Actor, *, email: str, role: str = Role.MEMBER) -> tuple[Invitation, str]:
    """Create an invitation and queue its email; returns it with the raw token (never stored)."""
    actor.require(Role.ADMIN)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(f"“{email}” is not a valid email address.") from None
    chosen = _check_invite_role(actor, role)
    if actor.workspace.memberships.filter(user__email__iexact=email).exists():
        raise ValidationError(f"{email} is already a member of this workspace.")
    if any(inv.is_pending for inv in actor.workspace.invitations.filter(email__iexact=email)):
        raise ValidationError(f"{email} already has a pending invitation. Resend it from the list below.")
    raw = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        workspace=actor.workspace,
        email=email,
        role=chosen,
        token_hash=hash_secret(raw),
        invited_by=actor.user,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    _queue_invitation_email(invitation, raw)
    audit.record(actor, AuditAction.INVITED, f"{email} as {chosen.label}", subject_email=email)
    return invitation, raw


@transaction.atomic
def resend_invitation(actor: Actor, invitation_id: int) -> tuple[Invitation, str]:
    """A fresh token and expiry: the old link stops working, since only hashes are kept."""
    actor.require(Role.ADMIN)
    invitation = actor.workspace.invitations.select_for_update().get(pk=invitation_id)
    if invitation.accepted_at or invitation.revoked_at:
        raise ValidationError("This invitation was already used or revoked; send a new one instead.")
    _check_invite_role(actor, invitation.role)
    raw = secrets.token_urlsafe(32)
    invitation.token_hash = hash_secret(raw)
    invitation.expires_at = timezone.now() + INVITATION_LIFETIME
    invitation.code_hash, invitation.code_sent_at, invitation.code_failures = "", None, 0
    invitation.save(
        update_fields=["token_hash", "expires_at", "code_hash", "code_sent_at", "code_failures", "updated_at"]
    )
    _queue_invitation_email(invitation, raw)
    audit.record(actor, AuditAction.INVITATION_RESENT, invitation.email, subject_email=invitation.email)
    return invitation, raw


@transaction.atomic
def revoke_invitation(actor: Actor, invitation_id: int) -> Invitation:
    actor.require(Role.ADMIN)
    invitation = actor.workspace.invitations.select_for_update().get(pk=invitation_id)
    if invitation.accepted_at:
        raise ValidationError("This invitation was already accepted; remove the member instead.")
    if not invitation.revoked_at:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at", "updated_at"])
        audit.record(actor, AuditAction.INVITATION_REVOKED, invitation.email, subject_email=invitation.email)
    return invitation


def open_invitations(workspace: Workspace) -> list[Invitation]:
    """Not yet accepted or revoked; expired ones stay listed (for a month) so they can be resent."""
    return list(
        workspace.invitations.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now() - timedelta(days=30)
        )
        .select_related("invited_by")
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class InvitationState:
    """What the accept page shows: the invitation (if the token is known) and why it can't be used."""

    invitation: Invitation | None
    problem: str = ""  # "", "unknown", "expired", "revoked", "used"

    @property
    def usable(self) -> bool:
        return self.invitation is not None and not self.problem

    @property
    def message(self) -> str:
        return {
            "unknown": "This invitation link is not valid. Check that you copied the whole link, or ask for a new invitation.",
            "expired": "This invitation has expired. Ask a workspace admin to resend it.",
            "revoked": "This invitation was withdrawn. Ask a workspace admin if you still need access.",
            "used": "This invitation has already been used. Sign in to reach the workspace.",
        }.get(self.problem, "")


def lookup_invitation(raw_token: str) -> InvitationState:
    """Tokens are looked up by hash, across workspaces: the token itself is the credential."""
    invitation = (
        Invitation.objects.select_related("workspace", "invited_by")
        .filter(token_hash=hash_secret(raw_token or ""))
        .first()
    )
    if invitation is None:
        return InvitationState(None, "unknown")
    if invitation.accepted_at:
        return InvitationState(invitation, "used")
    if invitation.revoked_at:
        return InvitationState(invitation, "revoked")
    if invitation.expires_at <= timezone.now():
        return InvitationState(invitation, "expired")
    return InvitationState(invitation)


@transaction.atomic
def accept_invitation(raw_token: str, user: User) -> Membership:
    """Join the workspace as `user`, whose email must be the invited one (the link proves it)."""
    invitation = Invitation.objects.select_for_update().filter(token_hash=hash_secret(raw_token or "")).first()
    state = lookup_invitation(raw_token)
    if invitation is None or state.problem:
        raise ValidationError(state.message)
    if user.email.lower() != invitation.email.lower():
        raise PermissionDenied(f"This invitation is for {invitation.email}; you are signed in as {user.email}.")
    membership, _created = Membership.objects.get_or_create(
        workspace=invitation.workspace, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at", "updated_at"])
    audit.record(
        None,
        AuditAction.MEMBER_JOINED,
        f"{user.email} as {Role(membership.role).label}",
        workspace=invitation.workspace,
        subject_email=user.email,
        user=user,
    )
    return membership


CODE_LIFETIME = timedelta(minutes=30)
CODE_RESEND_AFTER = timedelta(seconds=60)
MAX_CODE_FAILURES = 10


def _usable_invitation(raw_token: str) -> Invitation:
    state = lookup_invitation(raw_token)
    if not state.usable or state.invitation is None:
        raise ValidationError(state.message)
    return Invitation.objects.select_for_update().select_related("workspace").get(pk=state.invitation.pk)


@transaction.atomic
def send_invitation_code(raw_token: str) -> Invitation:
    """Email a one-time code to the invited address; whoever signs up must type it in.

    The link can leak (forwarded mail, a shared screen); the code proves the person reads the
    invited mailbox now. Sending again replaces the previous code, at most once a minute.
    """
    invitation = _usable_invitation(raw_token)
    if invitation.code_failures >= MAX_CODE_FAILURES:
        raise ValidationError("Too many wrong codes. Ask a workspace admin to resend the invitation.")
    now = timezone.now()
    if invitation.code_sent_at and now - invitation.code_sent_at < CODE_RESEND_AFTER:
        raise ValidationError("A code was sent less than a minute ago. Check your inbox (and spam folder).")
    code = f"{secrets.randbelow(10**6):06d}"
    invitation.code_hash = hash_secret(f"{invitation.pk}:{code}")
    invitation.code_sent_at = now
    invitation.save(update_fields=["code_hash", "code_sent_at", "updated_at"])
    from harken.notify.services import queue_email

    queue_email(
        to=invitation.email,
        subject=f"Your code to join {invitation.workspace.name} on Harken",
        text=render_to_string(
            "workspaces/email/invitation_code.txt",
            {"code": code, "workspace": invitation.workspace, "minutes": int(CODE_LIFETIME.total_seconds() // 60)},
        ),
        workspace=invitation.workspace,
        kind="invitation_code",
        related_object=f"workspaces.invitation:{invitation.pk}",
        secrets={"code": code},
    )
    return invitation


def _check_code(invitation: Invitation, code: str) -> None:
    if invitation.code_failures >= MAX_CODE_FAILURES:
        raise ValidationError("Too many wrong codes. Ask a workspace admin to resend the invitation.")
    fresh = invitation.code_sent_at is not None and timezone.now() - invitation.code_sent_at < CODE_LIFETIME
    code = "".join((code or "").split())
    if not invitation.code_hash or not fresh:
        raise ValidationError("Send yourself a code first; it proves this email address is yours.")
    if not secrets.compare_digest(invitation.code_hash, hash_secret(f"{invitation.pk}:{code}")):
        Invitation.objects.filter(pk=invitation.pk).update(code_failures=F("code_failures") + 1)
        raise ValidationError("That code is not right. Check the latest email we sent, or send a new code.")


def accept_invitation_as_new_user(raw_token: str, *, name: str, password: str, code: str) -> Membership:
    """Sign up with the invited email and join in one step, proving the address with the emailed code.

    Not one transaction: a wrong code's failure count must be committed even though we refuse.
    """
    state = lookup_invitation(raw_token)
    if not state.usable or state.invitation is None:
        raise ValidationError(state.message)
    _check_code(state.invitation, code)
    return _create_and_accept(raw_token, name=name, password=password)


@transaction.atomic
def _create_and_accept(raw_token: str, *, name: str, password: str) -> Membership:
    invitation = _usable_invitation(raw_token)
    email = invitation.email.lower()
    password_validation.validate_password(password, User(email=email, name=name))
    unconfirmed = User.objects.filter(email__iexact=email, is_active=False).first()
    if unconfirmed is not None:  # a sign-up never confirmed; the emailed code proves the address now
        unconfirmed.set_password(password)
        unconfirmed.name = name.strip()[:150] or unconfirmed.name
        unconfirmed.is_active = True
        unconfirmed.save(update_fields=["password", "name", "is_active"])
        return accept_invitation(raw_token, unconfirmed)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError("An account with this email already exists. Sign in to accept the invitation.")
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, name=name.strip()[:150])
    except IntegrityError:
        raise ValidationError("An account with this email already exists. Sign in to accept the invitation.") from None
    return accept_invitation(raw_token, user)


# --- Product lines --------------------------------------------------------------------------


def _line_slug(workspace: Workspace, name: str, exclude_pk: int | None = None) -> str:
    base = slugify(name)[:50] or "line"
    slug, n = base, 2
    taken = workspace.product_lines.exclude(pk=exclude_pk) if exclude_pk else workspace.product_lines.all()
    while taken.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _clean_line(
    actor: Actor, name: str, managers: list[Any] | None, exclude_pk: int | None = None
) -> tuple[str, list[User]]:
    name = (name or "").strip()
    if not name:
        raise ValidationError("A product line needs a name.")
    clash = actor.workspace.product_lines.filter(name__iexact=name)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError(f"There is already a product line called “{name}”.")
    ids = [getattr(m, "pk", m) for m in managers or []]
    people = list(actor.workspace.members.filter(pk__in=ids))
    if len(people) != len(set(ids)):
        raise ValidationError("Product managers must be members of this workspace.")
    return name[:120], people


@transaction.atomic
def create_product_line(
    actor: Actor, *, name: str, description: str = "", managers: list[Any] | None = None
) -> ProductLine:
    actor.require(Role.ADMIN)
    name, people = _clean_line(actor, name, managers)
    line = ProductLine.objects.create(
        workspace=actor.workspace, name=name, slug=_line_slug(actor.workspace, name), description=description.strip()
    )
    line.managers.set(people)
    return line


@transaction.atomic
def update_product_line(
    actor: Actor, line_id: int, *, name: str, description: str = "", managers: list[Any] | None = None
) -> ProductLine:
    actor.require(Role.ADMIN)
    line = actor.workspace.product_lines.select_for_update().get(pk=line_id)
    name, people = _clean_line(actor, name, managers, exclude_pk=line.pk)
    if name != line.name:
        line.slug = _line_slug(actor.workspace, name, exclude_pk=line.pk)
    line.name, line.description = name, description.strip()
    line.save()
    line.managers.set(people)
    return line


@transaction.atomic
def delete_product_line(actor: Actor, line_id: int) -> None:
    """Feedback tagged with the line keeps existing, just without a line (SET_NULL)."""
    actor.require(Role.ADMIN)
    line = actor.workspace.product_lines.get(pk=line_id)
    audit.record(actor, AuditAction.DELETED, f"Product line “{line.name}”")
    line.delete()


# --- API tokens -----------------------------------------------------------------------------


@transaction.atomic
def create_api_token(actor: Actor, *, name: str, can_write: bool) -> tuple[ApiToken, str]:
    """Returns the token row and the raw key; the raw key is never stored and shown once."""
    actor.require(Role.ADMIN)
    name = (name or "").strip()
    if not name:
        raise ValidationError("Give the token a name, such as the script or service that will use it.")
    raw = ApiToken.generate_raw()
    token = ApiToken.objects.create(
        workspace=actor.workspace,
        name=name[:100],
        token_hash=hash_secret(raw),
        hint=raw[:8],
        can_write=bool(can_write),
        created_by=actor.user,
    )
    audit.record(
        actor, AuditAction.TOKEN_CREATED, f"{token.name} ({'read and write' if token.can_write else 'read only'})"
    )
    return token, raw


@transaction.atomic
def revoke_api_token(actor: Actor, token_id: int) -> ApiToken:
    actor.require(Role.ADMIN)
    token = actor.workspace.api_tokens.select_for_update().get(pk=token_id)
    if not token.revoked_at:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit.record(actor, AuditAction.TOKEN_REVOKED, token.name)
    return token
