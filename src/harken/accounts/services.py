from __future__ import annotations

from harken.accounts.models import User


def register_user(*, email: str, password: str, name: str = "") -> User:
    return User.objects.create_user(email=email, password=password, name=name)
