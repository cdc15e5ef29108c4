"""Checkpoints of the training run, so an interrupted `dvc repro` resumes instead of starting over.

They live outside DVC's outputs (DVC deletes a stage's outputs before running it) in
.clearance/checkpoints/, keyed by the data and settings: a checkpoint of another
configuration is never resumed.
"""

from __future__ import annotations

import pickle
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from clearance.core.training.loop import TrainState

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
