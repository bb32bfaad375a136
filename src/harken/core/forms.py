"""Form helpers shared by every app's views."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(form: forms.BaseForm, exc: ValidationError | Any) -> None:
    """Show a service's ValidationError on the matching field, or on the whole form.

    Services validate (views stay thin); this puts their messages where the person will look.
    """
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)
