from __future__ import annotations

from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from django import forms

from harken.workspaces.models import Role, Workspace


@lru_cache(maxsize=1)
def timezone_choices() -> list[tuple[str, str]]:
    names = sorted(n for n in available_timezones() if "/" in n or n == "UTC")
    return [(n, n.replace("_", " ")) for n in names]


class WorkspaceForm(forms.Form):
    name = forms.CharField(max_length=120, label="Workspace name", help_text="Usually your company or product name.")


class WorkspaceSettingsForm(forms.Form):
    name = forms.CharField(max_length=120, label="Workspace name")
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=timezone_choices,
        help_text="Used for digests, SLA clocks and the day boundaries of charts.",
    )

    @classmethod
    def for_workspace(cls, workspace: Workspace, data: Any = None) -> WorkspaceSettingsForm:
        return cls(data, initial={"name": workspace.name, "time_zone": workspace.timezone})


def role_choices(can_grant_owner: bool) -> list[tuple[str, str]]:
    return [(r.value, r.label) for r in reversed(Role) if can_grant_owner or r != Role.OWNER]


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="Email address", widget=forms.EmailInput(attrs={"autocomplete": "off", "placeholder": "name@company.com"})
    )
    role = forms.ChoiceField(label="Role", initial=Role.MEMBER)

    def __init__(self, *args: Any, can_grant_owner: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(can_grant_owner)  # type: ignore[attr-defined]


class ProductLineForm(forms.Form):
    name = forms.CharField(max_length=120, label="Name")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Description")
    managers = forms.MultipleChoiceField(
        required=False,
        label="Product managers",
        widget=forms.CheckboxSelectMultiple,
        help_text="People who own this line; only members of this workspace can be chosen.",
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = workspace.members.order_by("name", "email")
        self.fields["managers"].choices = [(str(u.pk), f"{u.display_name} ({u.email})") for u in people]  # type: ignore[attr-defined]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, label="Name", help_text="What will use it, e.g. “Zapier” or “nightly export”."
    )
    access = forms.ChoiceField(
        label="Access",
        choices=[("read", "Read only"), ("write", "Read and write")],
        initial="read",
        widget=forms.RadioSelect,
    )
