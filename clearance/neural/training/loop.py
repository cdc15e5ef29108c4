"""The one training function: the probes, the model stage and the sweep all call it.

It writes no files and talks to no tracker: callers get the history back, and
``on_eval`` / ``on_checkpoint`` callbacks when they want to log or save as it goes.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from clearance.core.config.model import TrainConfig
from clearance.neural.parts.parts import Parts
from clearance.neural.training.batches import Encoded, LazyEncoded, batch_rows, collate
from clearance.neural.training.divergence import (
    Diverged,
    Divergence,
    evaluation_divergence,
    step_divergence,
)
from clearance.neural.training.evaluation import Evaluation, evaluate
from clearance.neural.training.norms import grad_norm, param_norms
from clearance.neural.training.result import TrainResult
from clearance.neural.training.schedule import drawn_rows, evaluation_sample, lr_factor, require_schedule, total_steps
from clearance.neural.training.scoring import score_evaluation, task_name, tracked_predictions
from clearance.neural.training.settings import TrainSettings
from clearance.neural.training.state import RunProgress, TrainState
from clearance.neural.training.step import (
    Autocast,
    current_lr,
    seed_everything,
    set_lr_factor,
    train_step,
)

# Evaluations of at least this many texts show their progress (100k valid texts take minutes on a CPU).
PROGRESS_ROWS = 20_000


@dataclass
class _Run:
    """The moving parts of one run, passed between the loop's small helpers."""

    cfg: TrainConfig
    parts: Parts
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    device: torch.device
    autocast: Autocast
    pad_id: int
    metric: str


def _record(run: _Run, step: int, epoch: int, recent: list[float], valid: Encoded | LazyEncoded | None,
            track: Encoded | None, progress: bool = False) -> tuple[dict[str, Any], Evaluation | None]:
    """One evaluation's numbers: losses, the metric, lr, gradient and parameter norms; a classifier's temperature
    fitted on the rows it scored (multi-label: also the decision threshold chosen on them, after it).

    Raises ``Diverged`` when the evaluation's loss or logits are not finite: scoring them would fail.
    """
    record: dict[str, Any] = {"step": step, "epoch": epoch, "valid_rows": len(valid) if valid is not None else 0,
                              "train_loss": float(np.mean(recent)) if recent else None,
                              "lr": current_lr(run.optimizer),
                              "grad_norm": grad_norm(run.model)}
    record.update({f"param_norm/{group}": norm for group, norm in param_norms(run.model).items()})
    evaluation, threshold, temperature, task = None, None, None, task_name(run.parts)
    if valid is not None and len(valid):
        evaluation = evaluate(run.model, run.parts.loss, valid, run.cfg.batch_size, run.pad_id, run.device,
                              run.autocast, progress=progress and len(valid) >= PROGRESS_ROWS, task=task)
        diverged = evaluation_divergence(step, evaluation.loss, evaluation.logits, record["lr"])
        if diverged is not None:
            raise Diverged(diverged)
        record["valid_loss"] = evaluation.loss
        scores, threshold, temperature = score_evaluation(run.parts, evaluation, valid.labels, run.metric)
        record.update(scores)
        if temperature is not None:
            record["temperature"] = temperature
        if threshold is not None:
            record["threshold"] = threshold
    if track is not None and len(track):
        seen = evaluate(run.model, run.parts.loss, track, run.cfg.batch_size, run.pad_id, run.device, run.autocast,
                        task=task)
        record["predictions"] = tracked_predictions(run.parts, seen, threshold, temperature)
    return record, evaluation


@dataclass
class _Loop:
    """One run under way: its moving parts, its data and schedule, and where it stands."""

    run: _Run
    settings: TrainSettings
    train: Encoded | LazyEncoded
    valid: Encoded | LazyEncoded | None
    sampled: Encoded | LazyEncoded | None  # what the evaluations before the last one score
    lengths: list[int] | None  # the texts' lengths when batches group them by length
    total: int  # the step the run ends at
    every: int  # steps between evaluations
    at: RunProgress
    bar: Any  # the progress bar (tqdm)
    first: int = 0  # the step the run started or resumed at
    last_eval: int = 0  # the step of the last evaluation
    valid_eval: Evaluation | None = None


def _open(cfg: TrainConfig, parts: Parts, settings: TrainSettings) -> _Run:
    """Seed, then build the model on its device and its optimizer (with the run's lr and weight decay)."""
    require_schedule(cfg.schedule, cfg.warmup_ratio)
    device, autocast = settings.device, settings.autocast
    if device is None or autocast is None:
        from clearance.neural.parts.device import resolve

        device, autocast = resolve(cfg.device, cfg.precision)
    seed_everything(cfg.seed)
    model = (settings.model if settings.model is not None else parts.build_model()).to(device)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = parts.optimizer(trainable, lr=cfg.lr if settings.lr is None else settings.lr,
                                weight_decay=cfg.weight_decay if settings.weight_decay is None
                                else settings.weight_decay)
    return _Run(cfg, parts, model, optimizer, device, autocast, int(parts.tokenizer.pad_token_id), settings.metric)


def _resume(run: _Run, state: TrainState | None) -> RunProgress:
    """Where the run starts: the beginning, or ``state``'s step with its weights, optimizer and generator."""
    at = RunProgress.resumed(state)
    if state is not None:
        run.model.load_state_dict(state.model_state)
        run.optimizer.load_state_dict(state.optimizer_state)
        if state.rng_state is not None:
            torch.set_rng_state(state.rng_state)
    return at


def train_model(cfg: TrainConfig, parts: Parts, train: Encoded | LazyEncoded,
                valid: Encoded | LazyEncoded | None = None, settings: TrainSettings | None = None,
                **overrides: Any) -> TrainResult:
    """Train ``parts``' model (or ``settings.model``) on ``train``; evaluate on ``valid`` every ``eval_every`` steps.

    ``settings`` holds the run's overrides, callbacks and device (TrainSettings); ``overrides`` set some of its
    fields by name instead (``progress=False``). A run shorter than an epoch trains on the seeded sample of rows
    it draws (``drawn_rows``): of a ``LazyEncoded`` split, only that sample is ever tokenised. A training loss,
    or an evaluation's loss or logits, that turns NaN or infinite stops the run at that step, and the result's
    ``diverged`` says where (no NaN reaches the scoring). Ctrl-C with checkpoints on saves the last whole step
    through ``on_checkpoint``, then goes on.
    """
    from tqdm.auto import tqdm

    settings = replace(settings or TrainSettings(), **overrides)
    run = _open(cfg, parts, settings)
    every = settings.eval_every or cfg.eval_every
    sampled = evaluation_sample(valid, cfg.eval_max_rows, cfg.seed)
    max_steps = settings.max_steps if settings.max_steps is not None else cfg.max_steps
    total = total_steps(len(train), cfg.batch_size, cfg.epochs, max_steps)
    drawn = drawn_rows(len(train), total, cfg.batch_size, cfg.seed)
    if drawn is not None:
        train = train.subset(drawn)  # one epoch of the sample: the same steps, every text seen at most once
    at = _resume(run, settings.resume)
    started = time.perf_counter()
    bar = tqdm(total=total, initial=at.step, disable=not settings.progress, desc="training", unit="step",
               mininterval=5)
    lengths = train.lengths() if cfg.group_by_length else None
    loop = _Loop(run, settings, train, valid, sampled, lengths, total, every, at, bar, first=at.step,
                 last_eval=at.step)
    diverged: Divergence | None = None
    try:
        _epochs(loop)
    except Diverged as stop:
        diverged, loop.valid_eval = stop.divergence, None  # the last evaluation scored weights that are gone
    except KeyboardInterrupt:
        _save_interrupted(loop)
        raise
    finally:
        bar.close()
    run.model.eval()
    return _result(loop, time.perf_counter() - started, diverged)


def _epochs(loop: _Loop) -> None:
    """Train epoch after epoch up to the last step, skipping the batches a resumed run trained before."""
    cfg, at = loop.run.cfg, loop.at
    start_epoch, skip = at.epoch, at.batch_in_epoch
    epoch = start_epoch
    while at.step < loop.total:
        for index, rows in enumerate(batch_rows(len(loop.train), cfg.batch_size, cfg.seed + epoch, loop.lengths)):
            if epoch == start_epoch and index < skip:
                continue  # trained before the interruption
            if at.step >= loop.total:
                break
            _step(loop, epoch, index, rows)
        epoch += 1
        skip = 0


def _step(loop: _Loop, epoch: int, index: int, rows: list[int]) -> None:
    """Train one batch, stop at a loss that is not finite, evaluate when due, then report and checkpoint."""
    run, at, settings = loop.run, loop.at, loop.settings
    batch = collate(loop.train, rows, run.pad_id).to(run.device)
    run.model.train()
    at.settled = False
    tick = time.perf_counter()
    set_lr_factor(run.optimizer, lr_factor(at.step, loop.total, run.cfg.schedule, run.cfg.warmup_ratio))
    try:
        loss = train_step(run.model, run.optimizer, run.parts.loss, batch, run.autocast)
    except RuntimeError as error:
        # An optimizer whose step cannot be held in a float (Adam at lr 1e38) diverged, not crashed.
        if "overflow" not in str(error):
            raise
        loss = math.inf
    at.train_seconds += time.perf_counter() - tick
    at.step_losses.append(loss)
    at.step += 1
    loop.bar.update(1)
    # The loss is a float already: checking it each step costs nothing, and stops a run the step
    # its numbers stop meaning anything.
    if (stop := step_divergence(at.step, loss, current_lr(run.optimizer))) is not None:
        raise Diverged(stop)
    record = _evaluate_when_due(loop, epoch)
    at.settle(epoch, index + 1)
    if record is not None and settings.on_eval is not None:
        settings.on_eval(record)
    if settings.on_checkpoint is not None and settings.checkpoint_every \
            and at.step % settings.checkpoint_every == 0 and at.step < loop.total:
        settings.on_checkpoint(at.state(run.model, run.optimizer))


def _evaluate_when_due(loop: _Loop, epoch: int) -> dict[str, Any] | None:
    """Every ``every`` steps and at the last: the evaluation's record, added to the history; else None."""
    at = loop.at
    if not (at.step % loop.every == 0 or at.step == loop.total):
        return None
    # The last evaluation scores all of valid: the scores judged and compared are never a sample's.
    scored = loop.valid if at.step == loop.total else loop.sampled
    record, evaluated = _record(loop.run, at.step, epoch, at.step_losses[loop.last_eval:], scored,
                                loop.settings.track, loop.settings.progress)
    loop.valid_eval, loop.last_eval = evaluated or loop.valid_eval, at.step
    at.history.append(record)
    return record


def _save_interrupted(loop: _Loop) -> None:
    """Ctrl-C: save the last whole step too, so the next run loses none of the steps since the last checkpoint."""
    at, settings = loop.at, loop.settings
    if settings.on_checkpoint is not None and settings.checkpoint_every and at.settled \
            and loop.first < at.step < loop.total:
        settings.on_checkpoint(at.state(loop.run.model, loop.run.optimizer))


def _result(loop: _Loop, seconds: float, diverged: Divergence | None) -> TrainResult:
    """What the run produced; its speed counts only the steps this call trained."""
    at, resume = loop.at, loop.settings.resume
    trained = (at.step - loop.first) * loop.run.cfg.batch_size
    return TrainResult(model=loop.run.model, step_losses=at.step_losses, history=at.history, steps=at.step,
                       seconds=seconds, train_seconds=at.train_seconds,
                       samples_per_second=trained / max(at.train_seconds - (resume.train_seconds if resume else 0),
                                                        1e-9),
                       valid=loop.valid_eval, resumed_from=loop.first, diverged=diverged,
                       threshold=last_threshold(at.history) if loop.valid_eval is not None else None,
                       temperature=last_temperature(at.history) if loop.valid_eval is not None else None)


def last_threshold(history: list[dict[str, Any]]) -> float | None:
    """The decision threshold the last evaluation chose on all of valid (multi-label; else None)."""
    return history[-1].get("threshold") if history else None


def last_temperature(history: list[dict[str, Any]]) -> float | None:
    """The temperature the last evaluation fitted on all of valid (classes and label sets; else None)."""
    return history[-1].get("temperature") if history else None


def curve_point(record: dict[str, Any]) -> dict[str, Any]:
    """An evaluation record as MLflow curves: without its step and epoch (the x axis, not curves)."""
    return {k: v for k, v in record.items() if k not in ("step", "epoch", "valid_rows")}
