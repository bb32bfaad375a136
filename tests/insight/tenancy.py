from __future__ import annotations

from typing import Any

from harken.workspaces.access import Actor
from harken.workspaces.models import Workspace
from tests.tenancy import ApiCase, Case

# The whole test session uses the model-free hashing embedder unless a test asks for MiniLM
# (tenancy tests render insight pages; loading MiniLM there would only cost time).


def _item(ws: Workspace) -> Any:
    from harken.feedback.actions import create_feedback

    item, _ = create_feedback(Actor.system(ws), text=f"Export to PDF fails in {ws.slug}", title="PDF export")
    return item


def item(ws: Workspace) -> dict[str, Any]:
    return {"pk": _item(ws).pk}


def suggestion(ws: Workspace) -> dict[str, Any]:
    from harken.insight.models import DuplicateSuggestion

    a, b = _item(ws), _item(ws)
    s = DuplicateSuggestion.objects.create(workspace=ws, item=b, candidate=a, score=0.9, signals={})
    return {"pk": s.pk}


def merge(ws: Workspace) -> dict[str, Any]:
    from harken.insight.services import merge as do_merge

    a, b = _item(ws), _item(ws)
    record = do_merge(Actor.system(ws), a, b)
    return {"pk": record.pk}


def merge_pair(ws: Workspace) -> dict[str, Any]:
    a, b = _item(ws), _item(ws)
    return {"pk": b.pk, "into": a.pk}


def item_id(ws: Workspace) -> dict[str, Any]:
    return {"item_id": _item(ws).pk}


def suggestion_id(ws: Workspace) -> dict[str, Any]:
    return {"suggestion_id": suggestion(ws)["pk"]}


def merge_id(ws: Workspace) -> dict[str, Any]:
    return {"merge_id": merge(ws)["pk"]}


CASES = [
    Case("insight:similar", item),
    Case("insight:duplicates"),
    Case("insight:merges"),
    Case("insight:merge_suggestion", suggestion, read=False, write=True, data={"keep": "candidate"}),
    Case("insight:dismiss", suggestion, read=False, write=True),
    Case("insight:merge_item", item, read=False, write=True, data={"into": "0"}),
    Case("insight:undo_merge", merge, read=False, write=True),
]

API_CASES = [
    ApiCase("GET", "/insight/items/{item_id}/similar", item_id),
    ApiCase("GET", "/insight/items/{item_id}/duplicates", item_id),
    ApiCase("GET", "/insight/items/{item_id}/requesters", item_id),
    ApiCase("GET", "/insight/duplicates"),
    ApiCase("GET", "/insight/duplicates/model"),
    ApiCase("POST", "/insight/duplicates/{suggestion_id}/dismiss", suggestion_id, write=True),
    ApiCase("GET", "/insight/merges"),
    # Collection POST: ids in the body; Bravo ids under an Alpha token → 404 is in test_views.
    ApiCase("POST", "/insight/merges", write=True, json={"survivor_id": 1, "merged_id": 2}),
    ApiCase("POST", "/insight/merges/{merge_id}/undo", merge_id, write=True),
]


# ---------------------------------------------------------------- themes (insight.themes sub-package)


def theme(ws: Workspace) -> dict[str, Any]:
    from harken.insight.themes.models import Theme

    t = Theme.objects.create(workspace=ws, name=f"Exports in {ws.slug}", keywords=["export", "pdf"])
    return {"pk": t.pk}


def theme_pair(ws: Workspace) -> dict[str, Any]:
    a, b = theme(ws), theme(ws)
    return {"pk": a["pk"], "into": b["pk"]}


def theme_run(ws: Workspace) -> dict[str, Any]:
    from harken.insight.themes.models import ThemeRun

    return {"pk": ThemeRun.objects.create(workspace=ws).pk}


def theme_id(ws: Workspace) -> dict[str, Any]:
    return {"theme_id": theme(ws)["pk"]}


def group_id(ws: Workspace) -> dict[str, Any]:
    from harken.insight.themes.models import Theme, ThemeGroup

    group = ThemeGroup.objects.create(workspace=ws, name=f"Reports in {ws.slug}")
    Theme.objects.filter(pk=theme(ws)["pk"]).update(parent=group)
    return {"group_id": group.pk}


def run_id(ws: Workspace) -> dict[str, Any]:
    return {"run_id": theme_run(ws)["pk"]}


CASES += [
    Case("insight:themes"),
    Case("insight:themes_recluster", read=False, write=True),
    Case("insight:themes_run", theme_run),
    Case("insight:theme", theme),
    Case("insight:theme_rename", theme, read=False, write=True, data={"name": "Renamed"}),
    Case("insight:theme_pin", theme, read=False, write=True, data={"pinned": "1"}),
    Case("insight:theme_merge", theme, read=False, write=True, data={"into": "0"}),
    Case("insight:theme_split", theme, read=False, write=True),
    Case("insight:theme_move", item, read=False, write=True, data={"theme": "none"}),
    Case("insight:classification", item, read=False, write=True, data={"category": "bug"}),
    Case("insight:item_understanding", item),
    Case("insight:problems"),
    Case("insight:trends"),
]

API_CASES += [
    ApiCase("GET", "/insight/themes"),
    ApiCase("GET", "/insight/themes/{theme_id}", theme_id),
    ApiCase("GET", "/insight/themes/groups"),
    ApiCase("GET", "/insight/themes/groups/{group_id}", group_id),
    ApiCase("POST", "/insight/themes/recluster", write=True),
    ApiCase("GET", "/insight/themes/runs/{run_id}", run_id),
    ApiCase("POST", "/insight/themes/{theme_id}/rename", theme_id, write=True, json={"name": "Renamed"}),
    ApiCase("POST", "/insight/themes/{theme_id}/pin", theme_id, write=True, json={"pinned": True}),
    ApiCase("POST", "/insight/themes/{theme_id}/merge", theme_id, write=True, json={"into": 0}),
    ApiCase("POST", "/insight/themes/{theme_id}/split", theme_id, write=True, json={}),
    ApiCase("POST", "/insight/items/{item_id}/theme", item_id, write=True, json={"theme_id": None}),
    ApiCase("GET", "/insight/problems"),
    ApiCase("GET", "/insight/trends"),
    ApiCase("GET", "/insight/overview"),
    ApiCase("GET", "/insight/items/{item_id}/classification", item_id),
    ApiCase("POST", "/insight/items/{item_id}/classification", item_id, write=True, json={"category": "bug"}),
]
