"""Schema of the gate's settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from omegaconf import MISSING

from clearance.core.config.tracking import TrackingConfig


@dataclass
class GateConfig:
    """What counts as an answer, a waiver's reason and a sign-off (values: conf/gate/default.yaml)."""

    min_answer_words: int = MISSING
    min_reason_words: int = MISSING  # a waiver's reason: different words, like an answer
    min_sign_offs: int = MISSING  # distinct names under `signed_off_by:`; 0: none required
    reviewer: Optional[str] = MISSING  # who the stamp names; null: the git user
    cite_evidence: bool = MISSING  # each answer cites a figure, check or sample row of its evidence


@dataclass
class GateStage:
    """What the gate reads from params.yaml."""

    gate: GateConfig = MISSING
    tracking: TrackingConfig = MISSING
