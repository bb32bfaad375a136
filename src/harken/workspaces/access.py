"""Who is acting, in which workspace, with which role: the one place permissions are decided.

Every service write takes an `Actor` and calls `actor.require(Role.X)` before it touches data.
Views resolve the actor with `workspace_view`: a workspace the user is not a member of is a 404,
never a 403, so outsiders cannot even learn that it exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from harken.core import memo
from harken.core.timezones import activate_for
from harken.workspaces.models import ApiToken, Membership, Role, Workspace

if TYPE_CHECKING:
    from harken.accounts.models import User


@dataclass(frozen=True)
class Actor:
    workspace: Workspace
    user: User | None
    role: Role
    api_token: ApiToken | None = None

    @classmethod
    def for_member(cls, membership: Membership) -> Actor:
        return cls(workspace=membership.workspace, user=membership.user, role=Role(membership.role))

    @classmethod
    def for_token(cls, token: ApiToken, creator_role: Role | None = None) -> Actor:
        """A token acts with at most member rights (viewer if read-only), and never above the
        current role of the person who created it: a downgrade to viewer makes it read-only."""
        role = Role.MEMBER if token.can_write else Role.VIEWER
        if creator_role is not None and creator_role.rank < role.rank:
            role = creator_role
        return cls(workspace=token.workspace, user=token.created_by, role=role, api_token=token)

    @classmethod
    def system(cls, workspace: Workspace) -> Actor:
        """Background jobs and channels act with member rights and no user."""
        return cls(workspace=workspace, user=None, role=Role.MEMBER)

    def can(self, role: Role) -> bool:
        return self.role.at_least(role)

    @property
    def can_write(self) -> bool:
        return self.can(Role.MEMBER)

    @property
    def can_admin(self) -> bool:
        return self.can(Role.ADMIN)

    def require(self, role: Role) -> None:
        if not self.can(role):
            raise PermissionDenied(f"This needs the {Role(role).label.lower()} role or higher.")


def _membership_rows(user_id: Any, slug: str) -> tuple[tuple[Any, ...], ...] | None:
    membership = Membership.objects.select_related("workspace", "user").filter(workspace__slug=slug, user_id=user_id)
    found = membership.first()
    if found is None:
        return None
    return (memo.row_of(found), memo.row_of(found.workspace), memo.row_of(found.user))


def membership_for(user: Any, slug: str) -> Membership:
    """The user's membership of the workspace `slug` (with its workspace and user), or 404.

    Memoised by data version (harken/core/memo.py): a role change or removal is a write of product
    data, so the next request anywhere reads it again. Each call gets fresh instances."""
    if not getattr(user, "is_authenticated", False):
        raise Http404("No such workspace")
    rows = memo.remember("membership", (user.pk, slug), lambda: _membership_rows(user.pk, slug))
    if rows is None:
        raise Http404("No such workspace")
    from harken.accounts.models import User

    membership = memo.build(Membership, rows[0])
    membership.workspace = memo.build(Workspace, rows[1])
    membership.user = memo.build(User, rows[2])
    return membership


def workspace_view(
    min_role: Role = Role.VIEWER,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a view taking `(request, actor, ...)`; the URL must carry `ws` (the slug)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, ws: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            actor = Actor.for_member(membership_for(request.user, ws))
            actor.require(min_role)
            request.actor = actor  # type: ignore[attr-defined]
            activate_for(actor.workspace, request.user)  # dates on the page in the member's time zone
            return view(request, actor, *args, **kwargs)

        return wrapper

    return decorator
