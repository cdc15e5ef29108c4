"""What step 3's stages feed the model: the prepared splits, preprocessed, labelled by index, tokenised."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from clearance.core.config.model import ModelStage
from clearance.core.data.digest import splits_digest
from clearance.core.data.prepare import load_splits, load_summary
from clearance.core.records import settings_digest
from clearance.neural.parts.parts import Parts
from clearance.core.parts.plugins import plugins_digest
from clearance.core.parts.preprocess import preprocess_splits
from clearance.core.paths import PREPARED_DIR
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


def label_index(labels: pd.Series, classes: list[str]) -> np.ndarray:
    """Class names to logit indices (class i is logit i)."""
    index = {c: i for i, c in enumerate(classes)}
    return labels.map(index).to_numpy(dtype=np.int64)


def tracked_rows(n: int, size: int, seed: int) -> list[int]:
    """A fixed, seeded choice of valid rows to follow through training."""
    return sorted(np.random.default_rng(seed).permutation(n)[: min(size, n)].tolist())


def model_inputs(cfg: ModelStage, parts: Parts, prepared: Path = PREPARED_DIR) -> ModelInputs:
    """Read and preprocess train and valid with the configured parts; each row is tokenised when first used
    (on 1M texts a run bounded by train.max_steps tokenises the rows it draws, not the split)."""
    splits, summary = load_splits(prepared), load_summary(prepared)
    classes = list(parts.classes)
    used = {name: splits[name] for name in ("train", "valid")}
    texts = preprocess_splits(used, cfg.preprocess)
    encoded = {name: LazyEncoded(parts.tokenizer, texts[name].astype(str).tolist(),
                                 label_index(used[name]["label"], classes), cfg.train.max_length)
               for name in used}
    valid_frame = used["valid"][["row", "label"]].assign(text=texts["valid"].to_numpy())
    tracked = encoded["valid"].subset(tracked_rows(len(encoded["valid"]), cfg.probes.tracked_predictions, cfg.seed))
    return ModelInputs(classes=classes, raw_train=used["train"]["text"].astype(str).tolist(),
                       train=encoded["train"], valid=encoded["valid"], valid_frame=valid_frame.reset_index(drop=True),
                       tracked=tracked, data_digest=summary.get("digest") or splits_digest(splits))


def model_settings_digest(cfg: ModelStage) -> str:
    """What the model's results depend on besides the data: every part and training setting, and the
    user's code in plugins/ (so a checkpoint or a sweep study made with other code is never resumed)."""
    return settings_digest({"seed": cfg.seed, "preprocess": cfg.preprocess, "model": cfg.model,
                            "tokenizer": cfg.tokenizer, "optimizer": cfg.optimizer, "loss": cfg.loss,
                            "train": asdict(cfg.train), "probes": asdict(cfg.probes), "plugins": plugins_digest()})
