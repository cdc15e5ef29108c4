"""Step 3's training stage: the real run through the one training function, resumable, and
everything the judging and the report need (training.json with its calibration, metrics, curves' data, the
valid outputs)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clearance.core import analysis
from clearance.core.config.model import ModelStage
from clearance.core.task import MULTI_LABEL, REGRESSION, SINGLE_LABEL, Task
from clearance.neural.parts.device import resolve
from clearance.neural.parts.parts import Parts
from clearance.core.paths import PREPARED_DIR, report_dir
from clearance.core.progress import note, step
from clearance.core.records import write_record
from clearance.core.report import plot_data
from clearance.core.report.csv_safe import write_csv
from clearance.core.report.long_texts import Cutter
from clearance.core.text.input_cap import MODEL_READS, chars_for_tokens
from clearance.neural.serving import TextPredictor, save_predictor, save_untrained
from clearance.core.records import METRICS_FILE, Bar, ModelBar, ModelMetrics, read_bar
from clearance.neural.training.checkpoint import Checkpoints
from clearance.neural.training.inputs import (
    ModelInputs,
    model_inputs,
    model_settings_digest,
    parts_for,
)
from clearance.neural.task_heads import DEFAULT_THRESHOLD, decode, probabilities
from clearance.neural.training.loop import train_model
from clearance.neural.training.result import TrainResult
from clearance.neural.training.settings import TrainSettings
from clearance.small_model.measure.calibration_record import calibration_record, not_applicable
from clearance.small_model.measure.files import (
    GO_FILE,
    MODEL_DIR,
    STEP,
    TRAINING_FILE,
    GoDecision,
    TrainingRecord,
)
from clearance.small_model.measure.probes.fitting import loss_peak, measure_bar, overfitting_streak
from clearance.small_model.measure.probes.guess import task_guess
from clearance.small_model.measure.valid_outputs import VALID_OUTPUTS_FILE, write_no_outputs, write_valid_outputs

MISTAKES_KEPT = 30
DIVERGED_FIX = "lower train.lr (conf/train/) and run `dvc repro` (reports/model/report.html: training_diverged)"


@dataclass
class TrainingOutcome:
    """What the training stage produced (``result`` is None when the probes stopped it)."""

    record: dict[str, Any]
    files: dict[str, Path]
    result: TrainResult | None = None
    inputs: ModelInputs | None = None
    parts: Parts | None = None

    def model_example(self, rows: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
        """A few training texts as the data holds them, and the packaged model's output on them.

        Scored by the package loaded back from disk: a model that does not load fails here,
        not when it is served.
        """
        texts = self.inputs.raw_train[:rows] if self.inputs is not None else []
        return TextPredictor.load(self.files["model"], device="cpu").example(texts)


def final_scores(history: list[dict[str, Any]]) -> dict[str, float]:
    """The last evaluation's valid scores."""
    last = history[-1] if history else {}
    return {k: v for k, v in last.items() if k.startswith("valid_") and isinstance(v, (int, float))}


def history_table(history: list[dict[str, Any]], metric: str) -> pd.DataFrame:
    """The curves' numbers, one row per evaluation (DVC plots data)."""
    columns = ["step", "train_loss", "valid_loss", f"valid_{metric}", "grad_norm", "lr"]
    return pd.DataFrame([{c: r.get(c) for c in columns} for r in history], columns=columns)


def skipped(decision: dict[str, Any], out: Path, model_dir: Path, digests: dict[str, str]) -> TrainingOutcome:
    """The record when failing probes stop the run before it wastes the training time."""
    reason = "probes failed: " + ", ".join(decision["failing"])
    bar = read_bar()
    record = TrainingRecord.not_trained(reason, decision, digests["settings_digest"], bar.metric,
                                        bar.to_dict()).to_dict()
    files = write_outputs(record, out, bar.metric)
    files["valid_outputs"] = write_no_outputs(out / VALID_OUTPUTS_FILE, reason)
    files["model"] = save_untrained(model_dir, reason)
    return TrainingOutcome(record, files)


def write_outputs(record: dict[str, Any], out: Path, metric: str) -> dict[str, Path]:
    """training.json, metrics.json and the plots' data files."""
    files = {"training": out / TRAINING_FILE, "metrics": out / METRICS_FILE, "history": out / "history.csv",
             "predictions": out / "plots" / "predictions.csv"}
    write_record(TrainingRecord, record, files["training"])
    measured = record["bar_measure"]  # None when the probes stopped the run before training
    ModelMetrics(trained=record["trained"], steps=record["steps"],
                 samples_per_second=round(record["samples_per_second"] or 0.0, 2),
                 valid={k: round(v, 4) for k, v in record["valid"].items()},
                 bar=ModelBar(**measured) if measured else None,
                 epochs_seen=record.get("epochs_seen"),
                 diverged=(record.get("divergence") or {}).get("diverged")).write(files["metrics"])
    write_csv(history_table(record["history"], metric), files["history"])
    confusion = record["predictions"]
    plot_data.predictions(np.asarray(confusion["actual"]), np.asarray(confusion["predicted"]), files["predictions"])
    return files


def train(cfg: ModelStage, on_eval: Callable[[dict[str, Any]], None] | None = None,
          prepared: Path = PREPARED_DIR, out: Path | None = None,
          checkpoints: Checkpoints | None = None, model_dir: Path = MODEL_DIR) -> TrainingOutcome:
    """Train unless go.json says the probes failed; resume from a matching checkpoint; package the model.
    The tracked and mistaken texts are recorded cut where the model stops reading (train.max_length x 64)."""
    out = out or report_dir(STEP)
    decision = GoDecision.read(out / GO_FILE).to_dict()
    digests = {"settings_digest": model_settings_digest(cfg)}
    if not decision["train"]:
        return skipped(decision, out, model_dir, digests)
    parts = parts_for(cfg, prepared)
    if parts.length_choice:
        note(parts.length_choice["why"])
    inputs = model_inputs(cfg, parts, prepared)
    digests["data_digest"] = inputs.data_digest
    checkpoints = checkpoints or Checkpoints.default()
    key = f"{digests['data_digest']}:{digests['settings_digest']}"
    resume = checkpoints.load(key)
    saver = checkpoints.saver(key, resume)
    bar = read_bar()
    device, autocast = resolve(cfg.train.device, cfg.train.precision)
    resuming = f", resuming at step {resume.step}" if resume else ""
    # Ctrl-C ends in one line naming the checkpoint the next `dvc repro` resumes from (run_main prints it).
    with step(f"Training on {len(inputs.train)} texts ({device}{resuming})"), saver.on_interrupt():
        settings = TrainSettings(track=inputs.tracked, on_eval=on_eval, on_checkpoint=saver,
                                 checkpoint_every=cfg.train.checkpoint_every, resume=resume, device=device,
                                 autocast=autocast, metric=bar.metric)
        result = train_model(cfg.train, parts, inputs.train, inputs.valid, settings)
    guess = task_guess(parts.task, parts.loss, inputs.train.labels)  # label sets, numbers: ln K means nothing
    record = cut_texts(training_record(result, inputs, bar, decision, digests, guess),
                       chars_for_tokens(cfg.train.max_length))
    record["epochs_seen"] = epochs_seen(result.steps, cfg.train.batch_size, len(inputs.train))
    record["valid_rows"] = valid_rows(result.history)
    bound = f"; train.max_steps={cfg.train.max_steps}" if cfg.train.max_steps else ""
    note(f"{record['epochs_seen']:.2f} epochs seen: {result.steps} steps x {cfg.train.batch_size} texts of "
         f"{len(inputs.train)} (train.epochs={cfg.train.epochs}{bound}); {inputs.train.tokenised()} of them tokenised")
    if record["valid_rows"] and record["valid_rows"]["during"] < record["valid_rows"]["last"]:
        note(f"evaluations during training scored {record['valid_rows']['during']} of the {len(inputs.valid)} valid "
             f"rows (train.eval_max_rows, a stratified sample); the last scored all")
    files = write_outputs(record, out, bar.metric)
    files["valid_outputs"] = valid_outputs(out / VALID_OUTPUTS_FILE, result, inputs)
    files["model"] = package(model_dir, cfg, parts, result)
    checkpoints.clear()  # a diverged run too: resuming it would diverge again
    return TrainingOutcome(record, files, result, inputs, parts)


def cut_texts(record: dict[str, Any], limit: int | None) -> dict[str, Any]:
    """``record`` with its tracked and mistaken texts longer than ``limit`` cut, and what the report says."""
    cutter = Cutter(limit, MODEL_READS)
    return {**record, "tracked": cutter.rows(record["tracked"], "text"),
            "mistakes": cutter.columns(record["mistakes"], "text"), "cut": cutter.note()}


def package(model_dir: Path, cfg: ModelStage, parts: Parts, result: TrainResult) -> Path:
    """The trained model, packaged to score texts; a diverged run's weights are NaN, so its package says why
    there is no model (loading it is a UserError naming the divergence)."""
    if result.diverged is not None:
        return save_untrained(model_dir, f"{result.diverged.message()}; {DIVERGED_FIX}")
    return save_predictor(model_dir, cfg, parts, result.model, result.threshold, result.temperature)


def valid_outputs(path: Path, result: TrainResult, inputs: ModelInputs) -> Path:
    """reports/model/valid_outputs.npz: the model's outputs on every valid row (none when the run diverged)."""
    task = inputs.task or Task(SINGLE_LABEL, tuple(inputs.classes))
    if result.diverged is not None or result.valid is None:
        why = result.diverged.message() if result.diverged is not None else "no evaluation scored valid"
        return write_no_outputs(path, why, task)
    return write_valid_outputs(path, task, inputs.valid_frame["row"].to_numpy(), result.valid.logits,
                               result.threshold, result.temperature, inputs.scale)


def epochs_seen(steps: int, batch_size: int, train_rows: int) -> float:
    """How much of the train split the run went through, in epochs: whole epochs, then the batches of the
    last one begun x batch size / train rows (train.max_steps may end a run within its first epoch)."""
    per_epoch = max(math.ceil(train_rows / batch_size), 1)  # an epoch's last batch may be short
    whole, batches = divmod(steps, per_epoch)
    return round(whole + min(batches * batch_size / max(train_rows, 1), 1.0), 4)


def valid_rows(history: list[dict[str, Any]]) -> dict[str, int] | None:
    """Valid rows the evaluations during training scored (fewest of any) and the last one scored, as the
    run's history records them (None when nothing was evaluated)."""
    scored = [record["valid_rows"] for record in history if record.get("valid_rows")]
    return {"during": min(scored), "last": scored[-1]} if scored else None


def training_record(result: TrainResult, inputs: ModelInputs, bar: Bar, decision: dict[str, Any],
                    digests: dict[str, str], guess: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the judging and the report read about the run (``guess``: ``task_guess``'s yardstick for
    divergence, {} for one class per text)."""
    task = inputs.task or Task(SINGLE_LABEL, tuple(inputs.classes))
    if task.name == SINGLE_LABEL:
        record = single_label_outcome(result, inputs)
    else:
        record = task_outcome(result, inputs, task)
    # A diverged run's last evaluation scored weights it no longer has: no valid scores to judge or compare.
    scores = final_scores(result.history) if result.diverged is None else {}
    diverged = result.diverged.to_dict() if result.diverged is not None else None
    return {
        "trained": True, "reason": "", "forced": decision.get("forced", False),
        "failing_probes": decision.get("failing", []),
        "history": result.history, "step_losses": result.step_losses,
        "steps": result.steps, "seconds": result.seconds, "train_seconds": result.train_seconds,
        "samples_per_second": result.samples_per_second, "resumed_from": result.resumed_from,
        "valid": scores, "primary_metric": bar.metric, "bar": bar.to_dict(),
        "overfitting": overfitting_streak(result.history), "bar_measure": measure_bar(scores, bar),
        "divergence": loss_peak(result.history, len(inputs.classes), diverged, **(guess or {})),
        **record, **head_record(task, result, inputs), "calibration": calibration_of(task, result, inputs),
        **digests,
    }


def calibration_of(task: Task, result: TrainResult, inputs: ModelInputs) -> dict[str, Any]:
    """The valid probabilities' calibration before and after the run's temperature (calibration_record)."""
    if task.name != REGRESSION and (result.diverged is not None or result.valid is None):
        return not_applicable("the run diverged: no valid outputs to measure" if result.diverged is not None
                              else "no evaluation scored valid")
    return calibration_record(task, result.valid.logits if result.valid is not None else np.zeros((0, 1)),
                              inputs.valid.labels, result.temperature)


def head_record(task: Task, result: TrainResult, inputs: ModelInputs) -> dict[str, Any]:
    """The task, and what turns the model's outputs into its answers: a multi-label decision threshold (chosen
    on valid), a regression target's scale (its train mean and std; None when not standardised)."""
    scale = inputs.scale.to_dict() if task.name == REGRESSION and not inputs.scale.identity else None
    return {"task": task.name, "threshold": result.threshold if task.name == MULTI_LABEL else None,
            "target_scale": scale}


def single_label_outcome(result: TrainResult, inputs: ModelInputs) -> dict[str, Any]:
    """The predictions, confusion, per-class scores and confident mistakes of a single-label run."""
    classes = inputs.classes
    names = np.asarray(classes, dtype=object)
    # No final evaluation (a run that diverged): no predictions to set against the labels.
    truth = names[inputs.valid.labels] if result.valid is not None else np.array([], dtype=object)
    predicted = names[result.valid.predicted] if result.valid is not None else np.array([], dtype=object)
    probs = result.valid.probabilities() if result.valid is not None else None
    mistakes = analysis.confident_mistakes(inputs.valid_frame, predicted, probs, classes, MISTAKES_KEPT) \
        if len(predicted) else pd.DataFrame()
    return {
        "tracked": [{"text": t, "label": classes[int(y)]} for t, y in zip(inputs.tracked.texts, inputs.tracked.labels)],
        "confusion": {"classes": classes,
                      "matrix": analysis.confusion(truth, predicted, classes).to_numpy().tolist()
                      if len(predicted) else []},
        "per_class": analysis.per_class_report(truth, predicted, classes) if len(predicted) else [],
        "mistakes": mistakes, "predictions": {"actual": truth.tolist(), "predicted": predicted.tolist()},
    }


def task_outcome(result: TrainResult, inputs: ModelInputs, task: Task) -> dict[str, Any]:
    """A multi-label or regression run's predictions on valid (kept label sets; targets in their units), its
    worst mistakes and the tracked texts' labels; no confusion matrix (it is a single-label view)."""
    frame = inputs.valid_frame
    tracked = [{"text": t, "label": label} for t, label in zip(inputs.tracked.texts, tracked_labels(inputs))]
    if result.valid is None:
        return {"tracked": tracked, "confusion": {}, "per_class": [], "mistakes": pd.DataFrame(),
                "predictions": {"actual": [], "predicted": []}}
    # label sets: decided on the calibrated probabilities the threshold was chosen on, as the package decides
    temperature = result.temperature or 1.0
    predicted = decode(task, result.valid.logits, result.threshold or DEFAULT_THRESHOLD, inputs.scale, temperature)
    truth = frame["label"].tolist()
    probs = probabilities(task.name, result.valid.logits, temperature)
    return {"tracked": tracked, "confusion": {}, "per_class": [],
            "mistakes": task_mistakes(task, frame, predicted, probs, result.threshold),
            "predictions": {"actual": truth, "predicted": predicted}}


def tracked_labels(inputs: ModelInputs) -> list[Any]:
    """The tracked valid texts' labels as the prepared data holds them."""
    labels = inputs.valid_frame["label"].tolist()
    return [labels[i] for i in inputs.tracked_rows]


def task_mistakes(task: Task, frame: pd.DataFrame, predicted: list, probs: np.ndarray | None,
                  threshold: float | None) -> pd.DataFrame:
    """The worst valid predictions: a regression's largest errors (in the target's units); a multi-label run's
    wrong label sets, the surest first (how sure: its least sure label decision)."""
    out = frame[["row", "label", "text"]].copy()
    out["predicted"] = predicted
    if task.name == REGRESSION:
        out["error"] = (out["predicted"].astype(float) - out["label"].astype(float)).round(4)
        out["predicted"] = out["predicted"].astype(float).round(4)
        worst = out.reindex(out["error"].abs().sort_values(ascending=False, kind="stable").index)
        return worst.head(MISTAKES_KEPT).reset_index(drop=True)[["row", "label", "predicted", "error", "text"]]
    cut = threshold if threshold is not None else DEFAULT_THRESHOLD
    out["confidence"] = np.where(probs >= cut, probs, 1 - probs).min(axis=1).round(4) if probs is not None \
        and probs.shape[1] else np.nan
    wrong = out[out["label"] != out["predicted"]].sort_values("confidence", ascending=False, kind="stable")
    return wrong.head(MISTAKES_KEPT).reset_index(drop=True)[["row", "label", "predicted", "confidence", "text"]]
