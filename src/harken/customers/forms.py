"""Forms only collect raw text; services.py validates and normalises (so the API and imports agree).

Field names match the service keys, so a service `ValidationError({field: msg})` lands on the field.
"""

from __future__ import annotations

from typing import Any

from django import forms

from harken.customers.models import Account, Contact, LifecycleStage, Segment
from harken.customers.queries import segment_filters, workspace_members
from harken.workspaces.models import Workspace


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def _owner_choices(workspace: Workspace) -> list[tuple[str, str]]:
    return [("", "— Nobody —")] + [(u.email, f"{u.display_name} ({u.email})") for u in workspace_members(workspace)]


class AccountForm(forms.Form):
    name = forms.CharField(max_length=200)
    domain = forms.CharField(
        required=False,
        max_length=250,
        help_text="Email domain, e.g. acme.com. Senders from it are matched to this account.",
    )
    plan = forms.CharField(required=False, max_length=80)
    segment = forms.CharField(required=False, max_length=80, help_text="e.g. Enterprise, Mid-market, SMB")
    lifecycle_stage = forms.ChoiceField(
        label="Lifecycle stage", choices=LifecycleStage.choices, initial=LifecycleStage.ACTIVE
    )
    arr = forms.CharField(
        label="ARR", required=False, max_length=40, help_text="Annual recurring revenue, e.g. 12000 or 12k"
    )
    renewal_date = forms.CharField(
        label="Renewal date", required=False, max_length=40, widget=forms.DateInput(attrs={"type": "date"})
    )
    owner_email = forms.ChoiceField(label="Owner", required=False)
    external_id = forms.CharField(
        label="External id", required=False, max_length=200, help_text="Id in your CRM, used by imports"
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "owner_email").choices = _owner_choices(workspace)

    @staticmethod
    def initial_for(account: Account) -> dict[str, Any]:
        return {
            "name": account.name,
            "domain": account.domain,
            "plan": account.plan,
            "segment": account.segment,
            "lifecycle_stage": account.lifecycle_stage,
            "arr": f"{account.arr:f}".rstrip("0").rstrip(".") if account.arr else "",
            "renewal_date": account.renewal_date.isoformat() if account.renewal_date else "",
            "owner_email": account.owner.email if account.owner else "",
            "external_id": account.external_id,
            "notes": account.notes,
        }


class ContactForm(forms.Form):
    name = forms.CharField(required=False, max_length=200)
    email = forms.CharField(required=False, max_length=254, widget=forms.EmailInput())
    title = forms.CharField(required=False, max_length=200, help_text="Job title, e.g. Head of Support")
    account = forms.ChoiceField(
        required=False,
        help_text="Left empty, a work email on a known account's domain links the contact to that account.",
    )
    external_id = forms.CharField(label="External id", required=False, max_length=200)

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "account").choices = [("", "— No account —")] + [
            (str(pk), name) for pk, name in workspace.accounts.values_list("pk", "name")
        ]

    @staticmethod
    def initial_for(contact: Contact) -> dict[str, Any]:
        return {
            "name": contact.name,
            "email": contact.email,
            "title": contact.title,
            "account": str(contact.account_id or ""),
            "external_id": contact.external_id,
        }


class SegmentForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    weight = forms.CharField(
        initial="1",
        max_length=20,
        help_text="Multiplier for this segment's feedback when ranking problems (e.g. 2 = counts double)",
    )
    q = forms.CharField(label="Name or domain contains", required=False, max_length=200)
    segment = forms.CharField(label="Account segment is", required=False, max_length=80)
    plan = forms.CharField(label="Plan is", required=False, max_length=80)
    lifecycle_stage = forms.ChoiceField(label="Lifecycle stage", required=False)
    owner = forms.ChoiceField(label="Owner", required=False)
    min_arr = forms.CharField(label="ARR at least", required=False, max_length=40)
    max_arr = forms.CharField(label="ARR at most", required=False, max_length=40)
    renewal_after = forms.CharField(
        label="Renews on or after", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    renewal_before = forms.CharField(
        label="Renews on or before", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    renewal_within_days = forms.CharField(
        label="Renews within the next … days",
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text="Relative: e.g. 90 keeps meaning “the next 90 days” as time passes",
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "lifecycle_stage").choices = [("", "Any"), *LifecycleStage.choices]
        _choice_field(self, "owner").choices = [("", "Anyone"), ("none", "Nobody")] + [
            (str(u.pk), u.display_name) for u in workspace_members(workspace)
        ]

    @staticmethod
    def initial_for(segment: Segment) -> dict[str, Any]:
        return {
            "name": segment.name,
            "description": segment.description,
            "weight": f"{segment.weight:g}",
            **segment_filters(segment),
        }
