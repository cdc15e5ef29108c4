"""The most tokens a model and its tokenizer take: what train.max_length: auto and the truncation probe's
suggestion stay within."""

from __future__ import annotations

from typing import Any

UNLIMITED = 1_000_000  # a max_length no text reaches
# transformers' model_max_length for a tokenizer with no limit is ~1e30: anything this large is none.
NO_LIMIT = UNLIMITED


def length_limit(tokenizer: Any, model: Any = None) -> int | None:
    """The most tokens a text can have, so a suggested ``max_length`` never exceeds it (None: no limit known).

    The smallest of the tokenizer's ``model_max_length`` when it is a real limit (512 for MiniLM's) and the
    model's position table: a transformers config's ``max_position_embeddings`` anywhere in the model, or
    an embedding named after positions (``positions`` in model=tiny, ``position_embeddings`` in BERT).
    """
    limits = [int(n) for n in [getattr(tokenizer, "model_max_length", None)]
              if isinstance(n, int) and 0 < n < NO_LIMIT]
    named_modules = getattr(model, "named_modules", None)
    for name, module in named_modules() if callable(named_modules) else []:
        configured = getattr(getattr(module, "config", None), "max_position_embeddings", None)
        if isinstance(configured, int) and configured > 0:
            limits.append(configured)
        rows = getattr(module, "num_embeddings", None)
        if isinstance(rows, int) and "position" in name.rsplit(".", 1)[-1].lower():
            limits.append(rows)
    return min(limits) if limits else None
