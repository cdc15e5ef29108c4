"""Step 3's probe stage: every probe before the real training, measured into probes.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clearance.core.config.model import ModelStage
from clearance.neural.parts.device import resolve
from clearance.core.paths import PREPARED_DIR, report_dir
from clearance.core.progress import step
from clearance.core.task import SINGLE_LABEL
from clearance.core.report.long_texts import Cutter
from clearance.core.text.input_cap import MODEL_READS, chars_for_tokens
from clearance.neural.training.inputs import model_inputs, model_settings_digest, parts_for
from clearance.small_model.measure.files import PROBES_FILE, STEP, write_probes
from clearance.small_model.measure.probes.suite import declared_probes, run_probes


def probe(cfg: ModelStage, prepared: Path = PREPARED_DIR, out: Path | None = None) -> dict[str, Any]:
    """Build the parts, run every probe, write probes.json; returns what it wrote (the decoded samples' texts
    cut where the model stops reading: a report setting of step 1 must not re-run step 3)."""
    out = out or report_dir(STEP)
    digest = model_settings_digest(cfg)  # of the settings as written (train.max_length: auto, not its value)
    with step("Building the model, tokenizer, optimizer and loss"):
        parts = parts_for(cfg, prepared)  # the task's outputs, loss and label tensors (summary.json's task)
    with step("Preprocessing train and valid (rows are tokenised as the probes use them)"):
        inputs = model_inputs(cfg, parts, prepared)
    device, autocast = resolve(cfg.train.device, cfg.train.precision)
    with step(f"Probes for silent bugs (overfit {cfg.probes.overfit_samples} samples, on {device})"):
        measured = run_probes(parts, cfg.train, cfg.probes, inputs.raw_train, inputs.train, inputs.valid,
                              device, autocast, cfg.seed, stop_below=cfg.probes.overfit_stop_loss)
    measured = cut_samples(measured, chars_for_tokens(cfg.train.max_length))
    measured.update({"classes": inputs.classes, "data_digest": inputs.data_digest,
                     "settings_digest": digest, "parts": parts.names,
                     "max_length": parts.length_choice or {"setting": "number", "value": cfg.train.max_length}})
    write_measured(measured, out / PROBES_FILE)
    return measured


def write_measured(measured: dict[str, Any], path: Path) -> Path:
    """probes.json, refused (naming the key) when a measurement of a probe declared for its task (``task``,
    single-label when absent) is missing from ``measured``."""
    task = measured.get("task", SINGLE_LABEL)
    return write_probes(measured, path, [p.key for p in declared_probes(task)])


def cut_samples(measured: dict[str, Any], limit: int | None) -> dict[str, Any]:
    """``measured`` with the decoded samples' texts longer than ``limit`` cut, and what the report says."""
    cutter = Cutter(limit, MODEL_READS)
    samples = measured["decoded_samples"]  # {"error": ...} when the probe failed
    cut = cutter.rows(samples, "raw", "preprocessed") if isinstance(samples, list) else samples
    return {**measured, "decoded_samples": cut, "cut": cutter.note()}
