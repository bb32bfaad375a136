"""A/B of the insight job's vector hand-over: later stages given the chunk's vectors vs reading them back.

    .venv/bin/python bench/pipeline_handover.py --items 3000 --repeats 3

The worker's job (`insight.tasks.understand_items`) embeds a 500-item chunk, then classifies it and
places it in themes. Since the hand-over, `embed_items(vectors_out=...)` passes every item's vector
to `classify_items` and `assign_items`; before, each of them re-read the chunk's vectors (rows joined
to the items' texts, text hashes recomputed) with `workspace_vectors`. Both paths still exist (the
stages read back when not given vectors), so they are timed in one process, interleaved, on the
same data: banking77 test texts (cycled) imported into a workspace themed from 600 train texts.
The encoder is not timed (the items are embedded first; `embed_items` then only reads and decodes
their current vectors, as on a re-run). CPU seconds per stage (the machine is shared) with the load
average. Writes bench/results/<name>.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, setup_django, write_results  # noqa: E402

CHUNK = 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--embedder", default="minilm-int8")
    parser.add_argument("--name", default="pipeline-handover")
    args = parser.parse_args()
    os.environ["HARKEN_EMBEDDER"] = args.embedder
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    settings.HARKEN_EMBEDDER = args.embedder
    from harken.feedback.actions import NewItem, create_feedback_batch
    from harken.feedback.models import Channel, Feedback
    from harken.insight import services, tasks
    from harken.insight.themes import classify
    from harken.insight.themes import services as theme_services
    from harken.insight.themes.models import AssignmentSource, ItemClassification, Theme, ThemeAssignment
    from harken.workspaces.access import Actor
    from harken.workspaces.models import Workspace
    from scale import banking77, banking77_train

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    ws = Workspace.objects.create(name="Hand-over", slug="hand-over")
    actor = Actor.system(ws)
    seed = create_feedback_batch(actor, [NewItem(text=t, channel=Channel.CSV) for t in banking77_train()[:600]])
    tasks.understand_items.call([f.pk for f, _ in seed], suggest=False)
    theme_services.recluster(ws)
    texts, _ = banking77()
    corpus = [texts[i % len(texts)] + ("" if i < len(texts) else f" #{i // len(texts)}") for i in range(args.items)]
    created = create_feedback_batch(actor, [NewItem(text=x, channel=Channel.CSV) for x in corpus])
    ids = [f.pk for f, _ in created]
    chunks = [ids[s : s + CHUNK] for s in range(0, len(ids), CHUNK)]
    for chunk in chunks:  # embedded once, untimed
        services.embed_items(list(Feedback.objects.filter(pk__in=chunk)))
    sizes = dict(Theme.objects.filter(workspace=ws).values_list("pk", "size"))

    def reset() -> None:
        ItemClassification.objects.filter(feedback_id__in=ids).delete()
        ThemeAssignment.objects.filter(feedback_id__in=ids, source=AssignmentSource.AUTO).delete()
        for pk, size in sizes.items():
            Theme.objects.filter(pk=pk).update(size=size)

    def run(handed: bool) -> tuple[dict[str, float], Any]:
        cpu = {"embed (read + decode)": 0.0, "category": 0.0, "theme assignment": 0.0}
        outputs = []
        for chunk in chunks:
            items = list(Feedback.objects.select_related("workspace").filter(pk__in=chunk).order_by("pk"))
            c = time.process_time()
            vectors: dict[int, np.ndarray] | None = {} if handed else None
            services.embed_items(items, vectors_out=vectors)
            cpu["embed (read + decode)"] += time.process_time() - c
            c = time.process_time()
            rows = classify.classify_items(ws, items, vectors=vectors)
            cpu["category"] += time.process_time() - c
            c = time.process_time()
            placed = theme_services.assign_items(ws, items, vectors=vectors)
            cpu["theme assignment"] += time.process_time() - c
            outputs.append(
                (
                    [(r.feedback_id, r.category, r.sentiment, round(r.category_score, 6)) for r in rows],
                    sorted((pk, a.theme_id if a else None) for pk, a in placed.items()),
                )
            )
        return cpu, outputs

    runs: list[dict[str, Any]] = []
    reference = None
    for repeat in range(args.repeats):
        for handed in (False, True) if repeat % 2 == 0 else (True, False):
            reset()
            cpu, outputs = run(handed)
            reference = reference if reference is not None else outputs
            runs.append(
                {
                    "path": "handed over" if handed else "read back",
                    "repeat": repeat,
                    "cpu_s": {k: round(v, 4) for k, v in cpu.items()},
                    "total_cpu_s": round(sum(cpu.values()), 4),
                    "same_results": outputs == reference,
                    "load_average": os.getloadavg()[0],
                }
            )
            print(runs[-1], flush=True)
    summary = {}
    for path in ("read back", "handed over"):
        mine = [r for r in runs if r["path"] == path]
        summary[path] = {
            stage: round(float(np.median([r["cpu_s"][stage] for r in mine])) / args.items * 1000, 4)
            for stage in mine[0]["cpu_s"]
        } | {"total_ms_per_item": round(float(np.median([r["total_cpu_s"] for r in mine])) / args.items * 1000, 4)}
    print_table(
        f"CPU ms per item (median of {args.repeats}), {args.items} items, {args.embedder}",
        ["path", *summary["read back"].keys()],
        [[p, *v.values()] for p, v in summary.items()],
    )
    write_results(
        args.name,
        {"items": args.items, "embedder": args.embedder, "chunk": CHUNK, "runs": runs, "median_ms_per_item": summary},
    )


if __name__ == "__main__":
    main()
