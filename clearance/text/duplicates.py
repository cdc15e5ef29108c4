"""Exact and normalised duplicates, label conflicts, and overlap between splits."""

from __future__ import annotations

import pandas as pd

from clearance.text.normalize import duplicate_key


def duplicate_stats(texts: pd.Series, labels: pd.Series) -> dict[str, float]:
    """Shares of rows repeating an earlier text, and of rows in label-conflicting groups."""
    n = len(texts)
    if n == 0:
        return {"exact_duplicate_share": 0.0, "normalized_duplicate_share": 0.0,
                "conflicting_share": 0.0, "conflicting_groups": 0}
    norm = duplicate_key(texts)
    labels_per_text = pd.DataFrame({"key": norm.to_numpy(), "label": labels.to_numpy()})
    n_labels = labels_per_text.groupby("key")["label"].transform("nunique")
    conflicting = n_labels > 1
    return {
        "exact_duplicate_share": float(texts.duplicated().mean()),
        "normalized_duplicate_share": float(norm.duplicated().mean()),
        "conflicting_share": float(conflicting.mean()),
        "conflicting_groups": int(labels_per_text.loc[conflicting.to_numpy(), "key"].nunique()),
    }


def conflicting_examples(texts: pd.Series, labels: pd.Series, limit: int = 20) -> pd.DataFrame:
    """Groups of equal (normalised) texts that carry different labels."""
    frame = pd.DataFrame({"key": duplicate_key(texts).to_numpy(), "text": texts.to_numpy(),
                          "label": labels.to_numpy()})
    n_labels = frame.groupby("key")["label"].transform("nunique")
    bad = frame[n_labels > 1]
    if bad.empty:
        return pd.DataFrame(columns=["text", "labels", "rows"])
    grouped = bad.groupby("key", sort=False).agg(
        text=("text", "first"),
        labels=("label", lambda s: ", ".join(f"{k} ×{v}" for k, v in s.value_counts().items())),
        rows=("label", "size"))
    return grouped.sort_values("rows", ascending=False, kind="stable").head(limit).reset_index(drop=True)


def split_overlap(splits: dict[str, pd.Series]) -> dict[str, float]:
    """Share of each held-out split's rows whose normalised text also occurs in train."""
    train = set(duplicate_key(splits["train"]))
    out = {}
    for name in ("valid", "test"):
        norm = duplicate_key(splits[name])
        out[name] = float(norm.isin(train).mean()) if len(norm) else 0.0
    held = pd.concat([duplicate_key(splits["valid"]), duplicate_key(splits["test"])])
    out["held_out"] = float(held.isin(train).mean()) if len(held) else 0.0
    return out
