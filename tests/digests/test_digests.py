"""Weekly digest (sections per audience, empty workspace, idempotent sending) and the monthly pack."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from harken.conversations import services as conv_services
from harken.core.taskrun import run_pending_tasks
from harken.customers.models import Account
from harken.digests import digest, review, services
from harken.digests.models import DigestIssue
from harken.feedback.actions import create_feedback
from tests.base import World
from tests.notify.mailbox import Mailbox

MONDAY_9_UTC = dt.datetime(2026, 11, 9, 9, 30, tzinfo=dt.UTC)
LAST_WEEK = dt.date(2026, 11, 2)


def test_empty_workspace_gets_friendly_digest_or_is_skipped(world: World, mailbox: Mailbox) -> None:
    services.add_recipient(world.actor(world.alice), email="lead@alpha.test", audience="leadership")
    built = digest.build(world.alpha, LAST_WEEK)
    assert built.empty
    assert services.send_weekly_digests(MONDAY_9_UTC - dt.timedelta(hours=1)) == 0  # 08:30: too early
    assert services.send_weekly_digests(MONDAY_9_UTC) == 1
    assert services.send_weekly_digests(MONDAY_9_UTC + dt.timedelta(hours=1)) == 0  # once a week
    run_pending_tasks()
    [message] = mailbox.messages
    assert "(a quiet week)" in message["Subject"]
    assert "A quiet week" in message.get_body(("plain",)).get_content()
    # skipped by setting: the issue is recorded, nothing is sent
    services.update_settings(world.actor(world.alice), enabled=True, skip_when_empty=True)
    assert services.send_weekly_digests(MONDAY_9_UTC + dt.timedelta(days=7)) == 0
    assert DigestIssue.objects.get(week_start=LAST_WEEK + dt.timedelta(days=7)).skipped
    page = world.client_for(world.vera).get(reverse("digests:digest", kwargs={"ws": "alpha"}))
    assert page.status_code == 200 and "A quiet week" in page.content.decode()


def test_digest_sections_follow_the_audience(world: World, mailbox: Mailbox) -> None:
    bob = world.actor(world.bob)
    acme = Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.test", arr=90000)
    conv_services.create_conversation(
        bob,
        title="Acme interview",
        account=acme,
        happened_at=dt.datetime(2026, 11, 4, 15, tzinfo=dt.UTC),
        highlights=["We rebuild the monthly report by hand every single time"],
    )
    create_feedback(
        world.actor(world.charlie),
        text="Bravo's secret complaint about everything",
        received_at=dt.datetime(2026, 11, 4, tzinfo=dt.UTC),
    )
    services.add_recipient(world.actor(world.alice), email="sales@alpha.test", audience="sales")
    services.add_recipient(world.actor(world.alice), email="mkt@alpha.test", audience="marketing")
    services.add_recipient(world.actor(world.alice), email="bravo-spy@bravo.test", audience="team")  # Alpha's own list
    assert services.send_weekly_digests(MONDAY_9_UTC) == 1
    run_pending_tasks()
    by_to = {m["To"]: m.get_body(("plain",)).get_content() for m in mailbox.messages}
    assert set(by_to) == {"sales@alpha.test", "mkt@alpha.test", "bravo-spy@bravo.test"}
    assert (
        "QUOTES OF THE WEEK" in by_to["sales@alpha.test"] and "rebuild the monthly report" in by_to["sales@alpha.test"]
    )
    assert "DECISIONS MADE" not in by_to["mkt@alpha.test"]
    assert all("Bravo's secret" not in body for body in by_to.values())
    assert "1 customer conversations" in by_to["mkt@alpha.test"]


def test_review_pack_samples_counts_csv_and_signoff(world: World) -> None:
    bob = world.actor(world.bob)
    ent = Account.objects.create(workspace=world.alpha, name="Big", domain="big.test", segment="Enterprise")
    for day in range(1, 8):
        create_feedback(
            bob, text=f"October complaint {day}", account=ent, received_at=dt.datetime(2026, 10, day, 12, tzinfo=dt.UTC)
        )
    create_feedback(bob, text='=HYPERLINK("http://evil")', received_at=dt.datetime(2026, 10, 9, 12, tzinfo=dt.UTC))
    create_feedback(bob, text="September one", received_at=dt.datetime(2026, 9, 9, 12, tzinfo=dt.UTC))
    month = dt.date(2026, 10, 1)
    data = review.pack(world.alpha, month)
    assert (data["total"], data["previous_total"]) == (8, 1)
    segments = {r["label"]: (r["value"], r["previous"]) for r in data["segments"]}
    assert segments == {"Enterprise": (7, 0), "No segment": (1, 1)}
    enterprise = next(g for t in data["samples"] for g in t["groups"] if g["segment"] == "Enterprise")
    assert len(enterprise["items"]) == 3 and enterprise["count"] == 7
    assert review.pack(world.alpha, month)["samples"] == data["samples"]  # the same sample for everyone
    client = world.client_for(world.vera)
    response = client.get(reverse("digests:review_csv", kwargs={"ws": "alpha"}) + "?month=2026-10")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["section"] == "total" and rows[0]["this_month"] == "8"
    verbatims = [r for r in rows if r["section"] == "verbatim"]
    assert len(verbatims) == 4 and any(r["verbatim"].startswith("'=HYPERLINK") for r in verbatims)
    printed = client.get(reverse("digests:review_print", kwargs={"ws": "alpha"}) + "?month=2026-10")
    assert "raw-data review, October 2026" in printed.content.decode()
    client.post(reverse("digests:review_signoff", kwargs={"ws": "alpha"}), {"month": "2026-10", "note": "Read it"})
    page = client.get(reverse("digests:review", kwargs={"ws": "alpha"}) + "?month=2026-10").content.decode()
    assert "Vera Viewer" in page and "Read it" in page
    assert world.client_for(world.charlie).get(reverse("digests:review_csv", kwargs={"ws": "alpha"})).status_code == 404


def test_digest_and_review_api_are_scoped_to_the_token(world: World) -> None:
    import json

    from django.test import Client

    from tests.base import make_token

    create_feedback(
        world.actor(world.bob),
        text="Alpha only: the export button is hidden",
        received_at=dt.datetime(2026, 11, 3, tzinfo=dt.UTC),
    )

    def get(ws, user, path):  # type: ignore[no-untyped-def]
        token = make_token(ws, user)
        return json.loads(Client().get("/api/digests" + path, HTTP_AUTHORIZATION=f"Bearer {token}").content)

    alpha = get(world.alpha, world.bob, "/weekly?week=2026-11-03")
    assert alpha["week_start"] == "2026-11-02" and alpha["new_feedback"] == 1
    assert any("export button" in r["title"] for s in alpha["sections"] for r in s["rows"])
    bravo = get(world.bravo, world.charlie, "/weekly?week=2026-11-03")
    assert bravo["new_feedback"] == 0 and bravo["empty"]
    assert get(world.alpha, world.bob, "/review?month=2026-11")["total"] == 1
    assert get(world.bravo, world.charlie, "/review?month=2026-11")["total"] == 0
    assert get(world.alpha, world.bob, "/weekly?audience=nonsense")["audience"] == "team"


def test_last_month_is_read_in_the_workspace_time_zone(world: World) -> None:
    """23:30 UTC on 31 October is already November in Berlin: last month there is October."""
    late = dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC)
    assert review.last_month(world.alpha, late) == dt.date(2026, 9, 1)
    world.alpha.timezone = "Europe/Berlin"
    world.alpha.save(update_fields=["timezone"])
    assert review.last_month(world.alpha, late) == dt.date(2026, 10, 1)
    assert review.local_today(world.alpha, late) == dt.date(2026, 11, 1)


@pytest.mark.slow
def test_demo_signs_off_the_month_before_its_own_clock(db: None) -> None:
    """The demo dates last month's sign-offs and last week's decisions from the `now` it was given, not
    the wall clock: a load at 23:59 on the last day of a month, read after midnight, still matches the
    month and week a caller computes from that same `now` (the browser test pins both)."""
    from harken.demo.loader import load_demo
    from harken.digests.models import ReviewSignoff
    from harken.triage.models import Triage

    now = dt.datetime(2026, 3, 31, 23, 59, tzinfo=dt.UTC)
    ws = load_demo(items=40, now=now).workspace
    months = set(ReviewSignoff.objects.filter(workspace=ws).values_list("month", flat=True))
    assert months == {review.last_month(ws, now)} == {dt.date(2026, 2, 1)}
    week = digest.week_of(review.local_today(ws, now)) - dt.timedelta(days=7)
    start, end = digest.bounds(ws, week)
    decided = Triage.objects.filter(workspace=ws, decided_at__gte=start, decided_at__lt=end, decision="planned")
    assert decided.exists()
