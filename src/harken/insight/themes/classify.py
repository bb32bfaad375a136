"""Category (bug, feature request, question, complaint, praise) and sentiment, locally, zero-shot.

How: the item's embedding is compared with several short prototype descriptions per class (same
embedder as everything else; prototypes are embedded once per process). A class scores the mean
of its two best prototype cosines, plus small lexical cues ("crash", "?", "would be great",
"love") that embeddings of short texts miss. People's corrections are kept — the row is flagged
`corrected_by_user` and never overwritten — and become extra prototypes: an item very close to a
corrected one takes that item's labels.

Accuracy on tests/fixtures/insight/labelled_feedback.csv is reported in docs/themes.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from harken.feedback.models import Feedback
from harken.insight.embeddings import get_embedder, item_text
from harken.insight.themes.models import Category, ItemClassification, Sentiment
from harken.workspaces.access import Actor
from harken.workspaces.models import Role, Workspace

CATEGORY_PROTOTYPES: dict[str, list[str]] = {
    Category.BUG: [
        "The app crashes when I open the settings page.",
        "I get an error message and the page does not load.",
        "This is broken: clicking save does nothing.",
        "The export fails and the file is empty.",
        "Since the last update the sync stopped working.",
        "Bug: numbers show wrong totals in the report.",
    ],
    Category.FEATURE: [
        "It would be great if you could add dark mode.",
        "Please add an option to export to Excel.",
        "Feature request: integration with Slack.",
        "Can you support single sign-on in a future version?",
        "I wish I could schedule reports to be sent weekly.",
        "Allow us to customise the dashboard widgets.",
        "Add support for exporting to PDF.",
        "Support dark theme in the editor.",
        "Option to disable notifications for a project.",
        "It should be possible to filter the list by date.",
        "Suggestion: show the total next to each group.",
        "Enhancement: let users choose the default view.",
    ],
    Category.QUESTION: [
        "How do I change my billing address?",
        "Is there a way to invite my team members?",
        "Where can I find the API documentation?",
        "What is the difference between the two plans?",
        "Can I import my data from a spreadsheet?",
        "Does the mobile app work offline?",
    ],
    Category.COMPLAINT: [
        "This is unacceptable, support never answers.",
        "The price increase is outrageous and we are considering leaving.",
        "I am very frustrated with how slow everything is.",
        "Your customer service is terrible.",
        "We are disappointed, the product got worse.",
        "Too expensive for what it does.",
    ],
    Category.USABILITY: [
        "The settings are hard to find, the menu is confusing.",
        "It takes too many clicks to create a report.",
        "The layout is cluttered and the text is too small to read.",
        "I could not figure out how to use the new editor, it is not intuitive.",
        "The button is hidden and the labels are unclear.",
        "Navigation between pages is awkward on mobile.",
    ],
    Category.PRAISE: [
        "I love this product, it saves me hours every week.",
        "Great job on the new release, it works perfectly.",
        "Thank you, your support team was amazing.",
        "The new dashboard is beautiful and fast.",
        "Best tool we have used, highly recommended.",
        "Awesome update, exactly what we needed.",
    ],
}

SENTIMENT_PROTOTYPES: dict[str, list[str]] = {
    Sentiment.NEGATIVE: [
        "This is terrible and frustrating.",
        "I am angry, it keeps failing.",
        "Very disappointed and annoyed.",
        "It is broken and useless.",
        "Awful experience, we will cancel.",
    ],
    Sentiment.NEUTRAL: [
        "How do I change the settings?",
        "Please add an export option.",
        "I have a question about the invoice.",
        "The report shows the monthly totals.",
        "Could you tell me where to find this?",
    ],
    Sentiment.POSITIVE: [
        "I love it, great work.",
        "This is excellent and very helpful.",
        "Thank you so much, amazing support.",
        "Really happy with the new feature.",
        "Fantastic product, works perfectly.",
    ],
}


def _cues(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"|".join(patterns), re.IGNORECASE)


CATEGORY_CUES: dict[str, tuple[re.Pattern[str], float]] = {
    Category.BUG: (
        _cues(
            r"\bcrash",
            r"\berror\b",
            r"\bbug\b",
            r"\bbroken\b",
            r"\bfails?\b",
            r"\bfailed\b",
            r"doesn'?t work",
            r"not working",
            r"stopped working",
            r"\b500\b",
            r"\bfreez",
            r"\bstuck\b",
            r"won'?t (load|open|save)",
            r"\bwrong\b",
            r"\bdisappear",
        ),
        0.12,
    ),
    Category.FEATURE: (
        _cues(
            r"would be (great|nice|good|helpful)",
            r"\bplease add\b",
            r"\badd (an? |the )?(option|ability|support)",
            r"\bfeature request\b",
            r"\bi wish\b",
            r"\bsupport for\b",
            r"\bcan you add\b",
            r"\ballow (us|me)\b",
            r"\bintegrat",
            r"\bwould love\b",
            r"\bit'?d be\b",
            r"\bneed a way\b",
            r"\bsupport (for )?\w+ in\b",
            r"\boption to\b",
            r"\bability to\b",
            r"\bshould be (able|possible)\b",
            r"\b(enhancement|suggestion|proposal)\b",
            r"\bfeature\b",
            r"\bnew (option|setting|api)\b",
        ),
        0.12,
    ),
    Category.USABILITY: (
        _cues(
            r"\bconfus",
            r"\bhard to (find|use|read|see|understand|navigate)",
            r"\bnot intuitive\b",
            r"\bunintuitive\b",
            r"\btoo many clicks\b",
            r"\bcluttered\b",
            r"\bhard to tell\b",
            r"\busability\b",
            r"\bux\b",
            r"\bclunky\b",
            r"\bcan'?t find\b",
        ),
        0.12,
    ),
    Category.QUESTION: (_cues(r"\?\s*$", r"^(how|what|where|when|why|is there|can i|does|do you|who)\b"), 0.12),
    Category.COMPLAINT: (
        _cues(
            r"\bunacceptable\b",
            r"\bfrustrat",
            r"\bdisappoint",
            r"\bterrible\b",
            r"\bawful\b",
            r"\bridiculous\b",
            r"\btoo (expensive|slow)\b",
            r"\bcancel",
            r"\bswitch(ing)? to\b",
            r"\bworst\b",
            r"\bannoy",
        ),
        0.12,
    ),
    Category.PRAISE: (
        _cues(
            r"\blove\b",
            r"\bgreat (job|work|product|tool)\b",
            r"\bthank(s| you)\b",
            r"\bawesome\b",
            r"\bamazing\b",
            r"\bexcellent\b",
            r"\bfantastic\b",
            r"\bkudos\b",
            r"\bbest\b",
        ),
        0.10,
    ),
}

SENTIMENT_CUES: dict[str, tuple[re.Pattern[str], float]] = {
    Sentiment.NEGATIVE: (
        _cues(
            r"\bcrash",
            r"\bbroken\b",
            r"\bfrustrat",
            r"\bdisappoint",
            r"\bterrible\b",
            r"\bawful\b",
            r"\bhate\b",
            r"\bunacceptable\b",
            r"\bannoy",
            r"\bworst\b",
            r"\bangry\b",
            r"\buseless\b",
            r"\bfails?\b",
            r"\berror\b",
            r"not working",
            r"doesn'?t work",
            r"\bcancel",
        ),
        0.12,
    ),
    Sentiment.POSITIVE: (
        _cues(
            r"\blove\b",
            r"\bgreat\b",
            r"\bthank",
            r"\bawesome\b",
            r"\bamazing\b",
            r"\bexcellent\b",
            r"\bhappy\b",
            r"\bfantastic\b",
            r"\bperfect",
            r"\bbeautiful\b",
            r"\bkudos\b",
        ),
        0.12,
    ),
}

# An item this close to one a person corrected takes that item's labels.
CORRECTION_SIMILARITY = 0.85


@dataclass(frozen=True)
class Guess:
    category: str
    category_score: float
    sentiment: str
    sentiment_score: float


_prototype_cache: dict[tuple[str, str], tuple[list[str], np.ndarray, np.ndarray]] = {}


def _prototypes(kind: str, table: dict[str, list[str]]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(class names, owner index per prototype, prototype vectors) for the current embedder."""
    embedder = get_embedder()
    key = (embedder.name, kind)
    if key not in _prototype_cache:
        names = list(table)
        texts = [t for n in names for t in table[n]]
        owners = np.asarray([i for i, n in enumerate(names) for _ in table[n]], dtype=np.int64)
        _prototype_cache[key] = (names, owners, embedder.encode(texts))
    return _prototype_cache[key]


def _score(
    vectors: np.ndarray,
    texts: Sequence[str],
    kind: str,
    table: dict[str, list[str]],
    cues: dict[str, tuple[re.Pattern[str], float]],
) -> tuple[list[str], np.ndarray]:
    names, owners, protos = _prototypes(kind, table)
    sims = vectors @ protos.T
    scores = np.zeros((len(vectors), len(names)), dtype=np.float32)
    for c in range(len(names)):
        own = np.sort(sims[:, owners == c], axis=1)[:, -2:]
        scores[:, c] = own.mean(axis=1)
    for c, name in enumerate(names):
        if name in cues:
            pattern, boost = cues[name]
            for i, text in enumerate(texts):
                hits = len(pattern.findall(text.strip()))
                if hits:
                    scores[i, c] += boost * min(hits, 2)
    return names, scores


def guess(texts: Sequence[str], vectors: np.ndarray | None = None) -> list[Guess]:
    """Category and sentiment for each text (vectors: their embeddings, computed if not given)."""
    if not len(texts):
        return []
    vectors = get_embedder().encode(list(texts)) if vectors is None else vectors
    cat_names, cat = _score(vectors, texts, "category", CATEGORY_PROTOTYPES, CATEGORY_CUES)
    sen_names, sen = _score(vectors, texts, "sentiment", SENTIMENT_PROTOTYPES, SENTIMENT_CUES)
    # Decode both labels together so they never contradict each other ("Praise · Negative"):
    # the best-scoring compatible pair wins.
    allowed = np.array([[(str(c), str(s)) not in INCOMPATIBLE for s in sen_names] for c in cat_names], dtype=bool)
    # All items at once (was one small numpy pass per item): the same sums and the same first maximum.
    joint = np.where(allowed[None, :, :], cat[:, :, None] + sen[:, None, :], -np.inf)
    best = joint.reshape(len(texts), -1).argmax(axis=1)
    cs, ss = np.unravel_index(best, allowed.shape)
    rows = np.arange(len(texts))
    cat_best, sen_best = cat[rows, cs].tolist(), sen[rows, ss].tolist()
    return [
        Guess(cat_names[c], cat_best[i], sen_names[s], sen_best[i])
        for i, (c, s) in enumerate(zip(cs.tolist(), ss.tolist(), strict=True))
    ]


INCOMPATIBLE = {
    (str(Category.PRAISE), str(Sentiment.NEGATIVE)),
    (str(Category.COMPLAINT), str(Sentiment.POSITIVE)),
    (str(Category.BUG), str(Sentiment.POSITIVE)),
    (str(Category.USABILITY), str(Sentiment.POSITIVE)),
}

# ---------------------------------------------------------------- learning from corrections

MIN_CORRECTIONS = 20  # corrected items (with at least two categories) before a model is tried
LEARNED_PREFIX = "learned:"


@dataclass
class LearnedCategories:
    """A workspace's own category model: logistic regression on the embeddings of corrected items."""

    model: Any
    corrections: int
    cv_accuracy: float
    zero_shot_accuracy: float


_learned_cache: dict[int, tuple[tuple[int, int], LearnedCategories | None]] = {}


def fit_learned(vectors: np.ndarray, labels: Sequence[str], zero_shot: Sequence[str]) -> LearnedCategories | None:
    """Fit on corrected items; keep it only if its cross-validated accuracy beats zero-shot's on them."""
    y = np.asarray(labels)
    classes, counts = np.unique(y, return_counts=True)
    if len(y) < MIN_CORRECTIONS or len(classes) < 2:
        return None
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = int(min(5, counts.min())) if counts.min() >= 2 else 0
    clf = LogisticRegression(C=1.0, max_iter=1000, class_weight="balanced")
    if folds >= 2:
        predicted = cross_val_predict(clf, vectors, y, cv=StratifiedKFold(folds, shuffle=True, random_state=0))
    else:  # a class with a single example: leave-one-out is impossible for it; use a 2-fold split
        predicted = cross_val_predict(clf, vectors, y, cv=2)
    cv_accuracy = float((predicted == y).mean())
    zero_accuracy = float((np.asarray(zero_shot) == y).mean())
    if cv_accuracy <= zero_accuracy:
        return LearnedCategories(None, len(y), cv_accuracy, zero_accuracy)
    clf.fit(vectors, y)
    return LearnedCategories(clf, len(y), cv_accuracy, zero_accuracy)


def learned_categories(workspace: Workspace) -> LearnedCategories | None:
    """The workspace's learned category model (None until it has enough corrections), cached per process."""
    corrected = workspace.item_classifications.filter(corrected_by_user=True)
    key = (corrected.count(), int(corrected.order_by("-updated_at").values_list("pk", flat=True).first() or 0))
    cached = _learned_cache.get(workspace.pk)
    if cached is not None and cached[0] == key:
        return cached[1]
    result = None
    if key[0] >= MIN_CORRECTIONS:
        from harken.insight.themes.services import workspace_vectors

        rows = {c.feedback_id: c.category for c in corrected}
        data = workspace_vectors(workspace, ids=list(rows))
        if len(data):
            labels = [rows[int(k)] for k in data.ids]
            texts = dict(workspace.feedback_items.filter(pk__in=list(rows)).values_list("pk", "text"))
            titles = dict(workspace.feedback_items.filter(pk__in=list(rows)).values_list("pk", "title"))
            zero = [
                g.category
                for g in guess([item_text(titles.get(int(k)), texts.get(int(k))) for k in data.ids], data.matrix)
            ]
            result = fit_learned(data.matrix, labels, zero)
    _learned_cache[workspace.pk] = (key, result)
    return result


def _corrections(workspace: Workspace) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Vectors and labels of items people corrected: the workspace's own extra prototypes."""
    from harken.insight.themes.services import workspace_vectors

    rows = {
        c.feedback_id: (c.category, c.sentiment) for c in workspace.item_classifications.filter(corrected_by_user=True)
    }
    if not rows:
        return np.zeros((0, get_embedder().dim), dtype=np.float32), []
    data = workspace_vectors(workspace, ids=list(rows))
    return data.matrix, [rows[int(k)] for k in data.ids]


def classify_items(
    workspace: Workspace, items: Sequence[Feedback], vectors: Mapping[int, np.ndarray] | None = None
) -> list[ItemClassification]:
    """Compute and store category/sentiment for items; rows a person corrected are left alone.

    `vectors`: the items' current vectors if the caller has them (the insight job passes what
    `embed_items` just computed); the others are read from the database, or encoded if not stored.
    """
    from harken.insight.themes.services import workspace_vectors

    items = list(items)
    done = {c.feedback_id: c for c in workspace.item_classifications.filter(feedback__in=items)}
    todo = [f for f in items if not (f.pk in done and done[f.pk].corrected_by_user)]
    if not todo:
        return []
    stored: dict[int, np.ndarray] = {f.pk: vectors[f.pk] for f in todo if vectors is not None and f.pk in vectors}
    unread = [f.pk for f in todo if f.pk not in stored]
    if unread:
        data = workspace_vectors(workspace, ids=unread)
        stored.update({int(k): data.matrix[i] for i, k in enumerate(data.ids)})
    missing = [f for f in todo if f.pk not in stored]
    if missing:
        fresh = get_embedder().encode([item_text(f.title, f.text) for f in missing])
        stored.update({f.pk: fresh[i] for i, f in enumerate(missing)})

    texts = [item_text(f.title, f.text) for f in todo]
    matrix = np.vstack([stored[f.pk] for f in todo])
    guesses = guess(texts, matrix)
    learned = learned_categories(workspace)
    model = get_embedder().name
    models = [model] * len(todo)
    if learned is not None and learned.model is not None:
        predicted = learned.model.predict(matrix)
        for i, cat in enumerate(predicted.tolist()):
            g = guesses[i]
            sentiment = g.sentiment
            if (str(cat), str(sentiment)) in INCOMPATIBLE:
                sentiment = str(Sentiment.NEUTRAL)
            guesses[i] = Guess(str(cat), g.category_score, sentiment, g.sentiment_score)
            models[i] = f"{LEARNED_PREFIX}{learned.corrections}"
    corr_vectors, corr_labels = _corrections(workspace)
    if len(corr_labels):
        sims = matrix @ corr_vectors.T
        nearest = sims.argmax(axis=1)
        for i in range(len(todo)):
            if sims[i, nearest[i]] >= CORRECTION_SIMILARITY:
                cat, sen = corr_labels[int(nearest[i])]
                guesses[i] = Guess(cat, float(sims[i, nearest[i]]), sen, float(sims[i, nearest[i]]))
                models[i] = model
    # One INSERT for the new rows and one UPDATE for the re-classified ones (was a save() per item:
    # most of the category stage's CPU in `bench/scale.py`).
    now = timezone.now()
    out, fresh_rows, changed = [], [], []
    for f, g, model in zip(todo, guesses, models, strict=True):
        row = done.get(f.pk)
        if row is None:
            row = ItemClassification(workspace=workspace, feedback=f)
            fresh_rows.append(row)
        else:
            row.updated_at = now
            changed.append(row)
        row.category, row.category_score, row.sentiment, row.sentiment_score, row.model = (
            g.category,
            g.category_score,
            g.sentiment,
            g.sentiment_score,
            model,
        )
        out.append(row)
    with transaction.atomic():
        ItemClassification.objects.bulk_create(fresh_rows, batch_size=500)
        ItemClassification.objects.bulk_update(
            changed,
            ["category", "category_score", "sentiment", "sentiment_score", "model", "updated_at"],
            batch_size=500,
        )
    return out


def correct(
    actor: Actor, feedback: Feedback, category: str | None = None, sentiment: str | None = None
) -> ItemClassification:
    """A person sets the category and/or sentiment; the classifier never overwrites it afterwards."""
    actor.require(Role.MEMBER)
    if feedback.workspace_id != actor.workspace.pk:
        raise ValidationError("That item belongs to another workspace.")
    if category is not None and category not in Category.values:
        raise ValidationError(f"Unknown category “{category}”; use one of {', '.join(Category.values)}.")
    if sentiment is not None and sentiment not in Sentiment.values:
        raise ValidationError(f"Unknown sentiment “{sentiment}”; use one of {', '.join(Sentiment.values)}.")
    if category is None and sentiment is None:
        raise ValidationError("Give a category, a sentiment, or both.")
    with transaction.atomic():
        row = ItemClassification.objects.filter(feedback=feedback).select_for_update().first()
        if row is None:
            g = guess([f"{feedback.title}. {feedback.text}"])[0]
            row = ItemClassification(
                workspace=actor.workspace, feedback=feedback, category=g.category, sentiment=g.sentiment
            )
        if category is not None:
            row.category, row.category_score = category, 1.0
        if sentiment is not None:
            row.sentiment, row.sentiment_score = sentiment, 1.0
        row.corrected_by_user, row.corrected_by = True, actor.user
        row.save()
    return row
