"""Where a training run stands: what a checkpoint holds to resume it, and the counts the loop keeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class TrainState:
    """Everything needed to resume a run where it stopped (what a checkpoint holds)."""

    step: int
    epoch: int
    batch_in_epoch: int  # batches of ``epoch`` already trained
    model_state: dict[str, Any]
    optimizer_state: dict[str, Any]
    history: list[dict[str, Any]]
    step_losses: list[float]
    train_seconds: float
    rng_state: Any = None


@dataclass
class RunProgress:
    """Where a run stands: what a checkpoint holds, and whether it is a whole step that a Ctrl-C may save."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0  # batches of ``epoch`` already trained
    history: list[dict[str, Any]] = field(default_factory=list)
    step_losses: list[float] = field(default_factory=list)
    train_seconds: float = 0.0
    # False from a step's update until its evaluation is recorded: the weights, the step count and the
    # history disagree then, and a state saved then would not resume exactly.
    settled: bool = True

    @classmethod
    def resumed(cls, state: TrainState | None) -> "RunProgress":
        """Where ``state`` stopped (a fresh run: the start)."""
        if state is None:
            return cls()
        return cls(state.step, state.epoch, state.batch_in_epoch, list(state.history), list(state.step_losses),
                   state.train_seconds)

    def settle(self, epoch: int, batch_in_epoch: int) -> None:
        """The step is whole: it is trained, and evaluated when due."""
        self.epoch, self.batch_in_epoch, self.settled = epoch, batch_in_epoch, True

    def state(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> TrainState:
        """What a checkpoint saves to resume from here."""
        return TrainState(self.step, self.epoch, self.batch_in_epoch, model.state_dict(), optimizer.state_dict(),
                          self.history, self.step_losses, self.train_seconds, torch.get_rng_state())
