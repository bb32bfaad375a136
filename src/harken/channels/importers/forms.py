from __future__ import annotations

import json
from typing import Any

from django import forms

from harken.channels.importers.models import ImportSource
from harken.feedback.models import Channel
from harken.workspaces.models import ProductLine, Workspace

ACCEPT = {
    "zendesk": ".json,.jsonl,.ndjson,.csv,application/json,text/csv",
    "intercom": ".json,.jsonl,.ndjson,application/json",
    "appstore": ".csv,.tsv,text/csv",
    "googleplay": ".csv,text/csv",
    "json": ".json,.jsonl,.ndjson,.csv,application/json,text/csv",
}


class UploadForm(forms.Form):
    file = forms.FileField(label="Export file")
    product_line = forms.ModelChoiceField(queryset=ProductLine.objects.none(), required=False, empty_label="— none —")
    mapping = forms.CharField(
        label="Field mapping (JSON)",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 4, "spellcheck": "false", "placeholder": '{"text": "message.body", "external_id": "uuid"}'}
        ),
        help_text="Field → dotted path (JSON) or column name (CSV). Fields: text (required), title, external_id, "
        "author_email, author_name, received_at, tags, product_line, channel. Unmapped fields are guessed from common names.",
    )
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.API, required=False)

    def __init__(self, workspace: Workspace, source: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source = source
        line = self.fields["product_line"]
        assert isinstance(line, forms.ModelChoiceField)
        line.queryset = workspace.product_lines.all()
        line.help_text = "Every item from this file is filed under this product line."
        self.fields["file"].widget.attrs["accept"] = ACCEPT.get(source, "")
        self.fields["file"].help_text = f"{ImportSource(source).label}: see the format notes on this page."
        if source != "json":
            del self.fields["mapping"]
            del self.fields["channel"]

    def clean_mapping(self) -> dict[str, str]:
        value = (self.cleaned_data.get("mapping") or "").strip()
        if not value:
            return {}
        try:
            mapping = json.loads(value)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).") from None
        if not isinstance(mapping, dict):
            raise forms.ValidationError('Write a JSON object, e.g. {"text": "message.body"}.')
        return mapping

    def options(self) -> dict[str, Any]:
        data = self.cleaned_data
        options: dict[str, Any] = {}
        if data.get("product_line"):
            options["product_line"] = data["product_line"].slug
        if self.source == "json":
            if data.get("mapping"):
                options["mapping"] = data["mapping"]
            options["channel"] = data.get("channel") or Channel.API
        return options
