from __future__ import annotations

from typing import Any

from django import forms

from harken.customers.models import Account, Contact
from harken.roadmap import statuses as st
from harken.roadmap.models import Impact, RoadmapItem, StatusKind
from harken.workspaces.models import ProductLine, Workspace

DATE = forms.DateInput(attrs={"type": "date"})


class ItemForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}), help_text="For your team.")
    product_line = forms.ModelChoiceField(queryset=ProductLine.objects.none(), required=False, empty_label="— none —")
    status = forms.ChoiceField(choices=[])
    owner = forms.ChoiceField(choices=[], required=False)
    target_release = forms.CharField(max_length=60, required=False, help_text="e.g. “v4.2” or “Q3”.")
    target_date = forms.DateField(required=False, widget=DATE)
    public = forms.BooleanField(required=False, label="Show on the public roadmap")
    public_description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="What customers read (Markdown)."
    )
    impact = forms.ChoiceField(choices=Impact.choices, initial=Impact.MEDIUM, help_text="Per customer reached.")
    confidence = forms.IntegerField(min_value=10, max_value=100, initial=80, help_text="Percent.")
    effort = forms.DecimalField(min_value=0.1, max_value=1000, initial=1, decimal_places=2, help_text="Person-months.")
    value_fit = forms.TypedChoiceField(
        coerce=int,
        choices=[(0, "0 — none"), (1, "1 — weak"), (2, "2 — good"), (3, "3 — strong")],
        initial=0,
        label="Value-proposition fit",
        help_text="How well it serves the customer goals and jobs your product is for.",
    )
    value_fit_note = forms.CharField(max_length=300, required=False, label="Which goal or job")
    serves_goals = forms.ModelMultipleChoiceField(
        queryset=Account.objects.none(),
        required=False,
        label="Customer goals it serves",
        help_text="From the customers' profiles (Customers → an account → Understanding).",
    )
    serves_jobs = forms.ModelMultipleChoiceField(
        queryset=Account.objects.none(), required=False, label="Jobs it serves"
    )

    def __init__(self, workspace: Workspace, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.fields["product_line"].queryset = workspace.product_lines.all()  # type: ignore[attr-defined]
        goals = workspace.customer_goals.select_related("account").order_by("account__name", "position", "id")  # type: ignore[attr-defined]
        jobs = workspace.customer_jobs.select_related("account").order_by("account__name", "position", "id")  # type: ignore[attr-defined]
        self.fields["serves_goals"].queryset = goals  # type: ignore[attr-defined]
        self.fields["serves_goals"].label_from_instance = lambda g: f"{g.account.name}: {g.title}"  # type: ignore[attr-defined]
        self.fields["serves_jobs"].queryset = jobs  # type: ignore[attr-defined]
        self.fields["serves_jobs"].label_from_instance = lambda j: f"{j.account.name}: {j.statement}"  # type: ignore[attr-defined]
        self.fields["status"].choices = [(s.key, s.label) for s in st.statuses(workspace)]  # type: ignore[attr-defined]
        members = workspace.memberships.select_related("user").order_by("user__name")
        self.fields["owner"].choices = [("", "— nobody —")] + [(str(m.user_id), m.user.display_name) for m in members]  # type: ignore[attr-defined]
        if editing:
            del self.fields["status"]

    def clean_owner(self) -> Any:
        value = self.cleaned_data.get("owner")
        if not value:
            return None
        membership = self.workspace.memberships.filter(user_id=value).select_related("user").first()
        if membership is None:
            raise forms.ValidationError("Pick a member of this workspace.")
        return membership.user


class PromiseForm(forms.Form):
    account = forms.ModelChoiceField(queryset=Account.objects.none(), required=False, empty_label="— pick an account —")
    contact = forms.ModelChoiceField(queryset=Contact.objects.none(), required=False, empty_label="— or a contact —")
    target_date = forms.DateField(widget=DATE, label="Promised date")
    note = forms.CharField(max_length=300, required=False, help_text="What exactly was promised, and where.")

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = workspace.accounts.all()  # type: ignore[attr-defined]
        self.fields["contact"].queryset = workspace.contacts.exclude(email="")  # type: ignore[attr-defined]


class NoticeForm(forms.Form):
    to_email = forms.EmailField(label="To")
    revised_date = forms.DateField(widget=DATE, label="Revised date")
    subject = forms.CharField(max_length=300)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}), label="Message")


class SettingsForm(forms.Form):
    close_days = forms.IntegerField(
        min_value=0,
        max_value=365,
        label="“Close to the date” (days)",
        help_text="A promise slips when its item is not in progress this many days before the promised date.",
    )
    auto_send_delay_notices = forms.BooleanField(required=False, label="Send delay notices automatically (no review)")
    notify_delay_minutes = forms.IntegerField(
        min_value=0,
        max_value=1440,
        label="Wait before telling customers (minutes)",
        help_text="A status that flips back within this time sends nothing; several changes send one email.",
    )
    public_roadmap = forms.BooleanField(required=False, label="Publish the public roadmap and changelog")


class StatusForm(forms.Form):
    key = forms.CharField(required=False, widget=forms.HiddenInput)
    label = forms.CharField(max_length=60)
    colour = forms.CharField(max_length=7, initial="#6366f1", widget=forms.TextInput(attrs={"type": "color"}))
    kind = forms.ChoiceField(choices=StatusKind.choices)
    on_roadmap = forms.BooleanField(required=False, label="Column on the roadmap")


class AnnouncementForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}), help_text="Markdown. HTML is not rendered.")
    product_line = forms.ModelChoiceField(queryset=ProductLine.objects.none(), required=False, empty_label="— all —")
    items = forms.ModelMultipleChoiceField(
        queryset=RoadmapItem.objects.none(), required=False, label="Roadmap items it announces"
    )

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_line"].queryset = workspace.product_lines.all()  # type: ignore[attr-defined]
        self.fields["items"].queryset = workspace.roadmap_items.filter(deleted_at__isnull=True)  # type: ignore[attr-defined]


class PreviewForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="e.g. “Q3 preview for Acme”.")
    items = forms.ModelMultipleChoiceField(queryset=RoadmapItem.objects.none(), label="Items to show")
    accounts = forms.ModelMultipleChoiceField(queryset=Account.objects.none(), required=False, label="For customers")
    days = forms.IntegerField(min_value=1, max_value=90, initial=14, label="Expires after (days)")
    email_contacts = forms.BooleanField(
        required=False,
        label="Email the link to these customers’ contacts",
        help_text="Through the outbox; the link itself is never shown there.",
    )
    note = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), label="Note in the email"
    )

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = workspace.roadmap_items.filter(deleted_at__isnull=True)  # type: ignore[attr-defined]
        self.fields["accounts"].queryset = workspace.accounts.all()  # type: ignore[attr-defined]
