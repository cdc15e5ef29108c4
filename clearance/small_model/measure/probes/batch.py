"""Samples mixed across the batch: a sample's output must depend on that sample alone.

Wrong indexing or pooling over the batch axis makes a sample's logits move when its
batch-mates change. Run in eval mode (dropout off), so only the batch can move them:
- *alone*: each probed sample run as a batch of one (same width, so padding is equal);
- *others changed*: every other sample's tokens redrawn from the batch's own tokens;
- *permuted*: the batch reordered; row k must get the output of the row moved there.
"""

from __future__ import annotations

import torch

from clearance.neural.training.batches import Batch
from clearance.small_model.measure.probes.common import ProbeError, evaluating, logits, relative_difference, rows, scale
from clearance.small_model.measure.probes.declared import ModelRun, probe

PROBED_ROWS = 3  # samples whose outputs are followed (each costs two forward passes)


def redraw_others(batch: Batch, keep: int, generator: torch.Generator) -> Batch:
    """The batch with every row but ``keep`` refilled with tokens drawn from the batch's real tokens.

    Drawing with replacement changes the token mix (a permutation of the same tokens
    would leave batch-wide sums, the usual mixing bug, unchanged). Masks stay as they
    are, so only content moves.
    """
    ids, mask = batch.input_ids.clone(), batch.attention_mask
    pool = ids[mask.bool()]
    others = mask.bool().clone()
    others[keep] = False
    draws = torch.randint(len(pool), (int(others.sum()),), generator=generator)
    ids[others] = pool[draws.to(pool.device)]
    return Batch(ids, mask, batch.labels)


def worst(values: list[float | None]) -> float | None:
    """The largest difference; None (not finite) wins, since it hides whatever happened."""
    return None if any(v is None for v in values) else max(values, default=0.0)


def measure_batch_independence(model: torch.nn.Module, batch: Batch, seed: int = 0) -> dict:
    """Largest relative change of a probed sample's logits when alone, among other samples, or moved."""
    size = len(batch)
    if size < 2:
        raise ProbeError("the probe batch has fewer than 2 samples (set probes.batch_size to 2 or more)")
    generator = torch.Generator().manual_seed(seed)
    probed = list(range(min(PROBED_ROWS, size)))
    with evaluating(model):
        full = logits(model, batch)
        # Outputs that differ between two identical passes (dropout left on) would read as
        # batch mixing here; dropout_in_eval names that bug, so this probe only records it.
        repeat = relative_difference(logits(model, batch), full)
        if repeat is None or repeat > 0:
            return {"batch_size": size, "not_repeatable": repeat, "output_scale": scale(full)}
        alone, changed = [], []
        for i in probed:
            single = logits(model, rows(batch, [i]))
            if list(single.shape) != [1, *full.shape[1:]]:
                raise ProbeError(f"for a batch of one sample the model returns shape {list(single.shape)}, "
                                 f"not [1, {full.shape[1]}] (a squeeze() on the batch axis?)")
            alone.append(relative_difference(single[0], full[i]))
            changed.append(relative_difference(logits(model, redraw_others(batch, i, generator))[i], full[i]))
        order = torch.roll(torch.arange(size), 1)  # every row moves
        moved = logits(model, rows(batch, order))
    return {"batch_size": size, "probed_rows": len(probed), "alone": worst(alone), "others_changed": worst(changed),
            "permuted": relative_difference(moved, full[order.to(full.device)]),
            "output_scale": scale(full)}


# -- the probes this family declares (their keys are probes.json's) ------------------------------------------

@probe("batch", needs_logits=True)
def batch_probe(run: ModelRun) -> dict:
    return measure_batch_independence(run.model, run.batch, run.seed)
