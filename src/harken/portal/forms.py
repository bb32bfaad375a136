from __future__ import annotations

from typing import Any

from django import forms

from harken.portal.models import Importance, Portal, Visibility
from harken.workspaces.models import Workspace


class PortalForm(forms.Form):
    name = forms.CharField(max_length=120)
    slug = forms.SlugField(
        max_length=60, required=False, help_text="The public address /p/<slug>/; blank: from the name"
    )
    product_line = forms.ChoiceField(required=False, help_text="A portal for one product line, or the whole workspace")
    welcome_text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    accent_color = forms.CharField(max_length=7, initial="#4f46e5", widget=forms.TextInput(attrs={"type": "color"}))
    logo = forms.FileField(required=False, help_text="PNG, JPEG or WebP, up to 512 KB")
    remove_logo = forms.BooleanField(required=False)
    visibility = forms.ChoiceField(choices=Visibility.choices, widget=forms.RadioSelect, initial=Visibility.PUBLIC)
    allowed_domains = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Private portals: one email domain per line (e.g. acme.com); invited people get in too",
    )
    approve_before_publish = forms.BooleanField(required=False, help_text="New ideas wait in the moderation queue")
    allow_staff_sign_in = forms.BooleanField(
        required=False, initial=True, help_text="Members can use the portal with their Harken account"
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["product_line"]
        field.choices = [("", "Whole workspace")] + [
            (str(line.pk), line.name) for line in workspace.product_lines.all()
        ]

    @classmethod
    def initial_for(cls, portal: Portal) -> dict[str, Any]:
        return {
            "name": portal.name,
            "slug": portal.slug,
            "product_line": str(portal.product_line_id or ""),
            "welcome_text": portal.welcome_text,
            "accent_color": portal.accent_color,
            "visibility": portal.visibility,
            "allowed_domains": portal.allowed_domains,
            "approve_before_publish": portal.approve_before_publish,
            "allow_staff_sign_in": portal.allow_staff_sign_in,
        }


class OnBehalfForm(forms.Form):
    email = forms.EmailField(help_text="The customer's email: links the vote to their contact and account")
    name = forms.CharField(max_length=120, required=False)
    importance = forms.ChoiceField(choices=Importance.choices, initial=Importance.IMPORTANT)
    evidence = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="What they said, from a call or an email"
    )


class InviteForm(forms.Form):
    email = forms.EmailField()
    name = forms.CharField(max_length=120, required=False)
