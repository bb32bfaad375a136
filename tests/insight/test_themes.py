from __future__ import annotations

from collections.abc import Sequence
from unittest import mock

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from harken.core.taskrun import run_pending_tasks
from harken.insight.themes import clustering, labeling, services
from harken.insight.themes.models import AssignmentSource, RunStatus, Theme, ThemeAssignment, ThemeRun, ThemeStatus
from tests.insight.helpers import add
from tests.insight.theme_data import seed

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- clustering (pure)


def blobs(groups: int, per: int, dim: int = 64, noise: float = 0.3, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(groups, dim))
    x = np.repeat(centres, per, axis=0) + noise * rng.normal(size=(groups * per, dim))
    return x, np.repeat(np.arange(groups), per)


def test_clustering_finds_well_separated_groups() -> None:
    x, truth = blobs(5, 12)
    result = clustering.cluster(x)
    assert result.n_themes == 5
    assert (result.labels >= 0).all()
    for g in range(5):  # every true group lands in exactly one theme
        assert len(set(result.labels[truth == g].tolist())) == 1
    assert np.allclose(np.linalg.norm(result.centroids, axis=1), 1.0, atol=1e-5)


def test_clustering_tiny_and_empty_inputs_make_no_themes() -> None:
    rng = np.random.default_rng(0)
    for n in (0, 1, 2):
        assert clustering.cluster(rng.normal(size=(n, 16))).n_themes == 0
    unrelated = clustering.cluster(rng.normal(size=(3, 64)))  # three unrelated items
    assert unrelated.n_themes == 0 and (unrelated.labels == -1).all()
    same = clustering.cluster(np.vstack([np.ones(16) + 0.01 * rng.normal(size=16) for _ in range(3)]))
    assert same.n_themes == 1 and (same.labels == 0).all()


def test_zero_vectors_are_never_assigned() -> None:
    x, _ = blobs(2, 6, dim=16)
    x = np.vstack([x, np.zeros((2, 16))])
    result = clustering.cluster(x)
    assert (result.labels[-2:] == -1).all() and (result.labels[:-2] >= 0).all()


def test_large_inputs_cluster_a_sample_and_assign_the_rest() -> None:
    x, truth = blobs(4, 60, dim=32)
    result = clustering.cluster(x, clustering.Params(sample_limit=80))
    assert result.n_themes == 4
    for g in range(4):
        assert len(set(result.labels[truth == g].tolist()) - {-1}) == 1


def test_labels_are_distinctive_keywords() -> None:
    texts = ["export csv report", "csv export broken", "dark mode please", "dark theme mode"]
    kws = labeling.keywords_per_theme(texts, np.array([0, 0, 1, 1]), 2)
    assert "csv" in " ".join(kws[0]) and "dark" in " ".join(kws[1])
    assert labeling.name_from(["export csv", "excel", "download"]) == "Export CSV · excel · download"
    assert labeling.name_from(["sso", "saml login"]) == "SSO · SAML login"
    assert labeling.name_from([]) == "Untitled theme"


# ---------------------------------------------------------------- re-clustering in a workspace


def members(theme: Theme) -> set[int]:
    return set(theme.assignments.values_list("feedback_id", flat=True))


def theme_of(item_id: int) -> int | None:
    row = ThemeAssignment.objects.filter(feedback_id=item_id).first()
    return row.theme_id if row else None


def test_recluster_groups_topics_with_readable_labels(world) -> None:  # type: ignore[no-untyped-def]
    ids = seed(world.alpha)
    stats = services.recluster(world.alpha)
    themes = list(world.alpha.themes.filter(status=ThemeStatus.ACTIVE))
    assert stats["themes"] == len(themes) == 3
    for topic, item_ids in ids.items():
        found = {theme_of(i) for i in item_ids}
        assert len(found) == 1 and None not in found, topic
        theme = Theme.objects.get(pk=found.pop())
        assert topic in theme.name.lower() or topic in " ".join(theme.keywords)
        assert theme.size == 6 and len(theme.quote_ids) == 3 and set(theme.quote_ids) <= set(item_ids)
    assert not world.bravo.themes.exists()


def test_recluster_builds_top_level_themes_that_keep_their_identity(world) -> None:  # type: ignore[no-untyped-def]
    from harken.insight.themes.models import ThemeGroup

    seed(world.alpha)
    stats = services.recluster(world.alpha)
    groups = list(ThemeGroup.objects.for_workspace(world.alpha).filter(status=ThemeStatus.ACTIVE))
    themes = list(world.alpha.themes.filter(status=ThemeStatus.ACTIVE))
    assert stats["top_level"] == len(groups) >= 1
    assert all(t.parent in groups for t in themes)  # every sub-theme sits under a top-level theme
    assert sum(g.size for g in groups) == sum(t.size for t in themes) == 18
    assert all(g.name and g.summary.startswith(f"{g.size} items") for g in groups)
    assert all(t.summary and "“" in t.summary for t in themes)
    before = {g.pk: g.name for g in groups}
    services.recluster(world.alpha)
    after = {g.pk: g.name for g in world.alpha.theme_groups.filter(status=ThemeStatus.ACTIVE)}
    assert after == before
    assert not world.bravo.theme_groups.exists()
    sections = services.grouped_summaries(world.actor(world.vera))
    assert [s.group for s in sections if s.group] and sum(len(s.rows) for s in sections) == len(themes)


def test_key_phrase_titles_read_like_feedback() -> None:
    from harken.insight.embeddings import get_embedder
    from harken.insight.themes import labeling

    texts = [
        "SSO login fails with Okta since this morning",
        "Our SSO login fails with Okta again",
        "sso login fails with okta for every user",
        "Blank PDF report after 4.2 upgrade",
        "Since 4.2 the PDF report is blank",
        "blank pdf report after 4.2, please fix",
    ]
    labels = np.array([0, 0, 0, 1, 1, 1])
    emb = get_embedder("hashing")
    vectors = emb.encode(texts)
    centroids = clustering.centroids_of(vectors, labels, 2)
    phrases = labeling.key_phrases(texts, labels, 2, centroids, emb.encode)
    titles = [labeling.title_from(p) for p in phrases]
    assert "okta" in titles[0].lower() or "sso" in titles[0].lower()
    assert "pdf" in titles[1].lower() or "blank" in titles[1].lower()
    assert titles[0][0].isupper() and "·" not in titles[0]
    assert labeling.summary_from(["Blank PDF. Since 4.2."], 3) == "3 items, e.g. “Blank PDF.”"


def test_recluster_keeps_theme_identity_and_name(world) -> None:  # type: ignore[no-untyped-def]
    ids = seed(world.alpha)
    services.recluster(world.alpha)
    before = {t.pk: (t.name, members(t)) for t in world.alpha.themes.all()}
    seed(world.alpha, {"export": ["Export reports to CSV including all columns"]})
    services.recluster(world.alpha)
    after = {t.pk: t for t in world.alpha.themes.filter(status=ThemeStatus.ACTIVE)}
    assert set(after) == set(before)
    for pk, (name, old) in before.items():
        assert after[pk].name == name and old <= members(after[pk])
    assert theme_of(ids["export"][0]) in before


def test_a_theme_that_does_not_survive_is_retired(world) -> None:  # type: ignore[no-untyped-def]
    ids = seed(world.alpha)
    services.recluster(world.alpha)
    billing = theme_of(ids["billing"][0])
    for item_id in ids["billing"]:
        world.alpha.feedback_items.get(pk=item_id).delete()
    stats = services.recluster(world.alpha)
    assert Theme.objects.get(pk=billing).status == ThemeStatus.RETIRED
    assert stats["retired"] == 1 and stats["themes"] == 2


def test_user_edits_survive_reclustering(world) -> None:  # type: ignore[no-untyped-def]
    ids = seed(world.alpha)
    services.recluster(world.alpha)
    bob = world.actor(world.bob)
    export, dark, billing = (Theme.objects.get(pk=theme_of(ids[k][0])) for k in ("export", "dark", "billing"))
    services.rename_theme(bob, export, "  CSV & Excel   exports ")
    moved = world.alpha.feedback_items.get(pk=ids["billing"][0])
    services.move_item(bob, moved, dark)
    out = world.alpha.feedback_items.get(pk=ids["billing"][1])
    services.move_item(bob, out, None)
    services.set_pinned(bob, billing, True)
    pinned_members = members(billing)

    services.recluster(world.alpha)

    export.refresh_from_db()
    billing.refresh_from_db()
    assert export.name == "CSV & Excel exports" and export.user_named and export.status == ThemeStatus.ACTIVE
    assert theme_of(moved.pk) == dark.pk
    assert ThemeAssignment.objects.get(feedback=out).theme_id is None
    assert billing.pinned and billing.status == ThemeStatus.ACTIVE and members(billing) == pinned_members
    assert world.alpha.theme_edits.filter(action="rename", theme=export).exists()


def test_merge_and_split_survive_reclustering(world) -> None:  # type: ignore[no-untyped-def]
    ids = seed(world.alpha)
    services.recluster(world.alpha)
    bob = world.actor(world.bob)
    export, dark = Theme.objects.get(pk=theme_of(ids["export"][0])), Theme.objects.get(pk=theme_of(ids["dark"][0]))
    services.merge_themes(bob, export, dark)
    dark.refresh_from_db()
    assert dark.status == ThemeStatus.MERGED and dark.merged_into_id == export.pk
    assert set(ids["dark"]) <= members(export)
    services.recluster(world.alpha)
    assert set(ids["dark"]) | set(ids["export"]) <= members(export)
    dark.refresh_from_db()
    assert dark.status == ThemeStatus.MERGED

    other = services.split_theme(bob, export, name="Night mode")
    assert other.name == "Night mode" and other.size > 0
    split_members = members(other)
    assert split_members and split_members.isdisjoint(members(export))
    services.recluster(world.alpha)
    assert members(other) == split_members


def test_split_needs_enough_items(world) -> None:  # type: ignore[no-untyped-def]
    theme = Theme.objects.create(workspace=world.alpha, name="Tiny")
    with pytest.raises(ValidationError, match="at least 4"):
        services.split_theme(world.actor(world.bob), theme)


def test_crash_while_swapping_keeps_previous_themes(world) -> None:  # type: ignore[no-untyped-def]
    seed(world.alpha)
    services.recluster(world.alpha)
    themes = sorted(world.alpha.themes.values_list("pk", "name", "status", "size"))
    seed(
        world.alpha,
        {"new": ["Slack integration for alerts", "Slack alerts integration", "Send alerts to Slack channel"]},
    )
    snapshot = sorted(world.alpha.theme_assignments.values_list("feedback_id", "theme_id", "source"))
    with (
        mock.patch.object(services, "insert_auto_assignments", side_effect=RuntimeError("worker killed")),
        pytest.raises(RuntimeError),
    ):
        services.recluster(world.alpha)
    assert sorted(world.alpha.theme_assignments.values_list("feedback_id", "theme_id", "source")) == snapshot
    assert sorted(world.alpha.themes.values_list("pk", "name", "status", "size")) == themes


def test_failed_background_run_is_recorded_and_themes_untouched(world) -> None:  # type: ignore[no-untyped-def]
    seed(world.alpha)
    services.recluster(world.alpha)
    themes = sorted(world.alpha.themes.values_list("pk", "name", "size"))
    run = services.start_recluster(world.actor(world.bob))
    assert run.status == RunStatus.QUEUED
    assert services.start_recluster(world.actor(world.bob)).pk == run.pk  # one run at a time
    with mock.patch("harken.insight.themes.labeling.keywords_per_theme", side_effect=MemoryError("out of memory")):
        run_pending_tasks()
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "MemoryError" in run.error
    assert sorted(world.alpha.themes.values_list("pk", "name", "size")) == themes


def test_background_run_reports_progress_and_stats(world) -> None:  # type: ignore[no-untyped-def]
    seed(world.alpha)
    run = services.start_recluster(world.actor(world.alice))
    run_pending_tasks()
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.progress == 1.0 and run.stats["themes"] == 3 and run.finished_at


def test_workspace_with_three_items_is_sensible(world) -> None:  # type: ignore[no-untyped-def]
    seed(world.alpha, {"x": ["Export to CSV fails", "Dark mode please", "Invoice has wrong VAT"]})
    stats = services.recluster(world.alpha)
    assert stats["items"] == 3 and stats["themes"] <= 1
    seed(world.bravo, {"x": ["Export reports to CSV", "Export the reports to CSV", "Export all reports to CSV"]})
    assert services.recluster(world.bravo)["themes"] == 1
    assert services.recluster(world.bravo.__class__.objects.create(name="Empty", slug="empty"))["themes"] == 0


def test_new_items_join_the_nearest_theme_on_ingest(world) -> None:  # type: ignore[no-untyped-def]
    ids = seed(world.alpha)
    services.recluster(world.alpha)
    export = Theme.objects.get(pk=theme_of(ids["export"][0]))
    size = export.size
    item = add(world.alpha, "Export the reports to CSV and Excel please")
    unrelated = add(world.alpha, "Zebra giraffe xylophone quantum")
    run_pending_tasks()
    row = ThemeAssignment.objects.get(feedback=item)
    assert row.theme_id == export.pk and row.source == AssignmentSource.AUTO and row.score > 0.45
    assert theme_of(unrelated.pk) is None
    export.refresh_from_db()
    assert export.size == size + 1


def test_ingest_never_moves_a_person_placed_item(world) -> None:  # type: ignore[no-untyped-def]
    from harken.feedback.actions import update_feedback

    ids = seed(world.alpha)
    services.recluster(world.alpha)
    dark = Theme.objects.get(pk=theme_of(ids["dark"][0]))
    item = world.alpha.feedback_items.get(pk=ids["export"][0])
    services.move_item(world.actor(world.bob), item, dark)
    update_feedback(world.actor(world.bob), item, text="Export reports to CSV, again")
    run_pending_tasks()
    assert theme_of(item.pk) == dark.pk


def test_edits_need_member_role_and_same_workspace(world) -> None:  # type: ignore[no-untyped-def]
    theme = Theme.objects.create(workspace=world.alpha, name="A")
    other = Theme.objects.create(workspace=world.bravo, name="B")
    with pytest.raises(PermissionDenied):
        services.rename_theme(world.actor(world.vera), theme, "x")
    with pytest.raises(ValidationError):
        services.rename_theme(world.actor(world.bob), other, "x")
    with pytest.raises(ValidationError, match="needs a name"):
        services.rename_theme(world.actor(world.bob), theme, "   ")
    with pytest.raises(ValidationError, match="two different"):
        services.merge_themes(world.actor(world.bob), theme, theme)
    with pytest.raises(ValidationError):
        services.merge_themes(world.actor(world.bob), theme, other)


# ---------------------------------------------------------------- pages and API


def test_theme_pages_and_actions(world) -> None:  # type: ignore[no-untyped-def]
    ids = seed(world.alpha)
    services.recluster(world.alpha)
    export = Theme.objects.get(pk=theme_of(ids["export"][0]))
    client = world.client_for(world.bob)
    page = client.get("/w/alpha/insight/themes/")
    assert page.status_code == 200 and export.name in page.content.decode()
    detail = client.get(f"/w/alpha/insight/themes/{export.pk}/").content.decode()
    assert "Representative quotes" in detail and "Volume over time" in detail
    resp = client.post(f"/w/alpha/insight/themes/{export.pk}/rename/", {"name": "Exports"})
    assert resp.status_code == 302
    export.refresh_from_db()
    assert export.name == "Exports"
    dark_item = ids["dark"][0]
    client.post(f"/w/alpha/insight/items/{dark_item}/theme/", {"theme": str(export.pk)})
    assert theme_of(dark_item) == export.pk
    client.post(f"/w/alpha/insight/items/{dark_item}/theme/", {"theme": "none"})
    assert theme_of(dark_item) is None
    client.post(f"/w/alpha/insight/items/{dark_item}/theme/", {"theme": ""})  # nothing chosen: nothing changes
    assert ThemeAssignment.objects.get(feedback_id=dark_item).source == AssignmentSource.USER
    resp = client.post("/w/alpha/insight/themes/recluster/")
    run = ThemeRun.objects.get(workspace=world.alpha)
    assert resp["Location"].endswith(f"/insight/themes/runs/{run.pk}/")
    run_pending_tasks()
    assert "kept their identity" in client.get(resp["Location"]).content.decode()
    export.refresh_from_db()
    assert export.name == "Exports" and export.status == ThemeStatus.ACTIVE


def test_themes_api(world) -> None:  # type: ignore[no-untyped-def]
    from tests.base import make_token

    ids = seed(world.alpha)
    services.recluster(world.alpha)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {make_token(world.alpha, world.bob)}"}
    from django.test import Client

    client = Client()
    rows = client.get("/api/insight/themes", **headers).json()
    assert len(rows) == 3 and {r["size"] for r in rows} == {6}
    export = theme_of(ids["export"][0])
    detail = client.get(f"/api/insight/themes/{export}", **headers).json()
    assert set(detail["item_ids"]) == set(ids["export"])
    moved = client.post(
        f"/api/insight/items/{ids['dark'][0]}/theme", {"theme_id": export}, content_type="application/json", **headers
    )
    assert moved.status_code == 200 and moved.json()["source"] == "user"
    bad = client.post(f"/api/insight/themes/{export}/rename", {"name": ""}, content_type="application/json", **headers)
    assert bad.status_code == 422 and "name" in bad.json()["detail"]
    run = client.post("/api/insight/themes/recluster", **headers)
    assert run.status_code == 202 and run.json()["status"] == "queued"


def test_themes_api_shows_each_theme_under_its_top_level_theme(world) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    from harken.insight.themes.models import ThemeGroup
    from tests.base import make_token

    seed(world.alpha)
    seed(world.bravo)
    services.recluster(world.alpha)
    services.recluster(world.bravo)
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {make_token(world.alpha, world.bob)}"}
    groups = {g.pk: g for g in ThemeGroup.objects.for_workspace(world.alpha).filter(status=ThemeStatus.ACTIVE)}
    rows = client.get("/api/insight/themes", **headers).json()
    assert rows and all(r["parent_id"] in groups for r in rows)
    assert all(r["parent_name"] == groups[r["parent_id"]].name for r in rows)
    one = rows[0]
    detail = client.get(f"/api/insight/themes/{one['id']}", **headers).json()
    assert (detail["parent_id"], detail["parent_name"]) == (one["parent_id"], one["parent_name"])

    listed = client.get("/api/insight/themes/groups", **headers).json()
    assert {g["id"] for g in listed} == set(groups)
    assert sorted(t for g in listed for t in g["theme_ids"]) == sorted(r["id"] for r in rows)
    assert sum(g["size"] for g in listed) == sum(r["size"] for r in rows) == 18
    group = client.get(f"/api/insight/themes/groups/{listed[0]['id']}", **headers).json()
    assert [t["id"] for t in group["themes"]] == listed[0]["theme_ids"]
    assert all(t["parent_id"] == listed[0]["id"] for t in group["themes"])

    # Tenancy: Bravo's groups are neither listed nor readable under an Alpha token.
    bravo_group = ThemeGroup.objects.for_workspace(world.bravo).filter(status=ThemeStatus.ACTIVE).first()
    assert bravo_group is not None and bravo_group.pk not in {g["id"] for g in listed}
    assert client.get(f"/api/insight/themes/groups/{bravo_group.pk}", **headers).status_code == 404
    # A retired group is no theme's parent in the API and has no page.
    ThemeGroup.objects.filter(pk=one["parent_id"]).update(status=ThemeStatus.RETIRED)
    again = client.get(f"/api/insight/themes/{one['id']}", **headers).json()
    assert again["parent_id"] is None and again["parent_name"] is None
    assert client.get(f"/api/insight/themes/groups/{one['parent_id']}", **headers).status_code == 404


@pytest.mark.slow
def test_demo_workspace_gets_meaningful_themes(world) -> None:  # type: ignore[no-untyped-def]
    """The demo loader's hook backfills classification, themes and trends (hashing embedder here)."""
    from harken.demo.loader import load_demo
    from harken.insight.themes.problems import top_problems
    from harken.workspaces.access import Actor

    result = load_demo(items=300)
    run_pending_tasks()
    ws = result.workspace
    run = ws.theme_runs.get()
    assert run.status == RunStatus.DONE, run.error
    themes = list(ws.themes.filter(status=ThemeStatus.ACTIVE))
    assert len(themes) >= 5 and all(t.name and t.keywords for t in themes)
    # No theme is named after where its items came from or how they were scored ("NPS 10", "CSAT 5").
    names = [t.name for t in themes] + [g.name for g in ws.theme_groups.filter(status=ThemeStatus.ACTIVE)]
    assert not [n for n in names if {"NPS", "CSAT"} & set(n.split()) or n.split()[-1].isdigit()], names
    # Nor after the company whose feedback this is: its customers name it on every subject.
    assert not [n for n in names if "acme" in n.lower().split()], names
    assert ws.item_classifications.count() == ws.feedback_items.count()
    # A PM corrected categories before the backfill (through the real action): enough for a learned model.
    from harken.insight.themes.classify import MIN_CORRECTIONS, learned_categories

    corrected = ws.item_classifications.filter(corrected_by_user=True, corrected_by__isnull=False)
    assert corrected.count() >= MIN_CORRECTIONS
    assert learned_categories(ws) is not None  # fitted on them (used where it beats zero-shot)
    assert top_problems(Actor.system(ws), limit=5)
    # The worker's re-clustering stored the per-theme figures, equal to a fresh count, and they stay
    # so through the demo's own kind of write (merging two themed duplicates, then undoing it).
    from harken.insight.services import merge, undo_merge
    from harken.insight.themes import stats

    assert ws.theme_week_counts.exists() and ws.theme_account_counts.exists()
    assert stats.differences(ws) == {"weeks": {}, "accounts": {}}
    a, b = ws.feedback_items.filter(theme_assignment__theme=themes[0], merged_into__isnull=True)[:2]
    before = sum(ws.theme_week_counts.filter(theme=themes[0]).values_list("items", flat=True))
    record = merge(Actor.system(ws), a, b)
    assert sum(ws.theme_week_counts.filter(theme=themes[0]).values_list("items", flat=True)) == before - 1
    assert stats.differences(ws) == {"weeks": {}, "accounts": {}}
    undo_merge(Actor.system(ws), record)
    assert stats.differences(ws) == {"weeks": {}, "accounts": {}}


@pytest.mark.slow
def test_minilm_themes_on_paraphrases(world, settings) -> None:  # type: ignore[no-untyped-def]
    """The real model groups paraphrases that share few words (the hashing embedder cannot)."""
    settings.HARKEN_EMBEDDER = "minilm"
    topics = {
        "login": [
            "I can't sign in to my account",
            "Login keeps failing with my password",
            "Unable to log into the app since this morning",
            "The sign-in page rejects my credentials",
            "Authentication fails every time I try to access my account",
        ],
        "price": [
            "Your plans are far too expensive",
            "The subscription costs too much for a small team",
            "Pricing went up again, we can't afford it",
            "Please offer a cheaper tier",
            "The monthly fee is too high for what we get",
        ],
        "mobile": [
            "The iPhone app is very slow to open",
            "Android app drains my battery",
            "The mobile app crashes on my phone",
            "Your app on my tablet keeps freezing",
            "The phone app takes ages to load",
        ],
    }
    ids = seed(world.alpha, topics)
    services.recluster(world.alpha)
    found = {topic: {theme_of(i) for i in item_ids} for topic, item_ids in ids.items()}
    for topic, themes in found.items():
        assert len(themes) == 1 and None not in themes, (topic, found)
    assert len({next(iter(t)) for t in found.values()}) == 3


def test_cli_recomputes_and_lists_themes(world) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from harken.cli import app

    seed(world.alpha)
    result = CliRunner().invoke(app, ["insight", "themes", "--workspace", "alpha"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "3 themes over 18 items" in result.output
    assert world.alpha.themes.filter(status=ThemeStatus.ACTIVE).count() == 3
    bad = CliRunner().invoke(app, ["insight", "themes", "--workspace", "nope"])
    assert bad.exit_code != 0 and "No workspace" in bad.output


def test_merged_duplicates_count_through_their_survivor(world) -> None:  # type: ignore[no-untyped-def]
    from harken.insight.services import merge

    ids = seed(world.alpha)
    services.recluster(world.alpha)
    export = Theme.objects.get(pk=theme_of(ids["export"][0]))
    items = world.alpha.feedback_items
    merge(world.actor(world.bob), items.get(pk=ids["export"][0]), items.get(pk=ids["export"][1]))
    [row] = [s for s in services.summaries(world.actor(world.bob)) if s.theme.pk == export.pk]
    assert row.size == 5


def test_titles_restore_acronyms_and_names_from_the_items_and_avoid_weak_phrases() -> None:
    from harken.insight.embeddings import get_embedder
    from harken.insight.themes import labeling

    nps = [
        "Our NPS survey emails go to spam",
        "The NPS survey link is broken for some customers",
        "We want to send the NPS survey every quarter",
        "NPS survey results do not show in the dashboard",
    ]
    agent = [
        "Your agent knew exactly what to do, thanks",
        "The agent knew exactly how to fix my login",
        "Support agent knew exactly where the setting was",
        "That's great, the agent was quick",
        "That's what I call an agent",
    ]
    okta = ["Login with Okta fails for our team", "SSO login with Okta fails", "Since Monday login with Okta fails"]
    texts = nps + agent + okta
    labels = np.array([0] * len(nps) + [1] * len(agent) + [2] * len(okta))
    emb = get_embedder("hashing")
    centroids = clustering.centroids_of(emb.encode(texts), labels, 3)
    phrases = labeling.key_phrases(texts, labels, 3, centroids, emb.encode)
    titles = [labeling.title_from(p) for p in phrases]
    assert "NPS" in titles[0].split() and len(titles[0].split()) >= 2  # not "Nps"
    assert not titles[1].lower().endswith("exactly") and "that's" not in titles[1].lower()
    assert "Okta" in " ".join(phrases[2]) or "Okta" in titles[2] or "login" in titles[2].lower()

    lex = labeling.lexicon(["Please change my PIN", "I forgot my PIN", "the agent knew exactly", "Use Okta"])
    assert lex.restore("change my pin") == "change my PIN" and lex.restore("use okta") == "use Okta"
    assert not lex.good_end("please change") and not lex.good_end("agent knew exactly")
    assert lex.good_end("my pin") and lex.good_end("the agent")


def test_no_two_new_themes_get_the_same_title() -> None:
    from harken.insight.themes import labeling

    phrases = [["dashboard", "share a dashboard"], ["dashboard", "dashboard filters", "filters"], ["dashboard"], []]
    titles = labeling.distinct_titles(phrases, [[], [], [], ["export", "csv"]], sizes=[5, 9, 2, 3], taken=["Export"])
    # The largest theme chooses first; the others take their next phrase; one with no other keeps it.
    assert titles[1] == "Dashboard" and titles[0] == "Share a dashboard" and titles[2] == "Dashboard"
    assert titles[3] == "Export · CSV"


def _titles_of(groups: dict[str, list[str]], context: Sequence[str] = ()) -> dict[str, str]:
    """Titles of hand-made themes (hashing embedder), with `context` items in no theme: the rest of a
    workspace, which the title rules read their word statistics from."""
    from harken.insight.embeddings import get_embedder
    from harken.insight.themes import labeling

    texts = [t for items in groups.values() for t in items] + list(context)
    labels = np.array([g for g, items in enumerate(groups.values()) for _ in items] + [-1] * len(context))
    emb = get_embedder("hashing")
    centroids = clustering.centroids_of(emb.encode(texts), labels, len(groups))
    phrases = labeling.key_phrases(texts, labels, len(groups), centroids, emb.encode)
    keywords = labeling.keywords_per_theme(texts, labels, len(groups))
    titles = labeling.distinct_titles(phrases, keywords, [len(v) for v in groups.values()])
    return dict(zip(groups, titles, strict=True))


def test_a_source_header_or_score_shared_by_the_items_is_not_a_title() -> None:
    """Survey answers arrived as "NPS 10/10: <comment>": the header (and its score) is where an item
    came from, not what it says; it was the theme's only shared phrase, so the title was "NPS 10"."""
    from harken.insight.themes import labeling

    titles = _titles_of(
        {
            "nps": [
                "NPS 10/10: The new export is exactly what we asked for",
                "NPS 10/10: Love the export, it saves hours",
                "NPS 9/10: The export to Excel works well",
                "NPS 10/10: Export is great, thank you",
                "NPS 10/10: Setting up was easy",
            ],
            "okta": [
                "Sales call: login with Okta fails for the team",
                "Sales call: SSO login with Okta fails",
                "Re: login with Okta fails since Monday",
                "Re: the Okta login fails again",
            ],
        }
    )
    assert "NPS" not in titles["nps"] and "10" not in titles["nps"].split(), titles
    assert "export" in titles["nps"].lower(), titles
    assert "Sales call" not in titles["okta"] and ("Okta" in titles["okta"] or "login" in titles["okta"].lower())
    # A header shared by several items is metadata and goes; one that starts a single item is the
    # item's own words and stays; a time ("10:30") is no header.
    assert labeling.without_metadata(["Re: a", "RE:  b", "SSO fails: since Monday", "Call at 10:30 today"]) == [
        "a",
        "b",
        "SSO fails: since Monday",
        "Call at 10:30 today",
    ]
    assert labeling.without_metadata(["CSAT 4/5: Fast fix", "CSAT 5/5: Quick answer"]) == ["Fast fix", "Quick answer"]
    lex = labeling.lexicon(["Scored 10"])
    assert not lex.good_end("nps 10") and lex.good_end("after 4.2")


def test_a_praise_theme_is_titled_by_its_subject_not_a_verb_or_adverb_ending() -> None:
    """CSAT praise "The agent knew exactly what was wrong." was titled "Agent knew": a phrase cut out
    of a longer one, ending in a finite verb. The title names the subject ("Agent")."""
    from collections import Counter

    from harken.insight.themes import labeling

    praise = ["The agent knew exactly what was wrong."] * 5
    context = [
        "The agent was friendly and the answer was quick.",
        "Ask the agent about the invoice.",
        "The invoice was wrong again.",
        "My dashboard is slow.",
        "The export is broken.",
        "Our dashboard was wrong twice.",
    ]
    titles = _titles_of(
        {"praise": praise, "dashboard": ["Dashboard is slow", "Slow dashboard", "Dashboard slow"]}, context
    )
    # The subject, or (titles4) the whole clause every item repeats — never a piece cut out of it.
    last = titles["praise"].split()[-1].lower()
    whole = titles["praise"].lower() == "agent knew exactly what was wrong"
    assert whole or (last not in {"knew", "exactly", "wrong"} and "agent" in titles["praise"].lower()), titles

    lex = labeling.lexicon(
        praise + context, frozenset({"the", "was", "what", "and", "is", "about", "my", "our", "ask"})
    )
    assert lex.noun("agent") and lex.noun("invoice") and not lex.noun("knew") and not lex.noun("wrong")
    assert lex.fragment("agent knew", Counter({"exactly": 5}))  # always goes on: cut out of a phrase
    assert not lex.fragment("agent", Counter({"knew": 5}))  # a noun before its verb ends a noun phrase
    assert not lex.fragment("dashboard", Counter({"is": 1, "": 2}))
    assert not lex.fragment("agent knew", Counter({"exactly": 4, "": 1}))  # used on its own once: whole


def test_titles_differing_only_in_a_plural_are_alike() -> None:
    from harken.insight.themes import labeling

    titles = labeling.distinct_titles([["dashboards"], ["dashboard", "dashboard filters"]], [[], []], sizes=[9, 5])
    assert titles == ["Dashboards", "Dashboard filters"]


def test_reclustering_uses_the_configured_assign_threshold(world, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Re-clustering re-homes members of dissolved communities with the same bar as new items."""
    from harken.insight.themes import clustering

    seed(world.alpha)
    settings.HARKEN_THEME_ASSIGN_THRESHOLD = 0.3
    seen: list[float] = []
    real = clustering.cluster

    def spy(matrix, params, progress=None):  # type: ignore[no-untyped-def]
        seen.append(params.assign_threshold)
        return real(matrix, params, progress=progress)

    monkeypatch.setattr(clustering, "cluster", spy)
    services.plan_reclustering(world.alpha)
    assert seen == [0.3]


def _favouring(*words: str):  # type: ignore[no-untyped-def]
    """An encoder under the test's control: a phrase's cosine to the centroid (1, 0) is 0.9 if it
    contains the first of `words`, 0.8 the second…, else 0.5 plus a little per word."""

    def encode(phrases: list[str]) -> np.ndarray:
        out = []
        for p in phrases:
            said = [k for k, w in enumerate(words) if w in p.lower().split()]
            x = 0.9 - 0.1 * said[0] if said else 0.5 + 0.01 * len(p.split())
            out.append([x, float(np.sqrt(1 - x * x))])
        return np.asarray(out, dtype=np.float32).reshape(-1, 2)

    return encode


def test_a_top_level_title_speaks_for_its_core_not_one_smaller_sub_theme() -> None:
    """The demo's export group (272 items) was titled "Export everything to Excel": the sentence one of
    its twelve sub-themes (27 items) repeats. Told its sub-themes (`parts`), a top-level theme is titled
    by a phrase its largest part uses, or parts holding most of its items."""
    from harken.insight.themes import labeling

    core = [f"The Excel export of table {n} is missing" for n in range(6)]
    corner = ["Every month I export everything to Excel by hand"] * 3
    other = ["The dashboard is slow", "A slow dashboard again", "The dashboard loads slowly"]
    texts = core + corner + other
    labels = np.array([0] * (len(core) + len(corner)) + [1] * len(other))
    parts = np.array([0] * len(core) + [1] * len(corner) + [2] * len(other))
    centroids = np.array([[1.0, 0.0], [1.0, 0.0]], dtype=np.float32)
    encode = _favouring("everything")
    flat = labeling.key_phrases(texts, labels, 2, centroids, encode)
    assert "everything" in flat[0][0].split()  # the corner's sentence is closest to the centroid
    grouped = labeling.key_phrases(texts, labels, 2, centroids, encode, parts=parts)
    assert any(grouped[0][0].lower() in c.lower() for c in core), grouped  # "Export of table"
    # A phrase used by parts holding most of the items is core too, though the largest part lacks it.
    largest = [f"The table export of sheet {n} is missing" for n in range(5)]
    weekly = [f"Send the weekly report as Excel to team {n}" for n in range(8)]
    texts2 = largest + weekly + corner[:2] + other
    labels2 = np.array([0] * (5 + 8 + 2) + [1] * len(other))
    parts2 = np.array([0] * 5 + [1] * 4 + [2] * 4 + [3] * 2 + [4] * len(other))
    encode2 = _favouring("everything", "weekly")
    assert "everything" in labeling.key_phrases(texts2, labels2, 2, centroids, encode2)[0][0].split()
    grouped2 = labeling.key_phrases(texts2, labels2, 2, centroids, encode2, parts=parts2)
    assert "weekly" in grouped2[0][0].split(), grouped2


def test_the_workspace_own_name_is_no_title() -> None:
    """A product name customers write on every subject ("Acme Analytics") titled a praise theme
    ("Acme Analytics faster"). A name used by most themes is no title, nor a name word mostly
    written after it ("Analytics")."""
    from harken.insight.themes import labeling

    groups = {
        "praise": ["Our team adopted Zento Cloud faster than any tool, the charts are great"] * 4,
        "export": ["Zento Cloud needs a CSV export", "The CSV export in Zento Cloud", "CSV export please"],
        "sso": ["Zento Cloud login with Okta fails", "Okta login fails", "The Okta login fails in Zento Cloud"],
        "alerts": ["Alerts from Zento Cloud are late", "Late alerts", "The alerts are late"],
    }
    texts = [t for items in groups.values() for t in items]
    labels = np.array([g for g, items in enumerate(groups.values()) for _ in items])
    centroids = np.tile(np.array([[1.0, 0.0]], dtype=np.float32), (len(groups), 1))
    phrases = labeling.key_phrases(texts, labels, len(groups), centroids, _favouring("zento"))
    assert not any("zento" in p.lower() for ps in phrases for p in ps), phrases
    assert phrases[0] and phrases[1][0].lower() == "csv export", phrases

    from scipy import sparse

    lex = labeling.lexicon(["We use Zento Cloud", "Zento Cloud is slow", "Ask Zento", "Okta fails"])
    terms = ["cloud", "okta", "zento", "zento cloud"]
    uses = sparse.csc_matrix(np.array([[1, 0, 1, 1], [1, 1, 1, 1], [0, 0, 1, 0]]))
    spread = labeling.spread_names(terms, uses, np.array([2, 1, 3, 2]), lex)
    assert spread.tolist() == [True, False, True, True]

    # A name only one theme uses is not spread ("/zento command in Slack", a small demo): the
    # workspace's own name, passed by the caller, still titles nothing.
    groups["slack"] = ["A /zento command in Slack", "The /zento command in Slack please", "Slack alerts"]
    texts = [t for items in groups.values() for t in items]
    labels = np.array([g for g, items in enumerate(groups.values()) for _ in items])
    centroids = np.tile(np.array([[1.0, 0.0]], dtype=np.float32), (len(groups), 1))
    slack = len(groups) - 1
    texts = [t.replace("Zento Cloud", "the tool") for t in texts]  # "Zento" only in the slack theme
    plain = labeling.key_phrases(texts, labels, len(groups), centroids, _favouring("zento"))
    assert any("zento" in p.lower() for p in plain[slack]), plain  # not spread: a title candidate
    named = labeling.key_phrases(texts, labels, len(groups), centroids, _favouring("zento"), own_names="Zento Cloud")
    assert not any("zento" in p.lower() for ps in named for p in ps), named
    assert named[slack], named


def test_a_time_phrase_is_no_topic() -> None:
    """The demo titled a login theme "Logged in for weeks": a phrase that says when, not what. A time
    adverbial is cut from a candidate when what is left is a candidate too ("white dashboard all
    day" → "white dashboard"); a phrase that is all time goes; a time word before a noun is a
    modifier and stays ("Monday report")."""
    from harken.insight.themes import labeling

    timed = ("logged in for weeks", "since monday", "every day", "analyst takes two weeks", "failed overnight")
    for phrase in (*timed, "week because the pipeline"):
        assert labeling.time_phrase(phrase), phrase
    for phrase in ("monday report", "load times", "weekly email", "export to excel", "change the fiscal year"):
        assert not labeling.time_phrase(phrase), phrase
    assert labeling.time_cut("syncs delayed by hours") == "syncs delayed"
    assert labeling.time_cut("broke three pipelines yesterday") == "broke three pipelines"
    assert labeling.time_cut("every day") == "" and labeling.time_cut("monday report") is None

    white = ["I see a white dashboard all day", "A white dashboard all day long", "The white dashboard again"]
    white += ["Why a white dashboard", "The dashboard is slow"]
    [phrases] = labeling.key_phrases(
        white, np.zeros(len(white), dtype=np.int64), 1, _ONE_CENTROID, _scoring(("white", "day"), ("white",))
    )
    assert phrases[0] == "white dashboard" and "day" not in phrases, phrases


def test_a_time_phrase_is_kept_whole_rather_than_cut_to_a_fragment_or_a_lone_word() -> None:
    """titles4's first cut made "Dashboard takes 15 seconds" "Revenue Overview dashboard takes" (a
    verb last), "Logged in for weeks" vanish, "Pipeline failed silently overnight" "Failed": what
    is left after the time words must be a candidate of two words or more, or the phrase stays."""
    from harken.insight.themes import labeling

    slow = ["The revenue dashboard takes 15 seconds to load", "Our revenue dashboard takes 15 seconds"]
    slow += ["The revenue dashboard takes 15 seconds, every time", "The dashboard is slow"]
    [phrases] = labeling.key_phrases(
        slow, np.zeros(len(slow), dtype=np.int64), 1, _ONE_CENTROID, _scoring(("seconds", "dashboard"))
    )
    assert phrases[0] == "dashboard takes 15 seconds", phrases  # not "dashboard takes", nor the next phrase

    login = [
        "Other apps keep me logged in for weeks, please add Face ID login",
        "Face ID login please, other apps keep me logged in for weeks",
        "Other apps keep me logged in for weeks. Face ID login would be nice",
        "Keep me logged in for weeks like other apps",
    ]
    [phrases] = labeling.key_phrases(
        login, np.zeros(len(login), dtype=np.int64), 1, _ONE_CENTROID, _favouring("weeks", "face")
    )
    assert phrases[0] == "logged in for weeks", phrases  # "logged" alone is no title


def test_a_time_cut_title_takes_no_other_theme_title() -> None:
    """On banking77 "Cheque couple days ago" cut to "Cheque" took a smaller cheque theme's title
    (which fell to "Account"). A title cut from a time phrase that another theme also has first
    gives way to the phrase with its time words."""
    from harken.insight.themes import labeling

    missing = ["My cheque deposit is missing", "The cheque deposit is missing", "Where is my cheque deposit"]
    missing += ["A cheque deposit is missing"]
    late = ["I made a cheque deposit last week", "My cheque deposit last week is not there"]
    late += ["The cheque deposit last week"]
    labels = np.array([0] * len(missing) + [1] * len(late))
    centroids = np.tile(_ONE_CENTROID, (2, 1))

    def encode(phrases: list[str]) -> np.ndarray:
        xs = [0.95 if "week" in p and "cheque" in p else 0.9 if p == "cheque deposit" else 0.5 for p in phrases]
        return np.asarray([[x, np.sqrt(1 - x * x)] for x in xs], dtype=np.float32).reshape(-1, 2)

    phrases = labeling.key_phrases(missing + late, labels, 2, centroids, encode)
    assert phrases[0][0] == "cheque deposit" and phrases[1][0] == "cheque deposit last week", phrases
    titles = labeling.distinct_titles(phrases, [[], []], [len(missing), len(late)])
    assert titles == ["Cheque deposit", "Cheque deposit last week"], titles


_ONE_CENTROID = np.array([[1.0, 0.0]], dtype=np.float32)


def _scoring(*words: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """An encoder: a phrase's cosine to the centroid (1, 0) is 0.95 if it holds all of the first
    tuple's words, 0.9 the second's…, else 0.5."""

    def encode(phrases: list[str]) -> np.ndarray:
        out = []
        for p in phrases:
            said = [k for k, ws in enumerate(words) if all(w in p.lower().split() for w in ws)]
            x = 0.95 - 0.05 * said[0] if said else 0.5
            out.append([x, float(np.sqrt(1 - x * x))])
        return np.asarray(out, dtype=np.float32).reshape(-1, 2)

    return encode


def test_a_lone_word_or_a_wish_gives_way_to_the_noun_phrase_of_the_same_items() -> None:
    """The demo titled its blank-report group "Missing" (an adjective alone) and a pricing theme
    "Discount would help" (a wish). A one-word or modal title gives way to the most relevant noun
    phrase of 2–4 words that contains its word and is used at least half as often."""
    from harken.insight.themes import labeling

    report = ["Missing charts in the report email"] * 2 + ["The report email has missing charts"]
    report += ["The charts in the report are blank", "The missing charts again", "Missing, the charts"]
    texts = [*report, "The charts look fine"]  # context: in no theme
    labels = np.array([0] * len(report) + [-1])
    centroids = np.array([[1.0, 0.0]], dtype=np.float32)

    def encode(phrases: list[str]) -> np.ndarray:  # the lone adjective is closest to the centroid
        xs = [0.95 if p == "missing" else 0.8 if "missing" in p.split() else 0.5 for p in phrases]
        return np.asarray([[x, np.sqrt(1 - x * x)] for x in xs], dtype=np.float32).reshape(-1, 2)

    [phrases] = labeling.key_phrases(texts, labels, 1, centroids, encode)
    assert phrases[0].lower() == "missing charts", phrases

    lex = labeling.lexicon(
        [
            "A nonprofit discount would help us",
            "The nonprofit discount would help",
            "The discount is fair",
            "Ask the agent",
        ],
        frozenset({"a", "the", "us", "would", "is"}),
    )
    others = [("nonprofit discount", 2.0, 0.4), ("discount is fair", 1.0, 0.9), ("agent", 1.0, 0.95)]
    assert lex.noun_phrase_for("discount would help", others, 2.0) == "nonprofit discount"
    assert lex.noun_phrase_for("discount", [("nonprofit discount", 1.0, 0.4)], 4.0) is None  # used too rarely
    assert lex.noun_phrase_for("nonprofit discount", others, 2.0) is None  # not weak: stays
    # No clause-like phrase ("complains that the dashboard") stands in for a word.
    assert lex.noun_phrase_for("dashboard", [("complains that the dashboard", 3.0, 0.9)], 3.0) is None
