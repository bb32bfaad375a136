"""Customer understanding: goals, jobs-to-be-done statements and the process map of each account.

Every write takes an `Actor` first and needs the member role; everything it touches must belong
to the actor's workspace (another workspace's account, step, feedback or theme is a
ValidationError, never a silent link). Reads prepare what the account page and the workspace-wide
"where it hurts" view show.

Pain score of a step (the workspace view): Σ over its pains (and its micro-steps' pains) of
`severity` (1 minor, 2 major, 3 blocking) + 1 per distinct linked feedback item. Steps of different
accounts are grouped by their normalised title ("Month-end close" == "month-end  close"), so the
same step in ten accounts' processes adds up.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from harken.core.charts import hbar_rows
from harken.customers.models import Account, CustomerGoal, CustomerJob, ProcessStep, StepPain
from harken.workspaces.access import Actor
from harken.workspaces.models import Role, Workspace

MAX_STEPS_PER_ACCOUNT = 200
MAX_LINKS = 50


def _text(value: Any, label: str, max_len: int, *, required: bool = True) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise ValidationError({label: "This cannot be empty."})
    if len(text) > max_len:
        raise ValidationError({label: f"Keep it under {max_len} characters (this is {len(text)})."})
    return text


def _own(actor: Actor, obj: Any, label: str) -> None:
    if obj is not None and obj.workspace_id != actor.workspace.pk:
        raise ValidationError({label: f"That {label} belongs to another workspace."})


def _next_position(qs: Any) -> int:
    return (qs.aggregate(m=Max("position"))["m"] or 0) + 1


# --- goals ----------------------------------------------------------------------------------------


def add_goal(actor: Actor, account: Account, *, title: str, detail: str = "") -> CustomerGoal:
    actor.require(Role.MEMBER)
    _own(actor, account, "account")
    title = _text(title, "title", 200)
    detail = str(detail or "").strip()[:5000]
    return CustomerGoal.objects.create(
        workspace=actor.workspace,
        account=account,
        title=title,
        detail=detail,
        position=_next_position(account.goals.all()),
        created_by=actor.user,
    )


_Titled = TypeVar("_Titled", CustomerGoal, ProcessStep)


def _edit_title_detail(actor: Actor, obj: _Titled, noun: str, title: str | None, detail: str | None) -> _Titled:
    """The in-place edit goals and steps share: a member, the actor's own workspace, None leaves a field."""
    actor.require(Role.MEMBER)
    _own(actor, obj, noun)
    if title is not None:
        obj.title = _text(title, "title", 200)
    if detail is not None:
        obj.detail = str(detail or "").strip()[:5000]
    obj.save(update_fields=["title", "detail"])
    return obj


def edit_goal(actor: Actor, goal: CustomerGoal, *, title: str | None = None, detail: str | None = None) -> CustomerGoal:
    """Change a goal's title and/or detail in place (None: leave that field as it is)."""
    return _edit_title_detail(actor, goal, "goal", title, detail)


def delete_goal(actor: Actor, goal: CustomerGoal) -> None:
    actor.require(Role.MEMBER)
    _own(actor, goal, "goal")
    goal.delete()


# --- jobs to be done ------------------------------------------------------------------------------

_LEADS = {
    "situation": re.compile(r"^\s*when\b\s*", re.IGNORECASE),
    "motivation": re.compile(r"^\s*(i\s+want\s+to|want\s+to|to)\b\s*", re.IGNORECASE),
    "outcome": re.compile(r"^\s*(so\s+(that\s+)?i\s+can|so\s+that|so|to)\b\s*", re.IGNORECASE),
}


def _job_part(value: Any, key: str) -> str:
    """People paste whole phrases ("When I close the month,"): strip the lead words and the trailing comma."""
    text = _text(value, key, 300)
    text = _LEADS[key].sub("", text).rstrip(" ,.;")
    if not text:
        raise ValidationError({key: "This cannot be empty."})
    return text


def _job_parts(values: dict[str, Any]) -> dict[str, str]:
    """The given parts (None: not given) cleaned, with every part's error at once."""
    parts: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        if value is None:
            continue
        try:
            parts[key] = _job_part(value, key)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return parts


def add_job(actor: Actor, account: Account, *, situation: str, motivation: str, outcome: str) -> CustomerJob:
    actor.require(Role.MEMBER)
    _own(actor, account, "account")
    parts = _job_parts({"situation": situation, "motivation": motivation, "outcome": outcome})
    return CustomerJob.objects.create(
        workspace=actor.workspace,
        account=account,
        position=_next_position(account.jobs.all()),
        created_by=actor.user,
        **parts,
    )


def edit_job(
    actor: Actor,
    job: CustomerJob,
    *,
    situation: str | None = None,
    motivation: str | None = None,
    outcome: str | None = None,
) -> CustomerJob:
    """Rewrite parts of a job statement in place (None: leave that part); lead words are stripped as on add."""
    actor.require(Role.MEMBER)
    _own(actor, job, "job")
    parts = _job_parts({"situation": situation, "motivation": motivation, "outcome": outcome})
    for key, value in parts.items():
        setattr(job, key, value)
    job.save(update_fields=["situation", "motivation", "outcome"])
    return job


def delete_job(actor: Actor, job: CustomerJob) -> None:
    actor.require(Role.MEMBER)
    _own(actor, job, "job")
    job.delete()


# --- process map ----------------------------------------------------------------------------------


def add_step(
    actor: Actor, account: Account, *, title: str, detail: str = "", parent: ProcessStep | None = None
) -> ProcessStep:
    """Append a step (or, with `parent`, a micro-step of that step) at the end of its list."""
    actor.require(Role.MEMBER)
    _own(actor, account, "account")
    _own(actor, parent, "step")
    if parent is not None:
        if parent.account_id != account.pk:
            raise ValidationError({"parent": "That step belongs to another account's process."})
        if parent.parent_id is not None:
            raise ValidationError({"parent": "Micro-steps cannot have micro-steps of their own; add it to the step."})
    if account.process_steps.count() >= MAX_STEPS_PER_ACCOUNT:
        raise ValidationError(f"A process map holds at most {MAX_STEPS_PER_ACCOUNT} steps.")
    title = _text(title, "title", 200)
    siblings = account.process_steps.filter(parent=parent)
    return ProcessStep.objects.create(
        workspace=actor.workspace,
        account=account,
        parent=parent,
        title=title,
        detail=str(detail or "").strip()[:5000],
        position=_next_position(siblings),
    )


@transaction.atomic
def move_step(actor: Actor, step: ProcessStep, direction: str) -> ProcessStep:
    """Swap a step with its previous ("up") or next ("down") sibling; at either end nothing changes."""
    actor.require(Role.MEMBER)
    _own(actor, step, "step")
    if direction not in ("up", "down"):
        raise ValidationError({"direction": "Move a step 'up' or 'down'."})
    siblings = list(
        ProcessStep.objects.for_workspace(actor.workspace).filter(account_id=step.account_id, parent_id=step.parent_id)
    )
    for i, s in enumerate(siblings):  # renumber first so equal positions cannot stall a move
        s.position = i + 1
    index = next(i for i, s in enumerate(siblings) if s.pk == step.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
    for i, s in enumerate(siblings):
        s.position = i + 1
    ProcessStep.objects.bulk_update(siblings, ["position"])
    step.refresh_from_db()
    return step


def edit_step(actor: Actor, step: ProcessStep, *, title: str | None = None, detail: str | None = None) -> ProcessStep:
    """Rename a step or micro-step and/or change its detail; its place, micro-steps and pains stay."""
    return _edit_title_detail(actor, step, "step", title, detail)


def delete_step(actor: Actor, step: ProcessStep) -> None:
    """Deletes the step with its micro-steps and pains; linked feedback and themes stay."""
    actor.require(Role.MEMBER)
    _own(actor, step, "step")
    step.delete()


def parse_ids(value: str | Iterable[Any]) -> list[int]:
    """'#12, 15 #19' → [12, 15, 19]. Raises ValidationError on anything that is not an id."""
    tokens = [t for t in re.split(r"[\s,;]+", value) if t] if isinstance(value, str) else [str(t) for t in value]
    ids: list[int] = []
    for token in tokens:
        token = token.lstrip("#")
        if not token.isdigit():
            raise ValidationError({"feedback": f"“{token[:20]}” is not a feedback number (like #12)."})
        if int(token) not in ids:
            ids.append(int(token))
    if len(ids) > MAX_LINKS:
        raise ValidationError({"feedback": f"Link at most {MAX_LINKS} items to one pain."})
    return ids


@transaction.atomic
def add_pain(
    actor: Actor,
    step: ProcessStep,
    *,
    text: str,
    severity: int | str = StepPain.Severity.MAJOR,
    feedback_ids: Iterable[int] = (),
    theme_ids: Iterable[int] = (),
) -> StepPain:
    actor.require(Role.MEMBER)
    _own(actor, step, "step")
    text = _text(text, "text", 500)
    try:
        level = int(severity)
    except (TypeError, ValueError):
        level = 0
    if level not in StepPain.Severity.values:
        raise ValidationError({"severity": "Severity is 1 (minor), 2 (major) or 3 (blocking)."})
    feedback_ids, theme_ids = list(feedback_ids), list(theme_ids)
    feedback_model = StepPain._meta.get_field("feedback").related_model
    theme_model = StepPain._meta.get_field("themes").related_model
    items = list(feedback_model.objects.filter(workspace=actor.workspace, pk__in=feedback_ids))  # type: ignore[union-attr]
    if len(items) != len(set(feedback_ids)):
        missing = sorted(set(feedback_ids) - {i.pk for i in items})
        raise ValidationError({"feedback": f"No feedback #{', #'.join(map(str, missing))} in this workspace."})
    themes = list(theme_model.objects.filter(workspace=actor.workspace, pk__in=theme_ids))  # type: ignore[union-attr]
    if len(themes) != len(set(theme_ids)):
        raise ValidationError({"themes": "One of those themes is not in this workspace."})
    pain = StepPain.objects.create(workspace=actor.workspace, step=step, text=text, severity=level)
    if items:
        pain.feedback.set(items)
    if themes:
        pain.themes.set(themes)
    return pain


def delete_pain(actor: Actor, pain: StepPain) -> None:
    actor.require(Role.MEMBER)
    _own(actor, pain, "pain")
    pain.delete()


# --- reads ------------------------------------------------------------------------------------------


def _pain_score(pains: Iterable[StepPain]) -> tuple[int, int]:
    """(severity points, distinct linked feedback items)."""
    points = 0
    feedback: set[int] = set()
    for pain in pains:
        points += pain.severity
        feedback.update(f.pk for f in pain.feedback.all())
    return points, len(feedback)


def account_understanding(account: Account) -> dict[str, Any]:
    """Goals, jobs and the process map (steps → micro-steps → pains with links) for the account page."""
    steps = list(account.process_steps.prefetch_related("pains__feedback", "pains__themes").order_by("position", "id"))
    children: dict[int, list[ProcessStep]] = defaultdict(list)
    for s in steps:
        if s.parent_id:
            children[s.parent_id].append(s)
    process = []
    for number, step in enumerate((s for s in steps if s.parent_id is None), start=1):
        micro: list[dict[str, Any]] = [
            {"step": m, "number": f"{number}.{i}", "pains": list(m.pains.all())}
            for i, m in enumerate(children.get(step.pk, []), start=1)
        ]
        own_pains = list(step.pains.all())
        points, linked = _pain_score(own_pains + [p for m in micro for p in m["pains"]])
        process.append(
            {
                "step": step,
                "number": str(number),
                "pains": own_pains,
                "micro": micro,
                "pain_points": points,
                "linked_feedback": linked,
                "score": points + linked,
            }
        )
    theme_model: Any = StepPain._meta.get_field("themes").related_model
    return {
        "theme_choices": list(
            theme_model.objects.filter(workspace_id=account.workspace_id, merged_into__isnull=True)
            .order_by("name")
            .values("pk", "name")[:200]
        ),
        "goals": list(account.goals.all()),
        "jobs": list(account.jobs.all()),
        "process": process,
        "pain_severities": StepPain.Severity.choices,
    }


def normalise_title(title: str) -> str:
    return " ".join(title.lower().split())


def pain_by_step(workspace: Workspace, limit: int = 15) -> list[dict[str, Any]]:
    """Top-level steps grouped by title across accounts, most pain first (see the module docstring)."""
    steps = list(workspace.process_steps.select_related("account").prefetch_related("pains__feedback").order_by("id"))
    top_of: dict[int, ProcessStep] = {s.pk: s for s in steps if s.parent_id is None}
    groups: dict[str, dict[str, Any]] = {}
    for s in steps:
        top = top_of.get(s.parent_id or s.pk)
        if top is None:
            continue
        key = normalise_title(top.title)
        group = groups.setdefault(key, {"label": top.title, "points": 0, "feedback": set(), "pains": 0, "accounts": {}})
        group["accounts"][top.account_id] = top.account.name
        for pain in s.pains.all():
            group["points"] += pain.severity
            group["pains"] += 1
            group["feedback"].update(f.pk for f in pain.feedback.all())
    rows = []
    for group in groups.values():
        value = group["points"] + len(group["feedback"])
        if not value:
            continue
        accounts = sorted(group["accounts"].values())
        rows.append(
            {
                "label": group["label"],
                "value": value,
                "pains": group["pains"],
                "feedback": len(group["feedback"]),
                "accounts": accounts,
                "note": f"{len(accounts)} account{'s' if len(accounts) != 1 else ''}",
                "display": f"{value} ({group['pains']} pains, {len(group['feedback'])} feedback)",
            }
        )
    rows.sort(key=lambda r: (-r["value"], r["label"].lower()))
    return hbar_rows(rows[:limit])
