"""Tokenised texts and the batches made from them (padded per batch, to the longest text in it)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from clearance.core.text.input_cap import chars_for_tokens, first_chars

# Batches per window in which texts are sorted by length (transformers' Trainer uses 50 too).
GROUP_WINDOW = 50


@dataclass
class Encoded:
    """Texts tokenised once, without padding; batches pad to their own longest text."""

    input_ids: list[list[int]]
    labels: np.ndarray  # int64 class ids [N]; float32 multi-hot [N, K] or standardised targets [N] (task_heads)
    texts: list[str]  # the preprocessed texts, for reports

    def __len__(self) -> int:
        return len(self.input_ids)

    def lengths(self) -> list[int]:
        """Tokens per text."""
        return [len(ids) for ids in self.input_ids]

    def subset(self, rows: Sequence[int]) -> "Encoded":
        """The given rows, in the given order."""
        return Encoded([self.input_ids[i] for i in rows], self.labels[list(rows)], [self.texts[i] for i in rows])


@dataclass
class Batch:
    """One padded batch, as the model's forward takes it."""

    input_ids: torch.Tensor  # LongTensor [B, L]
    attention_mask: torch.Tensor  # LongTensor [B, L]
    labels: torch.Tensor  # LongTensor [B] (class ids), or FloatTensor [B, K] (multi-hot) / [B] (targets)

    def to(self, device: torch.device) -> "Batch":
        return Batch(self.input_ids.to(device), self.attention_mask.to(device), self.labels.to(device))

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def label_array(labels: np.ndarray | Any) -> np.ndarray:
    """Labels as the loss takes them: integers stay int64 class ids, anything else is float32 (multi-hot rows,
    standardised targets)."""
    values = np.asarray(labels)
    if values.dtype.kind in "iub" or values.size == 0 and values.dtype.kind != "f":
        return values.astype(np.int64)
    return values.astype(np.float32)


ENCODE_CHUNK = 50_000  # texts per tokenizer call: one call's output for 1M texts (ids, masks, type ids) peaks ~10 GB


def token_ids(tokenizer: Any, texts: Sequence[str], max_length: int) -> list[list[int]]:
    """Each text's ids, truncated at ``max_length``, unpadded: in chunks, keeping only the ids of each chunk, so
    memory follows the ids, not everything a tokenizer returns at once. A tokenizer splits a whole text before
    it truncates, so only the characters ``max_length`` tokens can use are passed (input_cap)."""
    ids: list[list[int]] = []
    chars = chars_for_tokens(max_length)
    for start in range(0, len(texts), ENCODE_CHUNK):
        chunk = tokenizer(first_chars(list(texts[start:start + ENCODE_CHUNK]), chars), truncation=True,
                          max_length=max_length)
        ids.extend(list(map(int, row)) for row in chunk["input_ids"])
    return ids


def encode(tokenizer: Any, texts: list[str], labels: np.ndarray, max_length: int) -> Encoded:
    """Tokenise every text now, truncated at ``max_length`` (no padding: batches pad themselves)."""
    texts = list(texts)
    return Encoded(token_ids(tokenizer, texts, max_length), label_array(labels), texts)


class LazyEncoded:
    """Texts tokenised when first used: ``subset`` tokenises only its rows, so a run that draws a sample of a
    large split (train.max_steps within an epoch, the probes' batches, an evaluation sample) pays for that
    sample, not for the split. Reading ``input_ids`` or ``lengths`` tokenises every row left; each row is
    tokenised once, with the same ids ``encode`` gives it."""

    def __init__(self, tokenizer: Any, texts: list[str], labels: np.ndarray, max_length: int) -> None:
        self.texts = list(texts)
        self.labels = label_array(labels)
        self._tokenizer, self._max_length = tokenizer, max_length
        self._ids: list[list[int] | None] = [None] * len(self.texts)
        self._untokenised = len(self.texts)

    def __len__(self) -> int:
        return len(self.texts)

    def tokenised(self) -> int:
        """Rows tokenised so far."""
        return len(self) - self._untokenised

    def _ensure(self, rows: Sequence[int]) -> None:
        if not self._untokenised:
            return
        missing = [i for i in dict.fromkeys(rows) if self._ids[i] is None]
        for i, ids in zip(missing, token_ids(self._tokenizer, [self.texts[i] for i in missing], self._max_length)):
            self._ids[i] = ids
        self._untokenised -= len(missing)

    @property
    def input_ids(self) -> list[list[int]]:
        """Every row's ids: the first read tokenises the rows left; later reads cost nothing (callers index it
        row by row)."""
        self._ensure(range(len(self)))
        return self._ids  # type: ignore[return-value]  # every row is tokenised now

    def lengths(self) -> list[int]:
        """Tokens per text (every row tokenised)."""
        return [len(ids) for ids in self.input_ids]

    def subset(self, rows: Sequence[int]) -> Encoded:
        """The given rows, in the given order, tokenising those not yet tokenised."""
        rows = list(rows)
        self._ensure(rows)
        return Encoded([self._ids[i] for i in rows], self.labels[rows], [self.texts[i] for i in rows])


def collate(encoded: Encoded, rows: Sequence[int], pad_id: int) -> Batch:
    """Pad the given rows to the longest among them; the mask marks real tokens."""
    width = max((len(encoded.input_ids[i]) for i in rows), default=0) or 1
    ids = torch.full((len(rows), width), int(pad_id), dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for r, i in enumerate(rows):
        tokens = encoded.input_ids[i]
        ids[r, : len(tokens)] = torch.tensor(tokens, dtype=torch.long)
        mask[r, : len(tokens)] = 1
    picked = encoded.labels[list(rows)]
    labels = torch.as_tensor(picked, dtype=torch.long if picked.dtype.kind in "iub" else torch.float32)
    return Batch(ids, mask, labels)


def batch_rows(n: int, batch_size: int, seed: int | None, lengths: Sequence[int] | None = None) -> list[list[int]]:
    """Row indices per batch: shuffled with ``seed``, or in order when ``seed`` is None.

    With ``lengths`` (and a seed) the batches are grouped by length: see ``grouped_rows``.
    """
    if seed is not None and lengths is not None:
        return grouped_rows(lengths, batch_size, seed)
    order = np.arange(n) if seed is None else np.random.default_rng(seed).permutation(n)
    return [order[i: i + batch_size].tolist() for i in range(0, n, batch_size)]


def grouped_rows(lengths: Sequence[int], batch_size: int, seed: int, window: int = GROUP_WINDOW) -> list[list[int]]:
    """Shuffled batches of texts of similar length, so little of each batch is padding.

    The rows are shuffled, cut into windows of ``window`` batches, sorted by length inside
    each window, cut into batches, and the batches shuffled again. Every row still comes
    once per epoch in a seeded random batch; only its neighbours are chosen by length (the
    `group_by_length` of transformers' Trainer, which uses the same window).
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(lengths))
    size = np.asarray(lengths)
    span = batch_size * window
    grouped = [order[i: i + span] for i in range(0, len(order), span)]
    rows = np.concatenate([chunk[np.argsort(size[chunk], kind="stable")] for chunk in grouped]) if grouped \
        else order
    cut = [rows[i: i + batch_size].tolist() for i in range(0, len(rows), batch_size)]
    return [cut[i] for i in rng.permutation(len(cut))]


def by_length(encoded: Encoded | LazyEncoded) -> list[int]:
    """Row indices from the longest text to the shortest: batches cut in this order pad least, and each batch
    fits in the memory the wider ones before it freed (shortest first, every batch needs more than any freed
    buffer: evaluating 20k texts grew the process by 850 MB that way, by 165 MB longest first)."""
    ids = encoded.input_ids
    return sorted(range(len(encoded)), key=lambda i: -len(ids[i]))


def batches(encoded: Encoded, batch_size: int, pad_id: int, seed: int | None = None) -> Iterator[Batch]:
    """Padded batches over all rows (see ``batch_rows`` for the order)."""
    for rows in batch_rows(len(encoded), batch_size, seed):
        yield collate(encoded, rows, pad_id)
