"""API authentication: `Authorization: Bearer hk_…` resolves to an Actor for the token's workspace."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from harken.workspaces.access import Actor
from harken.workspaces.models import ApiToken, Membership, Role, hash_secret


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        # A token lives only as long as its creator's membership, with no more than their role
        # (read in the same statement as the token).
        creator_role = Membership.objects.filter(
            workspace_id=OuterRef("workspace_id"), user_id=OuterRef("created_by_id")
        )
        try:
            api_token = (
                ApiToken.objects.select_related("workspace", "created_by")
                .annotate(creator_role=Subquery(creator_role.values("role")[:1]))
                .get(token_hash=hash_secret(token), revoked_at__isnull=True)
            )
        except ApiToken.DoesNotExist:
            return None
        creator_role = api_token.creator_role  # type: ignore[attr-defined]
        if creator_role is None:
            return None
        now = timezone.now()
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
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
