"""The final test: the chosen configuration's packaged model scored on the test split, once.

Every choice before this one (the metric, the bar, the model, the sweep's best) was made
on valid. This module is the only one that scores the test split in steps 3 and 4.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from clearance.data.prepare import load_splits
from clearance.errors import UserError
from clearance.evaluation import score
from clearance.paths import PREPARED_DIR
from clearance.serving import TextPredictor
from clearance.sweep.seeds import MODELS_DIR
from clearance.training.files import MODEL_DIR

FINAL_FILE = "final.json"
CHOICES = ("best", "reference_if_noise")
# The packaged model of each choice: the best configuration at the sweep's budget, or step 3's own model.
MODEL_DIRS = {"best": MODELS_DIR / "best", "reference": MODEL_DIR}


def choose(final: str, seeds: dict[str, Any]) -> tuple[str, str]:
    """Which configuration meets the test split, and why, from `sweep.final` and the re-runs."""
    if final not in CHOICES:
        raise UserError(f"sweep.final={final}", "unknown choice", "set sweep.final to best or reference_if_noise")
    boot = seeds.get("bootstrap") or {}
    low, high = boot.get("low"), boot.get("high")
    within_noise = low is None or high is None or low <= 0 <= high
    if final == "reference_if_noise" and within_noise:
        return "reference", (f"the gain's interval [{_num(low)}, {_num(high)}] includes 0 and sweep.final is "
                             "reference_if_noise: step 3's model is kept")
    why = "sweep.final is best" if final == "best" else f"the gain's interval [{_num(low)}, {_num(high)}] excludes 0"
    return "best", f"the sweep's best configuration: {why}"


def _num(value: Any) -> str:
    return "–" if value is None else f"{value:.4f}"


def score_on_test(chosen: str, why: str, seeds: dict[str, Any], prepared: Path = PREPARED_DIR,
                  models: dict[str, Path] | None = None) -> dict[str, Any]:
    """Score the chosen package on valid (to compare) and on test; the record final.json holds."""
    folder = (models or MODEL_DIRS)[chosen]
    predictor = TextPredictor.load(folder)
    splits = load_splits(prepared)
    classes = predictor.classes
    scores: dict[str, dict[str, float]] = {}
    for split in ("valid", "test"):
        frame = splits[split]
        if frame.empty:
            raise UserError(f"data split {split}", "is empty", "give the data a test split (data.split_* in conf/)")
        probs = predictor.probabilities(frame["text"].astype(str).tolist())
        predicted = np.asarray(classes, dtype=object)[probs.argmax(axis=1)]
        scores[split] = score(frame["label"].astype(str).to_numpy(), predicted, probs, classes, split)
    return {"chosen": chosen, "why": why, "params": seeds[chosen]["params"], "metric": seeds["metric"],
            "direction": seeds["direction"], "seed": seeds["seeds"][0], "model_dir": str(folder),
            "valid": scores["valid"], "test": scores["test"], "test_rows": int(len(splits["test"]))}
