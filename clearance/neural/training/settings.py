"""How one call of the training function runs, beyond the step's own settings (TrainConfig) and its data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from clearance.neural.training.batches import Encoded
from clearance.neural.training.state import TrainState
from clearance.neural.training.step import Autocast


@dataclass
class TrainSettings:
    """A run's overrides, callbacks and placement; every field left at its default keeps TrainConfig's way.

    The overrides (``max_steps``, ``eval_every``, ``weight_decay``, ``lr``) let the probes run the very same
    loop with regularization off or for a few steps. ``track`` holds the texts whose predictions each
    evaluation records; ``resume`` continues an interrupted run exactly. ``device`` and ``autocast`` come from
    TrainConfig's device and precision unless both are given.
    """

    model: torch.nn.Module | None = None  # None: a fresh one from the parts
    max_steps: int | None = None
    eval_every: int | None = None
    weight_decay: float | None = None
    lr: float | None = None
    track: Encoded | None = None
    on_eval: Callable[[dict[str, Any]], None] | None = None
    on_checkpoint: Callable[[TrainState], None] | None = None
    checkpoint_every: int = 0  # steps between checkpoints; 0: none
    resume: TrainState | None = None
    device: torch.device | None = None
    autocast: Autocast | None = None
    metric: str = "macro_f1"
    progress: bool = True  # show a progress bar
