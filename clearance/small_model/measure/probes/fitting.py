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
from clearance.neural.training.batches import Encoded
from clearance.small_model.measure.probes.declared import ModelRun, probe


class _Reached(Exception):
    """Raised from the evaluation callback to end the overfit run once the loss is low enough."""


def overfit_rows(labels: np.ndarray, n: int, seed: int) -> list[int]:
    """``n`` training rows, seeded, taking the classes in turn so each is present."""
    rng = np.random.default_rng(seed)
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

    subset = train.subset(overfit_rows(train.labels, n, seed))
    cfg = replace(train_cfg, batch_size=len(subset), epochs=max_steps, dropout=0.0, weight_decay=0.0)
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
    return {"samples": len(subset), "classes": len(np.unique(subset.labels)), "max_steps": max_steps,
            "diverged": diverged.message() if diverged is not None else None,
            "steps": len(losses), "losses": losses, "final_loss": losses[-1] if losses else None,
            "min_loss": min(losses) if losses else None, "stop_below": stop_below,
            **memorized(model, subset, int(parts.tokenizer.pad_token_id), device),
            "seconds": time.perf_counter() - started}


def memorized(model: torch.nn.Module, subset: Encoded, pad_id: int, device: torch.device) -> dict:
    """The overfit model's predictions on the samples it learned, against their labels: a loss near 0 proves
    the mapping only when the predicted classes are the labels (a loss that reads shifted labels does not)."""
    from clearance.neural.training.batches import collate
    from clearance.small_model.measure.probes.common import evaluating, logits

    batch = collate(subset, range(len(subset)), pad_id).to(device)
    with evaluating(model):
        predicted = logits(model, batch).argmax(dim=1).cpu().numpy()
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


def loss_peak(history: list[dict], classes: int, diverged: dict | None = None) -> dict:
    """What training_diverged grades: the run's divergence (a NaN or infinite loss, which stopped it), and the
    highest training loss between two evaluations beside ln K (a run can diverge without a NaN).

    ``history``: one dict per evaluation with ``step``, ``train_loss`` and ``lr``; ``diverged``: the
    divergence as ``Divergence.to_dict`` writes it, or None.
    """
    finite = [h for h in history if isinstance(h.get("train_loss"), (int, float)) and math.isfinite(h["train_loss"])]
    peak = max(finite, key=lambda h: h["train_loss"]) if finite else None
    ln_k = math.log(classes) if classes > 1 else None
    lr = diverged["lr"] if diverged else (history[-1].get("lr") if history else None)
    return {"diverged": diverged, "ln_k": ln_k, "lr": lr,
            "peak_loss": peak["train_loss"] if peak else None, "peak_step": peak["step"] if peak else None,
            "ratio": peak["train_loss"] / ln_k if peak and ln_k else None}


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
