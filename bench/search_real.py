"""Real MiniLM (int8) embeddings of every dev set's texts, cached for bench/search_1m.py.

Usage: .venv/bin/python bench/search_real.py   # writes bench/.cache/real-minilm-int8.npy (~38k × 384)
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DATASETS, ROOT, setup_django  # noqa: E402

CACHE = ROOT / "bench" / ".cache" / "real-minilm-int8.npy"
FILES = [
    ("banking77", ["train.csv", "test.csv"]),
    ("clinc150", ["train.csv", "val.csv", "test.csv", "oos_train.csv", "oos_val.csv", "oos_test.csv"]),
    ("duplicates_seamonkey", ["items.csv"]),
]
# (The long bug-tracker texts of eclipse and nlbse24 are left out: on the shared 2-core machine they
# cost most of the embedding time and add few vectors.)


def texts() -> list[str]:
    out: list[str] = []
    for folder, names in FILES:
        for name in names:
            with open(DATASETS / folder / name, newline="") as f:
                for row in csv.DictReader(f):
                    title = row.get("title") or ""
                    out.append(f"{title}. {row['text']}" if title else row["text"])
    return out


def real_vectors() -> np.ndarray:
    if CACHE.exists():
        return np.load(CACHE)
    setup_django()
    from harken.insight.embeddings import get_embedder

    corpus = texts()
    start = time.perf_counter()
    vectors = get_embedder("minilm-int8").encode(corpus)
    print(f"embedded {len(corpus)} texts in {time.perf_counter() - start:.0f} s", flush=True)
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    np.save(CACHE, vectors)
    return vectors


if __name__ == "__main__":
    print(real_vectors().shape)
