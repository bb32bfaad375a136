from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from harken.workspaces.access import Actor
from harken.workspaces.models import Workspace
from tests.tenancy import ApiCase, Case


def _item(ws: Workspace) -> Any:
    from harken.roadmap.actions import create_item

    return create_item(Actor.system(ws), title=f"Offline mode for {ws.slug}", status="planned")


def item(ws: Workspace) -> dict[str, Any]:
    return {"pk": _item(ws).pk}


def item_id(ws: Workspace) -> dict[str, Any]:
    return {"item_id": _item(ws).pk}


def feedback(ws: Workspace) -> dict[str, Any]:
    from harken.feedback.actions import create_feedback

    fb, _ = create_feedback(Actor.system(ws), text="We need offline mode", author_email=f"pat@{ws.slug}.test")
    return {"feedback_id": fb.pk}


def evidence(ws: Workspace) -> dict[str, Any]:
    from harken.feedback.models import Feedback
    from harken.roadmap.actions import link_evidence

    it = _item(ws)
    fb = Feedback.objects.get(pk=feedback(ws)["feedback_id"])
    ev = link_evidence(Actor.system(ws), it, fb)
    return {"pk": it.pk, "evidence_id": ev.pk}


def issue(ws: Workspace) -> dict[str, Any]:
    from harken.roadmap.trackers import link_issue

    it = _item(ws)
    link = link_issue(Actor.system(ws), it, "https://github.com/acme/app/issues/7")
    return {"pk": it.pk, "link_id": link.pk}


def _promise(ws: Workspace) -> Any:
    from harken.customers.models import Account
    from harken.roadmap.promises import make_promise

    acct = Account.objects.create(workspace=ws, name=f"Acme {ws.slug}")
    return make_promise(
        Actor.system(ws), _item(ws), target_date=timezone.localdate() + dt.timedelta(days=30), account=acct
    )


def promise(ws: Workspace) -> dict[str, Any]:
    return {"pk": _promise(ws).pk}


def notice(ws: Workspace) -> dict[str, Any]:
    from harken.roadmap.models import DelayNotice

    p = _promise(ws)
    n = DelayNotice.objects.create(
        workspace=ws,
        promise=p,
        reason="date_passed",
        detected_for=p.target_date,
        to_email="pat@acme.test",
        subject="Update",
        body="Later",
    )
    return {"pk": n.pk}


def preview(ws: Workspace) -> dict[str, Any]:
    from harken.roadmap.public import create_preview

    p, _ = create_preview(Actor.system(ws), name="Preview", items=[_item(ws)])
    return {"pk": p.pk}


def announcement(ws: Workspace) -> dict[str, Any]:
    from harken.roadmap.public import save_announcement

    a = save_announcement(Actor.system(ws), title="Offline mode is here", body="Finally.")
    return {"pk": a.pk}


CASES = [
    Case("roadmap:list"),
    Case("roadmap:new", write=True, data={"title": "X", "status": "idea"}, min_role="member"),
    Case("roadmap:priorities"),
    Case("roadmap:promises"),
    Case("roadmap:check_slips", read=False, write=True),
    Case("roadmap:promise_withdraw", promise, read=False, write=True),
    Case("roadmap:notice", notice, write=True, data={"to_email": "pat@acme.test"}),
    Case("roadmap:notice_dismiss", notice, read=False, write=True),
    Case("roadmap:settings", write=True, data={"close_days": "7", "notify_delay_minutes": "5"}),
    Case("roadmap:status_save", read=False, write=True, data={"label": "Beta", "colour": "#123456", "kind": "active"}),
    Case("roadmap:status_delete", read=False, write=True, data={"key": "idea"}),
    Case("roadmap:hook_create", read=False, write=True, data={"provider": "github"}),
    Case("roadmap:previews", write=True, data={"name": "P"}),
    Case("roadmap:preview_revoke", preview, read=False, write=True),
    Case("roadmap:changelog", write=True, data={"title": "T", "body": "B"}),
    Case("roadmap:publish", announcement, read=False, write=True),
    Case("roadmap:subscribers", write=True, data={"emails": "a@b.test"}),
    Case("roadmap:link_feedback", feedback, read=False, write=True, data={"new_title": "Y"}),
    Case("roadmap:detail", item),
    Case("roadmap:edit", item, write=True, data={"title": "Z"}, min_role="member"),
    Case("roadmap:delete", item, read=False, write=True),
    Case("roadmap:status", item, read=False, write=True, data={"status": "shipped"}),
    Case("roadmap:link", item, read=False, write=True, data={"kind": "feedback", "ref": "1"}),
    Case("roadmap:unlink", evidence, read=False, write=True),
    Case("roadmap:issue_add", item, read=False, write=True, data={"url": "https://github.com/a/b/issues/1"}),
    Case("roadmap:issue_remove", issue, read=False, write=True),
    Case("roadmap:promise_new", item, read=False, write=True, data={"target_date": "2099-01-01"}),
]

API_CASES = [
    ApiCase("GET", "/roadmap/items"),
    ApiCase("POST", "/roadmap/items", write=True, json={"title": "Offline"}),
    ApiCase("GET", "/roadmap/items/{item_id}", item_id),
    ApiCase("PATCH", "/roadmap/items/{item_id}", item_id, write=True, json={"title": "New"}),
    ApiCase("POST", "/roadmap/items/{item_id}/status", item_id, write=True, json={"status": "shipped"}),
    ApiCase("POST", "/roadmap/items/{item_id}/evidence", item_id, write=True, json={"kind": "feedback", "id": 1}),
    ApiCase("POST", "/roadmap/items/{item_id}/promises", item_id, write=True, json={"target_date": "2099-01-01"}),
    ApiCase("GET", "/roadmap/promises"),
]
