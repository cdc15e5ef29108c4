"""Fitting: overfit 16 samples with regularization off, spot overfitting and divergence on the real run, face
the bar."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from clearance.core.records import Bar, ModelBar
from clearance.core.task import MULTI_LABEL, REGRESSION, SINGLE_LABEL, Task
from clearance.neural.training.batches import Encoded
from clearance.small_model.measure.probes.common import finite
from clearance.small_model.measure.probes.declared import ModelRun, probe, task_of_parts
from clearance.small_model.measure.probes.guess import task_guess


class _Reached(Exception):
    """Raised from the evaluation callback to end the overfit run once the loss is low enough."""


def overfit_rows(labels: np.ndarray, n: int, seed: int, task: str = SINGLE_LABEL) -> list[int]:
    """``n`` training rows, seeded, taking the classes (multi-label: the label sets) in turn so each is present;
    regression: rows spread evenly over the sorted targets, so the run must reproduce the whole range."""
    rng = np.random.default_rng(seed)
    if task == REGRESSION:
        order = np.argsort(np.asarray(labels, dtype=np.float64), kind="stable")
        return sorted(order[np.unique(np.linspace(0, len(order) - 1, min(n, len(order))).round().astype(int))].tolist())
    if task == MULTI_LABEL:
        _, groups = np.unique(np.asarray(labels), axis=0, return_inverse=True)
        labels = groups.reshape(-1)
    by_class = [rng.permutation(np.flatnonzero(labels == c)).tolist() for c in np.unique(labels)]
    picked: list[int] = []
    while len(picked) < min(n, len(labels)):
        for rows in by_class:
            if rows and len(picked) < n:
                picked.append(rows.pop())
    return picked


def measure_overfit(train_cfg: Any, parts: Any, train: Encoded, n: int, max_steps: int,
                    device: torch.device, autocast: Callable, seed: int = 0,
                    stop_below: float | None = None) -> dict:
    """Train a fresh model on ``n`` samples with dropout 0 and weight decay 0 through the real training function.

    All ``n`` samples form one batch, for up to ``max_steps`` steps; with ``stop_below`` the
    run ends at the first step whose loss is below it. Returns the loss curve and steps taken.
    """
    from clearance.neural.training.loop import train_model

    task = task_of_parts(parts)
    subset = train.subset(overfit_rows(train.labels, n, seed, task.name))
    terms = loss_terms(task, parts.loss, subset.labels)
    stop_below = stop_loss(task, stop_below, terms, len(subset))
    # At a constant rate: the probe asks whether the model can fit, and a warm-up or a decay to 0 over its few
    # steps would spend some of them at a rate near 0 (train.schedule is the real run's).
    cfg = replace(train_cfg, batch_size=len(subset), epochs=max_steps, dropout=0.0, weight_decay=0.0,
                  schedule="constant", warmup_ratio=0.0)
    losses: list[float] = []

    def watch(record: dict) -> None:
        losses.append(float(record["train_loss"]))
        if stop_below is not None and losses[-1] < stop_below:
            raise _Reached

    started = time.perf_counter()
    model = parts.build_model(dropout=0.0)  # trained in place: read again after the run, however it ends
    diverged = None
    try:
        result = train_model(cfg, parts, subset, None, model=model, max_steps=max_steps,
                             weight_decay=0.0, eval_every=1 if stop_below is not None else max_steps,
                             on_eval=watch if stop_below is not None else None, device=device, autocast=autocast,
                             progress=False)
        losses, diverged = result.step_losses, result.diverged
    except _Reached:
        pass
    kinds = {"classes": len(np.unique(subset.labels))} if task.name == SINGLE_LABEL else \
        {"label_sets": len(np.unique(subset.labels, axis=0))} if task.name == MULTI_LABEL else {}
    pad_id = int(parts.tokenizer.pad_token_id)
    found = memorized(model, subset, pad_id, device) if task.name == SINGLE_LABEL else \
        memorized_task(model, subset, pad_id, device, task, train.labels)
    return {"samples": len(subset), **kinds, "max_steps": max_steps,
            "diverged": diverged.message() if diverged is not None else None,
            "steps": len(losses), "losses": losses, "final_loss": losses[-1] if losses else None,
            "min_loss": min(losses) if losses else None, "stop_below": stop_below, "loss_terms": terms,
            **found, "seconds": time.perf_counter() - started}


def stop_loss(task: Task, stop_below: float | None, terms: float, rows: int) -> float | None:
    """The loss the overfit run stops below, from probes.overfit_stop_loss: that setting per label (label sets:
    times the labels' terms the loss adds up); for numbers, per sample: a mean squared error below setting / rows
    leaves no sample's squared error above the setting, so a run that stops has reproduced every target (what
    overfit_targets asks), not most of them with one far off."""
    if stop_below is None:
        return None
    return stop_below / max(rows, 1) if task.name == REGRESSION else stop_below * terms


def loss_terms(task: Task, loss_fn: Callable, labels: np.ndarray) -> float:
    """How many per-label terms the loss adds up for a text: 1 but for label sets, where a loss that sums each
    label's binary cross-entropy (LabelSetBCE) counts K of them and a mean over labels one. Read off the loss of
    zero logits (ln 2 per term), so the overfit threshold means the same per label whatever the reduction."""
    if task.name != MULTI_LABEL:
        return 1.0
    reference = task_guess(task, loss_fn, labels).get("reference")
    return max(1.0, round(reference / math.log(2))) if reference else 1.0


def overfit_outputs(model: torch.nn.Module, subset: Encoded, pad_id: int, device: torch.device) -> np.ndarray:
    """The overfit model's outputs on the samples it learned (eval mode), as numpy."""
    from clearance.neural.training.batches import collate
    from clearance.small_model.measure.probes.common import evaluating, logits

    batch = collate(subset, range(len(subset)), pad_id).to(device)
    with evaluating(model):
        return logits(model, batch).cpu().numpy()


def memorized_task(model: torch.nn.Module, subset: Encoded, pad_id: int, device: torch.device, task: Task,
                   train_labels: np.ndarray) -> dict:
    """Multi-label: the label sets the overfit model gives its samples (each label on where its sigmoid is above
    one half: on learned samples the probabilities sit near 0 or 1, so no threshold needs choosing), and how many
    equal their own sets exactly. Regression: each sample's error, in the units the loss sees, and the train
    target's standard deviation there (the checks hold the errors to a share of it)."""
    out = overfit_outputs(model, subset, pad_id, device)
    labels = np.asarray(subset.labels)
    if task.name == REGRESSION:
        errors = np.abs(out.reshape(len(labels), -1)[:, 0] - labels) if out.size else np.full(len(labels), np.nan)
        return {"errors": [finite(float(e)) for e in errors], "targets": labels.astype(float).tolist(),
                "target_std": float(np.std(np.asarray(train_labels, dtype=np.float64)))}
    predicted = (out > 0).astype(np.int8)  # sigmoid(logit) > 1/2
    wanted = labels.round().astype(np.int8)
    same = (predicted == wanted).all(axis=1)
    names = list(task.classes)
    wrong = [{"labels": [names[k] for k in np.flatnonzero(wanted[i])],
              "predicted": [names[k] for k in np.flatnonzero(predicted[i])]} for i in np.flatnonzero(~same)[:5]]
    return {"sets_reproduced": float(same.mean()) if len(same) else None, "wrong": wrong}


def memorized(model: torch.nn.Module, subset: Encoded, pad_id: int, device: torch.device) -> dict:
    """The overfit model's predictions on the samples it learned, against their labels: a loss near 0 proves
    the mapping only when the predicted classes are the labels (a loss that reads shifted labels does not)."""
    predicted = overfit_outputs(model, subset, pad_id, device).argmax(axis=1)
    labels = np.asarray(subset.labels)
    wrong = np.flatnonzero(predicted != labels)
    return {"accuracy": float((predicted == labels).mean()) if len(labels) else None,
            "wrong": [{"label": int(labels[i]), "predicted": int(predicted[i])} for i in wrong[:5]]}


def overfitting_streak(history: list[dict]) -> dict:
    """The longest run of evaluations where train loss fell while valid loss rose, and the best step.

    ``history``: one dict per evaluation with ``step``, ``train_loss`` and ``valid_loss``.
    """
    scored = [h for h in history if h.get("valid_loss") is not None and h.get("train_loss") is not None]
    longest, current, ends_at = 0, 0, None
    for before, after in zip(scored, scored[1:]):
        diverging = after["train_loss"] < before["train_loss"] and after["valid_loss"] > before["valid_loss"]
        current = current + 1 if diverging else 0
        if current > longest:
            longest, ends_at = current, after["step"]
    best = min(scored, key=lambda h: h["valid_loss"]) if scored else None
    return {"evaluations": len(scored), "longest_streak": longest, "streak_ends_at": ends_at,
            "best_step": best["step"] if best else None, "best_valid_loss": best["valid_loss"] if best else None,
            "last_step": scored[-1]["step"] if scored else None,
            "last_valid_loss": scored[-1]["valid_loss"] if scored else None}


def loss_peak(history: list[dict], classes: int, diverged: dict | None = None, reference: float | None = None,
              guess: str | None = None) -> dict:
    """What training_diverged grades: the run's divergence (a NaN or infinite loss, which stopped it), and the
    highest training loss between two evaluations beside ln K (a run can diverge without a NaN).

    ``history``: one dict per evaluation with ``step``, ``train_loss`` and ``lr``; ``diverged``: the
    divergence as ``Divergence.to_dict`` writes it, or None. Multi-label and regression: ``reference``, what a
    guess costs in the loss's own units, and ``guess``, that guess in words (``guess.task_guess``), replace ln K.
    """
    finite = [h for h in history if isinstance(h.get("train_loss"), (int, float)) and math.isfinite(h["train_loss"])]
    peak = max(finite, key=lambda h: h["train_loss"]) if finite else None
    ln_k = math.log(classes) if classes > 1 else None
    lr = diverged["lr"] if diverged else (history[-1].get("lr") if history else None)
    measured = {"diverged": diverged, "ln_k": ln_k, "lr": lr,
                "peak_loss": peak["train_loss"] if peak else None, "peak_step": peak["step"] if peak else None,
                "ratio": peak["train_loss"] / ln_k if peak and ln_k else None}
    if guess is not None:  # the task's own yardstick (ln K means nothing for label sets or numbers)
        measured.update(reference=reference, guess=guess,
                        ratio=peak["train_loss"] / reference if peak and reference else None)
    return measured


def measure_bar(scores: dict[str, Any], bar: Bar) -> dict:
    """The model's valid score on the bar's primary metric beside the best baseline's and the prior guess's
    (a ModelBar's fields: the checks grade it as a plain dict, as they grade every measurement).

    ``scores``: the model's metrics (``valid_<metric>`` keys, e.g. its last evaluation);
    ``bar``: step 2's bar (reports/baselines/metrics.json#bar).
    """
    return ModelBar(metric=bar.metric, model=scores.get(f"valid_{bar.metric}"), best_baseline=bar.best_baseline,
                    baseline=bar.valid, prior=bar.prior_expected).to_dict()


# -- the probes this family declares (their keys are probes.json's) ------------------------------------------

@probe("overfit", needs_logits=True)
def overfit_probe(run: ModelRun) -> dict:
    """probes.overfit_samples training rows, overfit with regularization off."""
    return measure_overfit(run.train_cfg, run.parts, run.train, run.probes_cfg.overfit_samples,
                           run.probes_cfg.overfit_max_steps, run.device, run.autocast, run.seed, run.stop_below)
