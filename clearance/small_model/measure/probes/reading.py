"""What the model reads: which input positions its logits depend on.

Invariant: a correct classifier's logits depend on every real token of a text and on no padding.
Measured as the gradient of the logits (projected on a fixed random direction over the classes, so
no class cancels another) with respect to the input embeddings, per position:
- the share of the gradient's mass on padding positions (should be 0: the mask is ignored somewhere);
- the share of real positions with no influence at all (a model that reads only the first token,
  or only a prefix of the text).

The embeddings are found as ``model.get_input_embeddings()`` or the first ``nn.Embedding``. A model
with neither is measured by perturbation instead: each position's token is replaced (padding
positions with another token id, mask unchanged) and the change of the logits is the influence.
The record says which method ran. Eval mode throughout (dropout off), gradients on.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from clearance.neural.parts.parts import forward
from clearance.neural.training.batches import Batch
from clearance.small_model.measure.probes.common import (
    ProbeError,
    evaluating,
    rows,
)
from clearance.small_model.measure.probes.declared import ModelRun, probe
from clearance.small_model.measure.probes.padding import widened

NO_INFLUENCE = 1e-6  # a position's influence below this share of the largest one counts as none (float noise)
EXTRA_PADDING = 8  # pad positions added to the probe batch, so that every text has some
PERTURBED_ROWS = 2  # texts measured position by position when no embedding is reachable (a forward per row)


def input_embeddings(model: nn.Module) -> tuple[str, nn.Module] | None:
    """The module that turns token ids into vectors: ``get_input_embeddings()``, else the first nn.Embedding."""
    getter = getattr(model, "get_input_embeddings", None)
    if callable(getter):
        with contextlib.suppress(Exception):  # transformers raises NotImplementedError on some models
            module = getter()
            if isinstance(module, nn.Module):
                name = next((n for n, m in model.named_modules() if m is module), "get_input_embeddings()")
                return name, module
    return next(((n, m) for n, m in model.named_modules() if isinstance(m, nn.Embedding)), None)


def projection(classes: int, seed: int, device: torch.device) -> torch.Tensor:
    """A fixed random direction over the classes (seeded): the scalar whose gradient is taken."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(classes, generator=generator).to(device)


def gradient_influence(model: nn.Module, batch: Batch, module: nn.Module, seed: int) -> torch.Tensor:
    """Per-position influence [B, L]: the norm of d(logits . r)/d(embedding output)."""
    captured: list[torch.Tensor] = []

    def keep(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> torch.Tensor:
        if not isinstance(output, torch.Tensor) or output.dim() != 3:
            raise ProbeError(f"the input embeddings return {type(output).__name__} of shape "
                             f"{list(getattr(output, 'shape', []))}, not vectors [batch, length, width]")
        output = output if output.requires_grad else output.detach().requires_grad_(True)
        output.retain_grad()
        captured.append(output)
        return output

    handle = module.register_forward_hook(keep)
    try:
        with evaluating(model, gradients=True):
            out = forward(model, batch.input_ids, batch.attention_mask).float()
            (out @ projection(out.shape[1], seed, out.device)).sum().backward()
    finally:
        handle.remove()
        model.zero_grad(set_to_none=True)
    if len(captured) != 1 or captured[0].grad is None:
        raise ProbeError(f"the input embeddings ran {len(captured)} time(s) in one forward, or no gradient reached "
                         "them; the influence of each position cannot be read")
    grad = captured[0].grad
    if grad.shape[:2] != batch.input_ids.shape:
        raise ProbeError(f"the input embeddings' output has shape {list(grad.shape)}, not [batch, length, width] "
                         f"matching the input ids {list(batch.input_ids.shape)}")
    return grad.float().norm(dim=-1)


def perturbation_influence(model: nn.Module, batch: Batch, pad_id: int, seed: int) -> torch.Tensor:
    """Per-position influence [B, L] for the first rows (``batch``: the shortest texts first, so padding is
    there to read): how far the logits move when that position's token is replaced by another."""
    generator = torch.Generator().manual_seed(seed)
    pool = batch.input_ids[batch.attention_mask.bool()]
    influence = torch.zeros(batch.input_ids.shape, dtype=torch.float32)
    with evaluating(model):
        for row in range(min(PERTURBED_ROWS, len(batch))):
            ids, mask = batch.input_ids[row], batch.attention_mask[row]
            width = ids.shape[0]
            variants = ids.repeat(width, 1)
            replaced = pool[torch.randint(len(pool), (width,), generator=generator).to(pool.device)]
            same = replaced == ids
            replaced[same] = (ids[same] + 1) % max(int(pool.max()) + 1, 2)  # never the token already there
            variants[torch.arange(width), torch.arange(width)] = replaced
            base = forward(model, ids[None], mask[None]).float()
            moved = forward(model, variants, mask.repeat(width, 1)).float()
            influence[row] = (moved - base).abs().max(dim=1).values.cpu()
    return influence


def shares(influence: torch.Tensor, mask: torch.Tensor, rows_measured: int) -> dict:
    """Share of the influence on padding, and share of real positions with none."""
    influence, mask = influence[:rows_measured].cpu(), mask[:rows_measured].cpu().bool()
    total = float(influence.sum())
    if total == 0 or not torch.isfinite(influence).all():
        return {"padding_share": None, "dead_share": None, "real_positions": int(mask.sum()),
                "padding_positions": int((~mask).sum())}
    dead = influence <= NO_INFLUENCE * float(influence.max())
    real = int(mask.sum())
    return {"padding_share": float(influence[~mask].sum()) / total,
            "dead_share": float((dead & mask).sum()) / real if real else 0.0,
            "real_positions": real, "padding_positions": int((~mask).sum()),
            "dead_positions": [int(p) for p in (dead & mask).nonzero()[:, 1].tolist()[:10]]}


def measure_reading(model: nn.Module, batch: Batch, pad_id: int, seed: int = 0, limit: int | None = None) -> dict:
    """Where the logits' sensitivity lies: on padding (should be none), and which real positions have none.

    The batch gets EXTRA_PADDING more pad positions (within ``limit``, the most tokens the model takes), so
    every text has padding to read, even in a batch of equal lengths."""
    batch = widened(batch, min(int(batch.input_ids.shape[1]) + EXTRA_PADDING, limit or 10**9), pad_id)
    found = input_embeddings(model)
    if found is not None:
        name, module = found
        influence = gradient_influence(model, batch, module, seed)
        return {"method": "gradient", "embeddings": name, **shares(influence, batch.attention_mask, len(batch))}
    shortest = rows(batch, torch.argsort(batch.attention_mask.sum(dim=1), stable=True))
    influence = perturbation_influence(model, shortest, pad_id, seed)
    measured = min(PERTURBED_ROWS, len(batch))
    return {"method": "perturbation", "embeddings": None, "rows": measured,
            **shares(influence, shortest.attention_mask, measured)}


# -- the probes this family declares (their keys are probes.json's) ------------------------------------------

@probe("reading", needs_logits=True)
def reading_probe(run: ModelRun) -> dict:
    return measure_reading(run.model, run.batch, run.pad_id, run.seed, run.limit)
