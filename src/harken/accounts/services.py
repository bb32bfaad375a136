"""Account writes: sign-up with email confirmation. Sign-in and password reset are Django's own flows.

Sign-up never tells the visitor whether an address is registered: every valid form ends on the same
"check your email" page. A new address gets an inactive account and a confirmation link; a known
one gets a note saying it already has an account (with the sign-in and reset links). Only the
owner of the mailbox learns which it was.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from harken.accounts.models import User


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    """Like a reset token (expires after PASSWORD_RESET_TIMEOUT, dies when the password changes),
    and also dies once the account is active, so a confirmation link works once."""

    key_salt = "harken.accounts.services.ActivationTokenGenerator"

    def _make_hash_value(self, user: User, timestamp: int) -> str:  # type: ignore[override]
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}"


activation_tokens = ActivationTokenGenerator()


def _queue(to: str, subject: str, template: str, context: dict[str, object], secret: str = "") -> None:
    from harken.notify.services import queue_email

    queue_email(
        to=to,
        subject=subject,
        text=render_to_string(template, context),
        kind="signup",
        related_object=f"accounts.user:{getattr(context.get('user'), 'pk', '')}",
        secrets={"confirmation link": secret} if secret else None,
    )


@transaction.atomic
def request_signup(*, email: str, password: str, name: str = "") -> None:
    """Same visible outcome whether or not the address is known (see the module docstring)."""
    email = email.strip().lower()
    name = " ".join(name.split())[:150]
    existing = User.objects.select_for_update().filter(email__iexact=email).first()
    login_url = settings.SITE_URL + reverse("accounts:login")
    if existing is not None and existing.is_active:
        _queue(
            email,
            "You already have a Harken account",
            "accounts/email/signup_existing.txt",
            {
                "user": existing,
                "login_url": login_url,
                "reset_url": settings.SITE_URL + reverse("accounts:password_reset"),
            },
        )
        return
    if existing is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(email=email, password=password, name=name, is_active=False)
        except IntegrityError:  # a concurrent sign-up for the same address: it sends the link
            return
    else:  # not yet confirmed: the latest sign-up's password wins once its link is opened
        user = existing
        user.name = name or user.name
        user.set_password(password)
        user.save(update_fields=["name", "password"])
    path = reverse(
        "accounts:activate",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": activation_tokens.make_token(user)},
    )
    url = settings.SITE_URL + path
    _queue(email, "Confirm your Harken account", "accounts/email/signup_confirm.txt", {"user": user, "url": url}, url)


def user_for_activation(uidb64: str, token: str) -> User | None:
    try:
        user = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        return None
    if user.is_active or not activation_tokens.check_token(user, token):
        return None
    return user


@transaction.atomic
def activate(uidb64: str, token: str) -> User:
    user = user_for_activation(uidb64, token)
    if user is None:
        raise ValidationError("This confirmation link is not valid any more. Sign up again to get a new one.")
    user.is_active = True
    user.save(update_fields=["is_active"])
    return user
