"""Mean pooling over the tokens the attention mask keeps."""

from __future__ import annotations

import torch


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """[B, L, H] states, [B, L] mask -> [B, H]: each row's mean over its own real tokens only."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    # clamp: a row with no token left (an empty text without special tokens) gives 0, not NaN.
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
