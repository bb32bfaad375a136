"""MiniLM on torch vs the same model as int8 ONNX vs the static distillation: speed and quality, one run.

    .venv/bin/python bench/embedders.py

Quality: theme NMI on banking77 test (Harken's clustering, k unknown) and duplicate MAP on
duplicates_seamonkey (Harken's shipped fusion) — the two dev sets the int8 default was judged on
(rule: within 0.01 of torch on both). Speed: encode-only items/s on 1,000 banking77 texts, timed
after a warm-up, on the shared 2-core machine under contention (label: loaded). Vectors of each
set are cached in bench/.cache; the timing run is not.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DATASETS, cached_embeddings, machine, print_table, read_csv, setup_django, write_results  # noqa: E402

EMBEDDERS = ("minilm", "minilm-int8", "minilm-static")


def main() -> None:
    setup_django()
    from sklearn.metrics import normalized_mutual_info_score

    from dedup import Prepared, evaluate
    from harken.insight.embeddings import get_embedder
    from harken.insight.themes import clustering

    rows = read_csv(DATASETS / "banking77" / "test.csv")
    texts, truth = [r["text"] for r in rows], [r["label"] for r in rows]
    out: dict[str, Any] = {"load_before": machine()["load_average"]}
    table = []
    for name in EMBEDDERS:
        embedder = get_embedder(name)
        embedder.encode(texts[:64])  # warm-up (loads or builds the model)
        start = time.perf_counter()
        embedder.encode(texts[:1000])
        speed = 1000 / (time.perf_counter() - start)
        vectors = cached_embeddings("banking77-test", texts, name)
        nmi = float(normalized_mutual_info_score(truth, clustering.cluster(vectors).labels))
        dup_map = next(
            m["MAP"] for label, m in evaluate(Prepared("seamonkey", name))["rows"].items() if "(shipped)" in label
        )
        out[name] = {
            "encode_items_per_s_loaded": round(speed, 1),
            "banking77_nmi": round(nmi, 4),
            "seamonkey_map": dup_map,
        }
        table.append([name, round(speed, 1), round(nmi, 4), dup_map])
        print(name, out[name], flush=True)
    base = out["minilm"]
    for name in EMBEDDERS[1:]:
        out[name]["nmi_delta"] = round(out[name]["banking77_nmi"] - base["banking77_nmi"], 4)
        out[name]["map_delta"] = round(out[name]["seamonkey_map"] - base["seamonkey_map"], 4)
        out[name]["meets_default_rule"] = abs(out[name]["nmi_delta"]) <= 0.01 and abs(out[name]["map_delta"]) <= 0.01
    out["load_after"] = machine()["load_average"]
    print_table(
        "Embedders (encode items/s measured under contention)",
        ["embedder", "items/s", "banking77 NMI", "seamonkey MAP"],
        table,
    )
    write_results("embedders", out)


if __name__ == "__main__":
    main()
