from __future__ import annotations

from typing import Any

from django import forms

from harken.feedback.models import Channel
from harken.imports.fields import fields_for
from harken.imports.models import ImportJob, ImportKind


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
