"""A trained model packaged to score raw texts: the parts' settings, the weights and the classes.

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
from clearance.neural.parts.parts import Parts, build_parts, forward
from clearance.neural.training.batches import by_length, collate, encode

SETTINGS_FILE = "settings.json"
WEIGHTS_FILE = "weights.pt"
# A tokenizer learned from the data (tokenizer=trained) is saved here, inside the package: re-learning it
# where the model is loaded would need the training data, and other data would give other token ids.
TOKENIZER_DIR = "tokenizer"
PACKAGED_TOKENIZER = "clearance.neural.parts.trained.packaged_tokenizer"
TEXT_COLUMN = "text"
BATCH_SIZE = 64


def save_predictor(folder: Path, cfg: ModelStage, parts: Parts, model: torch.nn.Module) -> Path:
    """Write the settings (every part's `_target_` and keys, the classes) and the trained weights."""
    from omegaconf import OmegaConf

    from clearance.neural.parts.trained import saves_in_package

    folder.mkdir(parents=True, exist_ok=True)
    settings = {"trained": True, "config": OmegaConf.to_container(OmegaConf.structured(cfg), resolve=True),
                "classes": list(parts.classes)}
    shutil.rmtree(folder / TOKENIZER_DIR, ignore_errors=True)  # never a stale one from an earlier run
    if saves_in_package(parts.tokenizer):
        parts.tokenizer.save_pretrained(str(folder / TOKENIZER_DIR))
        settings["tokenizer_dir"] = TOKENIZER_DIR
    (folder / SETTINGS_FILE).write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    state = {k: v.detach().to("cpu") for k, v in model.state_dict().items()}
    torch.save(state, folder / WEIGHTS_FILE)  # a state dict: loading it never unpickles code
    return folder


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
    """Scores raw texts with a packaged model: preprocess, tokenise, forward, softmax."""

    def __init__(self, cfg: ModelStage, parts: Parts, model: torch.nn.Module, device: torch.device) -> None:
        self.cfg, self.parts, self.model, self.device = cfg, parts, model.eval().to(device), device

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
        parts = build_parts(with_packaged_tokenizer(cfg, folder, settings), settings["classes"])
        model = parts.build_model()
        model.load_state_dict(torch.load(folder / WEIGHTS_FILE, map_location="cpu", weights_only=True))
        return cls(cfg, parts, model, resolve_device(device))

    @property
    def classes(self) -> list[str]:
        return list(self.parts.classes)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """[N, K] class probabilities of raw texts (preprocessed as in training)."""
        cleaned = self.parts.preprocess(pd.Series(list(texts), dtype=object)).astype(str).tolist()
        encoded = encode(self.parts.tokenizer, cleaned, np.zeros(len(cleaned), dtype=np.int64),
                         self.cfg.train.max_length)
        order = by_length(encoded)
        pad = int(self.parts.tokenizer.pad_token_id)
        out = np.zeros((len(cleaned), len(self.classes)), dtype=np.float32)
        with torch.no_grad():
            for start in range(0, len(order), BATCH_SIZE):
                rows = order[start: start + BATCH_SIZE]
                batch = collate(encoded, rows, pad).to(self.device)
                logits = forward(self.model, batch.input_ids, batch.attention_mask).float()
                out[rows] = torch.softmax(logits, dim=-1).cpu().numpy()
        return out

    def predict(self, texts: list[str]) -> pd.DataFrame:
        """One row per text: the predicted ``label``, then the probability of each class."""
        probs = self.probabilities(texts)
        labels = [self.classes[k] for k in probs.argmax(axis=1)] if len(probs) else []
        frame = pd.DataFrame({"label": pd.Series(labels, dtype=object)})
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
