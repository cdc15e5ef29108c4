"""Step 1's statistics of a numeric target (regression): its distribution, outliers, skew, equal texts with
different targets, the target against length, and a keyword rule that predicts a score."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats
from sklearn.feature_extraction.text import CountVectorizer

from clearance.core.config.inspect import InspectConfig
from clearance.core.paths import SPLITS
from clearance.core.text.units import WordUnit
from clearance.core.text.vocab import analysis_text, count_matrix, vocab_stats
from clearance.inspection.measure.label_sets import KEYWORD_Z

QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
FAR_IQR = 3.0  # Tukey's "far out" fences: beyond 3 IQR from the quartiles
FAR_Z = 4.0  # or beyond 4 standard deviations (the fences collapse when most targets are equal)
MILD_IQR = 1.5  # Tukey's inner fences, counted for the report only (a normal target has ~0.7% beyond)
CONFLICT_SPREAD = 0.1  # equal texts "disagree" when their targets differ by over a tenth of the target's sd
LISTED = 20  # outliers and disagreeing groups the report lists


def quartile_names(target: np.ndarray) -> np.ndarray:
    """Each row's quarter of the target ("Q1 (lowest)" … "Q4 (highest)"): the groups lengths, vocabulary and
    surface patterns are shown per, as single-label data shows them per class."""
    if len(target) == 0:
        return np.array([], dtype=object)
    ranks = pd.Series(target).rank(method="first").to_numpy()
    quarter = np.minimum((4 * (ranks - 1) / len(target)).astype(int), 3)
    names = np.array(["Q1 (lowest)", "Q2", "Q3", "Q4 (highest)"], dtype=object)
    return names[quarter]


def distribution(rows: pd.DataFrame) -> dict[str, Any]:
    """The target's summary overall and per split, its quantiles, skew and kurtosis, and outliers."""
    y = rows["label"].to_numpy(dtype=float)
    per_split = {s: _summary(y[(rows["split"] == s).to_numpy()]) for s in SPLITS}
    q = np.quantile(y, QUANTILES) if len(y) else np.zeros(len(QUANTILES))
    return {
        **_summary(y),
        "distinct": int(len(np.unique(y))),
        "quantiles": {f"p{round(100 * p)}": float(v) for p, v in zip(QUANTILES, q)},
        "skew": float(scipy_stats.skew(y)) if len(y) > 2 and y.std() > 0 else 0.0,
        "kurtosis": float(scipy_stats.kurtosis(y)) if len(y) > 3 and y.std() > 0 else 0.0,
        "per_split": per_split,
        "outliers": outliers(rows, y),
    }


def _summary(y: np.ndarray) -> dict[str, float]:
    if len(y) == 0:
        return {"rows": 0, "mean": 0.0, "std": 0.0, "min": 0.0, "median": 0.0, "max": 0.0}
    return {"rows": int(len(y)), "mean": float(y.mean()), "std": float(y.std()), "min": float(y.min()),
            "median": float(np.median(y)), "max": float(y.max())}


def outliers(rows: pd.DataFrame, y: np.ndarray) -> dict[str, Any]:
    """Rows far from the bulk of the target: beyond Tukey's far-out fences (3 IQR) or 4 sd; listed, the
    farthest first."""
    if len(y) == 0:
        return {"rows": 0, "share": 0.0, "mild_rows": 0, "low": 0.0, "high": 0.0, "examples": []}
    q1, q3 = np.quantile(y, [0.25, 0.75])
    iqr, mean, sd = q3 - q1, y.mean(), y.std()
    far = np.zeros(len(y), dtype=bool)
    if iqr > 0:
        far |= (y < q1 - FAR_IQR * iqr) | (y > q3 + FAR_IQR * iqr)
    if sd > 0:
        far |= np.abs(y - mean) > FAR_Z * sd
    mild = (y < q1 - MILD_IQR * iqr) | (y > q3 + MILD_IQR * iqr) if iqr > 0 else far
    order = np.argsort(-np.abs(y - np.median(y)), kind="stable")
    listed = [i for i in order if far[i]][:LISTED]
    return {"rows": int(far.sum()), "share": float(far.mean()), "mild_rows": int(mild.sum()),
            "low": float(q1 - FAR_IQR * iqr), "high": float(q3 + FAR_IQR * iqr),
            "examples": [{"split": rows["split"].iat[i], "row": int(rows["row"].iat[i]), "target": float(y[i]),
                          "text": str(rows["text"].iat[i])} for i in listed]}


def target_conflicts(rows: pd.DataFrame, keys: pd.Series) -> dict[str, Any]:
    """Groups of equal (normalised) texts whose targets differ: how many, their spread (max - min) in the
    target's units, and the share of rows in groups that differ by more than a tenth of the target's sd."""
    y = rows["label"].to_numpy(dtype=float)
    frame = pd.DataFrame({"key": keys.to_numpy(), "y": y, "text": rows["text"].to_numpy()})
    spread = frame.groupby("key")["y"].transform(lambda s: s.max() - s.min()).to_numpy()
    tolerance = CONFLICT_SPREAD * float(y.std()) if len(y) else 0.0
    differ, disagree = spread > 0, spread > tolerance
    groups = frame[differ].groupby("key", sort=False).agg(text=("text", "first"), rows=("y", "size"),
                                                         low=("y", "min"), high=("y", "max"))
    groups["spread"] = groups["high"] - groups["low"]
    shown = groups.sort_values(["spread", "rows"], ascending=False, kind="stable").head(LISTED)
    n = max(len(y), 1)
    return {
        "groups": int(len(groups)), "rows": int(differ.sum()), "share": float(differ.sum() / n),
        "tolerance": tolerance, "disagreeing_groups": int((groups["spread"] > tolerance).sum()),
        "disagreeing_rows": int(disagree.sum()), "disagreeing_share": float(disagree.sum() / n),
        "mean_spread": float(groups["spread"].mean()) if len(groups) else 0.0,
        "max_spread": float(groups["spread"].max()) if len(groups) else 0.0,
        "examples": shown.reset_index(drop=True).to_dict("records"),
    }


def length_link(y: np.ndarray, words: pd.Series) -> dict[str, Any]:
    """Spearman's rank correlation of the target with the length in words: a model could learn length."""
    if len(y) < 3 or np.ptp(y) == 0 or words.nunique() < 2:
        return {"spearman": 0.0, "p_value": 1.0, "rows": int(len(y))}
    rho, p = scipy_stats.spearmanr(y, words.to_numpy())
    return {"spearman": float(rho), "p_value": float(p), "rows": int(len(y))}


def score_tokens(counts: Any, y: np.ndarray, vocab: np.ndarray, min_texts: int,
                 k: int) -> dict[str, list[tuple[str, float, float]]]:
    """The k tokens whose texts' mean target lies farthest above and below the mean, as z-scores of that
    mean (its standard error: sd / sqrt(texts)): (token, z, mean target of its texts)."""
    present = (counts > 0).astype(np.float64)
    texts = np.asarray(present.sum(axis=0)).ravel()
    mean = np.asarray(present.T @ y).ravel() / np.maximum(texts, 1)
    sd = float(y.std()) or 1.0
    z = np.where(texts >= max(min_texts, 2), (mean - y.mean()) / (sd / np.sqrt(np.maximum(texts, 1))), 0.0)
    high, low = np.argsort(-z, kind="stable")[:k], np.argsort(z, kind="stable")[:k]
    return {"higher": [(str(vocab[j]), float(z[j]), float(mean[j])) for j in high if z[j] > 0],
            "lower": [(str(vocab[j]), float(z[j]), float(mean[j])) for j in low if z[j] < 0]}


def predict_scores(keywords: dict[str, float], texts: pd.Series, unit: WordUnit, fallback: float) -> np.ndarray:
    """Each text's score: the mean of its keywords' mean targets, or the train mean when it has none."""
    if not keywords:
        return np.full(len(texts), fallback)
    vocab = sorted(keywords)
    hits = CountVectorizer(lowercase=True, vocabulary=vocab, binary=True,
                           **unit.vectorizer_args()).transform(analysis_text(texts))
    found = np.asarray(hits.sum(axis=1)).ravel()
    total = np.asarray(hits @ np.array([keywords[w] for w in vocab])).ravel()
    return np.where(found > 0, total / np.maximum(found, 1), fallback)


def score_vocabulary(splits: dict[str, pd.DataFrame], cfg: InspectConfig, unit: WordUnit) -> dict[str, Any]:
    """Vocabulary (overall and per quarter of the target), the tokens of high and low targets, and a keyword
    rule that predicts a score, scored on valid by RMSE against predicting the train mean."""
    train, valid = splits["train"], splits["valid"]
    y = train["label"].to_numpy(dtype=float)
    counts, vocab = count_matrix(train["text"], unit=unit)
    quarter = quartile_names(y)
    top = score_tokens(counts, y, vocab, cfg.min_token_count, cfg.top_tokens)
    # Only clearly indicative tokens (|z| >= KEYWORD_Z): weak ones pull every score towards the mean, and on data
    # without signal they score by chance.
    keywords = {w: m for side in ("higher", "lower") for w, z, m in top[side][:cfg.keyword_tokens]
                if abs(z) >= KEYWORD_Z}
    mean = float(y.mean()) if len(y) else 0.0
    truth = valid["label"].to_numpy(dtype=float)
    predicted = predict_scores(keywords, valid["text"], unit, mean)
    has_valid = len(truth) > 0
    rmse = float(np.sqrt(np.mean((predicted - truth) ** 2))) if has_valid else 0.0
    mean_rmse = float(np.sqrt(np.mean((mean - truth) ** 2))) if has_valid else 0.0
    return {
        "vocab": vocab_stats(counts),
        "vocab_per_class": {q: vocab_stats(counts[quarter == q]) for q in sorted(set(quarter))},
        "top_tokens": top,
        "keyword_rule": {
            "keywords": keywords, "fallback": mean, "rmse": rmse, "mean_rmse": mean_rmse,
            "mae": float(np.mean(np.abs(predicted - truth))) if has_valid else 0.0,
            "mean_mae": float(np.mean(np.abs(mean - truth))) if has_valid else 0.0,
            # The share of the mean guess's RMSE the rule removes (0: no better than the mean).
            "gain": 1.0 - rmse / mean_rmse if mean_rmse > 0 else 0.0,
            "valid_rows": int(len(truth)),
        },
    }
