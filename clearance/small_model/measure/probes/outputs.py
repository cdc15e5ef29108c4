"""What the model returns: logits of the right shape, not probabilities, and a loss near what a guess costs at init
(ln K for one class per text; for label sets and numbers, the guess of the task, measured through its loss)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from clearance.core.task import MULTI_LABEL, SINGLE_LABEL
from clearance.neural.parts.parts import forward
from clearance.neural.training.batches import Batch
from clearance.small_model.measure.probes.common import evaluating, finite, logits
from clearance.small_model.measure.probes.declared import ModelRun, probe
from clearance.small_model.measure.probes.guess import guess_outputs

# A row "looks like probabilities" when its values lie in [0, 1] and sum to 1 within this.
SUM_TOLERANCE = 1e-3


def probability_rows(out: torch.Tensor) -> float:
    """Share of rows whose values all lie in [0, 1] and sum to 1: softmax already applied."""
    inside = ((out >= 0) & (out <= 1)).all(dim=1)
    sums_to_one = (out.sum(dim=1) - 1).abs() <= SUM_TOLERANCE
    return float((inside & sums_to_one).float().mean()) if len(out) else 0.0


def label_probability_rows(out: torch.Tensor) -> dict:
    """Multi-label outputs: shares of rows already squashed, each label's value in [0, 1] (a sigmoid applied),
    or in [0, 1] and summing to 1 (a softmax over the labels); ``probability_rows`` is either. Random logits of
    K labels all land in [0, 1] for about 2^-K of the rows, so a share above half is no chance."""
    inside = ((out >= 0) & (out <= 1)).all(dim=1)
    sums_to_one = inside & ((out.sum(dim=1) - 1).abs() <= SUM_TOLERANCE)
    share = (lambda rows: float(rows.float().mean()) if len(out) else 0.0)
    return {"probability_rows": share(inside), "unit_rows": share(inside), "sum_one_rows": share(sums_to_one)}


def measure_outputs(model: torch.nn.Module, batch: Batch, num_classes: int, task: str = SINGLE_LABEL) -> dict:
    """Shape, dtype and finiteness of the logits on one batch (eval mode), and how many rows are probabilities
    (``num_classes``: the outputs the task wants, K or 1; multi-label: ``label_probability_rows``)."""
    with evaluating(model):
        raw = forward(model, batch.input_ids, batch.attention_mask)
    out = raw.float()
    expected = [len(batch), num_classes]
    measured = {"shape": list(out.shape), "expected": expected, "dtype": str(raw.dtype).replace("torch.", ""),
                "shape_ok": list(out.shape) == expected, "probability_rows": None, "nonfinite": None}
    measured["logits_ok"] = measured["shape_ok"] and raw.is_floating_point()  # what the other probes need
    if measured["logits_ok"]:
        measured["nonfinite"] = int((~torch.isfinite(out)).sum())
        if task == MULTI_LABEL:
            measured.update(label_probability_rows(out))
        else:
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


def measure_task_init_loss(model: torch.nn.Module, loss_fn: Callable, batch: Batch, task: str,
                           train_labels: np.ndarray) -> dict:
    """Multi-label and regression: the untrained model's loss on one batch (eval mode) beside two guesses, each
    measured through the same loss on the same rows (so its reduction, mean or sum, is compared like with like):
    ``uniform`` (multi-label: every label at one half; regression: the mean of the target the loss sees) and
    ``prior`` (multi-label: each label at its share in train, the sum of the labels' binary entropies per text;
    regression: the mean again, whose loss is the target's variance)."""
    with evaluating(model):
        out = logits(model, batch)
        loss = finite(float(loss_fn(out, batch.labels)))
        guesses = {name: finite(float(loss_fn(guessed, batch.labels)))
                   for name, guessed in guess_outputs(task, train_labels, out).items()}
    ratio = (lambda ref: loss / ref if loss is not None and ref else None)
    return {"task": task, "loss": loss, "guess": guesses, "ratio": ratio(guesses["uniform"]),
            "prior_ratio": ratio(guesses["prior"]), "batch_size": len(batch)}


# -- the probes this family declares (their keys are probes.json's) ------------------------------------------

@probe("outputs")
def outputs_probe(run: ModelRun) -> dict:
    """The logits' shape, dtype and range (what the probes that need logits wait for: ``logits_ok``)."""
    task = {} if run.task.name == SINGLE_LABEL else {"task": run.task.name}  # the checks' words for its outputs
    return {**measure_outputs(run.model, run.batch, run.task.outputs, run.task.name),
            "model": run.parts.names.get("model", ""), **task}


@probe("init_loss", needs_logits=True)
def init_loss_probe(run: ModelRun) -> dict:
    if run.task.name == SINGLE_LABEL:
        return measure_init_loss(run.model, run.parts.loss, run.batch, run.classes)
    return measure_task_init_loss(run.model, run.parts.loss, run.batch, run.task.name, run.train.labels)
