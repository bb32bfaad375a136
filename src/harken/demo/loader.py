"""Write the demo data set into the database: `harken demo` and `manage.py load_demo`.

Idempotent: an existing demo workspace is left alone unless `reset=True`, which deletes and
rebuilds it. The whole load is one transaction, so an interrupted load leaves nothing behind.
Feedback is bulk-inserted (dedupe_key `demo:<n>`) for speed, not through `create_feedback`; apps
that derive data from feedback (triage rows, embeddings, themes) and apps with their own demo data
do their part in a `harken.<app>.demo.after_demo_load(workspace)` hook.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from importlib import import_module
from importlib.util import find_spec

from django.db import transaction
from django.utils import timezone

from harken.accounts.models import User
from harken.core.registry import HARKEN_APPS
from harken.customers.models import Account, Contact
from harken.demo import story
from harken.demo.generator import DEFAULT_CONTACTS, DEFAULT_ITEMS, DEFAULT_SEED, DemoData, generate
from harken.feedback.models import Feedback, Tag
from harken.workspaces.access import Actor
from harken.workspaces.models import Membership, ProductLine, Role, Workspace

log = logging.getLogger(__name__)

DEMO_USER_EMAIL = "demo@harken.local"
DEMO_USER_NAME = "Dana Demo"
DEMO_PASSWORD = "harken-demo"
DEMO_WORKSPACE_NAME = "Acme Analytics"
DEMO_WORKSPACE_SLUG = "acme-analytics"
PRODUCT_LINES = [
    ("Dashboards", "Dashboards, charts, filters, sharing and scheduled reports."),
    ("Data Pipelines", "Connectors, syncs and transformations that feed the warehouse."),
    ("Mobile App", "The iOS and Android apps and their home-screen widgets."),
]
# (email, name, product line they manage); they sign in with DEMO_PASSWORD too.
TEAMMATES = [
    ("maya.chen@harken.local", "Maya Chen", "Dashboards"),
    ("tomas.okafor@harken.local", "Tomás Okafor", "Data Pipelines"),
    ("sofia.reyes@harken.local", "Sofia Reyes", "Mobile App"),
]

Progress = Callable[[str, int, int], None]


@dataclass
class DemoResult:
    workspace: Workspace
    created: bool
    accounts: int
    contacts: int
    feedback: int
    queued_tasks: int = 0


def _noop(step: str, done: int, total: int) -> None:
    return None


def ensure_user(email: str, name: str) -> User:
    """Create the user, or reset its password to the documented one so the login always works."""
    user = User.objects.filter(email=email).first()
    if user is None:
        return User.objects.create_user(email=email, password=DEMO_PASSWORD, name=name)
    if not user.check_password(DEMO_PASSWORD) or not user.is_active:
        user.set_password(DEMO_PASSWORD)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
    return user


def find_demo_workspace(owner: User) -> Workspace | None:
    return (
        Workspace.objects.filter(name=DEMO_WORKSPACE_NAME, memberships__user=owner, memberships__role=Role.OWNER)
        .order_by("pk")
        .first()
    )


def load_demo(
    *,
    items: int = DEFAULT_ITEMS,
    contacts: int = DEFAULT_CONTACTS,
    reset: bool = False,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> DemoResult:
    report = progress or _noop
    if items < 10:
        raise ValueError("The demo needs at least 10 feedback items.")
    with transaction.atomic():
        report("Demo users", 0, 1 + len(TEAMMATES))
        owner = ensure_user(DEMO_USER_EMAIL, DEMO_USER_NAME)
        team = [owner]
        for i, (email, name, _line) in enumerate(TEAMMATES, start=2):
            team.append(ensure_user(email, name))
            report("Demo users", i, 1 + len(TEAMMATES))

        existing = find_demo_workspace(owner)
        if existing is not None and not reset:
            return DemoResult(
                workspace=existing,
                created=False,
                accounts=existing.accounts.count(),
                contacts=existing.contacts.count(),
                feedback=existing.feedback_items.count(),
            )
        if existing is not None:
            report("Removing the old demo workspace", 0, 1)
            existing.delete()

        data = generate(
            items, contacts=contacts, seed=seed, now=now, pm_first_names=[n.split()[0] for _, n, _ in TEAMMATES]
        )
        workspace = _create_workspace(owner, team)
        accounts = _create_accounts(workspace, data, team, report)
        _create_segments(workspace, owner)
        people = _create_contacts(workspace, data, accounts, report)
        count = _create_feedback(workspace, data, accounts, people, owner, report)
        report("A year of triage, replies and merges", 0, 1)
        story.begin(now=(now or timezone.now()).replace(microsecond=0), seed=seed, drafts=data.feedback)
        try:
            queued = _after_load(workspace)
        finally:
            story.end()
        report("A year of triage, replies and merges", 1, 1)
    return DemoResult(
        workspace=workspace,
        created=True,
        accounts=len(accounts),
        contacts=len(people),
        feedback=count,
        queued_tasks=queued,
    )


def _unique_slug() -> str:
    slug, n = DEMO_WORKSPACE_SLUG, 2
    while Workspace.objects.filter(slug=slug).exists():
        slug, n = f"{DEMO_WORKSPACE_SLUG}-{n}", n + 1
    return slug


def _create_workspace(owner: User, team: list[User]) -> Workspace:
    workspace = Workspace.objects.create(name=DEMO_WORKSPACE_NAME, slug=_unique_slug())
    Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
    for user in team[1:]:
        Membership.objects.create(workspace=workspace, user=user, role=Role.ADMIN)
    managers = {line: team[i] for i, (_, _, line) in enumerate(TEAMMATES, start=1)}
    for name, description in PRODUCT_LINES:
        line = ProductLine.objects.create(
            workspace=workspace, name=name, slug=name.lower().replace(" ", "-"), description=description
        )
        line.managers.add(managers[name])
    return workspace


def _create_accounts(workspace: Workspace, data: DemoData, team: list[User], report: Progress) -> list[Account]:
    report("Accounts", 0, len(data.accounts))
    rows = [
        Account(
            workspace=workspace,
            name=a.name,
            domain=a.domain,
            plan=a.plan,
            segment=a.segment,
            lifecycle_stage=a.lifecycle_stage,
            # A churned customer pays nothing any more: no ARR (what it paid is in the notes).
            arr=Decimal(0 if a.lifecycle_stage == "churned" else a.arr),
            renewal_date=a.renewal_date,
            owner=team[a.owner_index % len(team)],
            notes=f"{a.industry}. Demo account."
            + (
                f" Churned on {a.renewal_date:%d %b %Y} (was ${a.arr:,} ARR)."
                if a.lifecycle_stage == "churned" and a.renewal_date
                else ""
            ),
        )
        for a in data.accounts
    ]
    created = Account.objects.bulk_create(rows)
    report("Accounts", len(created), len(created))
    return created


def _create_segments(workspace: Workspace, owner: User) -> None:
    """Saved segments through the customers service, so they are valid by its own rules."""
    from harken.customers.actions import create_segment

    actor = Actor(workspace=workspace, user=owner, role=Role.OWNER)
    for name, description, weight, filters in [
        ("Enterprise", "Our largest customers.", 3.0, {"segment": "Enterprise"}),
        ("Mid-market", "Growing companies on Business plans.", 2.0, {"segment": "Mid-market"}),
        ("SMB", "Small teams on Starter and Team plans.", 1.0, {"segment": "SMB"}),
        ("At risk", "Accounts the CS team flagged.", 2.0, {"lifecycle_stage": "at_risk"}),
        (
            "Renewing in 90 days",
            "Renewals coming up this quarter.",
            2.5,
            {"renewal_within_days": 90},  # relative: stays "the next 90 days"
        ),
    ]:
        create_segment(actor, {"name": name, "description": description, "weight": weight, "filters": filters})


def _create_contacts(workspace: Workspace, data: DemoData, accounts: list[Account], report: Progress) -> list[Contact]:
    report("Contacts", 0, len(data.contacts))
    rows = [
        Contact(workspace=workspace, account=accounts[c.account_index], name=c.name, email=c.email, title=c.title)
        for c in data.contacts
    ]
    created = Contact.objects.bulk_create(rows)
    report("Contacts", len(created), len(created))
    return created


def _create_feedback(
    workspace: Workspace,
    data: DemoData,
    accounts: list[Account],
    people: list[Contact],
    owner: User,
    report: Progress,
) -> int:
    lines = {line.name: line for line in workspace.product_lines.all()}
    tag_names = sorted({tag for draft in data.feedback for tag in draft.tags})
    tags = {t.name: t for t in Tag.objects.bulk_create([Tag(workspace=workspace, name=n) for n in tag_names])}
    total = len(data.feedback)
    batch = 500
    through = Feedback.tags.through
    done = 0
    report("Feedback", 0, total)
    for start in range(0, total, batch):
        drafts = data.feedback[start : start + batch]
        rows = []
        for d in drafts:
            contact = account = None
            if d.contact_index is not None:
                contact = people[d.contact_index]
                account = accounts[data.contacts[d.contact_index].account_index]
            rows.append(
                Feedback(
                    workspace=workspace,
                    title=d.title[:300],
                    text=d.text,
                    channel=d.channel,
                    contact=contact,
                    account=account,
                    author_email=d.author_email,
                    author_name=d.author_name,
                    product_line=lines.get(d.product_line or ""),
                    received_at=d.received_at,
                    dedupe_key=f"demo:{d.n}",
                    raw_payload=d.raw_payload(),
                    raw_content_type="application/json",
                    created_by=owner if d.channel in {"manual", "conversation"} else None,
                    # It reached Harken when it was received (the team has used Harken all year).
                    created_at=d.received_at,
                    updated_at=d.received_at,
                )
            )
        with story.keep_timestamps(Feedback):
            created = Feedback.objects.bulk_create(rows)
        links = [
            through(feedback_id=item.pk, tag_id=tags[name].pk)
            for item, d in zip(created, drafts, strict=True)
            for name in d.tags
        ]
        through.objects.bulk_create(links)
        done += len(created)
        report("Feedback", done, total)
    return done


def _after_load(workspace: Workspace) -> int:
    """Let other apps build on the demo through their `after_demo_load` hooks (triage opens the
    items' rows, insight queues embedding, classification and themes)."""
    queued = 0
    for app in HARKEN_APPS:
        if find_spec(f"harken.{app}.demo"):
            hook = getattr(import_module(f"harken.{app}.demo"), "after_demo_load", None)
            if callable(hook):
                result = hook(workspace)
                queued += result if isinstance(result, int) else 0
    story.settle_late_arrivals(workspace)  # what those hooks added, dealt with as the team would have
    log.debug("Demo workspace %s loaded at %s", workspace.slug, timezone.now().isoformat())
    return queued
