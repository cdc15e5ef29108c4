"""Step 1's statistics of label sets (multi-label): labels per text, each label's count and share,
co-occurrence, texts with no label, the indicative tokens of each label and a keyword rule per label."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import f1_score

from clearance.core.config.inspect import InspectConfig
from clearance.core.paths import SPLITS
from clearance.core.task import Task, decode_label_set
from clearance.core.text.units import WordUnit
from clearance.core.text.vocab import analysis_text, count_matrix, log_odds, vocab_stats

TOP_SETS = 10  # the most frequent label sets the report lists
TOP_PAIRS = 15  # the pairs of labels most often on one text
MATRIX_LABELS = 30  # the co-occurrence matrix shows the most frequent labels only: 30 stay readable
# A keyword must be this clearly indicative (log-odds z): "any keyword gives the label" takes every weak one at its
# word, so on a small corpus filler words with z just above 0 put nearly every label on every text, and the rule
# of a corpus with no signal at all scores by chance. At 3 it falls back to the constant set when nothing stands out.
KEYWORD_Z = 3.0


def label_balance(rows: pd.DataFrame, task: Task) -> dict[str, Any]:
    """Each label's count and share (of texts) per split, the spread between labels, labels missing from a
    split, labels per text, texts with no label, the most frequent sets, and co-occurrence."""
    classes, ind = list(task.classes), task.indicators(rows["label"].tolist())
    split = rows["split"].to_numpy()
    counts = ind.sum(axis=0).astype(int)
    per_split = {s: ind[split == s].sum(axis=0).astype(int) for s in SPLITS}
    n = max(len(rows), 1)
    per_label = {c: {"count": int(counts[i]), "share": float(counts[i] / n), **{s: int(per_split[s][i]) for s in SPLITS}}
                 for i, c in enumerate(classes)}
    return {
        "classes": per_label,
        "imbalance_ratio": float(counts.max() / max(counts.min(), 1)) if classes else 0.0,
        "min_train_class_count": int(per_split["train"].min()) if classes else 0,
        "missing_classes": {s: [c for i, c in enumerate(classes) if per_split[s][i] == 0] for s in SPLITS},
        "label_sets": set_stats(rows["label"], ind.sum(axis=1)),
        "co_occurrence": co_occurrence(ind, classes),
    }


def set_stats(labels: pd.Series, sizes: np.ndarray) -> dict[str, Any]:
    """Labels per text (mean, largest, distribution), texts with no label, and the most frequent sets."""
    n = max(len(labels), 1)
    sets = labels.value_counts()
    return {
        "per_text_mean": float(sizes.mean()) if len(sizes) else 0.0,
        "per_text_max": int(sizes.max()) if len(sizes) else 0,
        "per_text": {str(k): int(v) for k, v in enumerate(np.bincount(sizes)) if v} if len(sizes) else {},
        "empty_rows": int((sizes == 0).sum()),
        "empty_share": float((sizes == 0).sum() / n),
        "distinct_sets": int(len(sets)),
        "top_sets": [{"labels": decode_label_set(kept), "rows": int(v), "share": float(v / n)}
                     for kept, v in sets.head(TOP_SETS).items()],
    }


def co_occurrence(ind: np.ndarray, classes: list[str]) -> dict[str, Any]:
    """How often two labels are on one text: the pairs most often together (with P(b | a), P(a | b) and
    the lift, how much more often than chance), and the matrix of the most frequent labels (the plot)."""
    m = ind.T.astype(np.int64) @ ind.astype(np.int64)
    n, own = max(len(ind), 1), np.diag(m)
    upper = np.triu_indices(len(classes), k=1)
    together = m[upper]
    order = np.argsort(-together, kind="stable")[:TOP_PAIRS]
    pairs = [{"a": classes[upper[0][k]], "b": classes[upper[1][k]], "rows": int(together[k]),
              "b_given_a": float(together[k] / max(own[upper[0][k]], 1)),
              "a_given_b": float(together[k] / max(own[upper[1][k]], 1)),
              "lift": float(together[k] * n / max(own[upper[0][k]] * own[upper[1][k]], 1))}
             for k in order if together[k] > 0]
    shown = sorted(np.argsort(-own, kind="stable")[:MATRIX_LABELS].tolist())
    return {"pairs": pairs, "pairs_together": int((together > 0).sum()), "pairs_possible": int(len(together)),
            "labels": [classes[i] for i in shown], "matrix": m[np.ix_(shown, shown)].tolist()}


def best_constant(ind: np.ndarray) -> np.ndarray:
    """The constant label set with the best micro-F1 on ``ind``: the most frequent labels, added while they
    help (a prior guess: what a rule must beat). A 0/1 vector over the labels."""
    counts, n = ind.sum(axis=0), len(ind)
    order = np.argsort(-counts, kind="stable")
    tp = np.concatenate([[0], np.cumsum(counts[order])])
    chosen = np.arange(len(order) + 1)
    # micro-F1 of predicting the j most frequent labels for every text: 2TP / (2TP + FP + FN)
    f1 = 2 * tp / np.maximum(2 * tp + (n * chosen - tp) + (counts.sum() - tp), 1)
    out = np.zeros(len(counts), dtype=np.int8)
    out[order[:int(f1.argmax())]] = 1
    return out


def label_tokens(counts: Any, ind: np.ndarray, vocab: np.ndarray, classes: list[str],
                 k: int) -> dict[str, list[tuple[str, float]]]:
    """The k most indicative tokens of each label: log-odds z of texts with the label against texts without
    (one label at a time, so a text in several labels counts for each)."""
    total = np.asarray(counts.sum(axis=0)).ravel().astype(float)
    out = {}
    for i, label in enumerate(classes):
        with_label = np.asarray(counts[ind[:, i] == 1].sum(axis=0)).ravel().astype(float)
        z = log_odds(np.vstack([with_label, total - with_label]))[0]
        top = np.argsort(-z, kind="stable")[:k]
        out[label] = [(str(vocab[j]), float(z[j])) for j in top if z[j] > 0]
    return out


def keyword_sets(keywords: dict[str, list[str]], texts: pd.Series, unit: WordUnit,
                 fallback: np.ndarray) -> np.ndarray:
    """Each text's predicted labels: every label one of whose keywords it contains; the fallback set when
    it contains none (as the single-label rule falls back to the majority class)."""
    classes = list(keywords)
    vocab = sorted({w for words in keywords.values() for w in words})
    if not vocab:
        return np.tile(fallback, (len(texts), 1))
    vectorizer = CountVectorizer(lowercase=True, vocabulary=vocab, binary=True, **unit.vectorizer_args())
    hits = vectorizer.transform(analysis_text(texts))
    position = {w: i for i, w in enumerate(vocab)}
    member = np.zeros((len(vocab), len(classes)))
    for j, label in enumerate(classes):
        member[[position[w] for w in keywords[label]], j] = 1.0
    predicted = (np.asarray(hits @ member) > 0).astype(np.int8)
    none = predicted.sum(axis=1) == 0
    predicted[none] = fallback
    return predicted


def label_vocabulary(splits: dict[str, pd.DataFrame], task: Task, cfg: InspectConfig,
                     unit: WordUnit) -> dict[str, Any]:
    """Vocabulary, each label's vocabulary and indicative tokens, and a keyword rule per label scored on
    valid by micro-F1 against the best constant label set."""
    train, valid = splits["train"], splits["valid"]
    classes = list(task.classes)
    counts, vocab = count_matrix(train["text"], unit=unit)
    ind = task.indicators(train["label"].tolist())
    kept = np.asarray(counts.sum(axis=0)).ravel() >= cfg.min_token_count
    top = label_tokens(counts[:, kept], ind, vocab[kept], classes, cfg.top_tokens)
    keywords = {label: [w for w, z in pairs[:cfg.keyword_tokens] if z >= KEYWORD_Z] for label, pairs in top.items()}
    prior = best_constant(ind)
    truth = task.indicators(valid["label"].tolist())
    predicted = keyword_sets(keywords, valid["text"], unit, prior)
    constant = np.tile(prior, (len(truth), 1))
    has_valid = len(truth) > 0 and truth.sum() > 0

    def micro(guess: np.ndarray) -> float:
        return float(f1_score(truth, guess, average="micro", zero_division=0)) if has_valid else 0.0

    return {
        "vocab": vocab_stats(counts),
        "vocab_per_class": {c: vocab_stats(counts[ind[:, i] == 1]) for i, c in enumerate(classes)},
        "top_tokens": top,
        "keyword_rule": {
            "keywords": keywords,
            "fallback": [c for c, on in zip(classes, prior) if on],
            "micro_f1": micro(predicted),
            "macro_f1": float(f1_score(truth, predicted, average="macro", zero_division=0)) if has_valid else 0.0,
            "prior_micro_f1": micro(constant),
            "valid_rows": int(len(truth)),
        },
    }
