"""Shared base for the settings forms of feeds, webhook endpoints and widgets."""

from __future__ import annotations

from typing import Any

from django import forms

from harken.workspaces.models import Workspace


class ProductLineSettingsForm(forms.Form):
    """A form whose `product_line` field (declared by the subclass, so field order stays its own)
    offers only the workspace's product lines and reaches the service as a pk."""

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_line"].queryset = workspace.product_lines.all()  # type: ignore[attr-defined]  # Field has no queryset in the stubs

    def data_for_service(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["product_line"] = data["product_line"].pk if data.get("product_line") else None
        return data
