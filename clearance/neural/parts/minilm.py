"""The default model: all-MiniLM-L6-v2 cut to its first layers, mean-pooled, with a linear head."""

from __future__ import annotations

import torch
from torch import nn

from clearance.core.errors import UserError
from clearance.neural.parts.pooling import mean_pool
from clearance.neural.parts.pretrained import (
    check_vocab,
    checkpoint_dir,
    init_head,
    quiet_transformers,
    set_dropout,
)


class MiniLMClassifier(nn.Module):
    """A pretrained BERT-like encoder (the packaged MiniLM when ``path`` is empty) + a linear head.

    Keeping only the first ``num_layers`` layers trains about 3x faster on CPU
    (2 of 6 layers); freezing the word embeddings (most of its 22.7M parameters)
    barely costs accuracy and saves their gradients and optimizer state.
    ``dropout`` (None: the checkpoint's own) sets every dropout of the encoder and the head.
    """

    def __init__(self, num_labels: int, path: str = "", num_layers: int = 2,
                 freeze_word_embeddings: bool = True, dropout: float | None = None,
                 vocab_size: int | None = None) -> None:
        super().__init__()
        self.encoder = _load_encoder(path, num_layers, dropout)
        if getattr(self.encoder, "pooler", None) is not None:
            self.encoder.pooler = None  # unused by mean pooling: it would never get a gradient
        embeddings = self.encoder.get_input_embeddings()
        check_vocab(vocab_size, embeddings.num_embeddings, "model.path")
        embeddings.weight.requires_grad_(not freeze_word_embeddings)
        hidden = self.encoder.config.hidden_size
        self.dropout = nn.Dropout(self.encoder.config.hidden_dropout_prob if dropout is None else dropout)
        self.head = nn.Linear(hidden, num_labels)
        init_head(self.head)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Logits [B, K] from token ids and mask [B, L]."""
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.head(self.dropout(mean_pool(states, attention_mask)))


def _load_encoder(path: str, num_layers: int, dropout: float | None) -> nn.Module:
    """The checkpoint's encoder with only its first ``num_layers`` layers (the rest are not loaded)."""
    from transformers import AutoConfig, AutoModel

    folder = checkpoint_dir(path, "model.path")
    config = AutoConfig.from_pretrained(str(folder), local_files_only=True)
    available = getattr(config, "num_hidden_layers", None)
    if available is None:
        raise UserError(f"model.path={path}", "its config has no num_hidden_layers, so it cannot be cut",
                        "use a BERT-like checkpoint, or model=hf for any other")
    if not 1 <= num_layers <= available:
        raise UserError(f"model.num_layers={num_layers}", f"the checkpoint has {available} layers",
                        f"choose model.num_layers between 1 and {available}")
    config.num_hidden_layers = num_layers
    set_dropout(config, dropout)
    with quiet_transformers():
        return AutoModel.from_pretrained(str(folder), config=config, local_files_only=True)
