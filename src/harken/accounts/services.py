"""Account writes: sign-up. Sign-in and password reset are Django's own flows (see views)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from harken.accounts.models import User


def register_user(*, email: str, password: str, name: str = "") -> User:
    """Create an account; a concurrent sign-up with the same email loses cleanly, not with a 500."""
    email = email.strip().lower()
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password, name=" ".join(name.split())[:150])
    except IntegrityError:
        raise ValidationError("An account with this email already exists. Sign in instead.") from None
