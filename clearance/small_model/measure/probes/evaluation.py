"""Dropout left on in evaluation, or `eval()` that does not reach it.

Two eval-mode passes over one batch must agree exactly. And the training loop must run
every evaluation in eval mode without gradients, and every training step in train mode:
a forward pre-hook records (model.training, grad enabled) for each call during a short
run of the real training function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import torch

from clearance.neural.training.batches import Batch, Encoded
from clearance.small_model.measure.probes.common import (
    evaluating,
    logits,
    relative_difference,
)
from clearance.small_model.measure.probes.declared import ModelRun, probe

LOOP_STEPS = 2  # training steps of the instrumented run, each followed by an evaluation


def measure_eval_repeat(model: torch.nn.Module, batch: Batch) -> dict:
    """Difference between two eval passes, and modules still in training mode after ``model.eval()``."""
    with evaluating(model):
        first, second = logits(model, batch), logits(model, batch)
        still_training = [name or "(the model)" for name, module in model.named_modules() if module.training]
    return {"difference": relative_difference(first, second), "still_training": still_training}


def record_modes(model: torch.nn.Module) -> tuple[list[tuple[bool, bool]], Callable[[], None]]:
    """Record (training, grad enabled) at every call of the model; returns the records and a remover."""
    records: list[tuple[bool, bool]] = []

    def hook(module: torch.nn.Module, args: Any) -> None:
        records.append((module.training, torch.is_grad_enabled()))

    handle = model.register_forward_pre_hook(hook)
    return records, handle.remove


def loop_modes(records: list[tuple[bool, bool]], steps: int) -> dict:
    """Count the loop's calls by mode: a training step has gradients and train mode; an evaluation neither.

    Calls without gradients are evaluations; gradient calls beyond one per step are
    evaluations that forgot ``torch.no_grad()``.
    """
    with_grad = [training for training, grad in records if grad]
    without_grad = [training for training, grad in records if not grad]
    return {"steps": steps, "calls": len(records), "evaluation_calls": len(without_grad),
            "evaluations_in_train_mode": sum(without_grad),
            "steps_in_eval_mode": with_grad.count(False),
            "evaluations_with_gradients": max(0, len(with_grad) - steps)}


def measure_loop_eval(train_cfg: Any, parts: Any, train: Encoded, valid: Encoded,
                      device: torch.device, autocast: Callable, steps: int = LOOP_STEPS) -> dict:
    """Run the training function for a few steps, evaluating after each, and count calls by mode.

    ``valid`` should be small (a batch or two): only the modes of its calls matter.
    """
    from clearance.neural.training.loop import train_model

    model = parts.build_model()
    records, remove = record_modes(model)
    try:
        result = train_model(replace(train_cfg, epochs=steps), parts, train, valid, model=model,
                             max_steps=steps, eval_every=1, device=device, autocast=autocast, progress=False)
    finally:
        remove()
    return loop_modes(records, result.steps)


# -- the probes this family declares (their keys are probes.json's) ------------------------------------------

@probe("eval_repeat", needs_logits=True)
def eval_repeat_probe(run: ModelRun) -> dict:
    return measure_eval_repeat(run.model, run.batch)


@probe("loop_eval", needs_logits=True)
def loop_eval_probe(run: ModelRun) -> dict:
    """The real training function for a few steps, on a probe batch's worth of rows (batches of that size)."""
    return measure_loop_eval(replace(run.train_cfg, batch_size=len(run.small)), run.parts, run.small, run.held_out,
                             run.device, run.autocast)
