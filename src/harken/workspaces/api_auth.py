"""API authentication: `Authorization: Bearer hk_…` resolves to an Actor for the token's workspace."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from harken.core import memo
from harken.workspaces.access import Actor
from harken.workspaces.models import ApiToken, Membership, Role, Workspace, hash_secret

# When this process last stamped each token's `last_used_at` (the memoised row keeps the value it was
# read with, and stamping it is not a write of product data, so the memo does not see it move).
_stamped: dict[str, datetime.datetime] = {}
STAMP_SECONDS = 60


def _token_rows(token_hash: str) -> tuple[Any, ...] | None:
    # A token lives only as long as its creator's membership, with no more than their role
    # (read in the same statement as the token).
    creator_role = Membership.objects.filter(workspace_id=OuterRef("workspace_id"), user_id=OuterRef("created_by_id"))
    api_token = (
        ApiToken.objects.select_related("workspace", "created_by")
        .annotate(creator_role=Subquery(creator_role.values("role")[:1]))
        .filter(token_hash=token_hash, revoked_at__isnull=True)
        .first()
    )
    if api_token is None:
        return None
    creator = api_token.created_by
    return (
        memo.row_of(api_token),
        memo.row_of(api_token.workspace),
        memo.row_of(creator) if creator is not None else None,
        api_token.creator_role,  # type: ignore[attr-defined]
    )


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        """Memoised by data version (harken/core/memo.py): revoking a token, removing its creator or
        changing their role is a write of product data, so the next request anywhere reads it again."""
        token_hash = hash_secret(token)
        rows = memo.remember("api-token", token_hash, lambda: _token_rows(token_hash))
        if rows is None or rows[3] is None:
            return None
        from harken.accounts.models import User

        token_row, workspace_row, creator_row, creator_role = rows
        api_token = memo.build(ApiToken, token_row)
        api_token.workspace = memo.build(Workspace, workspace_row)
        api_token.created_by = memo.build(User, creator_row) if creator_row is not None else None
        now = timezone.now()
        last = max((t for t in (api_token.last_used_at, _stamped.get(token_hash)) if t is not None), default=None)
        if last is None or (now - last).total_seconds() > STAMP_SECONDS:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
            if len(_stamped) > 10_000:
                _stamped.clear()
            _stamped[token_hash] = now
            api_token.last_used_at = now
        return Actor.for_token(api_token, Role(creator_role))


token_auth = TokenAuth()


def actor_of(request: HttpRequest) -> Actor:
    actor: Any = request.auth  # type: ignore[attr-defined]
    assert isinstance(actor, Actor)
    return actor


def require_write(request: HttpRequest) -> Actor:
    actor = actor_of(request)
    if not actor.can(Role.MEMBER):
        raise PermissionDenied("This API token is read-only.")
    return actor
