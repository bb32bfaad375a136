from __future__ import annotations

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from harken.accounts import services
from harken.accounts.forms import SignupForm


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("hub:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.register_user(**form.cleaned_data)
        login(request, user, backend="harken.accounts.backends.EmailBackend")
        return redirect(request.GET.get("next") or "hub:home")
    return render(request, "accounts/signup.html", {"form": form})
