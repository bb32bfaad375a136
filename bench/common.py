"""Shared helpers for Harken's benchmarks: paths, Django setup, timing, tables, results files."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
_SHARED = ROOT.parent / "shared" / "datasets"
if not _SHARED.exists():  # a git worktree one level deeper (/work/wt/<name>)
    _SHARED = ROOT.parent.parent / "shared" / "datasets"
DATASETS = Path(os.environ.get("HARKEN_DATASETS", _SHARED))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def setup_django() -> None:
    """Benchmarks use Harken's own code paths, so Django must be configured (no DB needed unless said)."""
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "harken.settings")
    os.environ.setdefault("HARKEN_DEBUG", "1")
    import django

    django.setup()


@contextmanager
def timer() -> Iterator[dict[str, float]]:
    box: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - start


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # plain fallback
        print(title)
        print(" | ".join(columns))
        for row in rows:
            print(" | ".join(str(c) for c in row))
        return
    table = Table(title=title)
    for col in columns:
        table.add_column(col, justify="left" if col == columns[0] else "right")
    for row in rows:
        table.add_row(*[f"{c:.4g}" if isinstance(c, float) else str(c) for c in row])
    Console().print(table)


def write_results(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {
        "benchmark": name,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        **payload,
    }
    path.write_text(json.dumps(payload, indent=2, default=float) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")
    return path


def percentile(values: Sequence[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(np.asarray(values), q)) if len(values) else float("nan")


CACHE = ROOT / "bench" / ".cache"


def cached_embeddings(key: str, texts: Sequence[str], embedder_name: str | None = None) -> Any:
    """Vectors of `texts` from Harken's embedder, cached once per dataset under bench/.cache (git-ignored).

    The cache file is keyed by the dataset key, the embedder and a hash of the texts, so an edited
    dataset is re-embedded. Returns an (n, dim) float32 array with L2-normalised rows.
    """
    import hashlib
    import os

    import numpy as np

    from harken.insight.embeddings import get_embedder

    embedder = get_embedder(embedder_name)
    CACHE.mkdir(parents=True, exist_ok=True)
    ignore = CACHE / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    digest = hashlib.sha256("\x1f".join(texts).encode()).hexdigest()[:12]
    path = CACHE / f"{key}-{embedder.name}-{digest}.npy"
    if path.exists():
        return np.load(path)
    vectors = embedder.encode(list(texts))
    partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.npy")
    np.save(partial, vectors)
    os.replace(partial, path)  # atomic: benchmarks running at once never read a half-written cache
    return vectors


def read_csv(path: Path) -> list[dict[str, str]]:
    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def feedback_csv(corpus: Sequence[str], rows: int, offset: int = 0) -> bytes:
    """A feedback CSV like a helpdesk export: ticket id, sender on 50 account domains, text, tags, date."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Ticket ID", "Email", "Feedback", "Tags", "Created"])
    for i in range(offset, offset + rows):
        writer.writerow(
            [
                f"T-{i}",
                f"user{i % 400}@company{i % 50}.test",
                f"{corpus[i % len(corpus)]} #{i}",
                f"tag{i % 20}; area{i % 7}",
                f"2026-{1 + i % 12:02d}-{1 + i % 28:02d} 10:{i % 60:02d}",
            ]
        )
    return out.getvalue().encode()
