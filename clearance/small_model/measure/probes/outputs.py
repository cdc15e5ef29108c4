"""What the model returns: logits of the right shape, not probabilities, and a loss near ln K at init."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from clearance.neural.parts.parts import forward
from clearance.neural.training.batches import Batch
from clearance.small_model.measure.probes.common import evaluating, finite, logits
from clearance.small_model.measure.probes.declared import ModelRun, probe

# A row "looks like probabilities" when its values lie in [0, 1] and sum to 1 within this.
SUM_TOLERANCE = 1e-3


def probability_rows(out: torch.Tensor) -> float:
    """Share of rows whose values all lie in [0, 1] and sum to 1: softmax already applied."""
    inside = ((out >= 0) & (out <= 1)).all(dim=1)
    sums_to_one = (out.sum(dim=1) - 1).abs() <= SUM_TOLERANCE
    return float((inside & sums_to_one).float().mean()) if len(out) else 0.0


def measure_outputs(model: torch.nn.Module, batch: Batch, num_classes: int) -> dict:
    """Shape, dtype and finiteness of the logits on one batch (eval mode), and how many rows are probabilities."""
    with evaluating(model):
        raw = forward(model, batch.input_ids, batch.attention_mask)
    out = raw.float()
    expected = [len(batch), num_classes]
    measured = {"shape": list(out.shape), "expected": expected, "dtype": str(raw.dtype).replace("torch.", ""),
                "shape_ok": list(out.shape) == expected, "probability_rows": None, "nonfinite": None}
    measured["logits_ok"] = measured["shape_ok"] and raw.is_floating_point()  # what the other probes need
    if measured["logits_ok"]:
        measured["nonfinite"] = int((~torch.isfinite(out)).sum())
        measured["probability_rows"] = probability_rows(out)
        measured["range"] = [finite(float(out.min())), finite(float(out.max()))]
    return measured


def measure_init_loss(model: torch.nn.Module, loss_fn: Callable, batch: Batch, num_classes: int) -> dict:
    """The loss of the untrained model on one batch (eval mode), beside ln K, what guessing uniformly costs."""
    with evaluating(model):
        loss = float(loss_fn(logits(model, batch), batch.labels))
    ln_k = math.log(num_classes)
    value = finite(loss)
    return {"loss": value, "ln_k": ln_k, "ratio": value / ln_k if value is not None else None,
            "batch_size": len(batch)}


# -- the probes this family declares (their keys are probes.json's) ------------------------------------------

@probe("outputs")
def outputs_probe(run: ModelRun) -> dict:
    """The logits' shape, dtype and range (what the probes that need logits wait for: ``logits_ok``)."""
    return {**measure_outputs(run.model, run.batch, run.classes), "model": run.parts.names.get("model", "")}


@probe("init_loss", needs_logits=True)
def init_loss_probe(run: ModelRun) -> dict:
    return measure_init_loss(run.model, run.parts.loss, run.batch, run.classes)
