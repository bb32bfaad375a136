from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from harken.accounts import services, throttle
from harken.accounts.forms import (
    InvitationSignInForm,
    InvitationSignupForm,
    QueuedPasswordResetForm,
    SignInForm,
    SignupForm,
)
from harken.accounts.models import User
from harken.workspaces import audit
from harken.workspaces import services as workspace_services

BACKEND = "harken.accounts.backends.EmailBackend"


def safe_next(request: HttpRequest, default: str = "hub:home") -> str:
    """Only follow `next` to this site: an open redirect would make sign-in a phishing tool."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def signup(request: HttpRequest) -> HttpResponse:
    """Every valid form ends on the same "check your email" page: sign-up never reveals whether an
    address is registered (see accounts.services.request_signup)."""
    if request.user.is_authenticated:
        return redirect(safe_next(request))
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.request_signup(**form.cleaned_data)
        return render(request, "accounts/signup_sent.html", {"email": form.cleaned_data["email"]})
    return render(request, "accounts/signup.html", {"form": form, "next": request.GET.get("next", "")})


@csrf_protect
@never_cache
def activate(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """GET shows a button (mail scanners open links; a GET must not change anything), POST confirms."""
    user = services.user_for_activation(uidb64, token)
    if user is None:
        return render(request, "accounts/activate.html", {"invalid": True}, status=410)
    if request.method == "POST":
        services.activate(uidb64, token)
        login(request, user, backend=BACKEND)
        messages.success(request, "Welcome to Harken! Create a workspace or open an invitation link to join one.")
        return redirect("hub:home")
    return render(request, "accounts/activate.html", {"account": user})


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You've been signed out.")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = QueuedPasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    html_email_template_name = "accounts/email/password_reset.html"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation: join as the signed-in person, sign in, or sign up with the invited email."""
    state = workspace_services.lookup_invitation(token)
    invite = state.invitation
    if invite is None or state.problem:
        already_in = (
            invite is not None
            and state.problem == "used"
            and request.user.is_authenticated
            and invite.workspace.memberships.filter(user=request.user).exists()
        )
        if already_in and invite is not None:
            return redirect("feedback:overview", ws=invite.workspace.slug)
        status = 404 if invite is None else 410
        return render(request, "accounts/invitation_invalid.html", {"state": state}, status=status)

    existing = User.objects.filter(email__iexact=invite.email).first()
    user: Any = request.user
    if user.is_authenticated:
        mode = "accept" if user.email.lower() == invite.email.lower() else "mismatch"
    else:
        mode = "signin" if existing else "signup"
    form: Any = {"signin": InvitationSignInForm, "signup": InvitationSignupForm}.get(mode)
    form = form(request.POST or None) if form else None

    if request.method == "POST" and mode == "signup" and request.POST.get("action") == "send_code":
        try:
            workspace_services.send_invitation_code(token)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"We emailed a code to {invite.email}. Type it below to create your account.")
        return redirect("accounts:invitation", token=token)

    if request.method == "POST" and mode != "mismatch":
        joined_as: User | None = None
        try:
            if mode == "accept":
                workspace_services.accept_invitation(token, user)
                joined_as = user
            elif form is not None and form.is_valid():
                if mode == "signin":
                    ip = throttle.client_ip(request)
                    if throttle.is_locked(invite.email, ip):
                        form.add_error("password", throttle.MESSAGE)
                    else:
                        joined_as = authenticate(request, username=invite.email, password=form.cleaned_data["password"])
                        if joined_as is None:
                            throttle.record_failure(invite.email, ip)
                            audit.record_sign_in(invite.email, ip, ok=False)
                            form.add_error(
                                "password", "That password is not right. You can reset it from the sign-in page."
                            )
                        else:
                            throttle.reset(invite.email, ip)
                            audit.record_sign_in(invite.email, ip, user=joined_as, ok=True)
                            workspace_services.accept_invitation(token, joined_as)
                else:
                    membership = workspace_services.accept_invitation_as_new_user(
                        token,
                        name=form.cleaned_data["name"],
                        password=form.cleaned_data["password"],
                        code=form.cleaned_data["code"],
                    )
                    joined_as = membership.user
        except ValidationError as error:
            joined_as = None
            if form is not None:
                field = None if mode == "accept" else "code" if "code" in " ".join(error.messages) else "password"
                form.add_error(field, error)
            else:
                messages.error(request, " ".join(error.messages))
        except PermissionDenied as error:
            joined_as = None
            messages.error(request, str(error))
        if joined_as is not None:
            if not user.is_authenticated:
                login(request, joined_as, backend=BACKEND)
            messages.success(request, f"Welcome to {invite.workspace.name}!")
            return redirect("feedback:overview", ws=invite.workspace.slug)

    return render(
        request,
        "accounts/invitation.html",
        {
            "invitation": invite,
            "mode": mode,
            "form": form,
            "role": invite.get_role_display(),
            "token": token,
            "code_sent": bool(invite.code_sent_at),
        },
    )
