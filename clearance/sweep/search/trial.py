"""One configuration of the sweep trained and scored: step 3's settings with the trial's values,
through step 3's parts and its one training function (no second training code path)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from clearance.core.config.model import ModelStage
from clearance.core.config.params import load_stage_config
from clearance.core.data.prepare import load_summary
from clearance.core.evaluation import HIGHER_IS_BETTER
from clearance.neural.parts.device import resolve
from clearance.neural.parts.parts import Parts
from clearance.core.paths import PREPARED_DIR
from clearance.core.task import Task, task_of
from clearance.neural.training.divergence import Diverged
from clearance.neural.training.inputs import ModelInputs, model_inputs, parts_for
from clearance.neural.training.loop import train_model
from clearance.neural.training.result import TrainResult
from clearance.neural.training.settings import TrainSettings
from clearance.sweep.search.space import apply


@dataclass
class Setup:
    """What every trial of one sweep shares: the composed params, the fixed budget, the metric."""

    params: dict[str, Any]  # the composed settings (params.yaml): step 3's, which a trial overrides
    fixed: dict[str, Any]  # dotted key -> value every trial and re-run gets (sweep.trial)
    metric: str  # the primary metric from step 2, scored on valid
    prepared: Path = PREPARED_DIR
    inputs: dict[str, ModelInputs] = field(default_factory=dict)  # tokenised data, per tokenizer setting
    lengths: dict[str, Any] = field(default_factory=dict)  # train.max_length: auto, resolved once per setting

    @property
    def direction(self) -> str:
        return "maximize" if HIGHER_IS_BETTER[self.metric] else "minimize"

    @property
    def classes(self) -> list[str]:
        return load_summary(self.prepared)["classes"]

    @property
    def task(self) -> Task:
        """What the labels are (data/prepared/summary.json): the model's outputs, loss and scores follow it."""
        return task_of(load_summary(self.prepared))


@dataclass
class Scored:
    """A trained configuration: its valid score, the run's history and timing, and its parts."""

    value: float
    result: TrainResult
    cfg: ModelStage
    parts: Parts
    seconds: float  # the training function's own wall time


def configuration(setup: Setup, values: dict[str, Any], seed: int | None = None) -> ModelStage:
    """Step 3's typed settings with the budget, the trial's values and (for re-runs) another seed."""
    changed = {**setup.fixed, **values}
    cfg = load_stage_config(ModelStage, apply(setup.params, changed), source="sweep (params.yaml + trial values)")
    if seed is not None:
        cfg.train = replace(cfg.train, seed=seed)
    return cfg


def inputs_for(setup: Setup, cfg: ModelStage, parts: Parts) -> ModelInputs:
    """Train and valid, made once per tokenizer, preprocessing and length (most sweeps: once); each row is
    tokenised the first time a trial draws it, and never again."""
    key = json.dumps([cfg.tokenizer, cfg.preprocess, cfg.train.max_length, cfg.seed], sort_keys=True, default=str)
    if key not in setup.inputs:
        setup.inputs[key] = model_inputs(cfg, parts, setup.prepared)
    return setup.inputs[key]


def train_and_score(setup: Setup, cfg: ModelStage, on_eval: Callable[[dict[str, Any]], None] | None = None,
                    progress: bool = False) -> Scored:
    """Train ``cfg`` with step 3's training function; its last evaluation's valid score is the value.

    A loss or logits that turn NaN or infinite stop the run there and raise ``Diverged``: a finding about
    these settings, with no score.
    """
    parts = parts_for(cfg, setup.prepared, setup.lengths)  # the task's outputs and loss; a target's scale
    inputs = inputs_for(setup, cfg, parts)
    device, autocast = resolve(cfg.train.device, cfg.train.precision)
    settings = TrainSettings(on_eval=on_eval, device=device, autocast=autocast, metric=setup.metric,
                             progress=progress)
    result = train_model(cfg.train, parts, inputs.train, inputs.valid, settings)
    if result.diverged is not None:
        raise Diverged(result.diverged)
    value = result.history[-1].get(f"valid_{setup.metric}") if result.history else None
    if value is None or not math.isfinite(value):
        raise FloatingPointError(f"the valid {setup.metric} is {value}: no finite score to compare")
    return Scored(float(value), result, cfg, parts, result.seconds)
