"""Schemas of step 3, the small model: its plug-in parts, training and probes (its thresholds are declared
with its checks, clearance/small_model/judge/)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from omegaconf import MISSING

from clearance.core.config.tracking import TrackingConfig


@dataclass
class TrainConfig:
    """How the model is trained (values: conf/train/)."""

    lr: float = MISSING
    schedule: str = MISSING  # constant | linear | cosine after the warm-up (clearance.neural.training.schedule)
    warmup_ratio: float = MISSING  # share of the steps the rate climbs from 0 to lr
    weight_decay: float = MISSING
    dropout: Optional[float] = MISSING  # passed to the model when it accepts `dropout`; null keeps its own
    batch_size: int = MISSING
    group_by_length: bool = MISSING  # batches of texts of similar length: less padding, faster steps
    epochs: int = MISSING
    max_steps: Optional[int] = MISSING  # a cap on optimizer steps; null: epochs decide
    max_length: Any = MISSING  # tokens per text after truncation, or "auto": a percentile of train's token lengths
    max_length_percentile: float = MISSING  # the percentile "auto" reads (within the model's limit)
    seed: int = MISSING
    eval_every: int = MISSING  # optimizer steps between evaluations on valid
    eval_max_rows: Optional[int] = MISSING  # rows of valid scored by the evaluations during training (a seeded,
    # stratified sample); the last evaluation scores all of valid. null: every evaluation scores all of it
    device: str = MISSING  # auto | cpu | cuda | cuda:N
    precision: str = MISSING  # auto (bf16 autocast on a CUDA device that supports it) | fp32 | bf16
    run_despite_probes: bool = MISSING  # train even when a probe fails
    checkpoint_every: int = MISSING  # optimizer steps between checkpoints (an interrupted run resumes)
    # regression: the model learns (target - train mean) / train std; serving answers in the target's units.
    standardize_target: bool = MISSING


@dataclass
class ProbeConfig:
    """How the probes run (values: conf/probes/)."""

    overfit_samples: int = MISSING
    overfit_max_steps: int = MISSING
    overfit_stop_loss: float = MISSING  # the overfit run ends once a step's loss is below this
    batch_size: int = MISSING  # samples per probe batch
    decoded_samples: int = MISSING  # tokenizer samples shown in the report
    tracked_predictions: int = MISSING  # valid texts whose predictions are shown at each evaluation
    input_max_rows: Optional[int] = MISSING  # train rows the input probes measure (a seeded sample); null: all


@dataclass
class ModelStage:
    """Everything the model stage (the measuring and training) reads."""

    seed: int = MISSING
    preprocess: dict[str, Any] = MISSING
    model: dict[str, Any] = MISSING
    tokenizer: dict[str, Any] = MISSING
    optimizer: dict[str, Any] = MISSING
    loss: dict[str, Any] = MISSING
    train: TrainConfig = MISSING
    probes: ProbeConfig = MISSING
    tracking: TrackingConfig = MISSING


def lr_band_for(optimizer: str, bands: dict[str, list[float]]) -> tuple[str, list[float]]:
    """The plausible learning-rate band for an optimizer class name, or the default band."""
    key = optimizer if optimizer in bands else "default"
    if key not in bands:
        from clearance.core.errors import UserError

        raise UserError("checks.model.lr_band", f"no band for {optimizer} and no `default` band",
                        "add `default: [1.0e-6, 1.0]` (or a band named after the optimizer class) under "
                        "checks.model.lr_band in conf/checks/default.yaml")
    return key, list(bands[key])
