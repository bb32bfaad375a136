from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from harken.core.taskrun import run_pending_tasks
from harken.customers.models import Account, Contact
from harken.feedback.actions import update_feedback
from harken.feedback.models import Feedback, Tag
from harken.insight import duplicates, services
from harken.insight.models import DuplicateSuggestion, FeedbackMerge, ItemEmbedding, SuggestionStatus
from harken.workspaces.access import Actor
from tests.insight.helpers import add

pytestmark = pytest.mark.django_db

PDF = "The app crashes every time I export a large report to PDF on Windows 11 (version 4.2.1)"


def embed_tasks() -> int:
    return DBTaskResult.objects.filter(task_path="harken.insight.tasks.understand_items", status="READY").count()


def test_new_item_enqueues_embedding_in_its_transaction(world) -> None:  # type: ignore[no-untyped-def]
    item = add(world.alpha, PDF)
    assert embed_tasks() == 1
    assert not ItemEmbedding.objects.filter(feedback=item).exists()
    run_pending_tasks()
    row = ItemEmbedding.objects.get(feedback=item)
    assert row.workspace_id == world.alpha.pk and row.embedder == "hashing" and row.dim == 256
    assert len(bytes(row.vector)) == 256 * 4


def test_rolled_back_item_leaves_no_job(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError), transaction.atomic():
        add(world.alpha, PDF)
        raise RuntimeError("import failed half-way")
    assert embed_tasks() == 0


def test_text_edit_re_embeds_and_backfill_is_idempotent(world) -> None:  # type: ignore[no-untyped-def]
    item = add(world.alpha, "Dark mode please")
    run_pending_tasks()
    before = ItemEmbedding.objects.get(feedback=item)
    update_feedback(world.actor(world.bob), item, text="Export to CSV is broken")
    assert embed_tasks() == 1
    run_pending_tasks()
    after = ItemEmbedding.objects.get(feedback=item)
    assert after.text_hash != before.text_hash and bytes(after.vector) != bytes(before.vector)
    assert services.embed_workspace(world.alpha) == 0  # nothing stale
    assert services.embed_workspace(world.alpha, force=True) == 1


def test_backfill_embeds_everything_missing(world) -> None:  # type: ignore[no-untyped-def]
    for i in range(7):
        add(world.alpha, f"Item number {i} about exports")
    seen = []
    assert services.embed_workspace(world.alpha, batch_size=3, progress=lambda d, t: seen.append((d, t))) == 7
    assert seen[-1] == (7, 7) and len(seen) == 3
    assert ItemEmbedding.objects.for_workspace(world.alpha).count() == 7


def test_bad_input_is_embedded_without_failing(world) -> None:  # type: ignore[no-untyped-def]
    huge = "PDF export crashes. " * 5200  # ~100 KB
    items = [add(world.alpha, t) for t in ["ok", "🙂🔥🚀", "Die App stürzt beim PDF-Export ab", huge]]
    run_pending_tasks()
    assert ItemEmbedding.objects.filter(feedback__in=items).count() == 4
    assert len(items[3].text) == len(huge.strip())  # full text kept
    assert services.similar_items(world.actor(world.bob), items[1]) is not None


def test_similar_items_are_ranked_and_never_cross_workspaces(world) -> None:  # type: ignore[no-untyped-def]
    target = add(world.alpha, PDF)
    near = add(world.alpha, "Exporting a large report to PDF crashes the app on Windows")
    far = add(world.alpha, "Please add a dark mode to the dashboard")
    secret = add(world.bravo, PDF)  # identical text, other workspace
    run_pending_tasks()
    result = services.similar_items(world.actor(world.bob), target)
    ids = [s.feedback.pk for s in result]
    assert ids[0] == near.pk and far.pk in ids and target.pk not in ids
    assert secret.pk not in ids
    assert result[0].score > result[-1].score
    bravo = services.similar_items(world.actor(world.charlie), secret)
    assert {s.feedback.workspace_id for s in bravo} <= {world.bravo.pk}
    with pytest.raises(ValidationError):
        services.similar_items(world.actor(world.bob), secret)


def test_duplicate_suggestion_for_new_item_and_dismiss(world) -> None:  # type: ignore[no-untyped-def]
    original = add(world.alpha, PDF)
    add(world.alpha, "Please add a dark mode to the dashboard")
    add(world.alpha, "Invoices should show the VAT number")
    run_pending_tasks()
    assert not DuplicateSuggestion.objects.exists()
    repeat = add(world.alpha, PDF.replace("every time", "each time"))
    run_pending_tasks()
    suggestion = DuplicateSuggestion.objects.get()
    assert (suggestion.item, suggestion.candidate) == (repeat, original)
    assert suggestion.score >= duplicates.COLD_START_THRESHOLD and set(suggestion.signals) == {
        "cosine",
        "hub",
        "lexical",
        "identifiers",
        "conflict",
        "z_hub",
        "z_lexical",
    }
    assert list(services.open_suggestions(world.actor(world.vera))) == [suggestion]
    with pytest.raises(PermissionDenied):
        services.dismiss_suggestion(world.actor(world.vera), suggestion)
    services.dismiss_suggestion(world.actor(world.bob), suggestion)
    assert suggestion.status == SuggestionStatus.DISMISSED
    assert services.suggest_duplicates(repeat) == []  # decided pairs are not raised again
    with pytest.raises(ValidationError, match="already decided"):
        services.dismiss_suggestion(world.actor(world.bob), suggestion)


def test_batched_suggestions_equal_item_by_item_suggestions(world) -> None:  # type: ignore[no-untyped-def]
    texts = [
        PDF,
        PDF.replace("every time", "each time"),
        PDF.replace("large report", "big report"),
        "Please add a dark mode to the dashboard",
        "Please add a dark mode to the dashboard, my eyes hurt at night",
        "Invoices should show the VAT number",
        "Invoices must show our VAT number",
        "Upgrade Django to 3.1",
        "Upgrade Django to 3.2",
        "Search is slow when the inbox has many items",
    ]
    items = [add(world.alpha, t) for t in texts]
    add(world.bravo, PDF)  # another workspace's twin is never a candidate
    run_pending_tasks()
    merged = add(world.alpha, "Invoices should show the VAT number please")
    run_pending_tasks()
    services.merge(world.actor(world.bob), items[5], merged)  # merged items are hidden from pools
    DuplicateSuggestion.objects.all().delete()

    def filed() -> set[tuple[int, int, float]]:
        return {(s.item_id, s.candidate_id, round(s.score, 4)) for s in DuplicateSuggestion.objects.all()}

    for item in items:
        services.suggest_duplicates(item)
    one_by_one = filed()
    DuplicateSuggestion.objects.all().delete()
    created = services.suggest_duplicates_many(world.alpha, [*reversed(items), *world.bravo.feedback_items.all()])
    batched = filed()
    assert len(one_by_one) >= 3 and batched == one_by_one and len(created) == len(batched)
    assert all(s.workspace_id == world.alpha.pk for s in created)
    assert merged.pk not in {i for pair in batched for i in pair[:2]}
    assert (items[7].pk, items[8].pk) not in {p[:2] for p in batched} | {(b, a) for a, b, _ in batched}
    # A second pass files nothing new: pairs already raised (either way round) are not raised again.
    assert services.suggest_duplicates_many(world.alpha, items) == []
    # The insight job (one chunk) goes through the batch.
    DuplicateSuggestion.objects.all().delete()
    from harken.insight.tasks import understand_items

    understand_items.call([i.pk for i in items])
    assert filed() == one_by_one


def test_a_merged_items_text_keeps_counting_for_its_survivor(world) -> None:  # type: ignore[no-untyped-def]
    survivor = add(world.alpha, "Exports are broken for us")
    merged = add(world.alpha, PDF)
    for text in ("Please add a dark mode to the dashboard", "Invoices should show the VAT number"):
        add(world.alpha, text)
    run_pending_tasks()
    before = {c.feedback.pk: c.score for c in services.duplicate_candidates(world.alpha, merged)}
    services.merge(world.actor(world.bob), survivor, merged)
    new = add(world.alpha, PDF.replace("every time", "each time"))
    run_pending_tasks()
    found = services.duplicate_candidates(world.alpha, new)
    # The new report is compared with the merged text and lands on the survivor, not on the hidden item.
    assert found[0].feedback == survivor and merged.pk not in {c.feedback.pk for c in found}
    assert found[0].signals.lexical > 0.5 and found[0].score >= duplicates.COLD_START_THRESHOLD
    suggestion = DuplicateSuggestion.objects.get(item=new)
    assert suggestion.candidate == survivor
    # The survivor's own pool does not list its merged item (nor itself).
    assert {c.feedback.pk for c in services.duplicate_candidates(world.alpha, survivor)} & {
        merged.pk,
        survivor.pk,
    } == set()
    assert survivor.pk in before  # (sanity: both items were in each other's pool before the merge)


def test_fusion_lets_words_support_meaning_but_never_veto_it() -> None:
    """Hand example: a paraphrase (same meaning, no shared words) keeps its rank; shared rare words lift a pair."""
    pool = [duplicates.Signals(cosine=0.3, hub=0.1 + 0.002 * i, lexical=0.05, identifiers=0.0) for i in range(40)]
    stats = duplicates.PoolStats.of(pool)
    paraphrase = duplicates.Signals(cosine=0.8, hub=0.6, lexical=0.0, identifiers=0.0)
    same_words = duplicates.Signals(cosine=0.7, hub=0.5, lexical=0.6, identifiers=0.0)
    look_alike = duplicates.Signals(cosine=0.7, hub=0.55, lexical=0.05, identifiers=0.0)
    score = {name: duplicates.fuse(s, stats) for name, s in [("p", paraphrase), ("w", same_words), ("l", look_alike)]}
    # Words lift `same_words` above the closer-in-meaning look-alike ...
    assert score["w"] > score["l"]
    # ... but sharing no words costs the paraphrase nothing against an average pool member's words.
    assert score["p"] == pytest.approx(stats.z(paraphrase, "hub"))
    assert score["p"] > score["l"]
    # A version conflict vetoes whatever the other signals say.
    conflict = duplicates.Signals(cosine=0.99, hub=0.9, lexical=0.9, identifiers=0.0, conflict=1.0)
    assert duplicates.fuse(conflict, stats) < min(score.values())


def test_exact_duplicates_and_empty_items(world) -> None:  # type: ignore[no-untyped-def]
    a = add(world.alpha, "Sync fails with error 0x80070005")
    b = add(world.alpha, "Sync fails with error 0x80070005", dedupe_key="second-copy")
    # The feedback service refuses empty text, but bulk paths (imports, channels) may still store one.
    empty = Feedback.objects.create(workspace=world.alpha, text=" ", title="")
    run_pending_tasks()
    services.embed_workspace(world.alpha)
    found = services.duplicate_candidates(world.alpha, b)
    assert found[0].feedback == a and found[0].signals.identifiers == 1.0
    assert services.duplicate_candidates(world.alpha, empty) == []
    assert services.similar_items(world.actor(world.bob), empty) == []


def _requester(world, name: str):  # type: ignore[no-untyped-def]
    account = Account.objects.create(workspace=world.alpha, name=f"{name} Inc")
    contact = Contact.objects.create(
        workspace=world.alpha, name=name, email=f"{name.lower()}@example.com", account=account
    )
    return account, contact


def test_merge_and_undo_round_trip_keeps_requesters(world) -> None:  # type: ignore[no-untyped-def]
    acme, ann = _requester(world, "Ann")
    globex, gus = _requester(world, "Gus")
    a = add(world.alpha, PDF, account=acme, contact=ann, tags=["export"])
    b = add(world.alpha, PDF + " too", account=globex, contact=gus, tags=["export", "windows"])
    c = add(world.alpha, "Same PDF crash here", author_email="Zed@Example.com")
    run_pending_tasks()
    bob = world.actor(world.bob)
    with pytest.raises(PermissionDenied):
        services.merge(world.actor(world.vera), a, b)
    record = services.merge(bob, a, b)
    assert set(a.tags.values_list("name", flat=True)) == {"export", "windows"}
    assert record.added_tag_ids == [Tag.objects.get(name="windows").pk]
    services.merge(bob, b_survivor := a, c)
    r = services.requesters(b_survivor)
    assert {x.pk for x in r.accounts} == {acme.pk, globex.pk}
    assert {x.pk for x in r.contacts} == {ann.pk, gus.pk}
    assert "zed@example.com" in r.emails
    assert services.merged_into(b) == a and services.merged_items(a) == [b, c]
    assert b.pk not in [s.feedback.pk for s in services.similar_items(bob, a)]
    # B is kept, intact.
    b.refresh_from_db()
    assert b.account == globex and b.text.endswith("too")
    with pytest.raises(ValidationError, match="already merged"):
        services.merge(bob, c, b)
    with pytest.raises(ValidationError, match="itself merged"):
        services.merge(bob, b, add(world.alpha, "A fresh item"))
    with pytest.raises(ValidationError, match="into itself"):
        services.merge(bob, a, a)

    services.undo_merge(bob, record)
    assert services.merged_into(b) is None and services.merged_items(a) == [c]
    assert set(a.tags.values_list("name", flat=True)) == {"export"}
    assert {x.pk for x in services.requesters(a).accounts} == {acme.pk}
    with pytest.raises(ValidationError, match="already undone"):
        services.undo_merge(bob, record)
    assert FeedbackMerge.objects.count() == 2  # history kept
    services.merge(bob, a, b)  # and it can be merged again
    assert services.merged_items(a) == [c, b]


def test_merge_chains_follow_to_the_top(world) -> None:  # type: ignore[no-untyped-def]
    a, b, c = (add(world.alpha, f"Request {i}") for i in "abc")
    bob = world.actor(world.bob)
    services.merge(bob, b, c)
    services.merge(bob, a, b)
    assert services.merged_into(c) == a
    assert services.merged_items(a) == [b, c]


def test_merge_refuses_other_workspaces(world) -> None:  # type: ignore[no-untyped-def]
    a = add(world.alpha, "Alpha item")
    z = add(world.bravo, "Bravo item")
    with pytest.raises(ValidationError, match="this workspace"):
        services.merge(world.actor(world.bob), a, z)


def test_merge_marks_suggestion_and_undo_reopens_it(world) -> None:  # type: ignore[no-untyped-def]
    a = add(world.alpha, PDF)
    b = add(world.alpha, PDF + "!")
    s = DuplicateSuggestion.objects.create(workspace=world.alpha, item=b, candidate=a, score=0.9)
    record = services.merge(world.actor(world.bob), a, b, suggestion=s)
    s.refresh_from_db()
    assert s.status == SuggestionStatus.MERGED
    assert list(services.open_suggestions(world.actor(world.bob))) == []
    services.undo_merge(world.actor(world.bob), record)
    s.refresh_from_db()
    assert s.status == SuggestionStatus.OPEN


def test_merge_signal_lets_other_apps_record_what_they_moved(world) -> None:  # type: ignore[no-untyped-def]
    from harken.insight.signals import feedback_merged, feedback_unmerged

    seen = []

    def moved(sender, merge, actor, **kwargs):  # type: ignore[no-untyped-def]
        merge.details["votes"] = {"moved": [1, 2]}

    def restored(sender, merge, actor, survivor, merged, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(merge.details["votes"]["moved"])

    feedback_merged.connect(moved)
    feedback_unmerged.connect(restored)
    try:
        a, b = add(world.alpha, "one"), add(world.alpha, "two")
        record = services.merge(Actor.system(world.alpha), a, b)
        record.refresh_from_db()
        assert record.details == {"votes": {"moved": [1, 2]}}
        services.undo_merge(Actor.system(world.alpha), record)
        assert seen == [[1, 2]]
    finally:
        feedback_merged.disconnect(moved)
        feedback_unmerged.disconnect(restored)


def test_merged_items_leave_the_inbox_until_the_merge_is_undone(world) -> None:  # type: ignore[no-untyped-def]
    from harken.feedback.queries import search_feedback

    a, b = add(world.alpha, "Export to Excel please"), add(world.alpha, "Please add Excel export")
    bob = world.actor(world.bob)

    def inbox() -> set[int]:
        return {item.pk for item in search_feedback(world.alpha, {})}

    assert {a.pk, b.pk} <= inbox()
    record = services.merge(bob, a, b)
    b.refresh_from_db()
    assert b.merged_into == a and b.pk not in inbox() and a.pk in inbox()
    services.undo_merge(bob, record)
    b.refresh_from_db()
    assert b.merged_into is None and b.pk in inbox()


def test_version_conflicts_are_not_duplicates() -> None:
    from harken.insight import lexical

    def conflict(a: str, b: str) -> bool:
        return duplicates.version_conflict(lexical.tokens(a), lexical.tokens(b))

    assert conflict("Upgrade Django to 3.1", "Upgrade Django to 3.2")
    assert conflict("Bump lodash from 4.17.20 to 4.17.21", "Bump lodash from 4.17.19 to 4.17.20") is False  # shares one
    assert not conflict("Upgrade Django to 3.1", "Upgrade Django to 3.1 please")
    assert not conflict(
        "Crash on start in 2.4.1 when opening the PDF export dialog from the toolbar",
        "App 2.5.0 crashes at launch since the update, nothing opens at all",
    )
    stats = lexical.CorpusStats.from_texts(["Upgrade Django to 3.1", "Upgrade Django to 3.2", "other"])
    sig = duplicates.signals(
        0.98, 0.1, 0.1, lexical.tokens("Upgrade Django to 3.1"), lexical.tokens("Upgrade Django to 3.2"), stats
    )
    assert sig.conflict == 1.0
    model = duplicates.Model()
    assert not model.is_suggestion(sig, duplicates.PoolStats.of([sig]))


def test_learning_from_decisions_adapts_threshold_and_ranking() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    # This team's duplicates share rare words; its non-duplicates are templated look-alikes that
    # embed closer than the real duplicates: the equal-weight fusion cannot tell them apart.
    pos = np.column_stack([rng.normal(1, 1, 40), rng.normal(4, 1.5, 40), np.zeros(40)])
    neg = np.column_stack([rng.normal(3, 1, 40), rng.normal(2, 1.5, 40), np.zeros(40)])
    x, y = np.vstack([pos, neg]), np.array([1] * 40 + [0] * 40)
    model = duplicates.learn(x, y)
    assert model.learned and model.calibrated and model.labels == 80
    assert model.weights is not None and model.weights[1] > 0 > model.weights[0]
    assert model.cv["learned_ap"] > model.cv["cold_start_ap"]
    # Too few labels of one kind: the cold start stays.
    cold = duplicates.learn(x[:44], y[:44])
    assert not cold.learned and cold.threshold == duplicates.COLD_START_THRESHOLD


def test_threshold_is_the_lowest_score_that_meets_the_precision_target() -> None:
    import numpy as np

    scores = np.array([9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0])
    labels = np.array([1, 1, 1, 1, 0, 1, 0, 0])
    # Precision at or above each score: 1, 1, 1, 1, .8, .83, .71, .63 → lowest with >= 0.8 is 4.0.
    assert duplicates.threshold_for(scores, labels, 0.8) == 4.0
    assert duplicates.threshold_for(scores, labels, 0.9) == 6.0
    assert duplicates.threshold_for(scores, np.zeros(8, dtype=int), 0.8) is None


def test_threshold_counts_every_pair_tied_at_it() -> None:
    import numpy as np

    # Six merged pairs at 4.0, six dismissed ones tied at 3.5: "score >= 3.5" suggests all twelve
    # (precision 0.5), so the threshold is 4.0 — not 3.5 because the first pair at 3.5 alone would pass.
    scores = np.array([4.0] * 6 + [3.5] * 6)
    labels = np.array([1] * 6 + [0] * 6)
    assert duplicates.threshold_for(scores, labels, 0.8) == 4.0
    assert duplicates.threshold_for(np.array([2.0, 2.0, 1.0]), np.array([0, 1, 1]), 0.8) is None


def test_workspace_threshold_is_calibrated_from_its_decisions(world) -> None:  # type: ignore[no-untyped-def]
    """Merges and dismissals move the workspace's threshold to where its own pairs are 80 % duplicates."""
    import numpy as np

    rng = np.random.default_rng(3)
    # A team whose real duplicates score 4-9 on the cold-start scale and whose look-alikes 2-6:
    # the cold-start threshold (6.51) would miss most duplicates; calibration lowers it.
    pos = np.column_stack([rng.uniform(4, 9, 30), np.zeros(30), np.zeros(30)])
    neg = np.column_stack([rng.uniform(2, 6, 30), np.zeros(30), np.zeros(30)])
    x, y = np.vstack([pos, neg]), np.array([1] * 30 + [0] * 30)
    model = duplicates.learn(x, y)
    assert model.calibrated and model.threshold < duplicates.COLD_START_THRESHOLD
    above = duplicates.cold_score(x) >= model.threshold if not model.learned else None
    if above is not None:
        assert y[above].mean() >= duplicates.PRECISION_TARGET and y[above].sum() > (
            y[duplicates.cold_score(x) >= duplicates.COLD_START_THRESHOLD].sum()
        )
    # A stricter target gives a threshold at least as high.
    assert duplicates.learn(x, y, target=0.95).threshold >= model.threshold


def test_duplicate_model_learns_from_the_workspaces_decisions_only(world) -> None:  # type: ignore[no-untyped-def]
    items = [add(world.alpha, f"Report {n}: export to PDF crashes with error E{n}00") for n in range(12)]
    add(world.bravo, "Bravo's only item")
    run_pending_tasks()
    DuplicateSuggestion.objects.all().delete()
    assert not services.duplicate_model(world.alpha).calibrated  # no decisions yet: cold start
    for n in range(10):
        merged = n % 2 == 0  # the team merged pairs that stand out, dismissed the ordinary ones
        DuplicateSuggestion.objects.create(
            workspace=world.alpha,
            item=items[n],
            candidate=items[n + 1] if n < 11 else items[0],
            score=0.0,
            status=SuggestionStatus.MERGED if merged else SuggestionStatus.DISMISSED,
            signals={"z_hub": 3.0 + n / 10 if merged else 1.0 + n / 10, "z_lexical": 1.0, "identifiers": 0.0},
        )
    model = services.duplicate_model(world.alpha)
    assert model.calibrated and model.labels == 10
    # Its own pairs score 3.5-4.3 (merged) and 1.6-2.4 (dismissed) on the cold scale: at 2.4, 5 of the
    # 6 pairs at or above are duplicates (0.83 >= 0.8), at 2.2 only 5 of 7 — so 2.4, far below 6.51.
    assert not model.learned and model.threshold == pytest.approx(2.4)
    assert not services.duplicate_model(world.bravo).calibrated  # another workspace's decisions do not count


# ---------------------------------------------------------------- the ranking learns from merges and dismissals

LEARN_TEXTS = {
    # The master's own text is a little less like the new report than a look-alike's; the report merged
    # into it shares the new report's rare words (error code, module) but is further from it in meaning.
    "survivor": "Exporting the quarterly report to PDF crashes",
    "member": "The invoice module shows error XK42 on the billing screen",
    "rival": "Exporting the quarterly report to PDF crashes with errors",
    "new": "Exporting the quarterly report to PDF crashes with error XK42 in the invoice module",
    "others": ["Please add a dark mode to the dashboard", "Invoices should show the VAT number", "Search is slow"],
}


def _learning_workspace(ws):  # type: ignore[no-untyped-def]
    items = {k: add(ws, v) for k, v in LEARN_TEXTS.items() if k != "others"}
    for text in LEARN_TEXTS["others"]:
        add(ws, text)
    run_pending_tasks()
    return items


def _order(ws, item) -> list[int]:  # type: ignore[no-untyped-def]
    return [c.feedback.pk for c in services.duplicate_candidates(ws, item)]


def test_merges_teach_the_ranking_a_group_is_compared_through_all_its_texts(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    it = _learning_workspace(world.alpha)
    before = _order(world.alpha, it["new"])
    assert before.index(it["rival"].pk) < before.index(it["survivor"].pk)
    assert services.duplicate_model(world.alpha).ranking_decisions == 0
    services.merge(world.actor(world.bob), it["survivor"], it["member"])
    after = _order(world.alpha, it["new"])
    # The master now speaks with its merged report's words too: it overtakes the look-alike.
    assert after[0] == it["survivor"].pk and it["member"].pk not in after
    model = services.duplicate_model(world.alpha)
    assert model.merges == 1 and model.ranking_decisions == 1
    # Without the bucket (only the closest member's text) the merge would not have changed the order.
    monkeypatch.setattr(duplicates, "with_bucket_words", lambda sig, *a: sig)
    without = _order(world.alpha, it["new"])
    assert without.index(it["rival"].pk) < without.index(it["survivor"].pk)


def test_a_dismissed_report_never_speaks_for_its_group(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    it = _learning_workspace(world.alpha)
    DuplicateSuggestion.objects.all().delete()
    dismissed = DuplicateSuggestion.objects.create(
        workspace=world.alpha, item=it["new"], candidate=it["member"], score=1.0, signals={}
    )
    services.dismiss_suggestion(world.actor(world.bob), dismissed)  # "not the same request"
    services.merge(world.actor(world.bob), it["survivor"], it["member"])
    other = add(world.alpha, LEARN_TEXTS["new"] + " again")
    run_pending_tasks()

    def scores(item):  # type: ignore[no-untyped-def]
        return {c.feedback.pk: round(c.score, 6) for c in services.duplicate_candidates(world.alpha, item)}

    learned, learned_other = scores(it["new"]), scores(other)
    with monkeypatch.context() as m:
        m.setattr(duplicates, "with_bucket_words", lambda sig, *a: sig)
        closest_only, closest_only_other = scores(it["new"]), scores(other)
    # The member the team rejected for this report does not lend its words to its group for that report ...
    assert learned == closest_only
    # ... but it still does for any other report.
    assert learned_other[it["survivor"].pk] > closest_only_other[it["survivor"].pk]


def test_one_workspaces_decisions_never_change_another_workspaces_ranking(world) -> None:  # type: ignore[no-untyped-def]
    alpha, bravo = _learning_workspace(world.alpha), _learning_workspace(world.bravo)

    def scores(ws, item) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
        return [(c.feedback.text, round(c.score, 6)) for c in services.duplicate_candidates(ws, item)]

    bravo_before = scores(world.bravo, bravo["new"])
    assert bravo_before == scores(world.alpha, alpha["new"])  # same texts, same ranking
    services.merge(world.actor(world.bob), alpha["survivor"], alpha["member"])
    for s in world.alpha.duplicate_suggestions.filter(status=SuggestionStatus.OPEN):
        services.dismiss_suggestion(world.actor(world.bob), s)
    assert scores(world.alpha, alpha["new"]) != bravo_before  # alpha learned ...
    assert scores(world.bravo, bravo["new"]) == bravo_before  # ... bravo did not
    assert services.duplicate_model(world.bravo).ranking_decisions == 0
    assert services.duplicate_model(world.alpha).merges == 1


def test_similar_items_find_the_master_through_a_merged_report(world) -> None:  # type: ignore[no-untyped-def]
    it = _learning_workspace(world.alpha)
    actor = world.actor(world.bob)
    cosine = {s.feedback.pk: s.score for s in services.similar_items(actor, it["new"])}
    services.merge(actor, it["survivor"], it["member"])
    after = {s.feedback.pk: s.score for s in services.similar_items(actor, it["new"])}
    assert it["member"].pk not in after
    assert after[it["survivor"].pk] == pytest.approx(max(cosine[it["survivor"].pk], cosine[it["member"].pk]))
    # The survivor's own page does not list its merged report, nor the merged report's page its group.
    assert {it["member"].pk, it["survivor"].pk} & {
        s.feedback.pk for s in services.similar_items(actor, it["survivor"])
    } == set()
