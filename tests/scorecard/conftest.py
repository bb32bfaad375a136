"""A small constructed dataset in Alpha whose every scorecard metric is computed by hand below."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from harken.conversations.models import Conversation
from harken.customers.models import Account
from harken.feedback.models import Feedback
from harken.roadmap.models import DelayNotice, Evidence, Promise, PromiseStatus, RoadmapItem, SlipReason
from harken.triage.models import Note, Triage
from tests.base import World


@dataclass
class Data:
    world: World
    base: dt.datetime

    @property
    def now(self) -> dt.datetime:
        """The moment the hand-computed values hold: the data's base (see `scorecard_data`)."""
        return self.base


def _triage(world: World, base: dt.datetime, received: float, due: float | None, **kw: Any) -> Triage:
    fb = Feedback.objects.create(
        workspace=world.alpha, text="x", product_line=world.alpha_line, received_at=base - dt.timedelta(days=received)
    )
    return Triage.objects.create(
        workspace=world.alpha,
        feedback=fb,
        assignee=world.bob,
        received_at=base - dt.timedelta(days=received),
        due_at=None if due is None else base - dt.timedelta(days=due),
        **kw,
    )


@pytest.fixture
def scorecard_data(world: World) -> Data:
    """Alpha: bob manages Mobile (one PM × line pair). Hand-computed values, last 12 weeks:

    The base is this week's Monday 00:00 UTC (Alpha's time zone), so the card's window — 12 weeks
    back from the current week's Monday to now — is exactly [base − 84 days, base) at `now = base`,
    and the same rows (plus nothing newer) whenever the page is read later this week. Rows whose
    creation time the metrics read are dated a day before the base.

    conversations   4 on the pair / (1 pair × 12 weeks)                = 1/3 a week
    sla             t1 on time, t2 late, t3 overdue (t4 not yet due, t5 no reply needed) = 1/3
    decided         t1, t2, t5 of t1…t5                                = 3/5
    time_to_decision median of 2, 4, 1 days                           = 2 days
    promises_kept   p1 kept on time of p1, p2, p3 (p4 not due, p5 withdrawn) = 1/3
    notices_in_time p2 warned before its date, p3 warned after          = 1/2
    evidence        item with evidence of 2 live items (one deleted)    = 1/2
    talk            cue, name (Acme), quote of 5 texts                  = 3/5
    """
    w = world
    d = dt.timedelta
    today = timezone.now().date()
    base = dt.datetime.combine(today - d(days=today.weekday()), dt.time(0, 0), tzinfo=dt.UTC)
    before = base - d(days=1)
    w.alpha_line.managers.add(w.bob)
    acme = Account.objects.create(workspace=w.alpha, name="Acme Corp", arr=120000)

    def conv(days: float, owner: Any, line: Any = w.alpha_line, members: tuple[Any, ...] = ()) -> None:
        c = Conversation.objects.create(
            workspace=w.alpha, title="c", happened_at=base - d(days=days), owner=owner, product_line=line
        )
        c.members.set(members)

    conv(1, w.bob)
    conv(10, w.bob)
    conv(20, w.bob)
    conv(30, w.alice, members=(w.bob,))  # attended: counts for bob
    conv(5, w.bob, line=None)  # no product line: not on the pair
    conv(6, w.alice)  # alice manages nothing
    conv(100, w.bob)  # before the window (starts the trend)
    Conversation.objects.create(workspace=w.bravo, title="b", happened_at=base - d(days=2), product_line=w.bravo_line)

    t1 = _triage(w, base, 5, 4, first_response_at=base - d(days=4.5), decision="planned", decided_at=base - d(days=3))
    t2 = _triage(
        w,
        base,
        6,
        5,
        first_response_at=base - d(days=4),
        decision="not_now",
        decision_reason="Acme Corp needs this for the audit",
        decided_at=base - d(days=2),
        decided_by=w.bob,
    )
    _triage(w, base, 7, 6)
    _triage(w, base, 1 / 24, -1)
    _triage(w, base, 2, None, needs_response=False, decision="answered", decided_at=base - d(days=1))
    bravo_fb = Feedback.objects.create(workspace=w.bravo, text="y")
    Triage.objects.create(
        workspace=w.bravo, feedback=bravo_fb, received_at=base - d(days=3), due_at=base - d(days=2), decision="planned"
    )

    Note.objects.create(workspace=w.alpha, triage=t1, author=w.bob, body="Customer wants a CSV export")
    Note.objects.create(workspace=w.alpha, triage=t2, author=w.bob, body="Fix CI before the release")
    Note.objects.filter(workspace=w.alpha).update(created_at=before)

    item = RoadmapItem.objects.create(
        workspace=w.alpha, title="Sync", product_line=w.alpha_line, owner=w.bob, description="Refactor the sync engine"
    )
    Evidence.objects.create(workspace=w.alpha, item=item, kind="account", account=acme)
    RoadmapItem.objects.create(
        workspace=w.alpha,
        title="Export",
        product_line=w.alpha_line,
        owner=w.bob,
        description='Quote: "we export every Monday by hand"',
    )
    gone = RoadmapItem.objects.create(workspace=w.alpha, title="Gone", deleted_at=base - d(hours=1))
    Evidence.objects.create(workspace=w.alpha, item=gone, kind="account", account=acme)
    RoadmapItem.objects.create(workspace=w.bravo, title="Bravo item")
    RoadmapItem.objects.filter(workspace=w.alpha).update(created_at=before)
    Evidence.objects.filter(workspace=w.alpha).update(created_at=before)

    def promise(days: int, status: str = PromiseStatus.OPEN, on_time: bool | None = None) -> Promise:
        date = (base - d(days=days)).date()
        return Promise.objects.create(
            workspace=w.alpha,
            item=item,
            account=acme,
            target_date=date,
            original_target_date=date,
            made_by=w.bob,
            status=status,
            kept_on_time=on_time,
        )

    promise(10, PromiseStatus.KEPT, True)
    p2 = promise(20, PromiseStatus.KEPT, False)
    p3 = promise(5)
    promise(-10)
    promise(15, PromiseStatus.WITHDRAWN)

    def notice(p: Promise, sent_days_ago: int) -> None:
        DelayNotice.objects.create(
            workspace=w.alpha,
            promise=p,
            reason=SlipReason.DATE_PASSED,
            detected_for=p.original_target_date,
            subject="Late",
            body="Sorry",
            status="sent",
            sent_at=base - d(days=sent_days_ago),
        )

    notice(p2, 22)
    notice(p3, 3)
    return Data(w, base)
