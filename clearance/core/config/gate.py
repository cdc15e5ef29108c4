"""Schema of the gate's settings."""

from __future__ import annotations

from dataclasses import dataclass

from omegaconf import MISSING

from clearance.core.config.tracking import TrackingConfig


@dataclass
class GateConfig:
    """What counts as an answer (values: conf/gate/default.yaml)."""

    min_answer_words: int = MISSING


@dataclass
class GateStage:
    """What the gate reads from params.yaml."""

    gate: GateConfig = MISSING
    tracking: TrackingConfig = MISSING
