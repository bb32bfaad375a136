"""Profile of the int8 MiniLM encode path: items per CPU second by batch size (one onnxruntime thread).

Usage: HARKEN_TORCH_THREADS=1 .venv/bin/python bench/embed_profile.py
Writes bench/results/embed-profile.json. CPU time, not wall time, because the machine is shared.
"""

from __future__ import annotations

import csv
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DATASETS, setup_django, write_results  # noqa: E402


def main() -> None:
    setup_django()
    from harken.insight.embeddings import get_embedder

    with open(DATASETS / "banking77" / "test.csv", newline="") as f:
        texts = [r["text"] for r in csv.DictReader(f)][:1000]
    embedder = get_embedder("minilm-int8")
    embedder.encode(["warm up"])
    rows = []
    for batch in [16, 32, 64, 128, 256]:
        embedder.batch_size = batch
        t, c = time.perf_counter(), time.process_time()
        embedder.encode(texts)
        cpu, wall = time.process_time() - c, time.perf_counter() - t
        rows.append(
            {
                "batch_size": batch,
                "items_per_cpu_s": len(texts) / cpu,
                "items_per_s_wall": len(texts) / wall,
                "load_average": os.getloadavg()[0],
            }
        )
        print(rows[-1], flush=True)
    _session, tokenizer = embedder.session()
    c = time.process_time()
    tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="np")
    write_results(
        "embed-profile",
        {
            "texts": "banking77 test, first 1,000",
            "threads": os.environ.get("HARKEN_TORCH_THREADS"),
            "batches": rows,
            "tokenize_cpu_s_per_1000": time.process_time() - c,
        },
    )


if __name__ == "__main__":
    main()
