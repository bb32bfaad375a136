"""Does MiniLM int8 need all 256 word pieces? Cost and quality of reading only the first 128.

    .venv/bin/python bench/embed_truncation.py

Per dev set: the share of texts longer than 128 word pieces (only those change), encode cost in
items per CPU second (one onnxruntime thread; CPU time because the machine is shared), and quality
with the first 128 vs 256 pieces: duplicate MAP (Harken's shipped fusion) on duplicates_seamonkey
and duplicates_eclipse. banking77 and clinc150 texts are all far shorter than 128 pieces, so their
NMI cannot change (shown by the share column). Writes bench/results/embed-truncation.json.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DATASETS, machine, print_table, read_csv, setup_django, write_results  # noqa: E402


def shipped_map(evaluation: dict[str, Any]) -> float:
    """MAP of the fusion Harken ships (the row marked "(shipped)"; its label names the formula)."""
    return next(m["MAP"] for label, m in evaluation["rows"].items() if "(shipped)" in label)


def main() -> None:
    os.environ.setdefault("HARKEN_TORCH_THREADS", "1")
    setup_django()
    from dedup import Prepared, evaluate
    from harken.insight.embeddings import Int8MiniLMEmbedder, prepare, register_embedder

    class Int8First128(Int8MiniLMEmbedder):
        name = "minilm-int8-128"
        max_tokens = 128

    register_embedder(Int8First128.name, Int8First128)
    base = Int8MiniLMEmbedder()
    _session, tokenizer = base.session()
    sets = {
        "banking77": [r["text"] for r in read_csv(DATASETS / "banking77" / "test.csv")],
        "clinc150": [r["text"] for r in read_csv(DATASETS / "clinc150" / "test.csv")],
        "duplicates_seamonkey": [r["text"] for r in read_csv(DATASETS / "duplicates_seamonkey" / "items.csv")],
        "duplicates_eclipse": [r["text"] for r in read_csv(DATASETS / "duplicates_eclipse" / "items.csv")],
    }
    out: dict[str, Any] = {"load_before": machine()["load_average"], "sets": {}}
    table = []
    for name, texts in sets.items():
        lengths = [len(ids) for ids in tokenizer([prepare(t) for t in texts], truncation=False)["input_ids"]]
        row: dict[str, Any] = {
            "texts": len(texts),
            "share_over_128_pieces": round(sum(n > 128 for n in lengths) / len(lengths), 4),
            "share_over_256_pieces": round(sum(n > 256 for n in lengths) / len(lengths), 4),
            "median_pieces": sorted(lengths)[len(lengths) // 2],
        }
        if name.startswith("duplicates_"):
            sample = texts[:300]
            for embedder in (base, Int8First128()):
                embedder.encode(sample[:16])
                c = time.process_time()
                embedder.encode(sample)
                row[f"items_per_cpu_s_{embedder.max_tokens}"] = round(len(sample) / (time.process_time() - c), 1)
                data = Prepared(name.removeprefix("duplicates_"), embedder.name)
                row[f"map_{embedder.max_tokens}"] = shipped_map(evaluate(data))
                print(name, row, flush=True)
            row["map_delta"] = round(row["map_128"] - row["map_256"], 4)
        out["sets"][name] = row
        table.append(
            [
                name,
                row["share_over_128_pieces"],
                row["median_pieces"],
                row.get("items_per_cpu_s_256", "—"),
                row.get("items_per_cpu_s_128", "—"),
                row.get("map_256", "—"),
                row.get("map_128", "—"),
            ]
        )
    out["load_after"] = machine()["load_average"]
    print_table(
        "MiniLM int8: first 128 vs 256 word pieces",
        ["set", "> 128 pieces", "median pieces", "/CPU s 256", "/CPU s 128", "MAP 256", "MAP 128"],
        table,
    )
    write_results("embed-truncation", out)


if __name__ == "__main__":
    main()
