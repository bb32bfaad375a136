from __future__ import annotations

import json
from typing import Any

from django import forms

from harken.feedback.models import Channel
from harken.imports.fields import fields_for
from harken.imports.models import ImportJob, ImportKind, ImportSource
from harken.imports.sources import source as source_kind
from harken.workspaces.models import ProductLine, Workspace


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="What are you importing?",
        choices=ImportKind.choices,
        initial=ImportKind.FEEDBACK,
        help_text="Import accounts first, then contacts, then feedback, so feedback links to its customers.",
    )
    file = forms.FileField(
        label="CSV file",
        help_text="Comma, semicolon or tab separated; UTF-8, UTF-16 or Latin-1. The first row must name the columns.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,text/csv"}),
    )
    channel = forms.ChoiceField(
        label="Channel (feedback only)",
        choices=Channel.choices,
        initial=Channel.CSV,
        required=False,
        help_text="Where this feedback came from, e.g. Support ticket for a helpdesk export.",
    )


class SourceUploadForm(forms.Form):
    """Another tool's export: the file, a product line for every item, and for the generic mapper its mapping."""

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
        kind = source_kind(source)
        line = self.fields["product_line"]
        assert isinstance(line, forms.ModelChoiceField)
        line.queryset = workspace.product_lines.all()
        line.help_text = "Every item from this file is filed under this product line."
        self.fields["file"].widget.attrs["accept"] = kind.accept
        self.fields["file"].help_text = f"{kind.label}: see the format notes on this page."
        if not kind.has_mapping:
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
        if self.source == ImportSource.JSON:
            if data.get("mapping"):
                options["mapping"] = data["mapping"]
            options["channel"] = data.get("channel") or Channel.API
        return options


class MappingForm(forms.Form):
    """One select per column of the file, offering the fields of the import kind."""

    stop_on_first_error = forms.BooleanField(
        label="Stop on the first error",
        required=False,
        help_text="Off: rows with errors are skipped and listed. On: one bad row stops the import and nothing is written.",
    )

    def __init__(self, *args: Any, job: ImportJob, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.job = job
        choices = [("", "— don't import —")] + [
            (f.name, f"{f.label}{' (required)' if f.required else ''}") for f in fields_for(job.kind)
        ]
        by_column = {column: field for field, column in job.mapping.items()}
        self.column_fields: list[tuple[str, str]] = []
        for i, column in enumerate(job.header):
            name = f"col_{i}"
            self.fields[name] = forms.ChoiceField(
                label=column,
                choices=choices,
                required=False,
                initial=by_column.get(column, ""),
                widget=forms.Select(attrs={"style": "min-width: 14rem"}),
            )
            self.column_fields.append((name, column))
        self.fields["stop_on_first_error"].initial = bool(job.options.get("stop_on_first_error"))

    def mapping(self) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for name, column in self.column_fields:
            field = self.cleaned_data.get(name)
            if not field:
                continue
            if field in mapping:
                self.add_error(name, f"'{field}' is already mapped to the column '{mapping[field]}'.")
                continue
            mapping[field] = column
        return mapping
