"""What step 3's stages feed the model: the prepared splits, preprocessed, labelled by index, tokenised."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clearance.core.config.model import ModelStage
from clearance.core.data.digest import splits_digest
from clearance.core.data.prepare import load_splits, load_summary
from clearance.core.records import settings_digest
from clearance.core.task import REGRESSION, SINGLE_LABEL, Task, task_of
from clearance.neural.parts.parts import Parts, build_parts
from clearance.core.parts.plugins import plugins_digest
from clearance.core.parts.preprocess import preprocess_splits
from clearance.core.paths import PREPARED_DIR, split_file
from clearance.neural.task_heads import TargetScale, fit_scale, label_values
from clearance.neural.training.batches import Encoded, LazyEncoded


@dataclass
class ModelInputs:
    """Train and valid, tokenised as they are used (test is not touched in step 3), with what the reports need."""

    classes: list[str]
    raw_train: list[str]  # the training texts as in the data, row for row with ``train``
    train: LazyEncoded
    valid: LazyEncoded
    valid_frame: pd.DataFrame  # row, label and the preprocessed text of every valid row
    tracked: Encoded  # the valid texts whose predictions each evaluation records
    data_digest: str
    task: Task | None = None  # None: single-label over ``classes`` (ModelInputs made by hand)
    scale: TargetScale = TargetScale()  # how a regression target was standardised (identity otherwise)
    tracked_rows: list[int] = field(default_factory=list)  # the tracked texts' rows in valid


def label_index(labels: pd.Series, classes: list[str]) -> np.ndarray:
    """Class names to logit indices (class i is logit i)."""
    index = {c: i for i, c in enumerate(classes)}
    return labels.map(index).to_numpy(dtype=np.int64)


def task_scale(cfg: ModelStage, task: Task, prepared: Path = PREPARED_DIR) -> TargetScale:
    """How a regression target is standardised: the train split's mean and std (train.standardize_target);
    identity for the other tasks."""
    if task.name != REGRESSION:
        return TargetScale()
    targets = pd.read_parquet(split_file("train", prepared), columns=["label"])["label"]
    return fit_scale(task.targets(targets.tolist()), cfg.train.standardize_target)


def parts_for(cfg: ModelStage, prepared: Path = PREPARED_DIR, known: dict[str, Any] | None = None) -> Parts:
    """Every part built for the prepared data's task (summary.json), a regression target's scale fitted on
    train: what the probes, the training stage and the sweep build their parts with. ``train.max_length: auto``
    is resolved here, in ``cfg`` itself (its settings digest is taken before: it names the setting), and the
    choice kept on the parts (``length_choice``) for the reports.

    ``known``: what earlier calls measured for ``auto`` (auto_length.resolve): a sweep's trials share one, since
    measuring the lengths again, ~2 s on 20k texts, was most of a trial's time outside training."""
    from clearance.neural.training.auto_length import is_auto, resolve

    task = task_of(load_summary(prepared))
    auto = is_auto(cfg.train.max_length)
    parts = build_parts(cfg, task, task_scale(cfg, task, prepared))
    if auto:
        parts.length_choice = resolve(cfg, parts, lambda: pd.read_parquet(split_file("train", prepared),
                                                                          columns=["text"])["text"],
                                      cfg.seed, known, str(prepared))
    return parts


def tracked_rows(n: int, size: int, seed: int) -> list[int]:
    """A fixed, seeded choice of valid rows to follow through training."""
    return sorted(np.random.default_rng(seed).permutation(n)[: min(size, n)].tolist())


def model_inputs(cfg: ModelStage, parts: Parts, prepared: Path = PREPARED_DIR) -> ModelInputs:
    """Read and preprocess train and valid with the configured parts; each row is tokenised when first used
    (on 1M texts a run bounded by train.max_steps tokenises the rows it draws, not the split)."""
    from clearance.neural.training.auto_length import is_auto, resolve

    splits, summary = load_splits(prepared), load_summary(prepared)
    if is_auto(cfg.train.max_length):  # parts built by hand (build_parts), not by parts_for: resolved here
        parts.length_choice = resolve(cfg, parts, splits["train"]["text"], cfg.seed)
    classes = list(parts.classes)
    used = {name: splits[name] for name in ("train", "valid")}
    texts = preprocess_splits(used, cfg.preprocess)
    encoded = {name: LazyEncoded(parts.tokenizer, texts[name].astype(str).tolist(),
                                 labels_of(parts, used[name]["label"]), cfg.train.max_length)
               for name in used}
    valid_frame = used["valid"][["row", "label"]].assign(text=texts["valid"].to_numpy())
    followed = tracked_rows(len(encoded["valid"]), cfg.probes.tracked_predictions, cfg.seed)
    tracked = encoded["valid"].subset(followed)
    return ModelInputs(classes=classes, raw_train=used["train"]["text"].astype(str).tolist(),
                       train=encoded["train"], valid=encoded["valid"], valid_frame=valid_frame.reset_index(drop=True),
                       tracked=tracked, data_digest=summary.get("digest") or splits_digest(splits), task=parts.task,
                       scale=parts.scale, tracked_rows=followed)


def labels_of(parts: Parts, labels: pd.Series) -> np.ndarray:
    """A split's labels as the loss takes them (single-label: class ids, as they always were)."""
    if parts.task is None or parts.task.name == SINGLE_LABEL:
        return label_index(labels, list(parts.classes))
    return label_values(parts.task, labels.tolist(), parts.scale)


def model_settings_digest(cfg: ModelStage) -> str:
    """What the model's results depend on besides the data: every part and training setting, and the
    user's code in plugins/ (so a checkpoint or a sweep study made with other code is never resumed)."""
    return settings_digest({"seed": cfg.seed, "preprocess": cfg.preprocess, "model": cfg.model,
                            "tokenizer": cfg.tokenizer, "optimizer": cfg.optimizer, "loss": cfg.loss,
                            "train": asdict(cfg.train), "probes": asdict(cfg.probes), "plugins": plugins_digest()})
