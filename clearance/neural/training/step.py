"""One optimizer step, and what every step relies on: seeding, the autocast switch, the learning rate."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable

import numpy as np
import torch

from clearance.neural.parts.parts import forward
from clearance.neural.training.batches import Batch

Autocast = Callable[[], contextlib.AbstractContextManager]


def no_autocast() -> contextlib.AbstractContextManager:
    """fp32: nothing to switch on."""
    return contextlib.nullcontext()


def seed_everything(seed: int) -> None:
    """Seed every generator training touches, so the same params give the same metrics."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def train_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, loss_fn: Callable,
               batch: Batch, autocast: Autocast = no_autocast) -> float:
    """One optimizer step: zero the gradients, forward, loss, backward, step. Returns the loss."""
    optimizer.zero_grad()
    with autocast():
        logits = forward(model, batch.input_ids, batch.attention_mask)
    # The loss in fp32 whatever the autocast: bf16 cross-entropy loses precision near 0.
    loss = loss_fn(logits.float(), batch.labels)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def current_lr(optimizer: torch.optim.Optimizer) -> float:
    """The learning rate of the optimizer's first parameter group (what a divergence message names)."""
    return float(optimizer.param_groups[0]["lr"])


def set_lr_factor(optimizer: torch.optim.Optimizer, factor: float) -> None:
    """Each parameter group at ``factor`` times the rate it was built with (kept as ``initial_lr``, as torch's
    schedulers keep it): the schedule sets the rate from the step, so a resumed run needs no scheduler state."""
    for group in optimizer.param_groups:
        group.setdefault("initial_lr", group["lr"])
        group["lr"] = group["initial_lr"] * factor
