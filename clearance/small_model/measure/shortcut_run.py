"""Step 3's shortcut probe, its files: step 1's suspects (reports/inspect/shortcuts.json) in, the model's
answers on valid with each taken out (reports/model/shortcuts.json) out.

The model is loaded (torch) only when a suspect touches a valid text: with no suspect the record is written
in a moment, without reading the splits. A model that did not train leaves a record saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from clearance.core.config.errors import ShortcutStage
from clearance.core.data.prepare import load_summary
from clearance.core.errors import UserError
from clearance.core.paths import MODEL_DIR, PREPARED_DIR, report_dir, split_file
from clearance.core.records import read_stage_json, write_json
from clearance.core.report.long_texts import cut_text
from clearance.core.task import REGRESSION, task_of
from clearance.core.text.units import unit_of
from clearance.small_model.measure.files import STEP, TRAINING_FILE
from clearance.small_model.measure.shortcut_probe import (
    PROPERTY,
    SPAN,
    TOKENS,
    Predict,
    ProbeInputs,
    predictor_answers,
    probe_all,
    regression_tolerance,
)

SUSPECTS_FILE = report_dir("inspect") / "shortcuts.json"  # step 1's suspects (stage judge_inspect writes it)
SHORTCUTS_FILE = "shortcuts.json"  # under reports/model/
REWRITE = "run `dvc repro -f judge_inspect` so step 1 writes it again"
NEEDS = {TOKENS: "tokens", SPAN: "span", PROPERTY: "property"}  # the field each kind of suspect must have
Loader = Callable[[Path], Any]  # a model folder -> something with predict(texts) -> DataFrame


def read_suspects(path: Path = SUSPECTS_FILE) -> dict[str, Any]:
    """Step 1's suspects, each checked for the field its kind needs (an unknown kind is kept: listed unprobed)."""
    doc = read_stage_json(path, "shortcut suspects")
    if not isinstance(doc, dict) or not isinstance(doc.get("suspects"), list):
        raise UserError(str(path), "expected an object with a `suspects` list", REWRITE)
    for i, suspect in enumerate(doc["suspects"]):
        where = f"{path}#suspects[{i}]"
        if not isinstance(suspect, dict):
            raise UserError(where, "expected an object (check, kind, name, ...)", REWRITE)
        need = NEEDS.get(suspect.get("kind"))
        if need and not suspect.get(need):
            raise UserError(where, f"a suspect of kind {suspect['kind']!r} without its `{need}`", REWRITE)
        if suspect.get("kind") == PROPERTY and suspect["property"] in ("words", "chars") and not \
                isinstance(suspect.get("median"), (int, float)):
            raise UserError(where, f"the length property {suspect['property']!r} without a numeric `median`", REWRITE)
    return doc


def untrained_reason(folder: Path) -> str:
    """Why there is no model to probe ('' when there is one), from training.json."""
    training = read_stage_json(folder / TRAINING_FILE, "training record")
    if (training.get("divergence") or {}).get("diverged"):
        return "the model did not train: the run diverged, no model was packaged"
    if not training.get("trained"):
        return f"the model did not train: {training.get('reason') or 'no reason recorded in training.json'}"
    return ""


def skipped_record(task: str, suspects: list[dict[str, Any]], why: str) -> dict[str, Any]:
    """The record when nothing is probed: the suspects as step 1 listed them, and why."""
    return {"task": task, "source": SUSPECTS_FILE.as_posix(), "found": len(suspects), "suspects": suspects,
            "skipped": why}


def inputs_of(cfg: ShortcutStage, prepared: Path, summary: dict[str, Any]) -> ProbeInputs:
    """Valid's texts, the task, the word unit and the probe's settings, from the prepared data (only the columns
    the probe reads: at a million rows the rest would cost seconds)."""
    task = task_of(summary).name
    tolerance = 0.0
    if task == REGRESSION:
        tolerance = regression_tolerance(pd.read_parquet(split_file("train", prepared), columns=["label"])["label"])
    valid = pd.read_parquet(split_file("valid", prepared), columns=["text"])
    return ProbeInputs(texts=valid["text"].astype(str).tolist(), task=task, unit=unit_of(summary),
                       max_texts=cfg.max_texts, seed=cfg.seed, tolerance=tolerance,
                       cut=lambda text: cut_text(text, cfg.max_report_chars))


def load_model(folder: Path) -> Any:
    """The packaged model (torch: imported only here, when a suspect touches a text)."""
    from clearance.neural.serving import TextPredictor

    return TextPredictor.load(folder)


def on_first_use(make: Callable[[], Predict]) -> Predict:
    """``predict`` that builds the model when first asked: a probe with nothing to predict never loads it."""
    held: list[Predict] = []

    def predict(texts: list[str]) -> list[Any]:
        if not held:
            held.append(make())
        return held[0](texts)
    return predict


def shortcut_record(cfg: ShortcutStage, suspects: list[dict[str, Any]], inputs: ProbeInputs,
                    model: Path = MODEL_DIR, load: Loader = load_model) -> dict[str, Any]:
    """What the probe found for each suspect (the model loaded only if a suspect touches a valid text)."""
    predict = on_first_use(lambda: predictor_answers(load(model), inputs.task))
    return {"task": inputs.task, "source": SUSPECTS_FILE.as_posix(), "found": len(suspects), "skipped": "",
            "valid_rows": len(inputs.texts), "max_texts": cfg.max_texts, "seed": cfg.seed,
            "tolerance": inputs.tolerance if inputs.task == REGRESSION else None,
            "suspects": probe_all(suspects, inputs, predict)}


def probe_shortcuts(cfg: ShortcutStage, prepared: Path = PREPARED_DIR, out: Path | None = None,
                    suspects: Path = SUSPECTS_FILE, model: Path = MODEL_DIR, load: Loader = load_model) -> Path:
    """Write reports/model/shortcuts.json for step 3's model and step 1's suspects; its path. With no suspect, or
    no trained model, the record says why and nothing else is read."""
    out = out or report_dir(STEP)
    doc, summary = read_suspects(suspects), load_summary(prepared)
    task = task_of(summary).name
    if doc.get("task") and doc["task"] != task:
        raise UserError(str(suspects), f"lists suspects for a {doc['task']} task; the prepared data is {task}",
                        "run `dvc repro` so step 1 judges the current data")
    if not doc["suspects"]:
        record = skipped_record(task, [], "step 1 found no shortcut to probe (its shortcut checks flagged nothing)")
    elif why_not := untrained_reason(out):
        record = skipped_record(task, doc["suspects"], why_not)
    else:
        record = shortcut_record(cfg, doc["suspects"], inputs_of(cfg, prepared, summary), model, load)
    return write_json(record, out / SHORTCUTS_FILE)
