"""A small transformer encoder built from scratch (`model=tiny`): fast, no pretrained weights."""

from __future__ import annotations

import torch
from torch import nn

from clearance.core.errors import UserError
from clearance.neural.parts.pooling import mean_pool
from clearance.neural.parts.pretrained import init_head


class TinyTransformer(nn.Module):
    """Token + learned position embeddings, a pre-norm TransformerEncoder, mean pooling, a linear head."""

    def __init__(self, num_labels: int, vocab_size: int, pad_token_id: int, width: int = 128,
                 layers: int = 2, heads: int = 4, ffn: int = 512, max_positions: int = 512,
                 dropout: float = 0.1) -> None:
        super().__init__()
        if width % heads:
            raise UserError(f"model.width={width}", f"is not a multiple of model.heads={heads}",
                            "choose a width divisible by the number of heads")
        self.tokens = nn.Embedding(vocab_size, width, padding_idx=pad_token_id)
        self.positions = nn.Embedding(max_positions, width)
        # BERT's scale: unit-variance embeddings would dominate the residual stream at init.
        nn.init.normal_(self.tokens.weight, std=0.02)
        nn.init.normal_(self.positions.weight, std=0.02)
        with torch.no_grad():
            self.tokens.weight[pad_token_id].zero_()
        layer = nn.TransformerEncoderLayer(width, heads, ffn, dropout, batch_first=True, norm_first=True)
        # Nested tensors are off: pre-norm layers cannot use them and PyTorch warns otherwise.
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(width), enable_nested_tensor=False)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(width, num_labels)
        init_head(self.head)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Logits [B, K] from token ids and mask [B, L]."""
        length = input_ids.shape[1]
        if length > self.positions.num_embeddings:
            raise UserError("model.max_positions", f"{length} tokens exceed {self.positions.num_embeddings}",
                            "raise model.max_positions or lower train.max_length")
        places = torch.arange(length, device=input_ids.device)
        states = self.tokens(input_ids) + self.positions(places)
        padding = attention_mask == 0
        # A row of padding only would make attention NaN: let it attend its first position.
        padding[:, 0] &= attention_mask.any(dim=1)
        states = self.encoder(states, src_key_padding_mask=padding)
        return self.head(self.dropout(mean_pool(states, attention_mask)))
