"""A trained model packaged to score raw texts: the parts' settings, the weights, the classes and the task
(a classifier's temperature, a multi-label model's decision threshold, a regression target's scale).

A classifier's probabilities are served calibrated: its logits divided by the temperature fitted on valid
(clearance.core.calibration) before the softmax or the sigmoids; a package without one (written before it was
kept) serves them at 1.0, as it always did. The class a text gets never moves with it; a multi-label package's
threshold was chosen on the calibrated probabilities, the ones it is compared with.

The package is a folder that rebuilds the model through the same plug-in contract it
was trained with (`build_parts`), so any model, tokenizer and preprocessing a user plugs
in is packaged the same way. MLflow logs it as a text-level pyfunc (see
`clearance.neural.logged_model.log_text_model`), so `mlflow.pyfunc.load_model(uri).predict(texts)`
and `mlflow models predict` score texts, not token ids.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from clearance.core.config.model import ModelStage
from clearance.core.errors import UserError
from clearance.core.parts import plugins
from clearance.core.task import MULTI_LABEL, REGRESSION, SINGLE_LABEL, Task
from clearance.neural.parts.parts import Parts, build_parts, forward
from clearance.neural.task_heads import DEFAULT_THRESHOLD, TargetScale, decode, probabilities
from clearance.neural.training.batches import by_length, collate, encode

SETTINGS_FILE = "settings.json"
WEIGHTS_FILE = "weights.pt"
# A tokenizer learned from the data (tokenizer=trained) is saved here, inside the package: re-learning it
# where the model is loaded would need the training data, and other data would give other token ids.
TOKENIZER_DIR = "tokenizer"
PACKAGED_TOKENIZER = "clearance.neural.parts.trained.packaged_tokenizer"
TEXT_COLUMN = "text"
BATCH_SIZE = 64


def save_predictor(folder: Path, cfg: ModelStage, parts: Parts, model: torch.nn.Module,
                   threshold: float | None = None, temperature: float | None = None) -> Path:
    """Write the settings (every part's `_target_` and keys, the classes, the task: a classifier's
    ``temperature``, a multi-label model's decision ``threshold``, a regression target's scale) and the weights.

    ``temperature`` and ``threshold``: what the training run fitted on valid (TrainResult's), None for 1.0 and
    0.5."""
    from omegaconf import OmegaConf

    from clearance.neural.parts.trained import saves_in_package
    from clearance.neural.training.auto_length import is_auto

    if is_auto(cfg.train.max_length):  # a package must read texts as its model was trained to
        raise ValueError("train.max_length is still 'auto': build the parts with clearance.neural.training.inputs."
                         "parts_for, which reads it from the data, before packaging")
    folder.mkdir(parents=True, exist_ok=True)
    settings = {"trained": True, "config": OmegaConf.to_container(OmegaConf.structured(cfg), resolve=True),
                "classes": list(parts.classes), **head_settings(parts, threshold, temperature)}
    shutil.rmtree(folder / TOKENIZER_DIR, ignore_errors=True)  # never a stale one from an earlier run
    if saves_in_package(parts.tokenizer):
        parts.tokenizer.save_pretrained(str(folder / TOKENIZER_DIR))
        settings["tokenizer_dir"] = TOKENIZER_DIR
    (folder / SETTINGS_FILE).write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    state = {k: v.detach().to("cpu") for k, v in model.state_dict().items()}
    torch.save(state, folder / WEIGHTS_FILE)  # a state dict: loading it never unpickles code
    return folder


def head_settings(parts: Parts, threshold: float | None, temperature: float | None = None) -> dict[str, Any]:
    """The task's part of a package's settings: its name, and what turns outputs into its answers."""
    task = parts.task.name if parts.task is not None else SINGLE_LABEL
    out: dict[str, Any] = {"task": task}
    if task != REGRESSION:
        out["temperature"] = float(temperature if temperature is not None else 1.0)
    if task == MULTI_LABEL:
        out["threshold"] = float(threshold if threshold is not None else DEFAULT_THRESHOLD)
    if task == REGRESSION:
        out["target_scale"] = parts.scale.to_dict()
    return out


def save_untrained(folder: Path, reason: str) -> Path:
    """The package of a run that did not train: settings that say why, and no weights."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / WEIGHTS_FILE).unlink(missing_ok=True)
    shutil.rmtree(folder / TOKENIZER_DIR, ignore_errors=True)
    (folder / SETTINGS_FILE).write_text(json.dumps({"trained": False, "reason": reason}, indent=2) + "\n",
                                        encoding="utf-8")
    return folder


def plugin_sources(folder: Path, root: Path | None = None) -> list[Path]:
    """The user's files in plugins/ a package's parts come from: for `model._target_: my_models.MyNet`,
    plugins/my_models.py (a package: its folder).

    A logged model carries them as MLflow code paths, so it loads where they are not; parts from
    clearance or from installed packages are requirements, not code to copy.
    """
    settings = json.loads((folder / SETTINGS_FILE).read_text(encoding="utf-8"))
    return plugins.plugin_sources(targets_in(settings.get("config", {})), root)


def targets_in(settings: Any) -> list[str]:
    """Every `_target_` in nested settings."""
    if isinstance(settings, dict):
        own = [settings["_target_"]] if isinstance(settings.get("_target_"), str) else []
        return own + [t for value in settings.values() for t in targets_in(value)]
    if isinstance(settings, list):
        return [t for value in settings for t in targets_in(value)]
    return []


def with_packaged_tokenizer(cfg: ModelStage, folder: Path, settings: dict[str, Any]) -> ModelStage:
    """``cfg`` with its tokenizer read from the package when the package holds one (a tokenizer learned
    from the data, which the loading machine has no copy of).

    The setting names the package's own folder, which lies outside plugins/; its key is not a path
    setting's name (`path`, `*_dir`...) on purpose: the plugins/ rule keeps DVC aware of files the user
    edits, and this one is written by the training stage into its own output (models/).
    """
    if not settings.get("tokenizer_dir"):
        return cfg
    return replace(cfg, tokenizer={"_target_": PACKAGED_TOKENIZER,
                                   "package": str((folder / settings["tokenizer_dir"]).resolve())})


class TextPredictor:
    """Scores raw texts with a packaged model: preprocess, tokenise, forward, then the task's head (softmax;
    a sigmoid per label and the threshold; the target back in its units), on the logits divided by the
    temperature."""

    def __init__(self, cfg: ModelStage, parts: Parts, model: torch.nn.Module, device: torch.device,
                 threshold: float = DEFAULT_THRESHOLD, temperature: float = 1.0) -> None:
        self.cfg, self.parts, self.model, self.device = cfg, parts, model.eval().to(device), device
        self.threshold, self.temperature = threshold, temperature

    @classmethod
    def load(cls, folder: Path, device: str = "auto") -> "TextPredictor":
        """Rebuild the parts from their settings and load the trained weights (CPU unless CUDA is present)."""
        from omegaconf import OmegaConf

        from clearance.neural.parts.device import resolve_device

        settings_file = folder / SETTINGS_FILE
        if not settings_file.is_file():
            raise UserError(str(folder), f"has no {SETTINGS_FILE}: it is not a packaged clearance model",
                            "point at the folder save_predictor wrote (the MLflow model's `predictor` artifact)")
        settings = json.loads(settings_file.read_text(encoding="utf-8"))
        if settings.get("trained", True) is False:
            raise UserError(str(folder), f"holds no trained model ({settings.get('reason', 'not trained')})",
                            "fix what step 3's report names (reports/model/report.html: the failing probes or "
                            "training_diverged) and run `dvc repro` again")
        merged = OmegaConf.merge(OmegaConf.structured(ModelStage), OmegaConf.create(settings["config"]))
        cfg: ModelStage = OmegaConf.to_object(merged)  # type: ignore[assignment]
        # Scoring runs wherever it is loaded: the training machine's device may not exist here.
        cfg.train = replace(cfg.train, device="auto")
        # A package written before tasks were recorded is single-label.
        task = Task(settings.get("task", SINGLE_LABEL), tuple(settings["classes"]))
        parts = build_parts(with_packaged_tokenizer(cfg, folder, settings), task,
                            TargetScale.from_dict(settings.get("target_scale")))
        model = parts.build_model()
        model.load_state_dict(torch.load(folder / WEIGHTS_FILE, map_location="cpu", weights_only=True))
        return cls(cfg, parts, model, resolve_device(device), float(settings.get("threshold", DEFAULT_THRESHOLD)),
                   float(settings.get("temperature", 1.0)))

    @property
    def classes(self) -> list[str]:
        return list(self.parts.classes)

    @property
    def task(self) -> Task:
        return self.parts.task

    @property
    def scale(self) -> TargetScale:
        return self.parts.scale

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """[N, K] calibrated class probabilities of raw texts (preprocessed as in training); multi-label: each
        label's."""
        if self.task.name == SINGLE_LABEL:
            return self._softmax(texts)
        return probabilities(self.task.name, self.outputs(texts), self.temperature)

    def outputs(self, texts: list[str]) -> np.ndarray:
        """[N, outputs] raw outputs (logits; a regression model's output in model units)."""
        return self._scored(texts, lambda logits: logits, self.task.outputs)

    def _softmax(self, texts: list[str]) -> np.ndarray:
        return self._scored(texts, lambda logits: torch.softmax(logits / self.temperature, dim=-1),
                            len(self.classes))

    def _scored(self, texts: list[str], head: Any, width: int) -> np.ndarray:
        """``head`` of the logits of raw texts, batched longest first, in the texts' order."""
        cleaned = self.parts.preprocess(pd.Series(list(texts), dtype=object)).astype(str).tolist()
        encoded = encode(self.parts.tokenizer, cleaned, np.zeros(len(cleaned), dtype=np.int64),
                         self.cfg.train.max_length)
        order = by_length(encoded)
        pad = int(self.parts.tokenizer.pad_token_id)
        out = np.zeros((len(cleaned), width), dtype=np.float32)
        with torch.no_grad():
            for start in range(0, len(order), BATCH_SIZE):
                rows = order[start: start + BATCH_SIZE]
                batch = collate(encoded, rows, pad).to(self.device)
                logits = forward(self.model, batch.input_ids, batch.attention_mask).float()
                out[rows] = head(logits).cpu().numpy()
        return out

    def predict_labels(self, texts: list[str]) -> tuple[list, np.ndarray | None]:
        """Predictions in the prepared labels' form (class names, kept label sets, targets in their units) and
        the probabilities (softmax rows, each label's, None): what ``score_task`` takes."""
        if self.task.name == SINGLE_LABEL:
            probs = self.probabilities(texts)
            return [self.classes[k] for k in probs.argmax(axis=1)] if len(probs) else [], probs
        logits = self.outputs(texts)
        return (decode(self.task, logits, self.threshold, self.scale, self.temperature),
                probabilities(self.task.name, logits, self.temperature))

    def predict(self, texts: list[str]) -> pd.DataFrame:
        """One row per text: the predicted ``label``, then the probability of each class; multi-label: the
        ``labels`` (a list) whose probability reaches the threshold, then each label's probability; regression:
        the ``prediction`` in the target's units."""
        if self.task.name != SINGLE_LABEL:
            return self._predict_task(texts)
        probs = self.probabilities(texts)
        labels = [self.classes[k] for k in probs.argmax(axis=1)] if len(probs) else []
        frame = pd.DataFrame({"label": pd.Series(labels, dtype=object)})
        for k, name in enumerate(self.classes):
            frame[f"probability_{name}"] = probs[:, k].astype(np.float64)
        return frame

    def _predict_task(self, texts: list[str]) -> pd.DataFrame:
        """``predict`` of a multi-label or regression model."""
        predicted, probs = self.predict_labels(texts)
        if self.task.name == REGRESSION:
            return pd.DataFrame({"prediction": pd.Series(predicted, dtype=np.float64)})
        frame = pd.DataFrame({"labels": pd.Series([json.loads(kept) for kept in predicted], dtype=object)})
        for k, name in enumerate(self.classes):
            frame[f"probability_{name}"] = probs[:, k].astype(np.float64)
        return frame

    def predict_input(self, model_input: Any) -> pd.DataFrame:
        """``predict`` on whatever a pyfunc caller passes (see ``texts_of``)."""
        return self.predict(texts_of(model_input))

    def example(self, texts: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """An input example and this model's output on it (a logged model's signature)."""
        return pd.DataFrame({TEXT_COLUMN: list(texts)}), self.predict(list(texts))


def texts_of(model_input: Any) -> list[str]:
    """The texts in whatever a pyfunc caller passes: a DataFrame (a `text` column, or its only
    column), a Series, a list of strings, or one string."""
    if isinstance(model_input, pd.DataFrame):
        if TEXT_COLUMN in model_input.columns:
            column = model_input[TEXT_COLUMN]
        elif len(model_input.columns) == 1:
            column = model_input.iloc[:, 0]
        else:
            raise UserError("model input", f"has columns {list(model_input.columns)} and none is `{TEXT_COLUMN}`",
                            f"pass a DataFrame with a `{TEXT_COLUMN}` column, or a list of strings")
        return column.astype(str).tolist()
    if isinstance(model_input, pd.Series):
        return model_input.astype(str).tolist()
    if isinstance(model_input, str):
        return [model_input]
    if isinstance(model_input, dict) and TEXT_COLUMN in model_input:
        return texts_of(pd.DataFrame({TEXT_COLUMN: list(np.atleast_1d(model_input[TEXT_COLUMN]))}))
    return [str(t) for t in model_input]
