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
    # Two intra-op threads with and without spin-waiting (the shipped session turns it off).
    import onnxruntime as ort

    from harken.insight.embeddings import Int8MiniLMEmbedder, int8_model_path

    embedder.batch_size = 16
    spin_rows = []
    for spin in ["1", "0", "1", "0"]:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 2
        options.add_session_config_entry("session.intra_op.allow_spinning", spin)
        Int8MiniLMEmbedder._session = ort.InferenceSession(
            str(int8_model_path()), options, providers=["CPUExecutionProvider"]
        )
        embedder.encode(["warm up"])
        t, c = time.perf_counter(), time.process_time()
        embedder.encode(texts)
        cpu, wall = time.process_time() - c, time.perf_counter() - t
        spin_rows.append(
            {
                "threads": 2,
                "allow_spinning": spin == "1",
                "items_per_cpu_s": len(texts) / cpu,
                "items_per_s_wall": len(texts) / wall,
                "load_average": os.getloadavg()[0],
            }
        )
        print(spin_rows[-1], flush=True)
    _session, tokenizer = embedder.session()
    c = time.process_time()
    tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="np")
    write_results(
        "embed-profile",
        {
            "texts": "banking77 test, first 1,000",
            "threads": os.environ.get("HARKEN_TORCH_THREADS"),
            "batches": rows,
            "spinning": spin_rows,
            "tokenize_cpu_s_per_1000": time.process_time() - c,
        },
    )


if __name__ == "__main__":
    main()
