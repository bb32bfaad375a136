from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from harken.core import memo


def _user_row(user_id: Any) -> tuple[Any, ...] | None:
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    return memo.row_of(user) if user is not None else None


class EmailBackend(ModelBackend):
    """Case-insensitive sign-in by email address."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        email = kwargs.get("email") or username
        if email:
            email = email.strip().lower()
        return super().authenticate(request, username=email, password=password)

    def get_user(self, user_id: Any) -> Any:
        """The session's user, memoised by data version (harken/core/memo.py): a password change, a
        deactivation or any edit of the row is a write of product data, so it is read again after one.
        Django still checks the session's password hash against this row on every request."""
        try:
            key = int(user_id)
        except (TypeError, ValueError):
            return None
        row = memo.remember("user", key, lambda: _user_row(key))
        if row is None:
            return None
        user = memo.build(get_user_model(), row)
        return user if self.user_can_authenticate(user) else None
