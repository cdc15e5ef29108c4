"""Schemas of step 3, the small model: its plug-in parts, training, probes and thresholds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from omegaconf import MISSING

from clearance.core.config.tracking import TrackingConfig


@dataclass
class TrainConfig:
    """How the model is trained (values: conf/train/)."""

    lr: float = MISSING
    weight_decay: float = MISSING
    dropout: Optional[float] = MISSING  # passed to the model when it accepts `dropout`; null keeps its own
    batch_size: int = MISSING
    group_by_length: bool = MISSING  # batches of texts of similar length: less padding, faster steps
    epochs: int = MISSING
    max_steps: Optional[int] = MISSING  # a cap on optimizer steps; null: epochs decide
    max_length: int = MISSING  # tokens per text after truncation
    seed: int = MISSING
    eval_every: int = MISSING  # optimizer steps between evaluations on valid
    eval_max_rows: Optional[int] = MISSING  # rows of valid scored by the evaluations during training (a seeded,
    # stratified sample); the last evaluation scores all of valid. null: every evaluation scores all of it
    device: str = MISSING  # auto | cpu | cuda | cuda:N
    precision: str = MISSING  # auto (bf16 autocast on a CUDA device that supports it) | fp32 | bf16
    run_despite_probes: bool = MISSING  # train even when a probe fails
    checkpoint_every: int = MISSING  # optimizer steps between checkpoints (an interrupted run resumes)


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
class ModelChecks:
    """Thresholds of step 3's probes and checks (values: conf/checks/default.yaml#model)."""

    overfit_loss_max: float = MISSING
    # the probes (clearance/probes/checks.py); *_max/_fail/_warn as in the other steps' checks
    probability_rows_max: float = MISSING  # share of output rows in [0, 1] summing to 1 (softmax before the loss)
    init_loss_ratio_max: float = MISSING  # initial loss / ln K above this fails
    init_loss_ratio_min: float = MISSING  # initial loss / ln K below this warns
    batch_mixing_max: float = MISSING  # relative change of a sample's logits when its batch changes or is reordered
    padding_change_max: float = MISSING  # relative change of a text's logits under more padding
    padding_gradient_share_max: float = MISSING  # share of the logits' sensitivity on padding positions
    unread_tokens_warn: float = MISSING  # share of real token positions with no influence on the logits
    unread_tokens_fail: float = MISSING
    overfit_accuracy_min: float = MISSING  # share of the overfit samples predicted as their labels
    eval_repeat_max: float = MISSING  # relative difference between two eval-mode passes on one batch
    update_repeat_max: float = MISSING  # relative difference of one step's update from stale vs clean gradients
    changed_params_min: float = MISSING  # share of trainable parameters one training step must change
    lr_band: dict[str, list[float]] = MISSING  # optimizer class name -> plausible [min, max] lr; "default" else
    truncated_texts_warn: float = MISSING  # share of texts longer than train.max_length
    truncated_texts_fail: float = MISSING
    truncated_tokens_warn: float = MISSING  # share of all training tokens that truncation drops
    truncated_tokens_fail: float = MISSING
    unk_rate_warn: float = MISSING  # share of tokens that are the unknown token
    unk_rate_fail: float = MISSING
    words_kept_warn: float = MISSING  # mean share of a text's words read back from its tokens (below is bad)
    words_kept_fail: float = MISSING
    empty_texts_warn: float = MISSING  # share of texts with no known token left
    empty_texts_fail: float = MISSING
    tokens_per_word_warn: float = MISSING
    overfitting_streak_max: int = MISSING  # evaluations in a row with train loss falling and valid loss rising
    diverged_loss_ratio_max: float = MISSING  # training loss between two evaluations / ln K above this fails
    min_gain_over_baseline: float = MISSING  # model minus best baseline, primary metric, valid (below warns)
    min_gain_over_prior: float = MISSING  # model minus the prior guess (below fails)


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


@dataclass
class ProbeGate:
    """What deciding whether to train reads: the probes' thresholds and the override."""

    checks: ModelChecks = field(default=MISSING, metadata={"params": "checks.model"})
    run_despite_probes: bool = field(default=MISSING, metadata={"params": "train.run_despite_probes"})


@dataclass
class ModelJudge:
    """Everything the judging of step 3 reads: only its thresholds."""

    checks: ModelChecks = field(default=MISSING, metadata={"params": "checks.model"})


def lr_band_for(optimizer: str, bands: dict[str, list[float]]) -> tuple[str, list[float]]:
    """The plausible learning-rate band for an optimizer class name, or the default band."""
    key = optimizer if optimizer in bands else "default"
    if key not in bands:
        from clearance.core.errors import UserError

        raise UserError("checks.model.lr_band", f"no band for {optimizer} and no `default` band",
                        "add `default: [1.0e-6, 1.0]` (or a band named after the optimizer class) under "
                        "checks.model.lr_band in conf/checks/default.yaml")
    return key, list(bands[key])
