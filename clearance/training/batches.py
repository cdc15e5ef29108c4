"""Tokenised texts and the batches made from them (padded per batch, to the longest text in it)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch


@dataclass
class Encoded:
    """Texts tokenised once, without padding; batches pad to their own longest text."""

    input_ids: list[list[int]]
    labels: np.ndarray  # int64 class indices
    texts: list[str]  # the preprocessed texts, for reports

    def __len__(self) -> int:
        return len(self.input_ids)

    def subset(self, rows: Sequence[int]) -> "Encoded":
        """The given rows, in the given order."""
        return Encoded([self.input_ids[i] for i in rows], self.labels[list(rows)], [self.texts[i] for i in rows])


@dataclass
class Batch:
    """One padded batch, as the model's forward takes it."""

    input_ids: torch.Tensor  # LongTensor [B, L]
    attention_mask: torch.Tensor  # LongTensor [B, L]
    labels: torch.Tensor  # LongTensor [B]

    def to(self, device: torch.device) -> "Batch":
        return Batch(self.input_ids.to(device), self.attention_mask.to(device), self.labels.to(device))

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def encode(tokenizer: Any, texts: list[str], labels: np.ndarray, max_length: int) -> Encoded:
    """Tokenise with truncation at ``max_length`` (no padding: batches pad themselves)."""
    ids = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
    return Encoded([list(map(int, row)) for row in ids], np.asarray(labels, dtype=np.int64), list(texts))


def collate(encoded: Encoded, rows: Sequence[int], pad_id: int) -> Batch:
    """Pad the given rows to the longest among them; the mask marks real tokens."""
    width = max((len(encoded.input_ids[i]) for i in rows), default=0) or 1
    ids = torch.full((len(rows), width), int(pad_id), dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for r, i in enumerate(rows):
        tokens = encoded.input_ids[i]
        ids[r, : len(tokens)] = torch.tensor(tokens, dtype=torch.long)
        mask[r, : len(tokens)] = 1
    labels = torch.as_tensor(encoded.labels[list(rows)], dtype=torch.long)
    return Batch(ids, mask, labels)


def batch_rows(n: int, batch_size: int, seed: int | None) -> list[list[int]]:
    """Row indices per batch: shuffled with ``seed``, or in order when ``seed`` is None."""
    order = np.arange(n) if seed is None else np.random.default_rng(seed).permutation(n)
    return [order[i: i + batch_size].tolist() for i in range(0, n, batch_size)]


def batches(encoded: Encoded, batch_size: int, pad_id: int, seed: int | None = None) -> Iterator[Batch]:
    """Padded batches over all rows (see ``batch_rows`` for the order)."""
    for rows in batch_rows(len(encoded), batch_size, seed):
        yield collate(encoded, rows, pad_id)
