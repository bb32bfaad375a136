"""Forms collect input; conversations.services validates (field names match its keys)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from harken.conversations.models import Kind
from harken.workspaces.models import Workspace


class ConversationForm(forms.Form):
    title = forms.CharField(max_length=300, help_text="Who, about what: “Pat at Acme — month-end close”")
    kind = forms.ChoiceField(choices=Kind.choices, initial=Kind.INTERVIEW)
    happened_at = forms.DateTimeField(
        label="When", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    duration_minutes = forms.IntegerField(label="Minutes", required=False, min_value=1, max_value=1440)
    account: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="— From the contacts —"
    )  # type: ignore[arg-type]
    product_line: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None, required=False, label="Product line"
    )  # type: ignore[arg-type]
    contacts: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        queryset=None,  # type: ignore[arg-type]
        required=False,
        help_text="Customers who took part (Ctrl/⌘-click for several)",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    members: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        queryset=None,  # type: ignore[arg-type]
        required=False,
        label="Team attendees",
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}))
    highlights = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line: each becomes a feedback item linked to this conversation.",
    )

    def __init__(self, *args: Any, workspace: Workspace, with_highlights: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = workspace.accounts.only("pk", "name")  # type: ignore[attr-defined]
        self.fields["product_line"].queryset = workspace.product_lines.all()  # type: ignore[attr-defined]
        self.fields["contacts"].queryset = workspace.contacts.select_related("account")  # type: ignore[attr-defined]
        self.fields["members"].queryset = get_user_model().objects.filter(memberships__workspace=workspace)  # type: ignore[attr-defined]
        self.fields["members"].label_from_instance = lambda u: u.display_name  # type: ignore[attr-defined]
        self.fields["contacts"].label_from_instance = lambda c: f"{c} ({c.account})" if c.account_id else str(c)  # type: ignore[attr-defined]
        if not with_highlights:
            del self.fields["highlights"]

    def highlight_lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("highlights", "").splitlines() if line.strip()]


class HighlightForm(forms.Form):
    text = forms.CharField(label="Highlight", widget=forms.Textarea(attrs={"rows": 2}), max_length=10_000)


class IcsUploadForm(forms.Form):
    file = forms.FileField(label="Calendar file (.ics)")
    product_line: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None, required=False, label="Product line"
    )  # type: ignore[arg-type]

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_line"].queryset = workspace.product_lines.all()  # type: ignore[attr-defined]


class CadenceSettingsForm(forms.Form):
    weekly_target = forms.IntegerField(
        label="Conversations per PM per product line per week", min_value=1, max_value=50
    )
    reminders_enabled = forms.BooleanField(label="Send the Monday reminder", required=False)


class TimeZoneForm(forms.Form):
    time_zone = forms.CharField(
        label="My time zone", required=False, max_length=64, help_text="e.g. Europe/Berlin; empty: the workspace's"
    )
