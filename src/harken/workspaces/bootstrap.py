"""First-run setup shared by `harken bootstrap`: an admin user and a workspace, idempotently."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from harken.accounts.models import User
from harken.workspaces.models import Membership, Role, Workspace
from harken.workspaces.services import create_workspace


@dataclass
class BootstrapResult:
    user: User
    user_created: bool
    workspace: Workspace | None
    workspace_created: bool


@transaction.atomic
def bootstrap(*, email: str, password: str, name: str = "", workspace_name: str = "") -> BootstrapResult:
    """Running it twice changes nothing but the password: same user, same workspace (matched by name)."""
    email = email.strip().lower()
    validate_email(email)
    if not password:
        raise ValidationError("A password is required.")
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    password_validation.validate_password(password, user or User(email=email, name=name))
    if user is None:
        user = User.objects.create_superuser(email=email, password=password, name=name.strip())
    else:
        user.set_password(password)
        user.is_staff = user.is_superuser = user.is_active = True
        if name.strip():
            user.name = name.strip()
        user.save()
    workspace, ws_created = None, False
    if workspace_name.strip():
        workspace = Workspace.objects.filter(name__iexact=workspace_name.strip(), memberships__user=user).first()
        if workspace is None:
            workspace = create_workspace(owner=user, name=workspace_name)
            ws_created = True
        else:
            Membership.objects.update_or_create(workspace=workspace, user=user, defaults={"role": Role.OWNER})
    return BootstrapResult(user, created, workspace, ws_created)
