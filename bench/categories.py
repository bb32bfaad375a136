"""Category classification: zero-shot on every dev set, and the per-workspace learning curve.

    .venv/bin/python bench/categories.py

Sets: `issues_nlbse24/test.csv` (1,500 GitHub issues: bug / feature / question) and the 100
hand-labelled feedback items in tests/fixtures/insight/labelled_feedback.csv (5 classes). Nothing in
the classifier was chosen on nlbse24 (its prototypes and cues were written without reading it).

Zero-shot: Harken's prototypes + cues, argmax restricted to the classes the set has (a workspace
whose feedback has no praise simply never sees it predicted — the restriction only makes the
sets comparable). Macro-F1 and per-class recall.

Learning curve: N corrections (N = 25, 50, 100, 200) drawn at random from the set, a logistic
regression on their embeddings (`classify.fit_learned`, used only when its cross-validated accuracy
on the corrections beats zero-shot's), scored on the remaining items; mean of 5 seeds.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DATASETS, ROOT, cached_embeddings, print_table, read_csv, setup_django, write_results  # noqa: E402

CORRECTIONS = (25, 50, 100, 200)
SEEDS = 5
NLBSE_MAP = {"bug": "bug", "feature": "feature_request", "question": "question"}


def zero_shot(texts: list[str], vectors: np.ndarray, classes: list[str]) -> list[str]:
    from harken.insight.themes import classify

    names, scores = classify._score(vectors, texts, "category", classify.CATEGORY_PROTOTYPES, classify.CATEGORY_CUES)
    keep = [i for i, n in enumerate(names) if str(n) in classes]
    return [str(names[keep[int(j)]]) for j in scores[:, keep].argmax(axis=1)]


def report(name: str, texts: list[str], truth: list[str], vectors: np.ndarray) -> dict[str, Any]:
    from sklearn.metrics import f1_score, recall_score

    from harken.insight.themes import classify

    classes = sorted(set(truth))
    predicted = zero_shot(texts, vectors, classes)
    entry: dict[str, Any] = {
        "items": len(texts),
        "classes": classes,
        "zero_shot_macro_f1": round(float(f1_score(truth, predicted, average="macro")), 4),
        "zero_shot_recall": {
            c: round(float(r), 3)
            for c, r in zip(classes, recall_score(truth, predicted, labels=classes, average=None), strict=True)
        },
    }
    curve: dict[str, Any] = {}
    y = np.asarray(truth)
    for n in CORRECTIONS:
        if n >= len(texts) - 10:
            continue
        learned, zero, used = [], [], 0
        for seed in range(SEEDS):
            rng = np.random.default_rng(seed)
            order = rng.permutation(len(texts))
            train, test = order[:n], order[n:]
            model = classify.fit_learned(vectors[train], y[train].tolist(), [predicted[i] for i in train])
            if model is not None and model.model is not None:
                used += 1
                pred = model.model.predict(vectors[test])
            else:
                pred = np.asarray([predicted[i] for i in test])
            learned.append(f1_score(y[test], pred, average="macro"))
            zero.append(f1_score(y[test], [predicted[i] for i in test], average="macro"))
        curve[str(n)] = {
            "macro_f1": round(float(np.mean(learned)), 4),
            "zero_shot_same_items": round(float(np.mean(zero)), 4),
            "learned_model_used": f"{used}/{SEEDS}",
        }
    entry["learning_curve"] = curve
    print_table(
        f"{name}: zero-shot macro-F1 {entry['zero_shot_macro_f1']:.3f}; recall {entry['zero_shot_recall']}",
        ["corrections", "macro-F1 (learned where better)", "zero-shot, same items", "learned used"],
        [[n, c["macro_f1"], c["zero_shot_same_items"], c["learned_model_used"]] for n, c in curve.items()],
    )
    return entry


def main() -> None:
    setup_django()
    results: dict[str, Any] = {}
    rows = read_csv(DATASETS / "issues_nlbse24" / "test.csv")
    texts = [r["text"] for r in rows]
    truth = [NLBSE_MAP[r["label"]] for r in rows]
    results["issues_nlbse24"] = report("issues_nlbse24 (test)", texts, truth, cached_embeddings("nlbse24-test", texts))
    fixture = read_csv(ROOT / "tests" / "fixtures" / "insight" / "labelled_feedback.csv")
    texts = [r["text"] for r in fixture]
    truth = [r["category"] for r in fixture]
    results["labelled_feedback"] = report(
        "labelled_feedback (fixture)", texts, truth, cached_embeddings("fixture", texts)
    )
    write_results("categories", results)


if __name__ == "__main__":
    main()
