"""Survey writes: create, send (email invitations through the outbox), remind, close, and record
an answer (public link). Every write validates and authorises via `Actor`; answers come from the
public page, where the invitation token (or the survey's share key) is the authority.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from harken.customers.models import Contact
from harken.feedback.models import Channel
from harken.surveys.models import (
    DEFAULT_QUESTIONS,
    LIMITS,
    Invitation,
    Kind,
    Response,
    Status,
    Survey,
    SurveySettings,
    band,
)
from harken.workspaces.access import Actor
from harken.workspaces.models import ProductLine, Role, Workspace, hash_secret

MAX_COMMENT = 5000


def survey_settings(workspace: Workspace) -> SurveySettings:
    """The workspace's survey defaults (unsaved standard defaults when it never changed them)."""
    found = SurveySettings.objects.filter(workspace=workspace).first()
    return found or SurveySettings(workspace=workspace)


def validate_thresholds(values: Mapping[str, object]) -> dict[str, int]:
    """Whole numbers within `LIMITS` (ValidationError naming each bad field); returns them as ints."""
    clean: dict[str, int] = {}
    errors: dict[str, str] = {}
    for name, raw in values.items():
        low, high = LIMITS[name]
        unit = "" if name == "csat_satisfied_from" else " days"
        if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
            errors[name] = f"Between {low} and {high}{unit}."
        else:
            clean[name] = raw
    if errors:
        raise ValidationError(errors)
    return clean


def update_settings(actor: Actor, **values: int) -> SurveySettings:
    """Change the workspace's defaults for new surveys (admins). Existing surveys keep theirs."""
    actor.require(Role.ADMIN)
    unknown = set(values) - set(LIMITS)
    if unknown:
        raise ValidationError(f"Unknown setting: {', '.join(sorted(unknown))}.")
    clean = validate_thresholds(values)
    found, _ = SurveySettings.objects.update_or_create(workspace=actor.workspace, defaults=clean)
    return found


def create_survey(
    actor: Actor,
    *,
    name: str,
    kind: str = Kind.NPS,
    question: str = "",
    product_line: ProductLine | None = None,
    shareable: bool = False,
    throttle_days: int | None = None,
    remind_after_days: int | None = None,
    expires_after_days: int | None = None,
    csat_satisfied_from: int | None = None,
) -> Survey:
    """A new survey; thresholds left as None take the workspace's defaults (`survey_settings`)."""
    actor.require(Role.MEMBER)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the survey a name."})
    if kind not in Kind.values:
        raise ValidationError({"kind": f"Choose one of {', '.join(Kind.values)}."})
    if product_line is not None and product_line.workspace_id != actor.workspace.pk:
        raise ValidationError({"product_line": "Unknown product line."})
    defaults = survey_settings(actor.workspace)
    given = {
        "throttle_days": throttle_days,
        "remind_after_days": remind_after_days,
        "expires_after_days": expires_after_days,
        "csat_satisfied_from": csat_satisfied_from,
    }
    clean = validate_thresholds({k: getattr(defaults, k) if v is None else v for k, v in given.items()})
    return Survey.objects.create(
        workspace=actor.workspace,
        name=name[:200],
        kind=kind,
        question=(question or "").strip()[:300] or DEFAULT_QUESTIONS[Kind(kind)],
        product_line=product_line,
        share_key=secrets.token_urlsafe(18) if shareable else "",
        created_by=actor.user,
        **clean,
    )


def close_survey(actor: Actor, survey: Survey) -> Survey:
    actor.require(Role.MEMBER)
    _same_workspace(actor, survey)
    survey.status = Status.CLOSED
    survey.save(update_fields=["status", "updated_at"])
    return survey


@dataclass
class SendResult:
    sent: list[Invitation] = field(default_factory=list)
    throttled: list[str] = field(default_factory=list)
    without_email: int = 0


def recently_surveyed(workspace_id: int, emails: list[str], days: int) -> set[str]:
    """Emails invited to any survey of the workspace in the last `days` days (lower-cased)."""
    if days <= 0 or not emails:
        return set()
    since = timezone.now() - dt.timedelta(days=days)
    found = Invitation.objects.filter(workspace_id=workspace_id, sent_at__gte=since, email__in=emails)
    return {e.lower() for e in found.values_list("email", flat=True)}


def send_survey(
    actor: Actor,
    survey: Survey,
    *,
    contacts: list[Contact] | None = None,
    segment: str = "",
    plan: str = "",
) -> SendResult:
    """Invite contacts (given, or every contact with an email, optionally of a segment/plan).

    Throttling: anyone invited to any survey of this workspace within `survey.throttle_days` is
    skipped. One outbox email per invitation, its link sealed as a secret."""
    actor.require(Role.MEMBER)
    _same_workspace(actor, survey)
    if not survey.is_open:
        raise ValidationError("This survey is closed.")
    if contacts is None:
        qs = actor.workspace.contacts.select_related("account").exclude(email="")
        if segment:
            qs = qs.filter(account__segment=segment)
        if plan:
            qs = qs.filter(account__plan=plan)
        contacts = list(qs.order_by("pk"))
    result = SendResult()
    with_email = []
    for contact in contacts:
        if contact.workspace_id != actor.workspace.pk:
            raise ValidationError("Unknown contact.")
        if not contact.email:
            result.without_email += 1
        else:
            with_email.append(contact)
    emails = list({c.email.lower() for c in with_email} | {c.email for c in with_email})
    recent = recently_surveyed(actor.workspace.pk, emails, survey.throttle_days)
    seen: set[str] = set()
    with transaction.atomic():
        for contact in with_email:
            key = contact.email.lower()
            if key in recent or key in seen:
                result.throttled.append(contact.email)
                continue
            seen.add(key)
            token = secrets.token_urlsafe(24)
            invitation = Invitation.objects.create(
                workspace=actor.workspace,
                survey=survey,
                contact=contact,
                email=contact.email,
                token_hash=hash_secret(token),
                expires_at=Invitation.expiry(survey.expires_after_days),
            )
            _email(invitation, token, reminder=False)
            result.sent.append(invitation)
    return result


def answer_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("surveys_public:answer", kwargs={"token": token})


def _email(invitation: Invitation, token: str, *, reminder: bool) -> None:
    from harken.notify.services import queue_email

    survey = invitation.survey
    url = answer_url(token)
    name = invitation.contact.name if invitation.contact and invitation.contact.name else ""
    lines = [f"Hello{' ' + name if name else ''},", ""]
    if reminder:
        lines += ["A gentle reminder: we would still love your answer (it takes a few seconds).", ""]
    lines += [survey.display_question, ""]
    if survey.scale:
        low, high = survey.scale
        lines += [f"Answer on a scale from {low} to {high} here:", url, ""]
    else:
        lines += ["Answer here:", url, ""]
    expires = timezone.localtime(invitation.expires_at).date().isoformat()
    lines += [f"The link is personal and works until {expires}.", "", f"— {survey.workspace.name}"]
    queue_email(
        to=invitation.email,
        subject=("Reminder: " if reminder else "") + f"{survey.workspace.name}: {survey.display_question}"[:200],
        text="\n".join(lines),
        workspace=survey.workspace,
        kind="survey_reminder" if reminder else "survey_invitation",
        related_object=f"surveys.Invitation:{invitation.pk}",
        secrets={"survey link": url},
    )


def send_reminders(now: dt.datetime | None = None) -> int:
    """Remind, once, every unanswered, unexpired invitation older than its survey's reminder delay.

    The reminder carries a new token (the first link keeps working): clear tokens are never stored."""
    now = now or timezone.now()
    due = (
        Invitation.objects.select_related("survey", "survey__workspace", "contact")
        .filter(answered_at__isnull=True, reminded_at__isnull=True, expires_at__gt=now, survey__status=Status.OPEN)
        .exclude(survey__remind_after_days=0)
    )
    count = 0
    for invitation in due:
        if invitation.sent_at + dt.timedelta(days=invitation.survey.remind_after_days) > now:
            continue
        token = secrets.token_urlsafe(24)
        with transaction.atomic():
            invitation.reminder_token_hash = hash_secret(token)
            invitation.reminded_at = now
            invitation.save(update_fields=["reminder_token_hash", "reminded_at", "updated_at"])
            _email(invitation, token, reminder=True)
        count += 1
    return count


class AnswerError(Exception):
    """An answer link that cannot be used: `reason` is one of unknown / expired / closed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def invitation_for_token(token: str) -> Invitation:
    """The invitation of a token (first link or the reminder's), or AnswerError."""
    from django.db.models import Q

    if not token or len(token) > 100:
        raise AnswerError("unknown")
    digest = hash_secret(token)
    invitation = (
        Invitation.objects.select_related("survey", "survey__workspace", "contact", "contact__account")
        .filter(Q(token_hash=digest) | Q(reminder_token_hash=digest))
        .first()
    )
    if invitation is None:
        raise AnswerError("unknown")
    if not invitation.survey.is_open:
        raise AnswerError("closed")
    if invitation.expired:
        raise AnswerError("expired")
    return invitation


def survey_for_share_key(key: str) -> Survey:
    if not key or len(key) > 40:
        raise AnswerError("unknown")
    survey = Survey.objects.select_related("workspace").filter(share_key=key).exclude(share_key="").first()
    if survey is None:
        raise AnswerError("unknown")
    if not survey.is_open:
        raise AnswerError("closed")
    return survey


def parse_score(survey: Survey, raw: object) -> int | None:
    """The score of a submitted form/JSON value, or ValidationError (outside the scale, not a number)."""
    scale = survey.scale
    if scale is None:
        return None
    low, high = scale
    text = str(raw).strip() if raw is not None else ""
    if not text:
        raise ValidationError({"score": f"Choose a score from {low} to {high}."})
    try:
        value = int(text)
    except ValueError:
        raise ValidationError({"score": f"The score must be a whole number from {low} to {high}."}) from None
    if not low <= value <= high:
        raise ValidationError({"score": f"The score must be between {low} and {high}."})
    return value


def record_answer(
    survey: Survey,
    *,
    score: object,
    comment: str = "",
    invitation: Invitation | None = None,
    email: str = "",
    answered_at: dt.datetime | None = None,
) -> Response:
    """Store one answer: last answer wins (earlier ones of the same person stay, not current).

    A written answer becomes a feedback item (channel "survey"); a detractor always does, so their
    item opens in triage with the SLA clock running. Promoters show up in the advocacy queue
    (`advocacy.queries.queue`), which reads current promoter answers."""
    if invitation is not None and invitation.survey_id != survey.pk:
        raise ValidationError("This link belongs to another survey.")
    value = parse_score(survey, score)
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError({"comment": f"Please keep the comment under {MAX_COMMENT} characters."})
    if survey.scale is None and not comment:
        raise ValidationError({"comment": "Write an answer."})
    email = (email or "").strip()[:254]
    if email:
        from django.core.validators import validate_email

        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"email": "Enter a valid email address, or leave it empty."}) from None
    contact = invitation.contact if invitation else None
    if contact is None and email:
        contact = survey.workspace.contacts.select_related("account").filter(email__iexact=email).first()
    when = answered_at or timezone.now()
    with transaction.atomic():
        previous = Response.objects.filter(survey=survey, current=True)
        if invitation is not None:
            previous.filter(invitation=invitation).update(current=False)
        elif email:
            previous.filter(invitation__isnull=True, email__iexact=email).update(current=False)
        response = Response.objects.create(
            workspace=survey.workspace,
            survey=survey,
            invitation=invitation,
            contact=contact,
            account=contact.account if contact else None,
            product_line=survey.product_line,
            email=invitation.email if invitation else email,
            score=value,
            comment=comment,
            answered_at=when,
        )
        if invitation is not None:
            invitation.answered_at = when
            invitation.save(update_fields=["answered_at", "updated_at"])
        attach_feedback(response)
    return response


def attach_feedback(response: Response) -> None:
    """Turn a written (or detractor) answer into a feedback item, through `create_feedback`."""
    from harken.feedback.actions import create_feedback

    survey = response.survey
    kind_band = band(survey.kind, response.score, survey.csat_satisfied_from)
    if not response.comment and kind_band != "detractor":
        return
    score_text = f"{response.score}/{survey.scale[1]}" if survey.scale and response.score is not None else ""
    text = response.comment or (
        f"Detractor without a comment (scored {score_text})." if score_text else "Detractor without a comment."
    )
    # No title: the item reads (and is embedded, themed and searched) as what the person wrote. The
    # score is the response's field and the band its tag; a "NPS 9/10: …" title put the score in
    # front of every comment, so survey answers grouped by score instead of by subject.
    tags = ["survey"] + ([kind_band] if kind_band else [])
    contact = response.contact
    item, _ = create_feedback(
        Actor.system(survey.workspace),
        text=text,
        channel=Channel.SURVEY,
        author_email=response.email,
        author_name=contact.name if contact else "",
        account=response.account,
        contact=contact,
        product_line=survey.product_line,
        tags=tags,
        received_at=response.answered_at,
        dedupe_key=f"survey:{response.pk}",
        source_kind="survey",
        source_ref=f"surveys.Response:{response.pk}",
    )
    response.feedback = item
    response.save(update_fields=["feedback", "updated_at"])


def _same_workspace(actor: Actor, survey: Survey) -> None:
    if survey.workspace_id != actor.workspace.pk:
        raise ValidationError("Unknown survey.")
