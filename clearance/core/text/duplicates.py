"""Exact and normalised duplicates, label conflicts, and overlap between splits.

The functions accept precomputed duplicate keys (``duplicate_key`` of the texts)
so that the costly normalisation runs once per row, however many statistics use it.
"""

from __future__ import annotations

import pandas as pd

from clearance.core.text.normalize import duplicate_key


def duplicate_stats(texts: pd.Series, labels: pd.Series, keys: pd.Series | None = None) -> dict[str, float]:
    """Shares of rows repeating an earlier text, and of rows in label-conflicting groups."""
    keys = duplicate_key(texts) if keys is None else keys
    if len(texts) == 0:
        return {"exact_duplicate_share": 0.0, "normalized_duplicate_share": 0.0,
                "conflicting_share": 0.0, "conflicting_groups": 0}
    frame = pd.DataFrame({"key": keys.to_numpy(), "label": labels.to_numpy()})
    conflicting = (frame.groupby("key")["label"].transform("nunique") > 1).to_numpy()
    return {
        "exact_duplicate_share": float(texts.duplicated().mean()),
        "normalized_duplicate_share": float(frame["key"].duplicated().mean()),
        "conflicting_share": float(conflicting.mean()),
        "conflicting_groups": int(frame.loc[conflicting, "key"].nunique()),
    }


def conflicting_examples(texts: pd.Series, labels: pd.Series, keys: pd.Series | None = None,
                         limit: int = 20) -> pd.DataFrame:
    """Groups of equal (normalised) texts that carry different labels."""
    keys = duplicate_key(texts) if keys is None else keys
    frame = pd.DataFrame({"key": keys.to_numpy(), "text": texts.to_numpy(), "label": labels.to_numpy()})
    bad = frame[frame.groupby("key")["label"].transform("nunique") > 1]
    if bad.empty:
        return pd.DataFrame(columns=["text", "labels", "rows"])
    grouped = bad.groupby("key", sort=False).agg(
        text=("text", "first"),
        labels=("label", lambda s: ", ".join(f"{k} ×{v}" for k, v in s.value_counts().items())),
        rows=("label", "size"))
    return grouped.sort_values("rows", ascending=False, kind="stable").head(limit).reset_index(drop=True)


def duplicate_counts(texts: pd.Series, keys: pd.Series | None = None) -> dict[str, int]:
    """Numbers of rows repeating an earlier text, exactly and after normalising."""
    keys = duplicate_key(texts) if keys is None else keys
    return {"exact_duplicate_rows": int(texts.duplicated().sum()),
            "normalized_duplicate_rows": int(pd.Series(keys.to_numpy()).duplicated().sum())}


def _in_train(keys: dict[str, pd.Series]) -> dict[str, pd.Series]:
    """For each held-out split, whether each row's key also occurs in train."""
    # Plain objects: pandas' string-dtype isin is ~10x slower on a million rows.
    train = pd.Index(keys["train"].astype(object).unique())
    return {name: keys[name].astype(object).isin(train) for name in ("valid", "test")}


def split_overlap(keys: dict[str, pd.Series]) -> dict[str, float]:
    """Share of each held-out split's rows whose text also occurs in train.

    ``keys`` holds each split's duplicate keys (``duplicate_key`` of its texts).
    """
    hits = _in_train(keys)
    out = {name: float(h.mean()) if len(h) else 0.0 for name, h in hits.items()}
    held = pd.concat(list(hits.values()))
    out["held_out"] = float(held.mean()) if len(held) else 0.0
    return out


def split_overlap_counts(keys: dict[str, pd.Series]) -> dict[str, int]:
    """How many rows of each held-out split repeat a train text, and how many rows it has.

    Keys: ``<split>_repeats`` and ``<split>_rows`` for valid, test and held_out.
    """
    hits = _in_train(keys)
    hits["held_out"] = pd.concat([hits["valid"], hits["test"]])
    out: dict[str, int] = {}
    for name, h in hits.items():
        out[f"{name}_repeats"] = int(h.sum())
        out[f"{name}_rows"] = len(h)
    return out
