from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from harken.accounts import throttle
from harken.accounts.models import User
from harken.workspaces import audit


class SignupForm(forms.Form):
    name = forms.CharField(
        max_length=150, required=False, label="Your name", widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label="Work email", widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        label="Password",
        strip=False,
        help_text="At least 8 characters; not a common password and not all digits.",
    )

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data.get("name", "").split())

    def clean_email(self) -> str:
        # No "already registered" error here: that would tell anyone which addresses have accounts.
        return str(self.cleaned_data["email"]).strip().lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password"):
            try:
                password_validation.validate_password(
                    data["password"], User(email=data.get("email", ""), name=data.get("name", ""))
                )
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data


class SignInForm(AuthenticationForm):
    """Django's sign-in form, labelled for email addresses."""

    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    password = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    error_messages = {
        "invalid_login": "That email and password don't match an account. Check both, or reset your password.",
        "inactive": "This account is disabled.",
    }

    def clean(self) -> dict[str, Any]:
        email = str(self.data.get("username", ""))
        ip = throttle.client_ip(self.request)
        if throttle.is_locked(email, ip):
            raise forms.ValidationError(throttle.MESSAGE, code="throttled")
        try:
            data = super().clean()
        except forms.ValidationError:
            throttle.record_failure(email, ip)
            audit.record_sign_in(email, ip, ok=False)
            raise
        throttle.reset(email, ip)
        audit.record_sign_in(email, ip, user=self.get_user(), ok=True)
        return data


class QueuedPasswordResetForm(PasswordResetForm):
    """Password reset whose email goes through the notify outbox instead of being sent inline."""

    email = forms.EmailField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        from harken.notify.services import queue_email

        path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]})
        context = {**context, "url": settings.SITE_URL + path}
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        with transaction.atomic():
            queue_email(
                to=to_email,
                subject=subject,
                text=render_to_string(email_template_name, context),
                html=render_to_string(html_email_template_name, context) if html_email_template_name else "",
                kind="password_reset",
                related_object=f"accounts.user:{context['user'].pk}",
                secrets={"password reset link": context["url"]},
            )


class InvitationSignupForm(forms.Form):
    """Accepting an invitation without an account: the email is fixed by the invitation, and the
    code emailed to it proves the person owns it (the link alone is not enough)."""

    code = forms.CharField(
        max_length=12,
        label="Code from the email",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text="Use “Email me a code” below; we send it to the invited address.",
    )

    name = forms.CharField(
        max_length=150,
        required=False,
        label="Your name",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        label="Choose a password",
        strip=False,
        help_text="At least 8 characters; not a common password and not all digits.",
    )


class InvitationSignInForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
        label="Your password",
        strip=False,
    )
