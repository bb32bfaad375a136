"""Demo hook: a quarterly NPS survey and a support CSAT survey with a few hundred answers over six
months from the demo contacts, improving over time; written answers (and every detractor) become
feedback items of channel "survey" in one batch, so detractors wait in triage and promoters fill
the advocacy queue. Deterministic (seeded by the workspace slug).
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from typing import Any

from django.utils import timezone

from harken.surveys.models import DEFAULT_QUESTIONS, Invitation, Kind, Response, Survey, band
from harken.workspaces.models import hash_secret

MONTHS = 6
NPS_PER_MONTH = 38
CSAT_PER_MONTH = 22

COMMENTS = {
    "promoter": [
        "The dashboards save my team hours every week.",
        "Support answered within the hour and fixed it. Brilliant.",
        "Scheduled reports just work; our execs love them.",
        "Setting up the pipelines was far easier than our old tool.",
        "Great product, and you actually listen to feedback.",
        "The new export is exactly what we asked for. Thank you!",
    ],
    "passive": [
        "Good overall, but dashboards are slow with big datasets.",
        "Does the job. Would like more connectors.",
        "Solid, though pricing for extra seats is steep.",
        "Fine, but filters reset when I go back, which is annoying.",
    ],
    "detractor": [
        "Pipelines failed twice this month and nobody told us.",
        "Dashboards take forever to load; my team stopped using them.",
        "Schema changes keep breaking our syncs.",
        "Too expensive for what we get.",
        "We waited a week for an answer from support.",
    ],
    "satisfied": [
        "Quick and friendly answer, problem solved.",
        "The agent knew exactly what was wrong.",
        "Fast fix, thanks!",
    ],
    "unsatisfied": [
        "Took three replies before anyone understood the problem.",
        "The workaround did not work for us.",
        "Still waiting for a real fix.",
    ],
}


def _nps_score(rng: random.Random, progress: float) -> int:
    promoter = 0.38 + 0.17 * progress
    detractor = 0.27 - 0.12 * progress
    x = rng.random()
    if x < promoter:
        return rng.choice([9, 9, 10, 10, 10])
    if x < promoter + detractor:
        return rng.choice([0, 2, 3, 4, 5, 5, 6, 6, 6])
    return rng.choice([7, 7, 8, 8, 8])


def _csat_score(rng: random.Random, progress: float) -> int:
    satisfied = 0.72 + 0.14 * progress
    if rng.random() < satisfied:
        return rng.choice([4, 5, 5])
    return rng.choice([1, 2, 3, 3])


def after_demo_load(workspace: Any) -> int:
    from harken.feedback.actions import NewItem, create_feedback_batch
    from harken.feedback.models import Channel
    from harken.workspaces.access import Actor

    contacts = list(workspace.contacts.select_related("account").exclude(email="").order_by("pk"))
    if not contacts or workspace.surveys.exists():
        return 0
    rng = random.Random(f"surveys-demo-{workspace.slug}")
    lines = list(workspace.product_lines.order_by("name"))
    now = timezone.now()
    nps = Survey.objects.create(
        workspace=workspace,
        name="Quarterly NPS",
        kind=Kind.NPS,
        question=DEFAULT_QUESTIONS[Kind.NPS],
        share_key=secrets.token_urlsafe(18),
        throttle_days=60,
    )
    csat = Survey.objects.create(
        workspace=workspace,
        name="Support CSAT",
        kind=Kind.CSAT,
        question="How satisfied were you with our support?",
        comment_prompt="What could we have done better?",
        throttle_days=14,
    )
    # the largest accounts are fans: they make believable case-study candidates
    fans = {a.pk for a in workspace.accounts.order_by("-arr", "pk")[:3]}
    plans: list[tuple[Survey, int, Any, int]] = []  # survey, day offset, contact, score
    for month in range(MONTHS):
        progress = month / (MONTHS - 1)
        for survey, per_month, scorer in ((nps, NPS_PER_MONTH, _nps_score), (csat, CSAT_PER_MONTH, _csat_score)):
            for _ in range(per_month + rng.randint(-4, 4)):
                contact = rng.choice(contacts)
                score = scorer(rng, progress)
                if contact.account_id in fans:
                    score = 10 if survey.kind == Kind.NPS else 5
                days_ago = (MONTHS - 1 - month) * 30 + rng.randint(0, 29)
                plans.append((survey, days_ago, contact, score))
    plans.sort(key=lambda p: -p[1])  # oldest first
    invitations: list[Invitation] = []
    responses: list[Response] = []
    for survey, days_ago, contact, score in plans:
        when = now - dt.timedelta(days=days_ago, hours=rng.randint(0, 20))
        invitations.append(
            Invitation(
                workspace=workspace,
                survey=survey,
                contact=contact,
                email=contact.email,
                token_hash=hash_secret(secrets.token_urlsafe(24)),
                sent_at=when - dt.timedelta(hours=rng.randint(2, 72)),
                expires_at=when + dt.timedelta(days=30),
                answered_at=when,
            )
        )
        kind_band = band(survey.kind, score, survey.csat_satisfied_from)
        comment = rng.choice(COMMENTS[kind_band]) if kind_band and rng.random() < 0.45 else ""
        responses.append(
            Response(
                workspace=workspace,
                survey=survey,
                contact=contact,
                account=contact.account,
                product_line=rng.choice(lines) if lines else None,
                email=contact.email,
                score=score,
                comment=comment,
                answered_at=when,
            )
        )
    # the surveys were set up just before their first answers
    Survey.objects.filter(pk__in=[nps.pk, csat.pk]).update(created_at=now - dt.timedelta(days=MONTHS * 30 + 3))
    Invitation.objects.bulk_create(invitations, batch_size=500)
    for invitation, response in zip(invitations, responses, strict=True):
        response.invitation = invitation  # each wave is its own invitation: every answer is current
    Response.objects.bulk_create(responses, batch_size=500)
    # a few people invited recently and not yet answering (the reminder job's work)
    for contact in rng.sample(contacts, min(12, len(contacts))):
        Invitation.objects.create(
            workspace=workspace,
            survey=nps,
            contact=contact,
            email=contact.email,
            token_hash=hash_secret(secrets.token_urlsafe(24)),
            sent_at=now - dt.timedelta(days=rng.randint(0, 6)),
            expires_at=now + dt.timedelta(days=24),
        )
    written = [
        r for r in responses if r.comment or band(r.survey.kind, r.score, r.survey.csat_satisfied_from) == "detractor"
    ]
    rows = []
    for r in written:
        kind_band = band(r.survey.kind, r.score, r.survey.csat_satisfied_from)
        scale_top = 10 if r.survey.kind == Kind.NPS else 5
        text = r.comment or f"Detractor without a comment (scored {r.score}/{scale_top})."
        rows.append(
            NewItem(
                text=text,  # no "NPS 9/10: …" title, as `actions.attach_feedback`
                channel=Channel.SURVEY,
                author_email=r.email,
                author_name=r.contact.name if r.contact else "",
                account=r.account,
                contact=r.contact,
                product_line=r.product_line,
                tags=["survey", kind_band],
                received_at=r.answered_at,
                dedupe_key=f"survey:{r.pk}",
                source_kind="survey",
                source_ref=f"surveys.Response:{r.pk}",
            )
        )
    created = create_feedback_batch(Actor.system(workspace), rows)
    for r, (item, _) in zip(written, created, strict=True):
        r.feedback = item
    Response.objects.bulk_update(written, ["feedback"], batch_size=500)
    return 1
