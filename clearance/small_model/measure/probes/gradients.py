"""Gradients and updates: `zero_grad` that works, parameters that get a gradient, a step that moves them.

Every probe here works on deep copies, so the model it is given is left untouched, and
runs the training loop's own ``train_step``: what is tested is the step the real run takes.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

import torch

from clearance.neural.training.batches import Batch
from clearance.neural.training.step import no_autocast, train_step
from clearance.small_model.measure.probes.common import (
    fresh_copy,
    logits,
    relative_norm_difference,
    seeded,
    snapshot,
    trainable,
)
from clearance.small_model.measure.probes.declared import ModelRun, probe

MakeOptimizer = Callable[[list[torch.nn.Parameter]], torch.optim.Optimizer]


def has_gradient(p: torch.Tensor) -> bool:
    """Whether a parameter holds a gradient with any non-zero entry."""
    return p.grad is not None and bool((p.grad != 0).any())


def watch_zero_grad(optimizer: torch.optim.Optimizer, model: torch.nn.Module) -> dict:
    """Wrap this optimizer's ``zero_grad`` to record, after each call, the parameters still holding a gradient."""
    seen: dict = {"calls": 0, "left": []}
    original = optimizer.zero_grad

    def watched(*args, **kwargs):
        result = original(*args, **kwargs)
        seen["calls"] += 1
        seen["left"] = [name for name, p in trainable(model) if has_gradient(p)]
        return result

    optimizer.zero_grad = watched  # on the instance only: the class, and other optimizers, are untouched
    return seen


def stale_gradients(model: torch.nn.Module, seed: int) -> None:
    """Fill every trainable parameter's gradient with noise, as a previous step would have left it."""
    generator = torch.Generator().manual_seed(seed)
    for _, p in trainable(model):
        p.grad = torch.randn(p.shape, generator=generator).to(device=p.device, dtype=p.dtype)


def update(before: dict[str, torch.Tensor], model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """What one step changed, per parameter."""
    return {name: p.detach() - before[name] for name, p in trainable(model)}


def measure_zero_grad(model: torch.nn.Module, make_optimizer: MakeOptimizer, loss_fn: Callable, batch: Batch,
                      seed: int = 0, autocast: Callable = no_autocast) -> dict:
    """One ``train_step`` from the same state, with clean and with stale gradients: the updates must agree.

    A ``zero_grad`` that does nothing lets the stale gradients into the second update;
    the wrapper also records what the loop's own call left behind.
    """
    clean, stale = fresh_copy(model), fresh_copy(model)
    before = snapshot(clean)
    optimizers = make_optimizer([p for _, p in trainable(clean)]), make_optimizer([p for _, p in trainable(stale)])
    stale_gradients(stale, seed)
    seen = watch_zero_grad(optimizers[1], stale)
    device = batch.input_ids.device
    for copy_, optimizer in zip((clean, stale), optimizers):
        copy_.train()
        with seeded(seed, device):  # the same dropout draws for both steps
            train_step(copy_, optimizer, loss_fn, batch, autocast)
    differences = [relative_norm_difference(a, b) for a, b in zip(update(before, clean).values(),
                                                              update(before, stale).values())]
    return {"optimizer": type(optimizers[1]).__name__, "zero_grad_calls": seen["calls"],
            "left_with_gradient": seen["left"],
            "update_difference": None if None in differences else max(differences, default=0.0)}


def measure_dead_parameters(model: torch.nn.Module, loss_fn: Callable, batch: Batch, seed: int = 0) -> dict:
    """After one backward pass (train mode), the trainable parameters whose gradient is missing or all zero."""
    copy_ = fresh_copy(model)
    copy_.train()
    copy_.zero_grad(set_to_none=True)
    with seeded(seed, batch.input_ids.device):
        loss = loss_fn(logits(copy_, batch), batch.labels)
        loss.backward()
    named = trainable(copy_)
    return {"trainable": len(named), "dead": [name for name, p in named if not has_gradient(p)],
            "loss_finite": bool(torch.isfinite(loss.detach()))}


def update_ratio(before: dict[str, torch.Tensor], model: torch.nn.Module) -> float | None:
    """Median over parameters of |update| / |weights|: about 1e-3 is the usual healthy size per step."""
    ratios = [float(delta.norm() / before[name].norm()) for name, delta in update(before, model).items()
              if float(before[name].norm()) > 0]
    return statistics.median(ratios) if ratios else None


def measure_param_change(model: torch.nn.Module, make_optimizer: MakeOptimizer, loss_fn: Callable, batch: Batch,
                         seed: int = 0, autocast: Callable = no_autocast) -> dict:
    """One ``train_step``: which trainable parameters moved, by how much, and at which learning rate."""
    copy_ = fresh_copy(model)
    before = snapshot(copy_)
    optimizer = make_optimizer([p for _, p in trainable(copy_)])
    copy_.train()
    with seeded(seed, batch.input_ids.device):
        train_step(copy_, optimizer, loss_fn, batch, autocast)
    unchanged = [name for name, p in trainable(copy_) if torch.equal(p.detach(), before[name])]
    return {"optimizer": type(optimizer).__name__, "lr": [float(g["lr"]) for g in optimizer.param_groups],
            "trainable": len(before), "unchanged": unchanged, "update_ratio": update_ratio(before, copy_)}


# -- the probes this family declares (their keys are probes.json's) ------------------------------------------

@probe("dead_parameters", needs_logits=True)
def dead_parameters_probe(run: ModelRun) -> dict:
    return measure_dead_parameters(run.model, run.parts.loss, run.batch, run.seed)


@probe("zero_grad", needs_logits=True)
def zero_grad_probe(run: ModelRun) -> dict:
    return measure_zero_grad(run.model, run.make_optimizer, run.parts.loss, run.batch, run.seed)


@probe("param_change", needs_logits=True)
def param_change_probe(run: ModelRun) -> dict:
    return measure_param_change(run.model, run.make_optimizer, run.parts.loss, run.batch, run.seed)
