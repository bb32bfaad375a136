"""Demo hook: a believable roadmap for the demo workspace (called by harken.demo.loader).

~20 items across statuses and product lines, evidence from the demo feedback (matched by title) and
accounts, themes linked once insight has built them (a queued task), promises (kept, open, slipped
with drafted and sent delay notices), a published changelog, a sneak preview, a public roadmap and a
paused outgoing webhook with a delivery log.

Dated like a year of use (`_backdate`, `_history`): items were added over the past ten months and
their evidence linked after them (most of it early, some only recently, so the share of items
backed by evidence rises over the year); a promise history over the past six months was kept on
time or late, with delay notices sent before or after the promised day — so the scorecard's
roadmap metrics have a trend.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from harken.roadmap import actions, promises, public
from harken.roadmap.models import (
    DelayNotice,
    Evidence,
    NoticeStatus,
    Promise,
    PromiseStatus,
    RoadmapSettings,
    SlipReason,
)
from harken.workspaces.access import Actor

# (title, product line, status, title pattern for evidence, impact, confidence, effort, fit, target in days, public, release)
ITEMS: list[tuple[str, str | None, str, str, str, int, float, int, int | None, bool, str]] = [
    (
        "CSV and Excel export for every dashboard",
        "Dashboards",
        "shipped",
        r"export|csv",
        "2",
        100,
        1.5,
        3,
        -20,
        True,
        "v4.2",
    ),
    ("Faster dashboard loading", "Dashboards", "in_progress", r"slow|load", "3", 80, 4, 3, 25, True, "v4.4"),
    ("Dark mode", "Dashboards", "planned", r"dark mode", "0.5", 80, 1, 1, 70, True, "v4.5"),
    ("Scheduled dashboard emails", "Dashboards", "shipped", r"schedul", "1", 100, 2, 2, -45, True, "v4.1"),
    (
        "Custom chart colours and themes",
        "Dashboards",
        "under_consideration",
        r"colou?r|chart",
        "0.5",
        50,
        1,
        1,
        None,
        True,
        "",
    ),
    (
        "Keep filters when navigating back",
        "Dashboards",
        "in_progress",
        r"filters? reset|go back",
        "1",
        100,
        0.5,
        2,
        6,
        False,
        "v4.4",
    ),
    ("Blank scheduled report emails fix", "Dashboards", "shipped", r"blank", "2", 100, 0.5, 2, -5, True, "v4.3.1"),
    ("Pipeline failure alerts", "Data Pipelines", "in_progress", r"alert|fail", "2", 80, 2, 3, 10, True, "Q3"),
    (
        "More connectors (HubSpot, NetSuite, Shopify)",
        "Data Pipelines",
        "planned",
        r"connector",
        "1",
        80,
        3,
        2,
        90,
        True,
        "Q4",
    ),
    (
        "Handle schema drift without breaking",
        "Data Pipelines",
        "planned",
        r"schema|new column",
        "2",
        80,
        2,
        2,
        40,
        True,
        "Q3",
    ),
    (
        "Near-real-time syncs",
        "Data Pipelines",
        "under_consideration",
        r"stale|latency|sync",
        "1",
        50,
        5,
        2,
        None,
        True,
        "",
    ),
    (
        "Re-run failed pipeline runs",
        "Data Pipelines",
        "shipped",
        r"re-?run|backfill",
        "1",
        100,
        1,
        2,
        -60,
        True,
        "v3.9",
    ),
    ("Public API rate-limit dashboard", "Data Pipelines", "idea", r"rate limit", "0.5", 50, 1, 1, None, False, ""),
    ("Offline mode for the mobile app", "Mobile App", "planned", r"offline", "2", 80, 5, 3, 21, True, "Mobile 3.0"),
    (
        "Fix crash on launch (Android 14)",
        "Mobile App",
        "shipped",
        r"crash",
        "3",
        100,
        0.5,
        3,
        -10,
        True,
        "Mobile 2.8.2",
    ),
    (
        "Push notifications for KPI alerts",
        "Mobile App",
        "under_consideration",
        r"push|notification",
        "1",
        50,
        2,
        2,
        None,
        True,
        "",
    ),
    (
        "Stay signed in on mobile",
        "Mobile App",
        "in_progress",
        r"logged out|sign",
        "1",
        80,
        1,
        2,
        15,
        True,
        "Mobile 2.9",
    ),
    ("SAML single sign-on", None, "planned", r"saml|sso", "2", 80, 3, 2, 35, True, "Enterprise"),
    ("Slack integration", None, "in_progress", r"slack", "1", 80, 2, 2, 12, True, "Q3"),
    ("Row-level permissions", None, "under_consideration", r"permission|row-level", "2", 50, 6, 2, None, False, ""),
    ("Cheaper plan for small teams", None, "wont_do", r"pricing|price|expensive", "1", 50, 1, 0, None, False, ""),
]


def after_demo_load(workspace: Any) -> int:
    """Build the demo roadmap; queue the theme links for after insight has built its themes."""
    from harken.roadmap.tasks import link_demo_themes

    if workspace.roadmap_items.exists():
        return 0
    with transaction.atomic():
        _build(workspace)
        _serve_goals(workspace)
        link_demo_themes.enqueue(workspace.pk)
    return 1


def _build(ws: Any) -> None:
    today = timezone.localdate()
    actor = Actor.system(ws)
    lines = {line.name: line for line in ws.product_lines.prefetch_related("managers")}
    owner_of = {name: line.managers.first() for name, line in lines.items()}
    default_owner = ws.memberships.filter(role="owner").select_related("user").first()
    RoadmapSettings.objects.update_or_create(workspace=ws, defaults={"public_roadmap": True})
    feedback = list(ws.feedback_items.filter(merged_into__isnull=True).values("pk", "title", "account_id"))
    items = {}
    for title, line, status, pattern, impact, confidence, effort, fit, days, is_public, release in ITEMS:
        target = today + dt.timedelta(days=days) if days is not None and days >= 0 else None
        item = actions.create_item(
            actor,
            title=title,
            status=status,
            product_line=lines.get(line or ""),
            owner=owner_of.get(line or "") or (default_owner.user if default_owner else None),
            target_release=release,
            target_date=target,
            public=is_public,
            public_description=f"**{title}.** We heard this from many of you." if is_public else "",
            impact=impact,
            confidence=confidence,
            effort=effort,
            value_fit=fit,
        )
        if days is not None and days < 0:  # shipped in the past: keep its real dates
            shipped = timezone.now() + dt.timedelta(days=days)
            type(item).objects.filter(pk=item.pk).update(
                target_date=today + dt.timedelta(days=days - 3), shipped_at=shipped, status_changed_at=shipped
            )
            item.refresh_from_db()
        rx = re.compile(pattern, re.IGNORECASE)
        matched = [f for f in feedback if rx.search(f["title"] or "")][:25]
        Evidence.objects.bulk_create(
            [Evidence(workspace=ws, item=item, kind="feedback", feedback_id=f["pk"]) for f in matched]
        )
        biggest = (
            ws.accounts.filter(pk__in={f["account_id"] for f in matched if f["account_id"]}).order_by("-arr").first()
        )
        if biggest is not None:
            Evidence.objects.create(workspace=ws, item=item, kind="account", account=biggest, note="Asked in a QBR")
        items[title] = (item, biggest)
    _promises(ws, items, today)
    _history(ws, items, today)
    _backdate(ws, items)
    _changelog(ws, actor, items)
    _webhook(ws)
    public.create_preview(
        actor,
        name="Q3 preview for key accounts",
        items=[items[t][0] for t in ("Offline mode for the mobile app", "SAML single sign-on", "Dark mode")],
        accounts=[a for a in (items["SAML single sign-on"][1], items["Offline mode for the mobile app"][1]) if a],
        days=30,
    )


def _promise(ws: Any, item: Any, account: Any, target: dt.date, made_days_ago: int, **extra: Any) -> Promise:
    contact = account.contacts.exclude(email="").first() if account else None
    promise = Promise.objects.create(
        workspace=ws,
        item=item,
        account=account,
        contact=contact,
        target_date=target,
        original_target_date=target,
        item_target_date=item.target_date,
        made_by=item.owner,
        note="Promised on the renewal call",
        **extra,
    )
    Promise.objects.filter(pk=promise.pk).update(created_at=timezone.now() - dt.timedelta(days=made_days_ago))
    return promise


def _promises(ws: Any, items: dict[str, Any], today: dt.date) -> None:
    for title in ("CSV and Excel export for every dashboard", "Fix crash on launch (Android 14)"):
        item, acct = items[title]
        if acct:
            _promise(
                ws,
                item,
                acct,
                item.target_date + dt.timedelta(days=7),
                60,
                status=PromiseStatus.KEPT,
                kept_at=item.shipped_at,
                kept_on_time=True,
            )
    item, acct = items["Scheduled dashboard emails"]
    if acct:
        _promise(
            ws,
            item,
            acct,
            item.target_date - dt.timedelta(days=10),
            90,
            status=PromiseStatus.KEPT,
            kept_at=item.shipped_at,
            kept_on_time=False,
        )
    item, acct = items["Faster dashboard loading"]
    if acct:
        _promise(ws, item, acct, today + dt.timedelta(days=40), 20)  # on track
    # Slipped: the date passed (a notice was sent before it passed, the promise moved on)…
    item, acct = items["Pipeline failure alerts"]
    if acct:
        p = _promise(ws, item, acct, today - dt.timedelta(days=4), 50)
        found = [n for n in promises.detect_slips(ws, today) if n.promise_id == p.pk and n.to_email]
        for notice in found:
            promises.send_notice(
                Actor.system(ws),
                notice,
                revised_date=today + dt.timedelta(days=10),
                explanation="Alert delivery needed a new queue so alerts are never lost.",
            )
            DelayNotice.objects.filter(pk=notice.pk).update(sent_at=timezone.now() - dt.timedelta(days=6))
    # …the item's date moved later, and one not started close to the date: drafts waiting for review.
    item, acct = items["Offline mode for the mobile app"]
    if acct:
        _promise(ws, item, acct, today + dt.timedelta(days=14), 30)
    item, acct = items["SAML single sign-on"]
    if acct:
        _promise(ws, item, acct, today + dt.timedelta(days=9), 25)
    promises.detect_slips(ws, today)


def _backdate(ws: Any, items: dict[str, Any]) -> None:
    """Items created over the past ten months, one every ~two weeks, oldest first; their evidence
    linked within a week of creation — except every third item's, linked only in the last month
    (so earlier periods show items without evidence, and the share rises)."""
    now = timezone.now()
    ordered = [item for item, _ in items.values()]
    for n, item in enumerate(ordered):
        created = now - dt.timedelta(days=300 - n * 13)
        if item.shipped_at is not None and item.shipped_at < created:
            created = item.shipped_at - dt.timedelta(days=60)
        type(item).objects.filter(pk=item.pk).update(created_at=created)
        linked = now - dt.timedelta(days=10 + n) if n % 3 == 2 else created + dt.timedelta(days=2 + n % 5)
        Evidence.objects.filter(item=item).update(created_at=min(linked, now))


# (item title, days from today of the original date, kept: True on time / False late / None open,
#  delay notice sent this many days before (+) or after (−) the original date, or None for no notice)
HISTORY: list[tuple[str, int, bool | None, int | None]] = [
    ("Re-run failed pipeline runs", -165, True, None),
    ("Scheduled dashboard emails", -150, False, -6),
    ("Re-run failed pipeline runs", -138, True, None),
    ("CSV and Excel export for every dashboard", -124, False, 3),
    ("Scheduled dashboard emails", -110, True, None),
    ("Fix crash on launch (Android 14)", -96, True, None),
    ("CSV and Excel export for every dashboard", -83, False, 5),
    ("Blank scheduled report emails fix", -70, True, None),
    ("Re-run failed pipeline runs", -58, False, -2),
    ("Fix crash on launch (Android 14)", -47, True, None),
    ("Scheduled dashboard emails", -36, False, 4),
    ("Blank scheduled report emails fix", -25, True, None),
    ("CSV and Excel export for every dashboard", -16, False, 2),
    ("Fix crash on launch (Android 14)", -9, True, None),
]


def _history(ws: Any, items: dict[str, Any], today: dt.date) -> None:
    """Past promises (see HISTORY): kept on time, kept late, their delay notices before or after."""
    now = timezone.now()
    for title, days, on_time, notice_days in HISTORY:
        item, acct = items[title]
        if acct is None:
            continue
        date = today + dt.timedelta(days=days)
        kept = date - dt.timedelta(days=1) if on_time else date + dt.timedelta(days=9)
        promise = _promise(
            ws,
            item,
            acct,
            date,
            -days + 45,
            status=PromiseStatus.KEPT,
            kept_at=dt.datetime.combine(kept, dt.time(15, 0), tzinfo=dt.UTC),
            kept_on_time=bool(on_time),
        )
        if notice_days is None:
            continue
        sent = dt.datetime.combine(date - dt.timedelta(days=notice_days), dt.time(10, 0), tzinfo=dt.UTC)
        DelayNotice.objects.create(
            workspace=ws,
            promise=promise,
            reason=SlipReason.DATE_PASSED if notice_days < 0 else SlipReason.ITEM_MOVED,
            detected_for=date,
            revised_date=kept,
            to_email=promise.contact.email if promise.contact else "",
            subject=f"An update on {item.title}",
            body=f"{item.title} will take a little longer than we promised: we now expect {kept:%B %-d}.",
            status=NoticeStatus.SENT,
            sent_at=min(sent, now),
        )


CHANGELOG = [
    (
        "CSV and Excel export for every dashboard",
        "Export is here",
        "Every dashboard now exports to **CSV** and **Excel**, with your filters applied.\n\n"
        "- One click from the dashboard menu\n- Scheduled exports work too\n\nThanks to everyone who asked.",
    ),
    (
        "Fix crash on launch (Android 14)",
        "Android 14 crash fixed",
        "The mobile app no longer crashes on launch on Android 14. Update to **Mobile 2.8.2**.",
    ),
    (
        "Re-run failed pipeline runs",
        "Re-run failed pipeline runs",
        "A failed run can now be re-run from the pipeline page, for the same time window.",
    ),
]


def _changelog(ws: Any, actor: Actor, items: dict[str, Any]) -> None:
    for n, (title, headline, body) in enumerate(CHANGELOG):
        a = public.save_announcement(actor, title=headline, body=body, items=[items[title][0]])
        type(a).objects.filter(pk=a.pk).update(
            published_at=timezone.now() - dt.timedelta(days=5 + 20 * n),
            emailed_at=timezone.now() - dt.timedelta(days=5 + 20 * n),
            recipients=3,
        )
    emails = [e.lower() for e in ws.contacts.exclude(email="").values_list("email", flat=True)[:4]]
    public.add_subscribers(None, ws, "\n".join(emails[:3]))
    # a sign-up from the public changelog that has not clicked its confirmation link yet (double opt-in)
    for email in emails[3:]:
        ws.roadmap_subscribers.get_or_create(
            email=email, defaults={"confirm_sent_at": timezone.now() - dt.timedelta(hours=2)}
        )
    public.save_announcement(actor, title="Slack integration (draft)", body="Coming soon: alerts in **Slack**.")


def _webhook(ws: Any) -> None:
    from harken.notify.models import OutgoingDelivery, OutgoingWebhook

    hook = OutgoingWebhook.objects.create(
        workspace=ws,
        name="Slack #product (demo, paused)",
        url="https://hooks.slack.example/services/DEMO",
        events=["roadmap.status_changed", "roadmap.shipped", "roadmap.promise_slipped", "insight.trend_detected"],
        payload_format="slack",
        salt=secrets.token_hex(16),
        enabled=False,
    )
    now = timezone.now()
    rows = [
        ("roadmap.shipped", "delivered", 1, 200, "", 5),
        ("roadmap.status_changed", "delivered", 1, 200, "", 3),
        ("roadmap.promise_slipped", "delivered", 2, 200, "", 2),
        ("insight.trend_detected", "dead", 6, 500, "HTTP 500", 1),
    ]
    for event, status, attempts, code, error, days in rows:
        d = OutgoingDelivery.objects.create(
            workspace=ws,
            endpoint=hook,
            event=event,
            event_id="evt_demo_" + secrets.token_hex(6),
            payload={"event": event, "data": {"summary": f"Demo {event}"}},
            status=status,
            attempts=attempts,
            response_code=code,
            last_error=error,
            delivered_at=now - dt.timedelta(days=days) if status == "delivered" else None,
        )
        OutgoingDelivery.objects.filter(pk=d.pk).update(created_at=now - dt.timedelta(days=days))


def link_themes(ws: Any) -> int:
    """Link each item to the themes whose name matches its evidence pattern (themes exist after insight ran)."""
    from harken.insight.themes.models import ThemeStatus

    themes = list(ws.themes.filter(status=ThemeStatus.ACTIVE))
    count = 0
    for title, _line, _status, raw_pattern, *_rest in ITEMS:
        item = ws.roadmap_items.filter(title=title).first()
        if item is None:
            continue
        pattern = re.compile(raw_pattern, re.IGNORECASE)
        for theme in themes:
            if pattern.search(theme.name) or any(pattern.search(k) for k in theme.keywords or []):
                _, created = Evidence.objects.get_or_create(
                    workspace=ws, item=item, theme=theme, defaults={"kind": "theme"}
                )
                count += int(created)
                break
    return count


def _serve_goals(ws: Any) -> None:
    """Items with a good value fit name a customer goal or job (customers' demo runs before this hook)."""
    goals = list(ws.customer_goals.order_by("pk")[:6])
    jobs = list(ws.customer_jobs.order_by("pk")[:6])
    if not goals and not jobs:
        return
    items = list(ws.roadmap_items.filter(value_fit__gte=2).order_by("pk")[:6])
    for n, item in enumerate(items):
        actions.set_value_links(
            Actor.system(ws),
            item,
            goals=[goals[n % len(goals)]] if goals else [],
            jobs=[jobs[n % len(jobs)]] if jobs and n % 2 == 0 else [],
        )
