"""Survey pages in the workspace: list + create, results, send, close. Thin: parse, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from harken.core.forms import add_service_errors
from harken.surveys import actions, queries
from harken.surveys.forms import THRESHOLDS, SendForm, SettingsForm, SurveyForm
from harken.surveys.models import Survey
from harken.workspaces.access import Actor, workspace_view
from harken.workspaces.models import Role


def _survey(actor: Actor, pk: int) -> Survey:
    return get_object_or_404(Survey.objects.for_workspace(actor.workspace).select_related("product_line"), pk=pk)


@workspace_view()
def survey_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(
        request,
        "surveys/list.html",
        {"surveys": queries.surveys(actor.workspace), "defaults": actions.survey_settings(actor.workspace)},
    )


@workspace_view(Role.MEMBER)
def survey_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    lines = list(actor.workspace.product_lines.all())
    form = SurveyForm(request.POST or None, product_lines=lines, defaults=actions.survey_settings(actor.workspace))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            survey = actions.create_survey(
                actor,
                name=data["name"],
                kind=data["kind"],
                question=data["question"],
                product_line=next((p for p in lines if p.pk == data["product_line"]), None),
                shareable=data["shareable"],
                throttle_days=data["throttle_days"],
                remind_after_days=data["remind_after_days"],
                expires_after_days=data["expires_after_days"],
                csat_satisfied_from=data["csat_satisfied_from"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Survey “{survey.name}” created. Send it when you are ready.")
            return redirect("surveys:detail", ws=actor.workspace.slug, pk=survey.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "surveys/form.html", {"form": form}, status=status)


@workspace_view()
def survey_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    survey = _survey(actor, pk)
    period = request.GET.get("period", "month")
    share_url = ""
    if survey.share_key and actor.can_write:
        share_url = request.build_absolute_uri(reverse("surveys_public:shared", kwargs={"key": survey.share_key}))
    return render(
        request,
        "surveys/detail.html",
        {
            "survey": survey,
            "r": queries.results(survey, period=period),
            "answers": queries.recent_answers(survey),
            "invited": survey.invitations.count(),
            "send_form": SendForm(),
            "share_url": share_url,
        },
    )


@require_POST
@workspace_view(Role.MEMBER)
def survey_send(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    survey = _survey(actor, pk)
    form = SendForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Check the segment and plan.")
        return redirect("surveys:detail", ws=actor.workspace.slug, pk=survey.pk)
    try:
        result = actions.send_survey(actor, survey, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"Invited {len(result.sent)}; skipped {len(result.throttled)} surveyed recently"
            f" and {result.without_email} without an email address.",
        )
    return redirect("surveys:detail", ws=actor.workspace.slug, pk=survey.pk)


@require_POST
@workspace_view(Role.MEMBER)
def survey_close(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    survey = actions.close_survey(actor, _survey(actor, pk))
    messages.success(request, f"“{survey.name}” is closed: its links no longer accept answers.")
    return redirect("surveys:detail", ws=actor.workspace.slug, pk=survey.pk)


@workspace_view()
def survey_settings(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The workspace's defaults for new surveys: everyone reads them, admins change them."""
    current = actions.survey_settings(actor.workspace)
    initial = {name: getattr(current, name) for name in THRESHOLDS}
    form = SettingsForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        actor.require(Role.ADMIN)
        if form.is_valid():
            try:
                actions.update_settings(actor, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Survey defaults saved. New surveys start from them.")
                return redirect("surveys:settings", ws=actor.workspace.slug)
        status = 400
    return render(request, "surveys/settings.html", {"form": form, "can_edit": actor.can(Role.ADMIN)}, status=status)
