from __future__ import annotations

from django import forms

from harken.workspaces.models import ProductLine, Workspace


class WorkspaceForm(forms.ModelForm):
    class Meta:
        model = Workspace
        fields = ["name"]
        labels = {"name": "Workspace name"}
        help_texts = {"name": "Usually your company or product name."}


class ProductLineForm(forms.ModelForm):
    class Meta:
        model = ProductLine
        fields = ["name", "description"]
