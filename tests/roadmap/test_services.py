from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from harken.insight.services import merge
from harken.roadmap import actions, promises, queries
from harken.roadmap import statuses as st
from harken.roadmap.models import NoticeStatus, PromiseStatus, SlipReason
from harken.workspaces.access import Actor
from tests.base import World
from tests.roadmap.helpers import account, contact, feedback, item

pytestmark = pytest.mark.django_db


def test_defaults_apply_without_rows_and_custom_statuses_take_over(world: World) -> None:
    assert [s.key for s in st.statuses(world.alpha)][:3] == ["idea", "under_consideration", "planned"]
    assert not world.alpha.roadmap_statuses.exists()  # reading created nothing
    alice = world.actor(world.alice)
    st.save_status(alice, label="Beta", colour="#0ea5e9", kind="active", on_roadmap=True)
    keys = [s.key for s in st.statuses(world.alpha)]
    assert "beta" in keys and "shipped" in keys and len(keys) == 7
    with pytest.raises(ValidationError):
        st.save_status(alice, label="Bad", colour="red", kind="active", on_roadmap=True)
    with pytest.raises(PermissionDenied):
        st.save_status(world.actor(world.bob), label="X", colour="#000000", kind="open", on_roadmap=False)


def test_reach_and_revenue_from_evidence_count_merged_duplicates_once(world: World) -> None:
    ws = world.alpha
    acme = account(ws, "Acme", arr=120_000, domain="acme.test")
    globex = account(ws, "Globex", arr=30_000, domain="globex.test")
    a = feedback(ws, "Offline mode please", email="pat@acme.test")
    b = feedback(ws, "We need offline", email="sam@acme.test")  # same account
    c = feedback(ws, "Offline!", email="lee@globex.test")
    d = feedback(ws, "offline", email="someone@gmail.test")  # no account
    merge(Actor.system(ws), a, c)  # c merged into a: Globex arrives through a
    roadmap_item = item(ws)
    bob = world.actor(world.bob)
    actions.link_evidence(bob, roadmap_item, a)
    actions.link_evidence(bob, roadmap_item, b)
    actions.link_evidence(bob, roadmap_item, c)  # linked too: still counted once
    actions.link_evidence(bob, roadmap_item, d)
    actions.link_evidence(bob, roadmap_item, acme)
    reach = queries.reach_for(ws, [roadmap_item])[roadmap_item.pk]
    assert reach.accounts == {acme.pk, globex.pk}
    assert reach.anonymous_emails == {"someone@gmail.test"}
    assert reach.customers == 3
    assert reach.arr == 150_000
    assert len(reach.requests) == 3  # a (with c folded in), b, d
    score = queries.score_of(roadmap_item, reach)
    assert score.rice == pytest.approx(3 * 1 * 0.8 / 1)
    assert "reach 3" in score.explanation


def test_evidence_of_another_workspace_is_refused(world: World) -> None:
    other = feedback(world.bravo, "Bravo's item")
    with pytest.raises(ValidationError):
        actions.link_evidence(world.actor(world.bob), item(world.alpha), other)


def test_promise_validation_past_dates_deleted_items_and_outsiders(world: World) -> None:
    ws = world.alpha
    bob = world.actor(world.bob)
    acme = account(ws, "Acme")
    roadmap_item = item(ws)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        promises.make_promise(bob, roadmap_item, target_date=yesterday, account=acme)
    assert "past" in str(exc.value)
    with pytest.raises(ValidationError):
        promises.make_promise(bob, roadmap_item, target_date=timezone.localdate(), account=account(world.bravo, "B"))
    actions.delete_item(bob, roadmap_item)
    with pytest.raises(ValidationError) as exc:
        promises.make_promise(bob, roadmap_item, target_date=timezone.localdate(), account=acme)
    assert "deleted" in str(exc.value)
    with pytest.raises(PermissionDenied):
        promises.make_promise(world.actor(world.vera), item(ws), target_date=timezone.localdate(), account=acme)


def test_slips_are_detected_once_and_sending_moves_the_promise(world: World, mailbox) -> None:  # type: ignore[no-untyped-def]
    from harken.core.taskrun import run_pending_tasks

    ws = world.alpha
    bob = world.actor(world.bob)
    acme = account(ws, "Acme")
    pat = contact(ws, "pat@acme.test", "Pat Doe", acme)
    today = timezone.localdate()
    roadmap_item = item(ws, status="planned")
    promise = promises.make_promise(bob, roadmap_item, target_date=today + dt.timedelta(days=30), contact=pat)
    assert promise.account == acme
    assert promises.detect_slips(ws, today) == []  # far away and nothing moved
    # 10 days before, not in progress: "close" is 14 days by default
    (notice,) = promises.detect_slips(ws, today + dt.timedelta(days=20))
    assert notice.reason == SlipReason.NOT_STARTED and notice.to_email == "pat@acme.test"
    assert promises.detect_slips(ws, today + dt.timedelta(days=21)) == []  # one draft at a time
    promises.dismiss_notice(bob, notice)
    assert promises.detect_slips(ws, today + dt.timedelta(days=21)) == []  # same slip: not again
    # the date passes
    (late,) = promises.detect_slips(ws, today + dt.timedelta(days=31))
    assert late.reason == SlipReason.DATE_PASSED
    with pytest.raises(ValidationError):
        promises.send_notice(bob, late, revised_date=today - dt.timedelta(days=1))
    revised = today + dt.timedelta(days=60)
    sent = promises.send_notice(bob, late, revised_date=revised, explanation="The sync engine needs a rewrite.")
    assert sent.status == NoticeStatus.SENT
    run_pending_tasks()
    (message,) = mailbox.messages
    assert revised.strftime("%-d %B %Y") in message.get_content()
    assert "sync engine" in message.get_content()
    promise.refresh_from_db()
    assert promise.target_date == revised and promise.original_target_date == today + dt.timedelta(days=30)
    with pytest.raises(ValidationError):
        promises.send_notice(bob, sent)  # never twice
    m = promises.metrics(ws, today)
    assert m["notices_sent"] == 1


def test_item_date_moving_later_is_a_slip_and_shipping_keeps_promises(world: World) -> None:
    ws = world.alpha
    bob = world.actor(world.bob)
    acme = account(ws, "Acme")
    today = timezone.localdate()
    roadmap_item = item(ws, status="in_progress", target_date=today + dt.timedelta(days=40))
    promise = promises.make_promise(bob, roadmap_item, target_date=today + dt.timedelta(days=45), account=acme)
    actions.update_item(bob, roadmap_item, target_date=today + dt.timedelta(days=70))
    (notice,) = promises.detect_slips(ws, today)
    assert notice.reason == SlipReason.ITEM_MOVED and notice.revised_date == today + dt.timedelta(days=70)
    actions.change_status(bob, roadmap_item, "shipped")
    promise.refresh_from_db()
    assert promise.status == PromiseStatus.KEPT and promise.kept_on_time
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.DISMISSED
    assert promises.metrics(ws, today)["kept_on_time"] == 1


def test_daily_job_drafts_and_auto_sends_when_the_workspace_chooses(world: World, mailbox) -> None:  # type: ignore[no-untyped-def]
    from harken.core.scheduling import jobs
    from harken.core.taskrun import run_pending_tasks
    from harken.roadmap.tasks import detect_all_slips

    assert "roadmap.detect_slips" in {job.name for job in jobs()}
    ws = world.alpha
    st.update_settings(world.actor(world.alice), auto_send_delay_notices=True, close_days=7)
    acme = account(ws, "Acme")
    contact(ws, "pat@acme.test", "Pat Doe", acme)
    today = timezone.localdate()
    roadmap_item = item(ws, status="planned", target_date=today + dt.timedelta(days=20))
    promises.make_promise(world.actor(world.bob), roadmap_item, target_date=today + dt.timedelta(days=5), account=acme)
    item(world.bravo)  # other workspaces are checked too, and stay apart
    detect_all_slips.enqueue()
    run_pending_tasks()
    (notice,) = ws.roadmap_delay_notices.all()
    assert notice.status == NoticeStatus.SENT and notice.revised_date == today + dt.timedelta(days=20)
    (message,) = mailbox.messages
    assert message["To"] == "pat@acme.test"
    assert (today + dt.timedelta(days=20)).strftime("%-d %B %Y") in message.get_content()
    assert promises.metrics(ws, today)["notices_before"] == 1
