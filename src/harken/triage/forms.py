from __future__ import annotations

from django import forms

from harken.triage.models import ReplyTemplate, TriageSettings
from harken.workspaces.forms import timezone_choices

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


class ReplyTemplateForm(forms.ModelForm):
    class Meta:
        model = ReplyTemplate
        fields = ["name", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}
        help_texts = {
            "body": "Variables: {{name}} (customer's first name), {{product}}, {{decision}}, {{reason}}.",
        }


class SlaSettingsForm(forms.Form):
    target_hours = forms.IntegerField(min_value=1, max_value=720, label="First-response target (hours)")
    near_breach_hours = forms.IntegerField(
        min_value=0,
        max_value=168,
        label="Warn when less than (hours) is left",
        help_text="Highlights the item and reminds the assignee once.",
    )
    business_hours = forms.BooleanField(required=False, label="Count business hours only")
    timezone_name = forms.ChoiceField(
        required=False,
        label="Time zone",
        help_text="Empty: the workspace's time zone.",
        choices=lambda: [("", "Workspace time zone"), *timezone_choices()],
    )
    work_days = forms.TypedMultipleChoiceField(
        required=False, coerce=int, choices=WEEKDAYS, widget=forms.CheckboxSelectMultiple, label="Working days"
    )
    day_start = forms.TimeField(label="Working day starts", widget=forms.TimeInput(attrs={"type": "time"}))
    day_end = forms.TimeField(label="Working day ends", widget=forms.TimeInput(attrs={"type": "time"}))

    @classmethod
    def initial_for(cls, config: TriageSettings) -> dict[str, object]:
        return {
            "target_hours": config.target_hours,
            "near_breach_hours": config.near_breach_hours,
            "business_hours": config.business_hours,
            "timezone_name": config.timezone,
            "work_days": config.work_days or [0, 1, 2, 3, 4],
            "day_start": config.day_start,
            "day_end": config.day_end,
        }
