"""Similar ideas while typing: does the portal suggest the right existing idea, and stay quiet otherwise?

Usage:
    .venv/bin/python bench/portal_similar.py                 # MiniLM (about 1-2 min on 2 cores)
    .venv/bin/python bench/portal_similar.py --embedder minilm-static

Protocol. Short user utterances with intent labels stand in for idea titles. A "portal" holds the
first 3 training examples of every label (the existing ideas); queries are what a visitor types:
the in-scope test (or validation) examples, and for clinc150 the out-of-scope ones, which match no
existing idea. Suggestions are the top 5 ideas whose cosine with the query is at least the
threshold (`harken.portal.queries.SIMILAR_MIN_SCORE`), exactly as the portal filters them.

- hit@5: share of in-scope queries with an idea of the same label among the suggestions;
- top-1 precision: share of shown first suggestions that have the query's label;
- quiet (oos): share of out-of-scope queries for which nothing is suggested.

The threshold is chosen once on clinc150 *validation* (the highest hit@5 while staying quiet for at
least 75% of out-of-scope queries) and reported unchanged on clinc150 test and banking77 test.
The word fallback (BM25 over the ideas, the path used when no vectors exist) is reported alongside.
Queries are capped at 1,500 per set (a fixed, evenly spaced sample) to keep the run short.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATASETS, print_table, setup_django, write_results  # noqa: E402

PER_LABEL = 3
MAX_QUERIES = 1500
TOP = 5
QUIET_TARGET = 0.75
GRID = [round(0.25 + 0.025 * i, 3) for i in range(25)]


def read(path: Path) -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [(row["text"], row["label"]) for row in csv.DictReader(fh)]


def sample(rows: list[tuple[str, str]], cap: int = MAX_QUERIES) -> list[tuple[str, str]]:
    if len(rows) <= cap:
        return rows
    step = len(rows) / cap
    return [rows[int(i * step)] for i in range(cap)]


def portal_of(train: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: dict[str, int] = defaultdict(int)
    out = []
    for text, label in train:
        if seen[label] < PER_LABEL:
            seen[label] += 1
            out.append((text, label))
    return out


def evaluate(scores: np.ndarray, idea_labels: list[str], query_labels: list[str], threshold: float) -> dict[str, float]:
    hits = shown_first = right_first = quiet = oos = inscope = 0
    for row, label in zip(scores, query_labels, strict=True):
        order = np.argsort(-row)[:TOP]
        suggested = [idea_labels[i] for i in order if row[i] >= threshold]
        if label == "oos":
            oos += 1
            quiet += not suggested
            continue
        inscope += 1
        hits += label in suggested
        if suggested:
            shown_first += 1
            right_first += suggested[0] == label
    return {
        "hit@5": hits / inscope if inscope else float("nan"),
        "top1_precision": right_first / shown_first if shown_first else float("nan"),
        "quiet_oos": quiet / oos if oos else float("nan"),
    }


def bm25_scores(ideas: list[str], queries: list[str]) -> np.ndarray:
    from harken.insight import lexical

    docs = [lexical.tokens(t) for t in ideas]
    stats = lexical.CorpusStats.from_texts(ideas)
    out = np.zeros((len(queries), len(ideas)), dtype=np.float32)
    for qi, q in enumerate(queries):
        words = [w for w in lexical.tokens(q) if len(w) > 2][:8]
        for di, doc in enumerate(docs):
            out[qi, di] = lexical.bm25_normalised(words, doc, stats) if words else 0.0
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--embedder", default="minilm")
    args = parser.parse_args()
    setup_django()
    from harken.insight.embeddings import get_embedder
    from harken.portal.queries import SIMILAR_MIN_SCORE

    embedder = get_embedder(args.embedder)
    sets = {
        "clinc150 val": (
            read(DATASETS / "clinc150" / "train.csv"),
            sample(read(DATASETS / "clinc150" / "val.csv")) + read(DATASETS / "clinc150" / "oos_val.csv"),
        ),
        "clinc150 test": (
            read(DATASETS / "clinc150" / "train.csv"),
            sample(read(DATASETS / "clinc150" / "test.csv"))
            + sample(read(DATASETS / "clinc150" / "oos_test.csv"), 300),
        ),
        "banking77 test": (
            read(DATASETS / "banking77" / "train.csv"),
            sample(read(DATASETS / "banking77" / "test.csv")),
        ),
    }
    prepared = {}
    for name, (train, queries) in sets.items():
        ideas = portal_of(train)
        idea_vecs = embedder.encode([t for t, _ in ideas])
        query_vecs = embedder.encode([t for t, _ in queries])
        prepared[name] = (ideas, queries, query_vecs @ idea_vecs.T)

    ideas, queries, scores = prepared["clinc150 val"]
    grid = []
    for t in GRID:
        m = evaluate(scores, [lb for _, lb in ideas], [lb for _, lb in queries], t)
        grid.append({"threshold": t, **m})
    eligible = [g for g in grid if g["quiet_oos"] >= QUIET_TARGET]
    chosen = max(eligible, key=lambda g: g["hit@5"])["threshold"] if eligible else GRID[-1]

    rows = []
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name, (ideas, queries, scores) in prepared.items():
        idea_labels, query_labels = [lb for _, lb in ideas], [lb for _, lb in queries]
        chosen_m = evaluate(scores, idea_labels, query_labels, chosen)
        shipped_m = evaluate(scores, idea_labels, query_labels, SIMILAR_MIN_SCORE)
        words = bm25_scores([t for t, _ in ideas], [t for t, _ in queries])
        words_m = evaluate(words, idea_labels, query_labels, 1e-9)
        results[name] = {"embedding_chosen": chosen_m, "embedding_shipped": shipped_m, "words": words_m}
        for label, m in (
            (f"{args.embedder} @ {chosen:.3f} (chosen)", chosen_m),
            (f"{args.embedder} @ {SIMILAR_MIN_SCORE} (shipped)", shipped_m),
            ("words (BM25 fallback)", words_m),
        ):
            rows.append([name, label, len(ideas), len(queries), m["hit@5"], m["top1_precision"], m["quiet_oos"]])
    print_table(
        "Similar ideas while typing", ["set", "method", "ideas", "queries", "hit@5", "top-1 prec.", "quiet (oos)"], rows
    )
    write_results(
        f"portal-similar-{args.embedder}" if args.embedder != "minilm" else "portal-similar",
        {
            "embedder": args.embedder,
            "chosen_threshold": chosen,
            "shipped_threshold": SIMILAR_MIN_SCORE,
            "selection": f"clinc150 val: highest hit@5 with quiet(oos) >= {QUIET_TARGET}",
            "grid_clinc150_val": grid,
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
