"""CPU per item of the duplicate-suggestion stage (`services.suggest_duplicates_many`), in process.

Usage (bounded; SQLite by default, so the database's own CPU is inside the figure):
    HARKEN_EMBEDDER=hashing .venv/bin/python bench/dup_stage.py --name after
    ... bench/dup_stage.py --src /path/to/other/checkout/src --name before   # the same data, other code
    ... bench/dup_stage.py --profile 25                                        # cProfile of one pass

Setup (once per database file, not timed): a workspace `bench-dupstage` with --base banking77 train
texts and --new banking77 test texts (the "chunk" items), all embedded; then the stage runs once over
300 base items, and the team "decides" some of those suggestions (10 merged, 10 dismissed) so the
learned model, merged buckets and dismissed pairs are all on the measured path.

Measured: `suggest_duplicates_many(ws, chunk, vectors=...)` over the --new items in chunks of --chunk
(the insight job's path, vectors handed over as the job does), inside a transaction that is rolled
back, --reps times after one untimed warm-up pass (index, BM25 statistics and model loaded, as in a
worker that has run a job). CPU ms per item = time.process_time over items; load averages recorded.
--dump FILE writes every filed suggestion (item, candidate, score, signals) and the top 50
`duplicate_candidates` of 40 items (ids, scores, features) so two code versions can be compared.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import os
import pstats
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DATASETS, ROOT, write_results  # noqa: E402

SLUG = "bench-dupstage"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", type=int, default=6000)
    parser.add_argument("--new", type=int, default=600)
    parser.add_argument("--chunk", type=int, default=200)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--db", default=str(ROOT / "var" / "bench-dupstage.sqlite3"))
    parser.add_argument("--src", default="", help="import harken from this src directory instead")
    parser.add_argument("--name", default="")
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions of one pass")
    parser.add_argument("--dump", default="")
    args = parser.parse_args()

    src = args.src or str(ROOT / "src")
    sys.path.insert(0, src)
    os.environ.setdefault("HARKEN_EMBEDDER", "hashing")
    os.environ["HARKEN_DEBUG"] = "0"  # no query log, as in a worker
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(40))  # bench-only, never stored
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{args.db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "harken.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from harken.accounts.models import User
    from harken.feedback.models import Feedback
    from harken.insight import services
    from harken.insight.models import SuggestionStatus
    from harken.workspaces.access import Actor
    from harken.workspaces.models import Membership, Role, Workspace

    call_command("migrate", verbosity=0)
    with open(DATASETS / "banking77" / "train.csv", newline="") as f:
        train = [r["text"] for r in csv.DictReader(f)]
    with open(DATASETS / "banking77" / "test.csv", newline="") as f:
        test = [r["text"] for r in csv.DictReader(f)]

    ws = Workspace.objects.filter(slug=SLUG).first()
    owner = User.objects.filter(email="dupstage@bench.test").first()
    if ws is None:
        owner = owner or User.objects.create_user(email="dupstage@bench.test", password="x")
        ws = Workspace.objects.create(name="Bench dupstage", slug=SLUG)
        Membership.objects.create(workspace=ws, user=owner, role=Role.OWNER)
        Feedback.objects.bulk_create(
            [Feedback(workspace=ws, text=train[i % len(train)]) for i in range(args.base)], batch_size=1000
        )
        Feedback.objects.bulk_create(
            [Feedback(workspace=ws, text=test[i % len(test)]) for i in range(args.new)], batch_size=1000
        )
        services.embed_workspace(ws)
        actor = Actor(workspace=ws, user=owner, role=Role.OWNER)
        first = list(ws.feedback_items.order_by("pk")[:300])
        services.suggest_duplicates_many(ws, first)
        open_ = list(ws.duplicate_suggestions.filter(status=SuggestionStatus.OPEN).order_by("-score", "pk"))
        merged: set[int] = set()
        done = 0
        for s in open_:
            if done == 10:
                break
            if {s.item_id, s.candidate_id} & merged:
                continue
            services.merge(actor, s.candidate, s.item, s)
            merged |= {s.item_id, s.candidate_id}
            done += 1
        for s in list(ws.duplicate_suggestions.filter(status=SuggestionStatus.OPEN).order_by("score", "pk")[:10]):
            services.dismiss_suggestion(actor, s)
        print("setup done", ws.feedback_items.count(), "items", flush=True)
    chunk_items = list(ws.feedback_items.order_by("-pk")[: args.new])[::-1]
    vectors = {}
    services.embed_items(chunk_items, vectors_out=vectors)

    def one_pass() -> list[tuple[int, int, float, dict[str, float]]]:
        out = []
        with transaction.atomic():
            for s in range(0, len(chunk_items), args.chunk):
                rows = services.suggest_duplicates_many(ws, chunk_items[s : s + args.chunk], vectors=vectors)
                out.extend((r.item_id, r.candidate_id, r.score, r.signals) for r in rows)
            transaction.set_rollback(True)
        return out

    filed = one_pass()  # warm-up: index, BM25 statistics, model
    load_before = os.getloadavg()
    cpu = []
    for _ in range(args.reps):
        start = time.process_time()
        again = one_pass()
        cpu.append(time.process_time() - start)
        assert again == filed, "two passes of the same code differ"
    load_after = os.getloadavg()
    per_item = [round(c * 1000 / len(chunk_items), 3) for c in cpu]
    print(f"CPU ms per item: {per_item}  (load {load_before} → {load_after}), {len(filed)} suggestions", flush=True)
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        one_pass()
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats(os.environ.get("PROFILE_SORT", "tottime")).print_stats(args.profile)
        print(buf.getvalue())
    if args.dump:
        probe = chunk_items[:: max(1, len(chunk_items) // 40)][:40]
        ranked = {
            item.pk: [
                (c.feedback.pk, c.score, c.features, c.signals.as_dict())
                for c in services.duplicate_candidates(ws, item, limit=50)
            ]
            for item in probe
        }
        Path(args.dump).write_text(json.dumps({"filed": filed, "ranked": ranked}, sort_keys=True))
    if args.name:
        write_results(
            f"dup-stage-{args.name}",
            {
                "vendor": connection.vendor,
                "embedder": os.environ["HARKEN_EMBEDDER"],
                "src": src,
                "workspace_items": ws.feedback_items.count(),
                "chunk": args.chunk,
                "items_per_pass": len(chunk_items),
                "cpu_ms_per_item": per_item,
                "cpu_ms_per_item_min": min(per_item),
                "suggestions_per_pass": len(filed),
                "loadavg_before": load_before,
                "loadavg_after": load_after,
                "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            },
        )


if __name__ == "__main__":
    main()
