"""Step 3's judging: its declared checks graded from probes.json and training.json, and its report.

Reads what the model stages measured and nothing else, so a threshold change re-grades in seconds
without training again. Imports no torch (the CLI reads ``CHECKS`` from here).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from clearance.checklist.required import FILE as QUESTIONS_FILE
from clearance.checklist.judging import Measured, StepJudging, judge_step, thresholds_only
from clearance.checklist.results import CheckResult, Judgement
from clearance.core.errors import UserError
from clearance.core.paths import report_dir
from clearance.core.records import read_dict
from clearance.core.task import REGRESSION, SINGLE_LABEL
from clearance.small_model.judge.checks import AFTER_TRAINING, CHECKS, ModelChecks, read_probes, task_of_probes
from clearance.small_model.judge.task_views import PRIOR_ROW, TASK_SCORES, task_view
from clearance.small_model.measure.files import PROBES_FILE, STEP, TRAINING_FILE, TrainingRecord

PLOTS_DIR = "plots"
ERRORS_FILE = "errors.json"  # clearance.reading.step writes it
SHORTCUTS_FILE = "shortcuts.json"  # the shortcut probe writes it (clearance.small_model.measure.shortcut_run)
FORCE = "train.run_despite_probes=true"
SCORES = ("accuracy", "macro_f1", "weighted_f1", "log_loss")
# The checks of the real run: they say nothing about whether the probes stopped it.
AFTER_TRAINING_CHECKS = frozenset(d.id for d in CHECKS if d.reads in AFTER_TRAINING)

ModelJudge = thresholds_only("ModelJudge", ModelChecks, "model")  # what judging step 3 reads


def read_runs(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """probes.json and training.json, as the model stages wrote them."""
    return read_probes(folder / PROBES_FILE), read_dict(TrainingRecord, folder / TRAINING_FILE)


def not_trained_reason(training: dict[str, Any]) -> str:
    """Why the real training did not run, in words for a check message."""
    reason = training.get("reason") or "no reason recorded in training.json"
    return f"the real training did not run: {reason}"


def measurements(probes: dict[str, Any], training: dict[str, Any]) -> dict[str, Any]:
    """What the checks grade: the probes' entries, and the real run's when it trained.

    Untrained, the post-training checks get ``{"skipped": why}`` so they warn with the reason
    instead of passing or vanishing; diverged, the bar does (there is no valid score to set against it).
    """
    measured = {key: value for key, value in probes.items() if key not in AFTER_TRAINING}
    task = task_of_probes(probes)
    if training.get("trained"):
        measured["divergence"] = training.get("divergence")
        measured["overfitting"] = training.get("overfitting")
        measured["bar"] = training.get("bar_measure")
        measured["calibration"] = training.get("calibration")
        if task != SINGLE_LABEL and measured["bar"]:  # the bar's words for the task's prior guess
            measured["bar"] = {**measured["bar"], "task": task}
        if diverged := diverged_of(training):
            measured["bar"] = {"skipped": f"no valid score: {diverged['message']}"}
    else:
        skipped = {"skipped": not_trained_reason(training)}
        measured.update({key: skipped for key in AFTER_TRAINING})
    return {k: v for k, v in measured.items() if v is not None}


def diverged_of(training: dict[str, Any]) -> dict[str, Any] | None:
    """The run's divergence (step, loss, lr, message) when its loss or logits turned NaN or infinite."""
    return (training.get("divergence") or {}).get("diverged") or None


def data_digest(probes: dict[str, Any], training: dict[str, Any], folder: Path) -> str:
    """The data digest both runs were measured on; two different ones mean stale files."""
    digest = probes.get("data_digest")
    if not digest:
        raise UserError(str(folder / PROBES_FILE), "no data_digest field",
                        "run the model stage again (`dvc repro -f probe_model`) so it rewrites this file")
    other = training.get("data_digest")
    if other and other != digest:
        raise UserError(str(folder / TRAINING_FILE), "measured on other data than probes.json (data_digest differs)",
                        "run `dvc repro` so both model stages measure the current data")
    return digest


# -- the report's sections ----------------------------------------------------------------------------------------

def failing_probes(checks: list[CheckResult]) -> list[str]:
    """The ids of the failing checks of the probes that run before the real training."""
    return [c.id for c in checks if c.status == "fail" and c.id not in AFTER_TRAINING_CHECKS]


def skipped_box(training: dict[str, Any], checks: list[CheckResult]) -> dict[str, Any] | None:
    """What the report says when the real training did not run: why, and the failing probes."""
    if training.get("trained"):
        return None
    return {"reason": training.get("reason") or "", "failing": failing_probes(checks)}


def bar_view(training: dict[str, Any], task: str = SINGLE_LABEL) -> dict[str, Any]:
    """The model beside the best baseline and the prior guess, on the primary metric (and the task's scores)."""
    from clearance.core.evaluation import HIGHER_IS_BETTER, gain

    measured = training.get("bar_measure") or {}
    bar = training.get("bar") or {}
    metric = measured.get("metric") or bar.get("metric") or training["primary_metric"]
    model = measured.get("model")
    rows = [("the model", model),
            (f"best baseline ({measured.get('best_baseline') or bar.get('best_baseline') or 'none ran'})",
             measured.get("baseline", bar.get("valid"))),
            (PRIOR_ROW.get(task, PRIOR_ROW[SINGLE_LABEL]), measured.get("prior", bar.get("prior_expected")))]
    known = metric in HIGHER_IS_BETTER
    table = [{"name": name, "value": value,
              "gain": None if i == 0 or model is None or value is None or not known else gain(model, value, metric)}
             for i, (name, value) in enumerate(rows)]
    valid = training.get("valid") or {}
    scores = TASK_SCORES.get(task, SCORES)
    return {"metric": metric, "rows": table, "scores": {m: valid.get(f"valid_{m}") for m in scores}}


def overfit_view(probes: dict[str, Any], limit: float) -> dict[str, Any]:
    """The overfit probe's numbers, or why there are none."""
    measured = probes.get("overfit") or {}
    note = measured.get("error") or measured.get("skipped") or ("" if "losses" in measured else "not measured")
    losses = measured.get("losses") or []
    return {"limit": limit, "note": note, "samples": measured.get("samples"), "steps": measured.get("steps"),
            "max_steps": measured.get("max_steps"), "first": losses[0] if losses else None,
            "final": measured.get("final_loss")}


def predictions_view(training: dict[str, Any], task: str = SINGLE_LABEL) -> dict[str, Any]:
    """Rows: each tracked valid text; columns: each evaluation; cells: its prediction then (a number is not
    right or wrong: regression's cells are not coloured)."""
    tracked = training.get("tracked") or []
    evaluations = [h for h in training.get("history") or [] if h.get("predictions")]
    rows = []
    for i, item in enumerate(tracked):
        cells = []
        for h in evaluations:
            guess = h["predictions"][i] if i < len(h["predictions"]) else None
            correct = None if task == REGRESSION else str(guess.get("predicted")) == str(item.get("label")) \
                if guess is not None else None
            cells.append(None if guess is None else {**guess, "correct": correct})
        rows.append({"text": item.get("text", ""), "label": item.get("label", ""), "cells": cells})
    return {"steps": [h["step"] for h in evaluations], "rows": rows}


def samples_view(probes: dict[str, Any]) -> dict[str, Any]:
    """The decoded tokenizer samples, or why there are none; and how many train rows the input probes measured."""
    samples = probes.get("decoded_samples")
    rows = probes.get("input_rows") or {}
    sampled = rows if rows.get("measured", 0) < rows.get("train", 0) else None
    # texts too long to count in full: the truncation probe counted their tokens in their first characters
    in_part = (probes.get("truncation") or {}).get("counted_in_part") or {}
    in_part = in_part if in_part.get("texts") else None
    if isinstance(samples, dict):
        return {"rows": [], "note": samples.get("error") or samples.get("skipped") or "not measured",
                "sampled": sampled, "in_part": in_part}
    return {"rows": samples or [], "note": "" if samples else "no samples recorded", "sampled": sampled,
            "in_part": in_part}


def timing_view(probes: dict[str, Any], training: dict[str, Any]) -> dict[str, Any]:
    """Seconds per probe, and the real run's time and throughput."""
    seconds = dict(probes.get("seconds") or {})
    total = seconds.pop("total", None)
    return {"probes": sorted(seconds.items(), key=lambda kv: -float(kv[1] or 0)), "probes_total": total,
            "trained": bool(training.get("trained")),
            **{key: training.get(key)
               for key in ("steps", "seconds", "train_seconds", "samples_per_second", "epochs_seen", "valid_rows")},
            "resumed_from": training.get("resumed_from") or 0}


def cut_view(probes: dict[str, Any], training: dict[str, Any]) -> dict[str, Any] | None:
    """The texts cut in the decoded samples, the tracked predictions and the mistakes, as one note."""
    notes = [n for n in (probes.get("cut"), training.get("cut")) if n]
    return {**notes[0], "texts": sum(n["texts"] for n in notes)} if notes else None


def report_context(probes: dict[str, Any], training: dict[str, Any], checks: list[CheckResult],
                   thresholds: Any, figures: dict[str, Path]) -> dict[str, Any]:
    """Everything report.html.j2 shows, each part with defaults so a partial run still renders."""
    from clearance.core.report.html import embed_png

    outputs = probes.get("outputs") or {}
    return {
        "title": "clearance · step 3 · a small model", "checks": [asdict(c) for c in checks],
        "counts": {s: sum(c.status == s for c in checks) for s in ("pass", "warn", "fail")},
        "model_name": outputs.get("model") or "", "classes": probes.get("classes") or [],
        "trained": bool(training.get("trained")), "skipped": skipped_box(training, checks), "force": FORCE,
        "diverged": diverged_of(training),
        "despite": failing_probes(checks) if training.get("trained") else [],
        "bar": bar_view(training, task_of_probes(probes)),
        "overfit": overfit_view(probes, thresholds.overfit_loss_max),
        "task": task_view(probes, training, thresholds),
        "predictions": predictions_view(training, task_of_probes(probes)), "samples": samples_view(probes),
        "per_class": training.get("per_class") or [], "mistakes": training.get("mistakes") or [],
        "timing": timing_view(probes, training), "cut": cut_view(probes, training),
        "calibration": training.get("calibration") or {},
        "figures": {name: embed_png(path) for name, path in figures.items()},
    }


def read_errors(folder: Path) -> dict[str, Any] | None:
    """What reading the model's errors found (errors.json; None when the stage has not written it)."""
    from clearance.core.records import read_stage_json

    path = folder / ERRORS_FILE
    return read_stage_json(path, "errors record") if path.exists() else None


def with_errors(measured: dict[str, Any], errors: dict[str, Any] | None) -> dict[str, Any]:
    """The measurements with the errors record (weak_slices reads it) and its paired comparison beside the bar
    (beats_best_baseline judges the interval)."""
    if errors is None:
        return measured
    out = {**measured, "errors": measured.get("errors", errors)}
    paired = errors.get("versus_baseline") or {}
    if isinstance(out.get("bar"), dict) and "skipped" not in out["bar"] and "gain" in paired:
        out["bar"] = {**out["bar"], "paired": {k: v for k, v in paired.items() if k != "listed"}}
    return out


def read_shortcuts(folder: Path) -> dict[str, Any]:
    """What the shortcut probe found (shortcuts.json). The pipeline always writes it before judging; a folder
    judged without it (a run from before the probe existed) has no suspect to grade, and the record says so."""
    from clearance.core.records import read_stage_json

    path = folder / SHORTCUTS_FILE
    if not path.exists():
        return {"found": 0, "suspects": [], "skipped": f"no shortcut probe record ({path}: stage probe_shortcuts "
                                                         "writes it)"}
    record = read_stage_json(path, "shortcut probe record")
    if not isinstance(record, dict) or not isinstance(record.get("suspects"), list):
        raise UserError(str(path), "expected an object with a `suspects` list",
                        "run `dvc repro -f probe_shortcuts` so it rewrites this file")
    return record


def read(folder: Path, thresholds: Any) -> Measured:
    """probes.json and training.json, as the model stages wrote them, measured on the same data; errors.json and
    shortcuts.json."""
    probes, training = read_runs(folder)
    errors, shortcuts = read_errors(folder), read_shortcuts(folder)
    graded = measurements(probes, training)
    if "errors" not in graded and errors is not None:  # untrained: measurements() already says why
        graded = with_errors(graded, errors)
    graded.setdefault("shortcuts", shortcuts)  # untrained: measurements() already says why
    return Measured(graded=graded, data_digest=data_digest(probes, training, folder),
                    settings=[probes.get("settings_digest"), training.get("settings_digest")],
                    kept={"probes": probes, "training": training, "errors": errors or {}, "shortcuts": shortcuts},
                    task=task_of_probes(probes))


def context(measured: Measured, checks: list[CheckResult], thresholds: Any, folder: Path) -> dict[str, Any]:
    """What step 3's report shows, with its figures drawn first (they show the thresholds' overfit limit)."""
    from clearance.small_model.judge import plots as model_plots

    probes, training = measured.kept["probes"], measured.kept["training"]
    figures = model_plots.draw_all(training, probes.get("overfit"), thresholds.overfit_loss_max, folder / PLOTS_DIR)
    from clearance.small_model.judge.reading_view import reading_view, shortcuts_view

    shortcuts = shortcuts_view(measured.kept.get("shortcuts"), thresholds)
    return {**report_context(probes, training, checks, thresholds, figures),
            "reading": {**reading_view(measured.kept.get("errors") or {}, thresholds.weak_slice_min_size),
                        "shortcuts": shortcuts}}


JUDGING = StepJudging(step=STEP, checks=CHECKS, template=Path(__file__).with_name("report.html.j2"),
                      questions=Path(__file__).with_name(QUESTIONS_FILE), read=read, context=context)


def judge_model(thresholds: Any, folder: Path | None = None) -> Judgement:
    """Grade step 3's measurements against ``checks.model``; write checks, report and manifest."""
    return judge_step(JUDGING, thresholds, folder or report_dir(STEP))
