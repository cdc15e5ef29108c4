"""A content digest of the prepared data: which rows, texts and labels, in which split."""

from __future__ import annotations

import hashlib

import pandas as pd


def splits_digest(splits: dict[str, pd.DataFrame]) -> str:
    """sha256 over every split's name, texts and labels, in order.

    It hashes content, not files, so re-writing the same rows gives the same digest
    (parquet bytes carry library versions) and any changed label changes it.
    """
    digest = hashlib.sha256()
    for name in sorted(splits):
        frame = splits[name]
        digest.update(f"{name}:{len(frame)}\n".encode("utf-8"))
        hashed = pd.util.hash_pandas_object(frame[["text", "label"]].astype(str), index=False)
        digest.update(hashed.to_numpy().tobytes())
    return digest.hexdigest()
