"""Forms only parse and present; `feedback.actions` validates and writes."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils import timezone

from harken.customers.models import Account, Contact
from harken.feedback.actions import MAX_TITLE_CHARS, parse_tag_names
from harken.feedback.models import Feedback
from harken.workspaces.models import ProductLine, Workspace


class TagsField(forms.CharField):
    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        return parse_tag_names(super().to_python(value) or "")


def _tags_field() -> TagsField:
    return TagsField(
        required=False,
        label="Tags",
        help_text="Comma separated, e.g. billing, export. Existing tags are reused whatever their case.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "tag-suggestions"}),
    )


class _WorkspaceForm(forms.Form):
    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        product_line = self.fields["product_line"]
        assert isinstance(product_line, forms.ModelChoiceField)
        product_line.queryset = workspace.product_lines.all()
        account = self.fields["account"]
        assert isinstance(account, forms.ModelChoiceField)
        account.queryset = workspace.accounts.only("id", "name", "domain")


class FeedbackForm(_WorkspaceForm):
    """Manual capture: what a PM types in after a call, or pastes from a chat."""

    title = forms.CharField(max_length=MAX_TITLE_CHARS, required=False, help_text="Optional: a short summary.")
    text = forms.CharField(
        label="What did the customer say?",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Paste their words as verbatim as you can.",
    )
    author_email = forms.EmailField(
        label="Contact email",
        required=False,
        help_text="Matched to a contact, or to an account by email domain.",
    )
    author_name = forms.CharField(label="Contact name", max_length=200, required=False)
    account = forms.ModelChoiceField(
        queryset=Account.objects.none(),
        required=False,
        empty_label="Match from the email",
        help_text="Leave on “Match from the email” unless you know better.",
    )
    product_line = forms.ModelChoiceField(queryset=ProductLine.objects.none(), required=False, empty_label="— none —")
    tags = _tags_field()
    received_at = forms.DateTimeField(
        label="Received",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    idempotency_token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"received_at": timezone.localtime().replace(second=0, microsecond=0), "idempotency_token": uuid.uuid4()},
        )
        super().__init__(workspace, *args, **kwargs)
        self.fields["author_email"].widget.attrs.update({"autocomplete": "off"})


class FeedbackEditForm(_WorkspaceForm):
    title = forms.CharField(max_length=MAX_TITLE_CHARS, required=False)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}))
    account = forms.ModelChoiceField(queryset=Account.objects.none(), required=False, empty_label="— no account —")
    contact = forms.ModelChoiceField(queryset=Contact.objects.none(), required=False, empty_label="— no contact —")
    product_line = forms.ModelChoiceField(queryset=ProductLine.objects.none(), required=False, empty_label="— none —")
    tags = _tags_field()

    def __init__(self, workspace: Workspace, item: Feedback, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "title": item.title,
                "text": item.text,
                "account": item.account_id,
                "contact": item.contact_id,
                "product_line": item.product_line_id,
                "tags": ", ".join(t.name for t in item.tags.all()),
            },
        )
        super().__init__(workspace, *args, **kwargs)
        contact = self.fields["contact"]
        assert isinstance(contact, forms.ModelChoiceField)
        contact.queryset = workspace.contacts.only("id", "name", "email")
        contact.help_text = "Changing the contact also moves the item to the contact's account."
