"""``train.max_length: auto``: the token length a high percentile of the train split's texts reach, within the
model's limit, so that a corpus of paragraphs is not cut at a tweet's length and tweets are not padded to a
paragraph's. Read once from the preprocessed train texts (a seeded sample of them) with the configured tokenizer."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

AUTO = "auto"
SAMPLE = 20_000  # train texts measured: a percentile of 20k lengths moves by a token or two at most
PROVISIONAL = 512  # the length the parts are checked with before the data's is known
MULTIPLE = 8  # rounded up to a multiple of 8: tensor shapes that suit vectorised kernels


def is_auto(max_length: Any) -> bool:
    return isinstance(max_length, str) and max_length.strip().lower() == AUTO


def token_lengths(tokenizer: Any, texts: list[str]) -> np.ndarray:
    """Each text's length in tokens, untruncated (special tokens included, as the model sees them)."""
    ids = tokenizer(texts, truncation=False, padding=False)["input_ids"]
    return np.array([len(row) for row in ids])


def choose(lengths: np.ndarray, percentile: float, limit: int | None) -> tuple[int, str]:
    """(max_length, why) from the texts' token lengths."""
    reached = int(np.ceil(np.percentile(lengths, percentile))) if len(lengths) else MULTIPLE
    rounded = int(np.ceil(reached / MULTIPLE) * MULTIPLE)
    chosen = min(rounded, limit) if limit else rounded
    why = (f"train.max_length=auto: {percentile:g}% of {len(lengths):,} train texts have at most {reached} tokens "
           f"(rounded up to {rounded})")
    if limit and rounded > limit:
        why += f", cut to the model's limit of {limit} tokens"
    return max(chosen, 1), why


def resolve(cfg: Any, parts: Any, train_texts: pd.Series | Callable[[], pd.Series], seed: int,
            known: dict[str, Any] | None = None, where: str = "") -> dict[str, Any]:
    """Set ``cfg.train.max_length`` (in place) from the train texts when it is ``auto``; returns the choice.

    ``known``: what earlier calls measured, by what it depends on (the texts' lengths: the data ``where``, the
    tokenizer, the preprocessing, the seed; the model's limit: the tokenizer and the model), so a sweep measures
    them once, not per trial (~2 s on 20k texts). ``train_texts`` may be a function, read only when measuring.
    """
    from clearance.neural.parts.length_limit import length_limit

    memo = known if known is not None else {}
    lengths_key = json.dumps(["lengths", where, cfg.tokenizer, cfg.preprocess, seed], sort_keys=True, default=str)
    if lengths_key not in memo:
        texts = train_texts() if callable(train_texts) else train_texts
        texts = texts if len(texts) <= SAMPLE else texts.sample(n=SAMPLE, random_state=seed)
        memo[lengths_key] = token_lengths(parts.tokenizer, parts.preprocess(texts.reset_index(drop=True))
                                          .astype(str).tolist())
    limit_key = json.dumps(["limit", cfg.tokenizer, cfg.model], sort_keys=True, default=str)
    if limit_key not in memo:
        memo[limit_key] = length_limit(parts.tokenizer, parts.build_model())
    chosen, why = choose(memo[lengths_key], cfg.train.max_length_percentile, memo[limit_key])
    cfg.train = replace(cfg.train, max_length=chosen)
    return {"setting": AUTO, "value": chosen, "why": why}
