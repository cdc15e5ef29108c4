"""Checkpoints of the training run, so an interrupted `dvc repro` resumes instead of starting over.

They live outside DVC's outputs (DVC deletes a stage's outputs before running it) in
.clearance/checkpoints/, keyed by the data and settings: a checkpoint of another
configuration is never resumed.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from clearance.core.errors import Interrupted
from clearance.neural.training.state import TrainState

FOLDER = Path(".clearance/checkpoints")


@dataclass
class Checkpoints:
    """One checkpoint file for step 3's run."""

    path: Path

    @classmethod
    def default(cls) -> "Checkpoints":
        return cls(FOLDER / "model.pt")

    def save(self, key: str, state: TrainState) -> None:
        """Write atomically: a kill during the write leaves the previous checkpoint intact."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".tmp")
        torch.save({"key": key, "state": asdict(state)}, partial)
        partial.replace(self.path)

    def load(self, key: str) -> TrainState | None:
        """The saved state when it belongs to this data and configuration, else None."""
        if not self.path.exists():
            return None
        try:
            saved = torch.load(self.path, map_location="cpu", weights_only=False)
        except (OSError, RuntimeError, EOFError, pickle.UnpicklingError):
            return None  # a damaged file: start over rather than fail
        return TrainState(**saved["state"]) if saved.get("key") == key else None

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def saver(self, key: str, resumed: TrainState | None = None) -> "Saver":
        """The ``on_checkpoint`` of a run under ``key`` (``resumed``: the checkpoint it started from)."""
        return Saver(self, key, resumed.step if resumed is not None else None)


@dataclass
class Saver:
    """Saves a run's checkpoints, and remembers the last one, so that Ctrl-C can say what it leaves."""

    checkpoints: Checkpoints
    key: str
    step: int | None = None  # the step of the checkpoint on disk; None while there is none

    def __call__(self, state: TrainState) -> None:
        self.checkpoints.save(self.key, state)
        self.step = state.step

    @contextmanager
    def on_interrupt(self) -> Iterator[None]:
        """Turn Ctrl-C into ``Interrupted`` naming the checkpoint the next run resumes from.

        The training function has by then saved the last whole step through this saver; with no
        checkpoint on disk the plain interrupt goes on (nothing was kept).
        """
        try:
            yield
        except KeyboardInterrupt:
            if self.step is None:
                raise
            raise Interrupted(f"the checkpoint at step {self.step} ({self.checkpoints.path})") from None
