"""The one training function: the probes, the model stage and the sweep all call it.

It writes no files and talks to no tracker: callers get the history back, and
``on_eval`` / ``on_checkpoint`` callbacks when they want to log or save as it goes.
"""

from __future__ import annotations

import contextlib
import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from clearance.core.config.model import TrainConfig
from clearance.core.data.sampling import stratified_rows
from clearance.core.evaluation import score
from clearance.neural.parts.parts import Parts, forward
from clearance.neural.training.batches import (
    Batch,
    Encoded,
    LazyEncoded,
    batch_rows,
    by_length,
    collate,
)
from clearance.neural.training.divergence import (
    Diverged,
    Divergence,
    evaluation_divergence,
    step_divergence,
)

Autocast = Callable[[], contextlib.AbstractContextManager]
# Evaluations of at least this many texts show their progress (100k valid texts take minutes on a CPU).
PROGRESS_ROWS = 20_000


def no_autocast() -> contextlib.AbstractContextManager:
    """fp32: nothing to switch on."""
    return contextlib.nullcontext()


def seed_everything(seed: int) -> None:
    """Seed every generator training touches, so the same params give the same metrics."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def train_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, loss_fn: Callable,
               batch: Batch, autocast: Autocast = no_autocast) -> float:
    """One optimizer step: zero the gradients, forward, loss, backward, step. Returns the loss."""
    optimizer.zero_grad()
    with autocast():
        logits = forward(model, batch.input_ids, batch.attention_mask)
    # The loss in fp32 whatever the autocast: bf16 cross-entropy loses precision near 0.
    loss = loss_fn(logits.float(), batch.labels)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


@dataclass
class Evaluation:
    """A model's loss, logits and predicted class indices on one data set."""

    loss: float
    logits: np.ndarray  # [N, K] float32
    predicted: np.ndarray  # [N] class indices

    def probabilities(self) -> np.ndarray:
        shifted = self.logits - self.logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        return exp / exp.sum(axis=1, keepdims=True)


def evaluate(model: torch.nn.Module, loss_fn: Callable, encoded: Encoded | LazyEncoded, batch_size: int,
             pad_id: int, device: torch.device | None = None, autocast: Autocast = no_autocast,
             progress: bool = False) -> Evaluation:
    """Loss and predictions in eval mode without gradients; the model's mode is restored after.

    Rows are batched longest first (less padding, the same numbers, less memory: see ``by_length``) and the
    logits come back in the data's order. ``progress`` shows the texts done and the time left.
    """
    from tqdm.auto import tqdm

    was_training = model.training
    model.eval()
    losses, logits = [], []
    order = by_length(encoded)
    bar = tqdm(total=len(order), disable=not progress, desc="evaluating", unit="text", mininterval=5)
    try:
        with torch.no_grad():
            for start in range(0, len(order), batch_size):
                batch = collate(encoded, order[start: start + batch_size], pad_id)
                batch = batch.to(device) if device is not None else batch
                with autocast():
                    out = forward(model, batch.input_ids, batch.attention_mask).float()
                losses.append(float(loss_fn(out, batch.labels)) * len(batch))
                logits.append(out.cpu().numpy())
                bar.update(len(batch))
    finally:
        bar.close()
        model.train(was_training)
    stacked = np.concatenate(logits) if logits else np.zeros((0, 0), dtype=np.float32)
    if len(stacked):
        stacked[np.asarray(order)] = stacked.copy()  # row k of the sorted pass is data row order[k]
    return Evaluation(loss=sum(losses) / max(len(encoded), 1), logits=stacked,
                      predicted=stacked.argmax(axis=1) if len(stacked) else np.zeros(0, dtype=np.int64))


def layer_group(name: str) -> str:
    """A parameter's group for norm curves: its name up to the first layer index, else its first part.

    'encoder.layer.0.attention.self.query.weight' -> 'encoder.layer.0'; 'head.weight' -> 'head'.
    """
    parts = name.split(".")
    for i, part in enumerate(parts[:-1]):
        if re.fullmatch(r"\d+", part):
            return ".".join(parts[: i + 1])
    return parts[0] if len(parts) > 1 else "params"


def grad_norm(model: torch.nn.Module) -> float:
    """The global L2 norm of the current gradients."""
    norms = [p.grad.detach().float().norm() for p in model.parameters() if p.grad is not None]
    return float(torch.linalg.vector_norm(torch.stack(norms))) if norms else 0.0


def param_norms(model: torch.nn.Module) -> dict[str, float]:
    """L2 norm of the trainable parameters, per layer group."""
    named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    if not named:
        return {}
    # One stacked read-back, not one per parameter: under load each read-back costs milliseconds.
    norms = torch.stack([torch.linalg.vector_norm(p.detach().float()) for _, p in named]).tolist()
    squares: dict[str, float] = {}
    for (name, _), norm in zip(named, norms):
        group = layer_group(name)
        squares[group] = squares.get(group, 0.0) + norm * norm
    return {group: math.sqrt(value) for group, value in squares.items()}


@dataclass
class TrainState:
    """Everything needed to resume a run where it stopped (what a checkpoint holds)."""

    step: int
    epoch: int
    batch_in_epoch: int  # batches of ``epoch`` already trained
    model_state: dict[str, Any]
    optimizer_state: dict[str, Any]
    history: list[dict[str, Any]]
    step_losses: list[float]
    train_seconds: float
    rng_state: Any = None


@dataclass
class _Progress:
    """Where a run stands: what a checkpoint holds, and whether it is a whole step that a Ctrl-C may save."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0  # batches of ``epoch`` already trained
    history: list[dict[str, Any]] = field(default_factory=list)
    step_losses: list[float] = field(default_factory=list)
    train_seconds: float = 0.0
    # False from a step's update until its evaluation is recorded: the weights, the step count and the
    # history disagree then, and a state saved then would not resume exactly.
    settled: bool = True

    @classmethod
    def resumed(cls, state: TrainState | None) -> "_Progress":
        """Where ``state`` stopped (a fresh run: the start)."""
        if state is None:
            return cls()
        return cls(state.step, state.epoch, state.batch_in_epoch, list(state.history), list(state.step_losses),
                   state.train_seconds)

    def settle(self, epoch: int, batch_in_epoch: int) -> None:
        """The step is whole: it is trained, and evaluated when due."""
        self.epoch, self.batch_in_epoch, self.settled = epoch, batch_in_epoch, True

    def state(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> TrainState:
        """What a checkpoint saves to resume from here."""
        return TrainState(self.step, self.epoch, self.batch_in_epoch, model.state_dict(), optimizer.state_dict(),
                          self.history, self.step_losses, self.train_seconds, torch.get_rng_state())


@dataclass
class TrainResult:
    """What a training run produced; the model is left in eval mode on its device."""

    model: torch.nn.Module
    step_losses: list[float]
    history: list[dict[str, Any]]
    steps: int
    seconds: float
    train_seconds: float
    samples_per_second: float
    valid: Evaluation | None = None
    resumed_from: int = 0
    # Set when a loss or logits turned NaN or infinite: the run stopped there, ``valid`` is None and
    # the model holds the diverged weights (not a model to package).
    diverged: Divergence | None = None


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


def total_steps(n: int, batch_size: int, epochs: int, max_steps: int | None) -> int:
    """Optimizer steps of a run: the epochs' batches, capped by ``max_steps``."""
    steps = epochs * math.ceil(n / batch_size)
    return min(steps, max_steps) if max_steps else steps


def current_lr(optimizer: torch.optim.Optimizer) -> float:
    """The learning rate of the optimizer's first parameter group (what a divergence message names)."""
    return float(optimizer.param_groups[0]["lr"])


def _record(run: _Run, step: int, epoch: int, recent: list[float], valid: Encoded | LazyEncoded | None,
            track: Encoded | None, progress: bool = False) -> tuple[dict[str, Any], Evaluation | None]:
    """One evaluation's numbers: losses, the metric, lr, gradient and parameter norms.

    Raises ``Diverged`` when the evaluation's loss or logits are not finite: scoring them would fail.
    """
    record: dict[str, Any] = {"step": step, "epoch": epoch, "valid_rows": len(valid) if valid is not None else 0,
                              "train_loss": float(np.mean(recent)) if recent else None,
                              "lr": current_lr(run.optimizer),
                              "grad_norm": grad_norm(run.model)}
    record.update({f"param_norm/{group}": norm for group, norm in param_norms(run.model).items()})
    evaluation = None
    if valid is not None and len(valid):
        evaluation = evaluate(run.model, run.parts.loss, valid, run.cfg.batch_size, run.pad_id, run.device,
                              run.autocast, progress=progress and len(valid) >= PROGRESS_ROWS)
        diverged = evaluation_divergence(step, evaluation.loss, evaluation.logits, record["lr"])
        if diverged is not None:
            raise Diverged(diverged)
        classes = run.parts.classes
        names = np.asarray(classes, dtype=object)
        record["valid_loss"] = evaluation.loss
        scores = score(names[valid.labels], names[evaluation.predicted], evaluation.probabilities(), classes, "valid")
        record.update(scores)
    if track is not None and len(track):
        seen = evaluate(run.model, run.parts.loss, track, run.cfg.batch_size, run.pad_id, run.device, run.autocast)
        probs = seen.probabilities()
        record["predictions"] = [{"predicted": run.parts.classes[int(k)], "confidence": round(float(p[k]), 4)}
                                 for k, p in zip(seen.predicted, probs)]
    return record, evaluation


def drawn_rows(n: int, steps: int, batch_size: int, seed: int) -> list[int] | None:
    """The rows a run of ``steps`` steps draws when that is less than one epoch: a seeded sample of
    steps x batch_size rows, in the data's order. None when the run goes through every row."""
    needed = steps * batch_size
    if needed >= n:
        return None
    return sorted(np.random.default_rng(seed).permutation(n)[:needed].tolist())


def evaluation_sample(valid: Encoded | LazyEncoded | None, max_rows: int | None,
                      seed: int) -> Encoded | LazyEncoded | None:
    """What the evaluations during training score: all of ``valid``, or a seeded, stratified sample of
    ``max_rows`` of it when it is larger (each one costs a pass over what it scores)."""
    if valid is None or max_rows is None:
        return valid
    picked = stratified_rows(valid.labels, max_rows, seed)
    return valid if picked is None else valid.subset(picked.tolist())


def train_model(cfg: TrainConfig, parts: Parts, train: Encoded | LazyEncoded,
                valid: Encoded | LazyEncoded | None = None, *,
                model: torch.nn.Module | None = None, max_steps: int | None = None, eval_every: int | None = None,
                weight_decay: float | None = None, lr: float | None = None, track: Encoded | None = None,
                on_eval: Callable[[dict[str, Any]], None] | None = None,
                on_checkpoint: Callable[[TrainState], None] | None = None, checkpoint_every: int = 0,
                resume: TrainState | None = None, device: torch.device | None = None,
                autocast: Autocast | None = None, metric: str = "macro_f1", progress: bool = True) -> TrainResult:
    """Train ``parts``' model (or ``model``) on ``train``; evaluate on ``valid`` every ``eval_every`` steps.

    Overrides (``max_steps``, ``eval_every``, ``weight_decay``, ``lr``) let the probes run the very
    same loop with regularization off or for a few steps. ``track`` holds the texts whose
    predictions each evaluation records. ``resume`` continues an interrupted run exactly. A run shorter than
    an epoch trains on the seeded sample of rows it draws (``drawn_rows``): of a ``LazyEncoded`` split, only
    that sample is ever tokenised. A training loss, or an evaluation's loss or logits, that turns NaN or
    infinite stops the run at that step, and the result's ``diverged`` says where (no NaN reaches the
    scoring). Ctrl-C with checkpoints on saves the last whole step through ``on_checkpoint``, then goes on.
    """
    from tqdm.auto import tqdm

    if device is None or autocast is None:
        from clearance.neural.parts.device import resolve

        device, autocast = resolve(cfg.device, cfg.precision)
    seed_everything(cfg.seed)
    model = (model if model is not None else parts.build_model()).to(device)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = parts.optimizer(trainable, lr=cfg.lr if lr is None else lr,
                                weight_decay=cfg.weight_decay if weight_decay is None else weight_decay)
    run = _Run(cfg, parts, model, optimizer, device, autocast, int(parts.tokenizer.pad_token_id), metric)
    every = eval_every or cfg.eval_every
    sampled = evaluation_sample(valid, cfg.eval_max_rows, cfg.seed)
    total = total_steps(len(train), cfg.batch_size, cfg.epochs, max_steps if max_steps is not None else cfg.max_steps)
    drawn = drawn_rows(len(train), total, cfg.batch_size, cfg.seed)
    if drawn is not None:
        train = train.subset(drawn)  # one epoch of the sample: the same steps, every text seen at most once
    at = _Progress.resumed(resume)
    if resume is not None:
        model.load_state_dict(resume.model_state)
        optimizer.load_state_dict(resume.optimizer_state)
        if resume.rng_state is not None:
            torch.set_rng_state(resume.rng_state)
    first, start_epoch, skip = at.step, at.epoch, at.batch_in_epoch
    started, last_eval = time.perf_counter(), at.step
    valid_eval: Evaluation | None = None
    diverged: Divergence | None = None
    bar = tqdm(total=total, initial=at.step, disable=not progress, desc="training", unit="step", mininterval=5)
    epoch = start_epoch
    lengths = train.lengths() if cfg.group_by_length else None
    try:
        while at.step < total:
            for index, rows in enumerate(batch_rows(len(train), cfg.batch_size, cfg.seed + epoch, lengths)):
                if epoch == start_epoch and index < skip:
                    continue  # trained before the interruption
                if at.step >= total:
                    break
                batch = collate(train, rows, run.pad_id).to(device)
                model.train()
                at.settled = False
                tick = time.perf_counter()
                try:
                    loss = train_step(model, optimizer, parts.loss, batch, autocast)
                except RuntimeError as error:
                    # An optimizer whose step cannot be held in a float (Adam at lr 1e38) diverged, not crashed.
                    if "overflow" not in str(error):
                        raise
                    loss = math.inf
                at.train_seconds += time.perf_counter() - tick
                at.step_losses.append(loss)
                at.step += 1
                bar.update(1)
                # The loss is a float already: checking it each step costs nothing, and stops a run the step
                # its numbers stop meaning anything.
                if (stop := step_divergence(at.step, loss, current_lr(optimizer))) is not None:
                    raise Diverged(stop)
                record = None
                if at.step % every == 0 or at.step == total:
                    # The last evaluation scores all of valid: the scores judged and compared are never a sample's.
                    scored = valid if at.step == total else sampled
                    record, evaluated = _record(run, at.step, epoch, at.step_losses[last_eval:], scored, track,
                                                progress)
                    valid_eval, last_eval = evaluated or valid_eval, at.step
                    at.history.append(record)
                at.settle(epoch, index + 1)
                if record is not None and on_eval is not None:
                    on_eval(record)
                if on_checkpoint is not None and checkpoint_every and at.step % checkpoint_every == 0 \
                        and at.step < total:
                    on_checkpoint(at.state(model, optimizer))
            epoch += 1
            skip = 0
    except Diverged as stop:
        diverged, valid_eval = stop.divergence, None  # the last evaluation scored weights that are gone
    except KeyboardInterrupt:
        # Ctrl-C: save the last whole step too, so the next run loses none of the steps since the last checkpoint.
        if on_checkpoint is not None and checkpoint_every and at.settled and first < at.step < total:
            on_checkpoint(at.state(model, optimizer))
        raise
    finally:
        bar.close()
    model.eval()
    trained = (at.step - first) * cfg.batch_size
    seconds = time.perf_counter() - started
    return TrainResult(model=model, step_losses=at.step_losses, history=at.history, steps=at.step, seconds=seconds,
                       train_seconds=at.train_seconds,
                       samples_per_second=trained / max(at.train_seconds - (resume.train_seconds if resume else 0),
                                                        1e-9),
                       valid=valid_eval, resumed_from=first, diverged=diverged)


def curve_point(record: dict[str, Any]) -> dict[str, Any]:
    """An evaluation record as MLflow curves: without its step and epoch (the x axis, not curves)."""
    return {k: v for k, v in record.items() if k not in ("step", "epoch", "valid_rows")}
