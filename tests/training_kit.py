"""Tiny parts for training and probe tests: a word-level tokenizer and small classifiers (seconds on CPU)."""

from __future__ import annotations

import re
from functools import partial
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import torch

from clearance.core.config.model import TrainConfig
from clearance.neural.training.batches import Encoded, encode
from tests.factory import make_texts


class WordTokenizer:
    """Whitespace words -> ids, with the transformers calling convention ([PAD] 0, [UNK] 1, [CLS] 2)."""

    pad_token_id, unk_token_id, cls_token_id = 0, 1, 2
    all_special_ids = [0, 1, 2]

    def __init__(self, texts: list[str], vocabulary: int | None = None) -> None:
        counts = pd.Series([w for t in texts for w in t.lower().split()]).value_counts()
        kept = sorted(counts.index[:vocabulary] if vocabulary else counts.index)
        self.vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, **{w: i + 3 for i, w in enumerate(kept)}}
        self.words = {i: w for w, i in self.vocab.items()}

    def __len__(self) -> int:
        return len(self.vocab)

    def __call__(self, texts, truncation: bool = False, max_length: int | None = None, padding: bool = False,
                 **_: Any) -> dict[str, list[list[int]]]:
        ids = [[2] + [self.vocab.get(w, 1) for w in re.findall(r"\S+", t.lower())] for t in texts]
        if truncation and max_length:
            ids = [row[:max_length] for row in ids]
        width = max(map(len, ids), default=0) if padding else 0
        mask = [[1] * len(row) + [0] * (width - len(row)) for row in ids]
        return {"input_ids": [row + [0] * (width - len(row)) for row in ids], "attention_mask": mask}

    def decode(self, ids, skip_special_tokens: bool = False) -> str:
        return " ".join(self.words[int(i)] for i in ids if not (skip_special_tokens and int(i) in self.all_special_ids))


class BagOfWords(torch.nn.Module):
    """The clean model: embedding, mean over real tokens, tanh layer, dropout, linear head."""

    def __init__(self, vocab_size: int, num_labels: int, width: int = 32, dropout: float = 0.1) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(vocab_size, width, padding_idx=0)
        self.hidden = torch.nn.Linear(width, width)
        self.drop = torch.nn.Dropout(dropout)
        self.head = torch.nn.Linear(width, num_labels)

    def pool(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        mask = attention_mask.unsqueeze(-1).float()
        return (self.embed(input_ids) * mask).sum(1) / mask.sum(1).clamp(min=1)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(torch.tanh(self.hidden(self.pool(input_ids, attention_mask)))))


class TurnsNaN(BagOfWords):
    """The clean model until ``after`` training steps; then its logits are NaN in training (``where="train"``)
    or only when evaluated (``where="valid"``): a run that diverges at a known step."""

    def __init__(self, vocab_size: int, num_labels: int, after: int = 5, where: str = "train", **kw: Any) -> None:
        super().__init__(vocab_size, num_labels, **kw)
        self.after, self.where, self.steps = after, where, 0

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        logits = super().forward(input_ids, attention_mask)
        self.steps += int(self.training)
        blown = self.steps > self.after and self.training == (self.where == "train")
        return logits * float("nan") if blown else logits



def train_config(**changes: Any) -> TrainConfig:
    """A small, fast training config (conf/ values do not matter here)."""
    values = dict(lr=0.01, weight_decay=0.0, dropout=0.1, batch_size=16, epochs=3, max_steps=None, max_length=32,
                  seed=0, eval_every=10, device="cpu", precision="fp32", run_despite_probes=False, group_by_length=False,
                  checkpoint_every=0, eval_max_rows=None, schedule="constant", warmup_ratio=0.0)
    values.update(changes)
    return TrainConfig(**values)


def kit(n_per_class: int = 40, seed: int = 0, model_class: type = BagOfWords, **model_kw: Any):
    """(parts, train Encoded, valid Encoded) for a keyword-labelled toy task."""
    frame = make_texts(n_per_class=n_per_class, seed=seed)
    classes = sorted(frame["label"].unique())
    tokenizer = WordTokenizer(frame["text"].tolist())
    labels = frame["label"].map({c: i for i, c in enumerate(classes)}).to_numpy()
    cut = int(len(frame) * 0.75)

    def build_model(dropout: float | None = None) -> torch.nn.Module:
        torch.manual_seed(0)
        kw = dict(model_kw)
        if dropout is not None:
            kw["dropout"] = dropout
        return model_class(len(tokenizer), len(classes), **kw)

    parts = SimpleNamespace(build_model=build_model, tokenizer=tokenizer,
                            optimizer=partial(torch.optim.AdamW), loss=torch.nn.CrossEntropyLoss(),
                            preprocess=lambda s: pd.Series(s), classes=classes, names={})
    texts = frame["text"].tolist()
    train = encode(tokenizer, texts[:cut], labels[:cut], 32)
    valid = encode(tokenizer, texts[cut:], labels[cut:], 32)
    return parts, train, valid


def labels_of(encoded: Encoded) -> np.ndarray:
    return encoded.labels
