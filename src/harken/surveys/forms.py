from django import forms

from harken.surveys.models import Kind

THRESHOLDS = ("throttle_days", "remind_after_days", "expires_after_days", "csat_satisfied_from")


class SurveyForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Kind.choices, initial=Kind.NPS)
    question = forms.CharField(max_length=300, required=False, help_text="Empty: the standard question")
    product_line = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, choices=[("", "—")])
    shareable = forms.BooleanField(required=False, label="Also answerable through a shareable link")
    throttle_days = forms.IntegerField(
        min_value=0,
        max_value=3650,
        initial=90,
        label="Throttle (days)",
        help_text="Skip anyone invited to any survey in the last N days",
    )
    remind_after_days = forms.IntegerField(
        min_value=0, max_value=365, initial=4, label="Remind after (days)", help_text="0: no reminder"
    )
    expires_after_days = forms.IntegerField(min_value=1, max_value=365, initial=30, label="Links expire after (days)")
    csat_satisfied_from = forms.IntegerField(
        min_value=2,
        max_value=5,
        initial=4,
        label="CSAT: satisfied from",
        help_text="CSAT answers at or above this score (of 1–5) count as satisfied. NPS bands are fixed: 0–6, 7–8, 9–10.",
    )

    def __init__(self, *args, product_lines=(), defaults=None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if defaults is not None:  # the workspace's survey settings
            for name in THRESHOLDS:
                self.fields[name].initial = getattr(defaults, name)
        choices = [("", "—")] + [(p.pk, p.name) for p in product_lines]
        self.fields["product_line"].choices = choices  # type: ignore[attr-defined]


class SendForm(forms.Form):
    segment = forms.CharField(max_length=80, required=False, help_text="Only accounts of this segment (optional)")
    plan = forms.CharField(max_length=80, required=False, help_text="Only accounts on this plan (optional)")


class SettingsForm(forms.Form):
    """The workspace's defaults for new surveys."""

    throttle_days = SurveyForm.base_fields["throttle_days"]
    remind_after_days = SurveyForm.base_fields["remind_after_days"]
    expires_after_days = SurveyForm.base_fields["expires_after_days"]
    csat_satisfied_from = SurveyForm.base_fields["csat_satisfied_from"]
