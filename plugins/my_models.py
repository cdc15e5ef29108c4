"""Plug-in parts for step 3, written the way a user writes them (see docs/plugins.md).

`MyNet`, `word_tokenizer` and `remove_punctuation` follow the contract and pass every
probe. Each other part carries one silent bug, the kind the probes exist to catch: plug
one in and the probe named in its docstring fails. This file lives in plugins/, which is on
the import path of every stage and a declared dep of every stage that builds or applies a
part, so editing it re-runs exactly those stages. Name its parts by file and name:

    clearance params '~model' '+model._target_=my_models.MyNet' +model.width=64 train.lr=3e-3
    dvc exp run -S '~model' -S '+model._target_=my_models.MyNet' -S '+model.width=64' -S train.lr=3e-3
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

# -- the model --------------------------------------------------------------------------------------------------


class MyNet(nn.Module):
    """A bag of embeddings: the mean of a text's token vectors, one hidden layer, a linear head.

    The pipeline passes ``vocab_size``, ``num_labels`` and ``pad_token_id`` (from the
    tokenizer and the data) and ``dropout`` (train.dropout) because the signature names
    them; ``width`` comes from the YAML (``+model.width=64``). ``num_labels`` is the number
    of outputs the task asks for: the classes, the labels of a multi-label task (one logit
    each, a sigmoid applied by the loss), or 1 for a numeric target; a model that shapes its
    head by task names ``task`` too (``task.name``: single_label, multi_label, regression).
    """

    def __init__(self, vocab_size: int, num_labels: int, pad_token_id: int = 0, width: int = 64,
                 dropout: float = 0.1) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, width, padding_idx=pad_token_id)
        self.hidden = nn.Linear(width, width)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(width, num_labels)

    def pool(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Each text's mean token vector [B, width], padding left out."""
        vectors = self.embed(input_ids)
        mask = attention_mask.unsqueeze(-1).to(vectors.dtype)
        return (vectors * mask).sum(1) / mask.sum(1).clamp(min=1)

    def features(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.hidden(self.pool(input_ids, attention_mask)))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Logits [B, num_labels]: raw scores, no softmax (the loss applies it)."""
        return self.head(self.drop(self.features(input_ids, attention_mask)))


class MixesBatch(MyNet):
    """Bug (batch_independence): mask.sum() without dim=1 divides by the whole batch's token count."""

    def pool(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        vectors = self.embed(input_ids)
        mask = attention_mask.unsqueeze(-1).to(vectors.dtype)
        return (vectors * mask).sum(1) / mask.sum()


class SoftmaxOutput(MyNet):
    """Bug (probability_outputs): returns softmax probabilities to a loss that wants logits."""

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return super().forward(input_ids, attention_mask).softmax(-1)


class DropoutInEval(MyNet):
    """Bug (dropout_in_eval): functional dropout with training=True stays on after model.eval()."""

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.features(input_ids, attention_mask)
        return self.head(F.dropout(hidden, p=self.drop.p, training=True))


class ConstantInit(MyNet):
    """Bug (symmetric_init): the hidden layer starts with every weight 0.01, so its units stay copies."""

    def __init__(self, vocab_size: int, num_labels: int, pad_token_id: int = 0, width: int = 64,
                 dropout: float = 0.1) -> None:
        super().__init__(vocab_size, num_labels, pad_token_id, width, dropout)
        nn.init.constant_(self.hidden.weight, 0.01)


class UnusedLayer(MyNet):
    """Bug (dead_parameters): a second hidden layer is built but forward never calls it."""

    def __init__(self, vocab_size: int, num_labels: int, pad_token_id: int = 0, width: int = 64,
                 dropout: float = 0.1) -> None:
        super().__init__(vocab_size, num_labels, pad_token_id, width, dropout)
        self.second = nn.Linear(width, width)


class AttentionPoolingOverPadding(MyNet):
    """Bug (padding_invariance): attention pooling whose softmax forgets the mask, so padding gets weight."""

    def __init__(self, vocab_size: int, num_labels: int, pad_token_id: int = 0, width: int = 64,
                 dropout: float = 0.1) -> None:
        super().__init__(vocab_size, num_labels, pad_token_id, width, dropout)
        self.score = nn.Linear(width, 1)

    def pool(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        vectors = torch.tanh(self.embed(input_ids) + 0.1)
        weights = self.score(vectors).softmax(dim=1)  # the fix: .masked_fill(attention_mask[..., None] == 0, -inf)
        return (weights * vectors).sum(1)


class FirstTokenOnly(MyNet):
    """Bug (unread_tokens): the head reads the first token's vector ([CLS]) of an encoder that never mixes tokens."""

    def pool(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.embed(input_ids)[:, 0]


# -- the loss ---------------------------------------------------------------------------------------------------


def shifted_labels_loss() -> Any:
    """Bug (overfit_predictions): the loss reads each label shifted by one class (a label map off by one)."""
    return lambda logits, labels: F.cross_entropy(logits, (labels + 1) % logits.shape[1])


# -- the optimizer ----------------------------------------------------------------------------------------------


class NoZeroGradAdamW(torch.optim.AdamW):
    """Bug (zero_grad): zero_grad does nothing, so every step adds its gradients to all earlier ones."""

    def zero_grad(self, set_to_none: bool = True) -> None:
        pass


# -- preprocessing ----------------------------------------------------------------------------------------------


def remove_punctuation(texts: pd.Series) -> pd.Series:
    """Drop punctuation, keep words: takes and returns a Series of texts, one per text."""
    cleaned = texts.astype(str).str.replace(r"[^\w\s]", " ", regex=True)
    return cleaned.str.replace(r"\s+", " ", regex=True).str.strip()


def strip_words(texts: pd.Series) -> pd.Series:
    """Bug (words_kept): the pattern is inverted, so every letter and digit goes and the punctuation stays."""
    cleaned = texts.astype(str).str.replace(r"\w", "", regex=True)
    return cleaned.str.replace(r"\s+", " ", regex=True).str.strip()


# -- the tokenizer ----------------------------------------------------------------------------------------------


class WordTokenizer:
    """Lower-cased words to ids from a fixed vocabulary, with the transformers calling convention."""

    pad_token, unk_token, cls_token = "[PAD]", "[UNK]", "[CLS]"

    def __init__(self, vocabulary: list[str]) -> None:
        specials = [self.pad_token, self.unk_token, self.cls_token]
        words = [w for w in dict.fromkeys(w.strip().lower() for w in vocabulary) if w and w not in specials]
        self.tokens = specials + words
        self.ids = {token: i for i, token in enumerate(self.tokens)}
        self.pad_token_id, self.unk_token_id, self.cls_token_id = 0, 1, 2
        self.all_special_ids = [0, 1, 2]

    def __len__(self) -> int:
        return len(self.tokens)

    def encode_one(self, text: str) -> list[int]:
        return [self.cls_token_id] + [self.ids.get(w, self.unk_token_id) for w in re.findall(r"\w+", text.lower())]

    def __call__(self, texts: list[str], truncation: bool = False, max_length: int | None = None,
                 padding: bool = False, **_: Any) -> dict[str, list[list[int]]]:
        ids = [self.encode_one(text) for text in texts]
        if truncation and max_length:
            ids = [row[:max_length] for row in ids]
        width = max(map(len, ids), default=0) if padding else 0
        return {"input_ids": [row + [self.pad_token_id] * (width - len(row)) for row in ids],
                "attention_mask": [[1] * len(row) + [0] * (width - len(row)) for row in ids]}

    def convert_ids_to_tokens(self, ids: list[int]) -> list[str]:
        return [self.tokens[int(i)] for i in ids]

    def decode(self, ids: list[int], skip_special_tokens: bool = False) -> str:
        kept = [int(i) for i in ids if not (skip_special_tokens and int(i) in (0, 2))]
        return " ".join(self.convert_ids_to_tokens(kept))


def word_tokenizer(vocab_file: str) -> WordTokenizer:
    """A word-level tokenizer reading its vocabulary from a file, one word a line."""
    return WordTokenizer(Path(vocab_file).read_text(encoding="utf-8").splitlines())


COMMON_WORDS = ("the be to of and a in that have i it for not on with he as you do at this but his by from "
                "they we say her she").split()


def tiny_vocabulary_tokenizer() -> WordTokenizer:
    """Bug (unknown_tokens): a word-level tokenizer that knows 30 words, so most words become [UNK]."""
    return WordTokenizer(list(COMMON_WORDS))
