"""Category classification: zero-shot, and learning from a workspace's corrections.

    .venv/bin/python bench/categories.py          # the shipped model on the report sets
    .venv/bin/python bench/categories.py --dev    # every variant tried, on the dev set

Validation discipline (issue 11): every choice in `classify.fit_learned` (model form, features,
gate) was made with `--dev` on **issues_nlbse24/train.csv** (1,500 GitHub issues), and is reported
unchanged by the default run on **issues_nlbse24/test.csv** and the 100 hand-labelled items of
tests/fixtures/insight/labelled_feedback.csv (5 classes). The zero-shot prototypes and cues were
written without reading either split.

Zero-shot: Harken's prototypes + cues (cosines centred on the set, as the product centres them on
the workspace), argmax restricted to the classes the set has (a workspace
whose feedback has no praise simply never sees it predicted — the restriction only makes the sets
comparable; the learned models get the same restriction). Macro-F1 and per-class recall.

Learning curve: N corrections (N = 10, 25, 50, 100, 200) drawn at random from the set, a model
fitted on them (and, where gated, used only if it beats zero-shot in cross-validation on them),
scored on the remaining items of the same set; mean of 5 seeds. Results:
bench/results/categories.json (report sets) and bench/results/categories-dev.json (dev).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DATASETS, ROOT, cached_embeddings, print_table, read_csv, setup_django, write_results  # noqa: E402

CORRECTIONS = (10, 25, 50, 100, 200)
SEEDS = 5
FOLDS = 10
NLBSE_MAP = {"bug": "bug", "feature": "feature_request", "question": "question"}


class Data:
    """One labelled set with its vectors and zero-shot scores (restricted to the set's classes)."""

    def __init__(self, texts: list[str], truth: list[str], vectors: np.ndarray) -> None:
        from harken.insight.themes import classify

        self.texts, self.y, self.vectors = texts, np.asarray(truth), vectors
        self.classes = sorted(set(truth))
        # The set is the workspace: its zero-shot scores are centred on it, as `classify_items` does.
        self.centre = classify.Centre.of(vectors)
        names, scores = classify._score(
            vectors, texts, "category", classify.CATEGORY_PROTOTYPES, classify.CATEGORY_CUES, self.centre
        )
        self.names = [str(n) for n in names]
        self.keep = [self.names.index(c) for c in self.classes]
        self.all_scores = scores
        self.zero = scores[:, self.keep].astype(np.float64)  # items x set classes
        self.labels = np.asarray(self.classes)
        self.zero_pred = self.labels[self.zero.argmax(axis=1)]
        _, owners, protos = classify._prototypes("category", classify.CATEGORY_PROTOTYPES)
        self.owners = owners
        mid = self.centre.point(protos)
        self.proto_sims = classify._unit(vectors - mid) @ classify._unit(protos - mid).T
        proto_part = np.stack(
            [np.sort(self.proto_sims[:, owners == k], axis=1)[:, -2:].mean(axis=1) for k in self.keep], axis=1
        )
        self.cues = self.zero - proto_part
        self.yi = np.asarray([self.classes.index(c) for c in truth])


Variant = Callable[[Data, np.ndarray, np.ndarray], np.ndarray]  # (data, train idx, eval idx) -> eval scores


# ---------------------------------------------------------------- variants tried on the dev set


def before_lr(d: Data, tr: np.ndarray, ev: np.ndarray) -> np.ndarray:
    """Before issue 11's second pass: logistic regression on the embeddings alone."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=1.0, max_iter=1000, class_weight="balanced").fit(d.vectors[tr], d.y[tr])
    out = np.full((len(ev), len(d.classes)), -np.inf)
    logp = clf.predict_log_proba(d.vectors[ev])
    for j, c in enumerate(clf.classes_):
        out[:, d.classes.index(c)] = logp[:, j]
    return out


def extra_prototypes(d: Data, tr: np.ndarray, ev: np.ndarray) -> np.ndarray:
    """Corrected items join their class's prototypes: class score = mean of the 2 best cosines + cues."""
    out = np.empty((len(ev), len(d.classes)))
    sims = d.vectors[ev] @ d.vectors[tr].T
    for j, k in enumerate(d.keep):
        both = np.concatenate([d.proto_sims[ev][:, d.owners == k], sims[:, d.y[tr] == d.classes[j]]], axis=1)
        out[:, j] = np.sort(both, axis=1)[:, -2:].mean(axis=1) + d.cues[ev, j]
    return out


def shrunk_mean(prior_weight: str) -> Variant:
    """Class mean of the corrected items, shrunk towards the zero-shot score by counts:
    (h · zero_shot + n · cos(x, mean)) / (h + n); h = the class's hand prototypes, or 1."""

    def variant(d: Data, tr: np.ndarray, ev: np.ndarray) -> np.ndarray:
        out = d.zero[ev].copy()
        for j, k in enumerate(d.keep):
            mine = d.y[tr] == d.classes[j]
            n = int(mine.sum())
            if not n:
                continue
            mean = d.vectors[tr][mine].mean(axis=0)
            mean /= np.linalg.norm(mean)
            h = int((d.owners == k).sum()) if prior_weight == "prototypes" else 1
            out[:, j] = (h * d.zero[ev, j] + n * (d.vectors[ev] @ mean)) / (h + n)
        return out

    return variant


def zero_shot_prior(weights: bool, bias: bool = True, cues: bool = True) -> Variant:
    """Multinomial LR with the zero-shot score as an offset: scale · zero_c + w_c · x + b_c (dense,
    embeddings only; the shipped model adds the corrections' tf-idf words, in classify.py)."""

    def variant(d: Data, tr: np.ndarray, ev: np.ndarray) -> np.ndarray:
        from scipy.optimize import minimize

        zero = d.zero if cues else d.zero - d.cues
        y, X, k = d.yi[tr], d.vectors[tr].astype(np.float64), len(d.classes)
        seen = np.unique(y)
        ns, dim = len(seen), X.shape[1]
        counts = np.bincount(y, minlength=k)
        sw = len(y) / (ns * counts[y])
        onehot = np.eye(k)[y]
        among = np.isin(np.arange(k), seen)

        def unpack(t: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
            b = t[1 : 1 + ns] if bias else np.zeros(ns)
            w = t[1 + ns :].reshape(ns, dim) if weights else np.zeros((ns, dim))
            return float(t[0]), b, w

        def loss(t: np.ndarray) -> tuple[float, np.ndarray]:
            a, b, w = unpack(t)
            z = a * zero[tr]
            z[:, seen] += X @ w.T + b
            z = np.where(among[None, :], z, -np.inf)  # a choice among the corrected classes, as shipped
            z -= z.max(axis=1, keepdims=True)
            logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            p = np.exp(logp)
            logp = np.where(among[None, :], logp, 0.0)
            g = (p - onehot) * sw[:, None]
            grads = [
                np.array([(g * np.where(among[None, :], zero[tr], 0.0)).sum()]),
                g[:, seen].sum(axis=0) if bias else np.zeros(ns),
            ]
            if weights:
                grads.append((g[:, seen].T @ X + w).ravel())
            return -float((sw * (onehot * logp).sum(axis=1)).sum()) + 0.5 * float((w**2).sum()), np.concatenate(grads)

        t0 = np.zeros(1 + ns + (ns * dim if weights else 0))
        t0[0] = 1.0
        bounds = [(0.0, None)] + [(None, None)] * (len(t0) - 1)
        a, b, w = unpack(minimize(loss, t0, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 500}).x)
        z = a * zero[ev]
        z[:, seen] += d.vectors[ev] @ w.T + b
        return z

    return variant


def shipped(d: Data, tr: np.ndarray, ev: np.ndarray) -> np.ndarray:
    """classify.CategoryModel without its gate: zero-shot offset + LR on [embedding, tf-idf]."""
    from harken.insight.themes import classify

    allowed = np.asarray([n in d.classes for n in d.names], dtype=bool)
    y = np.asarray([d.names.index(c) for c in d.y[tr]])
    texts = [d.texts[i] for i in ev]
    model = classify._fit_model(d.all_scores[tr], d.vectors[tr], [d.texts[i] for i in tr], y, d.names, allowed)
    best, _ = model.predict(d.all_scores[ev], d.vectors[ev], texts)
    out = np.zeros((len(ev), len(d.classes)))
    out[np.arange(len(ev)), [d.keep.index(int(b)) for b in best]] = 1.0
    return out


SCALE_ONLY = zero_shot_prior(weights=False, bias=False)


# ---------------------------------------------------------------- gates


def _cv_scores(d: Data, variant: Variant, tr: np.ndarray) -> np.ndarray:
    folds = min(FOLDS, len(tr))
    order = np.random.default_rng(0).permutation(len(tr))
    out = np.empty((len(tr), len(d.classes)))
    for f in range(folds):
        test = np.sort(order[f::folds])
        train = np.setdiff1d(order, test)
        if len(np.unique(d.yi[tr[train]])) < 2:
            out[test] = d.zero[tr[test]]
            continue
        out[test] = variant(d, tr[train], tr[test])
    return out


def _log_loss(z: np.ndarray, y: np.ndarray) -> float:
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean())


def gate_accuracy(d: Data, variant: Variant, tr: np.ndarray) -> bool:
    """Cross-validated accuracy on the corrections beats zero-shot's accuracy on them."""
    cv = _cv_scores(d, variant, tr).argmax(axis=1)
    return float((cv == d.yi[tr]).mean()) > float((d.zero_pred[tr] == d.y[tr]).mean())


def gate_log_loss(d: Data, variant: Variant, tr: np.ndarray) -> bool:
    """Cross-validated log-loss beats that of the zero-shot scores alone (only a fitted scale)."""
    y = d.yi[tr]
    return _log_loss(_cv_scores(d, variant, tr), y) < _log_loss(_cv_scores(d, SCALE_ONLY, tr), y)


def gate_before(d: Data, variant: Variant, tr: np.ndarray) -> bool:
    """The previous release's gate, as it was (stratified ≤5-fold CV accuracy vs zero-shot accuracy)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    y = d.y[tr]
    _, counts = np.unique(y, return_counts=True)
    clf = LogisticRegression(C=1.0, max_iter=1000, class_weight="balanced")
    folds = int(min(5, counts.min())) if counts.min() >= 2 else 0
    cv = StratifiedKFold(folds, shuffle=True, random_state=0) if folds >= 2 else 2
    predicted = cross_val_predict(clf, d.vectors[tr], y, cv=cv)
    return float((predicted == y).mean()) > float((d.zero_pred[tr] == y).mean())


def gate_shipped(loss: str, minimum: int | None = None) -> Callable[[Data, Variant, np.ndarray], bool]:
    """`classify.fit_learned` itself (its own CV and gate with `loss`), restricted to the set's classes."""

    def gate(d: Data, variant: Variant, tr: np.ndarray) -> bool:
        from harken.insight.themes import classify

        learned = classify.fit_learned(
            d.vectors[tr],
            [d.texts[i] for i in tr],
            d.y[tr].tolist(),
            d.classes,
            gate=loss,
            minimum=minimum or classify.MIN_CORRECTIONS,
            centre=d.centre,
        )
        return learned is not None and learned.model is not None

    return gate


def gate_brier(d: Data, variant: Variant, tr: np.ndarray) -> bool:
    """Cross-validated Brier score beats that of the zero-shot scores alone (only a fitted scale)."""
    from harken.insight.themes import classify

    y = d.yi[tr]
    model, zero = classify._brier(_cv_scores(d, variant, tr), y), classify._brier(_cv_scores(d, SCALE_ONLY, tr), y)
    return float(model.mean()) < float(zero.mean())


def gate_none(d: Data, variant: Variant, tr: np.ndarray) -> bool:
    return True


MIN_BEFORE = 20  # the previous release tried no model below 20 corrections


# ---------------------------------------------------------------- the curve


def curve(
    d: Data, variant: Variant, gate: Callable[[Data, Variant, np.ndarray], bool], minimum: int = 2
) -> dict[str, Any]:
    from sklearn.metrics import f1_score

    out: dict[str, Any] = {}
    start = time.process_time()
    for n in CORRECTIONS:
        if n >= len(d.y) - 10:
            continue
        scores, zero, used = [], [], 0
        for seed in range(SEEDS):
            order = np.random.default_rng(seed).permutation(len(d.y))
            tr, ev = order[:n], order[n:]
            pred = d.zero_pred[ev]
            if n >= minimum and len(np.unique(d.y[tr])) >= 2 and gate(d, variant, tr):
                used += 1
                pred = d.labels[variant(d, tr, ev).argmax(axis=1)]
            scores.append(f1_score(d.y[ev], pred, average="macro"))
            zero.append(f1_score(d.y[ev], d.zero_pred[ev], average="macro"))
        out[str(n)] = {
            "macro_f1": round(float(np.mean(scores)), 4),
            "macro_f1_sd": round(float(np.std(scores)), 4),
            "zero_shot_same_items": round(float(np.mean(zero)), 4),
            "model_used": f"{used}/{SEEDS}",
        }
    out["cpu_seconds"] = round(time.process_time() - start, 1)
    return out


# ---------------------------------------------------------------- zero-shot variants (catzero)


def zero_shot_variants(d: Data) -> dict[str, np.ndarray]:
    """Items x all six categories, per way of scoring; the shipped one is `d.all_scores`.

    Per-class score normalisations over the set (the workspace), and where the cosines are taken."""
    from harken.insight.themes import classify

    names, owners, protos = classify._prototypes("category", classify.CATEGORY_PROTOTYPES)
    cues = classify._cue_boosts(d.texts, names, classify.CATEGORY_CUES).astype(np.float64)

    def part(sims: np.ndarray, how: str = "top2") -> np.ndarray:
        out = np.empty((len(sims), len(names)))
        for c in range(len(names)):
            own = sims[:, owners == c]
            out[:, c] = own.mean(axis=1) if how == "mean" else np.sort(own, axis=1)[:, -2:].mean(axis=1)
        return out

    def around(mid: np.ndarray) -> np.ndarray:
        return part(classify._unit(d.vectors - mid) @ classify._unit(protos - mid).T)

    raw = part(d.vectors @ protos.T)
    mean, sd = (raw + cues).mean(axis=0), (raw + cues).std(axis=0)
    return {
        "before: raw cosines, mean of 2 best prototypes + cues": raw + cues,
        "raw cosines, mean of all prototypes + cues": part(d.vectors @ protos.T, "mean") + cues,
        "raw cosines, no cues": raw,
        "per-class z-score of the scores over the set": (raw + cues - mean) / sd,
        "per-class mean subtracted (scores over the set)": raw + cues - mean,
        "per-class mean subtracted (cosine part only) + cues": raw - raw.mean(axis=0) + cues,
        "cosines around the prototypes' mean + cues": around(classify.Centre().point(protos)) + cues,
        "cosines around the set's mean alone + cues": around(d.vectors.mean(axis=0)) + cues,
        "shipped: cosines around the set + prototypes' mean + cues": d.all_scores.astype(np.float64),
    }


def zero_shot_table(name: str, d: Data) -> dict[str, Any]:
    """Macro-F1 with the argmax restricted to the set's classes (as everywhere in this file) and over
    all six categories (as the product decides; F1 averaged over the set's classes)."""
    from collections import Counter

    from sklearn.metrics import f1_score, recall_score

    out: dict[str, Any] = {}
    rows = []
    for label, scores in zero_shot_variants(d).items():
        pred = d.labels[scores[:, d.keep].argmax(axis=1)]
        six = np.asarray(d.names)[scores.argmax(axis=1)]
        recall = recall_score(d.y, pred, labels=d.classes, average=None)
        entry = {
            "macro_f1": round(float(f1_score(d.y, pred, average="macro")), 4),
            "recall": {c: round(float(r), 3) for c, r in zip(d.classes, recall, strict=True)},
            "all_six_macro_f1": round(float(f1_score(d.y, six, labels=d.classes, average="macro")), 4),
            "all_six_accuracy": round(float((six == d.y).mean()), 4),
            "all_six_predicted": dict(Counter(six.tolist())),
        }
        out[label] = entry
        rows.append(
            [
                label,
                f"{entry['macro_f1']:.3f}",
                " / ".join(f"{r:.2f}" for r in entry["recall"].values()),
                f"{entry['all_six_macro_f1']:.3f}",
                f"{entry['all_six_accuracy']:.3f}",
            ]
        )
    print_table(
        f"{name}: zero-shot (recall: {' / '.join(d.classes)})",
        ["scoring", "macro-F1", "recall", "all 6: macro-F1", "all 6: accuracy"],
        rows,
    )
    return out


def zero_shot_entry(d: Data) -> dict[str, Any]:
    from sklearn.metrics import f1_score, recall_score

    recall = recall_score(d.y, d.zero_pred, labels=d.classes, average=None)
    return {
        "items": len(d.y),
        "classes": d.classes,
        "zero_shot_macro_f1": round(float(f1_score(d.y, d.zero_pred, average="macro")), 4),
        "zero_shot_recall": {c: round(float(r), 3) for c, r in zip(d.classes, recall, strict=True)},
    }


def show(title: str, curves: dict[str, dict[str, Any]]) -> None:
    sizes = [str(n) for n in CORRECTIONS]
    rows = []
    for name, c in curves.items():
        rows.append([name] + [f"{c[n]['macro_f1']:.3f} ({c[n]['model_used'][0]})" if n in c else "—" for n in sizes])
    print_table(title, ["variant (macro-F1, seeds where the model was used)", *sizes], rows)


def nlbse(split: str) -> Data:
    rows = read_csv(DATASETS / "issues_nlbse24" / f"{split}.csv")
    texts = [r["text"] for r in rows]
    return Data(texts, [NLBSE_MAP[r["label"]] for r in rows], cached_embeddings(f"nlbse24-{split}", texts))


def fixture() -> Data:
    rows = read_csv(ROOT / "tests" / "fixtures" / "insight" / "labelled_feedback.csv")
    texts = [r["text"] for r in rows]
    return Data(texts, [r["category"] for r in rows], cached_embeddings("fixture", texts))


def demo() -> Data:
    """The demo workspace's items as the generator drafts them, with its kind as the truth (no database)."""
    from datetime import UTC, datetime

    from harken.demo.generator import generate
    from harken.insight.demo import KIND_CATEGORY
    from harken.insight.embeddings import item_text

    drafts = [f for f in generate(2200, now=datetime(2026, 11, 26, tzinfo=UTC)).feedback if f.kind in KIND_CATEGORY]
    texts = [item_text(f.title, f.text) for f in drafts]
    return Data(texts, [KIND_CATEGORY[f.kind] for f in drafts], cached_embeddings("demo-drafts", texts))


DEV_VARIANTS: dict[str, tuple[Variant, Callable[[Data, Variant, np.ndarray], bool], int]] = {
    "before: LR on embeddings, its accuracy gate (from 20)": (before_lr, gate_before, MIN_BEFORE),
    "LR on embeddings, no gate": (before_lr, gate_none, 2),
    "LR on embeddings, log-loss gate": (before_lr, gate_log_loss, 2),
    "corrections as extra prototypes, no gate": (extra_prototypes, gate_none, 2),
    "class mean shrunk by counts (h = hand prototypes), no gate": (shrunk_mean("prototypes"), gate_none, 2),
    "class mean shrunk by counts (h = 1), no gate": (shrunk_mean("one"), gate_none, 2),
    "zero-shot offset + class biases, no gate": (zero_shot_prior(False), gate_none, 2),
    "zero-shot offset + class biases, log-loss gate": (zero_shot_prior(False), gate_log_loss, 2),
    "zero-shot offset + LR on embeddings, no gate": (zero_shot_prior(True), gate_none, 2),
    "zero-shot offset + LR on embeddings, accuracy gate": (zero_shot_prior(True), gate_accuracy, 2),
    "zero-shot offset + LR on embeddings, log-loss gate": (zero_shot_prior(True), gate_log_loss, 2),
    "zero-shot offset + LR on embeddings, Brier gate": (zero_shot_prior(True), gate_brier, 2),
    "zero-shot offset (without cues) + LR on embeddings, no gate": (zero_shot_prior(True, cues=False), gate_none, 2),
    "zero-shot offset + LR on embeddings + tf-idf, no gate": (shipped, gate_none, 2),
    "zero-shot offset + LR on embeddings + tf-idf, accuracy gate": (shipped, gate_accuracy, 2),
    "zero-shot offset + LR on embeddings + tf-idf, log-loss gate (from 10)": (shipped, gate_shipped("log_loss", 10), 2),
    "zero-shot offset + LR on embeddings + tf-idf, Brier gate (from 10)": (shipped, gate_shipped("brier", 10), 2),
    "zero-shot offset + LR on embeddings + tf-idf, Brier gate + 95 % bootstrap (from 10)": (
        shipped,
        gate_shipped("brier-95", 10),
        2,
    ),
    "shipped: zero-shot offset + LR on embeddings + tf-idf, Brier gate (from 20)": (shipped, gate_shipped("brier"), 2),
}

SHIPPED = "shipped: zero-shot offset + LR on embeddings + tf-idf, Brier gate (from 20)"
REPORT_VARIANTS = {
    "before: LR on embeddings, its accuracy gate (from 20)": DEV_VARIANTS[
        "before: LR on embeddings, its accuracy gate (from 20)"
    ],
    SHIPPED: DEV_VARIANTS[SHIPPED],
}


def run(name: str, d: Data, variants: dict[str, Any], only: str | None) -> dict[str, Any]:
    entry = zero_shot_entry(d)
    start = time.process_time()
    entry["zero_shot_variants"] = zero_shot_table(name, d)
    entry["zero_shot_variants_cpu_seconds"] = round(time.process_time() - start, 2)
    curves = {}
    for label, (variant, gate, minimum) in variants.items():
        if only and only not in label:
            continue
        curves[label] = curve(d, variant, gate, minimum)
        print(f"  {label}: {curves[label]}", flush=True)
    entry["learning_curves"] = curves
    show(f"{name}: zero-shot macro-F1 {entry['zero_shot_macro_f1']:.3f}; recall {entry['zero_shot_recall']}", curves)
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", action="store_true", help="every variant on issues_nlbse24 train (the dev set)")
    parser.add_argument("--only", help="variants whose name contains this")
    parser.add_argument("--demo", action="store_true", help="also the demo generator's items (its ground truth)")
    parser.add_argument("--results", help="results file name (default: categories, or categories-dev with --dev)")
    args = parser.parse_args()
    setup_django()
    if args.dev:
        results = {
            "dev_set": "issues_nlbse24/train.csv",
            "issues_nlbse24_train": run("issues_nlbse24 (train, dev)", nlbse("train"), DEV_VARIANTS, args.only),
        }
        write_results(args.results or "categories-dev", results)
        return
    results = {
        "chosen_on": "issues_nlbse24/train.csv (bench/categories.py --dev)",
        "issues_nlbse24": run("issues_nlbse24 (test)", nlbse("test"), REPORT_VARIANTS, args.only),
        "labelled_feedback": run("labelled_feedback (fixture)", fixture(), REPORT_VARIANTS, args.only),
    }
    if args.demo:
        results["demo"] = {"zero_shot_variants": zero_shot_table("demo generator (2,200 items)", demo())}
    write_results(args.results or "categories", results)


if __name__ == "__main__":
    main()
