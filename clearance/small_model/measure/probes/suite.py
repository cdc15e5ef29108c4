"""Run every declared probe before the real training, each guarded so one model's failure is a check, not a crash.

The probes are the ``@probe`` functions of the family modules in ``FAMILIES``, run in that order (each
family's in its source order) and keyed as step 3's checks read them. A probe that raises is recorded
as ``{"error": ...}``; when the model's output is not logits [B, K], the probes that need logits are
recorded as ``{"skipped": ...}``. Adding a probe is adding a ``@probe`` function to a family module.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from clearance.core.errors import UserError
from clearance.neural.training.batches import Batch, Encoded, LazyEncoded, collate
from clearance.small_model.measure.probes import (
    batch,
    evaluation,
    fitting,
    gradients,
    init,
    inputs,
    outputs,
    padding,
    reading,
    targets,
)
from clearance.small_model.measure.probes.common import json_ready
from clearance.small_model.measure.probes.declared import InputRun, ModelRun, Probe, probes_in, task_of_parts
from clearance.small_model.measure.probes.inputs import length_limit, sample_rows, untruncated_ids

# The families, in the order their probes run: the inputs first (no model), then what the model returns
# (whether its output is logits decides whether the probes that need logits run), the rest after.
FAMILIES = (inputs, outputs, init, targets, batch, padding, reading, evaluation, gradients, fitting)
NOT_LOGITS = {"skipped": "the model's output is not logits [batch, classes]: see output_logits"}


def declared_probes(task: str | None = None) -> tuple[Probe, ...]:
    """Every probe the families declare, in the order they run (probes.json holds each one's key); given
    ``task``, those that apply to it."""
    return tuple(p for p in probes_in(FAMILIES) if task is None or task in p.tasks)


def attempt(measure: Callable[[], Any], ready: Callable[[Any], Any] = json_ready) -> Any:
    """A probe's measurement (through ``ready``), or ``{"error": why}`` when the user's parts make it raise."""
    try:
        return ready(measure())
    except UserError as exc:
        return {"error": f"{exc.where}: {exc.problem} (fix: {exc.fix})"}
    except Exception as exc:  # noqa: BLE001 - the user's parts may raise anything; it becomes a failing check
        return {"error": f"{type(exc).__name__}: {exc}"}


def probe_rows(n: int, size: int, seed: int) -> list[int]:
    """``size`` seeded row indices (at most ``n``)."""
    return sorted(np.random.default_rng(seed).permutation(n)[:size].tolist())


def probe_batch(train: Encoded | LazyEncoded, size: int, pad_id: int, seed: int) -> Batch:
    """The batch most probes run on: seeded training rows, padded to the longest among them (only they are
    tokenised, when ``train`` is tokenised lazily)."""
    rows = probe_rows(len(train), size, seed)
    return collate(train.subset(rows), range(len(rows)), pad_id)


def input_probes(parts: Any, raw_texts: Sequence[str], train: Encoded, max_length: int, samples: int,
                 seed: int, limit: int | None = None) -> dict[str, Any]:
    """The probes of the inputs: truncation, tokenizer and preprocessing, and the decoded samples (no model
    needed; ``limit``: the most tokens it takes, for the truncation check's advice)."""
    tokenizer = parts.tokenizer
    full = attempt(lambda: {"ids": untruncated_ids(tokenizer, train.texts, train.input_ids, max_length)},
                   ready=lambda ids: ids)  # plain ints already; rounding would walk every token
    declared = [p for p in declared_probes(task_of_parts(parts).name) if p.on_inputs]
    if "error" in full:  # nothing to measure: each input probe says why
        return {p.key: full for p in declared}
    run = InputRun(tokenizer, raw_texts, train.texts, full["ids"], max_length, limit, samples, seed)
    return {p.key: attempt(lambda p=p: p.measure(run)) for p in declared}


def model_run(parts: Any, train_cfg: Any, probes_cfg: Any, train: Encoded | LazyEncoded,
              valid: Encoded | LazyEncoded | None, device: torch.device, autocast: Callable, seed: int,
              stop_below: float | None, model: torch.nn.Module | None, limit: int | None) -> ModelRun:
    """What the model probes measure: the model on ``device``, its probe batch, and the other parts."""
    pad_id = int(parts.tokenizer.pad_token_id)
    probed = probe_batch(train, probes_cfg.batch_size, pad_id, seed).to(device)
    model = (parts.build_model() if model is None else model).to(device)
    small = train.subset(probe_rows(len(train), probes_cfg.batch_size, seed))
    has_valid = valid is not None and len(valid) > 0
    held_out = valid.subset(range(min(len(valid), probes_cfg.batch_size))) if has_valid else small
    return ModelRun(parts=parts, model=model, batch=probed, pad_id=pad_id, limit=limit, seed=seed,
                    train_cfg=train_cfg, probes_cfg=probes_cfg, train=train, small=small, held_out=held_out,
                    device=device, autocast=autocast, stop_below=stop_below,
                    make_optimizer=lambda params: parts.optimizer(params, lr=train_cfg.lr,
                                                                  weight_decay=train_cfg.weight_decay))


def model_probes(parts: Any, train_cfg: Any, probes_cfg: Any, train: Encoded | LazyEncoded,
                 valid: Encoded | LazyEncoded | None,
                 device: torch.device, autocast: Callable, seed: int, stop_below: float | None = None,
                 model: torch.nn.Module | None = None,
                 limit: int | None = None) -> tuple[dict[str, Any], dict[str, float]]:
    """The probes that run the model (``model``: one already built; ``limit``: the most tokens it takes, for
    the padding probe's widest padding); returns measurements and seconds per probe."""
    run = model_run(parts, train_cfg, probes_cfg, train, valid, device, autocast, seed, stop_below, model, limit)
    measured: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    for declared in (p for p in declared_probes(run.task.name) if not p.on_inputs):
        if declared.needs_logits and not (measured.get("outputs") or {}).get("logits_ok"):
            measured[declared.key] = dict(NOT_LOGITS)
            continue
        started = time.perf_counter()
        measured[declared.key] = attempt(lambda: declared.measure(run))
        seconds[declared.key] = round(time.perf_counter() - started, 3)
    return measured, seconds


def run_probes(parts: Any, train_cfg: Any, probes_cfg: Any, raw_texts: Sequence[str], train: Encoded | LazyEncoded,
               valid: Encoded | LazyEncoded | None, device: torch.device, autocast: Callable, seed: int,
               stop_below: float | None = None) -> dict[str, Any]:
    """Every probe before the real training. ``raw_texts``: the training texts as in the data, row for row
    with ``train`` (whose ``texts`` are preprocessed). ``stop_below`` ends the overfit run early at that loss.
    The input probes measure a seeded sample of ``probes_cfg.input_max_rows`` train rows (None: all of them).

    Returns the measurement of each probe declared for the parts' task by its key (as step 3's checks read
    them; ``decoded_samples`` for the report), plus ``input_rows``, ``seconds`` (per probe) and ``task``.
    """
    started = time.perf_counter()
    model = parts.build_model()  # built first: its position table bounds the max_length truncation suggests
    limit = length_limit(parts.tokenizer, model)
    rows = sample_rows(len(train), probes_cfg.input_max_rows, seed)
    measured = input_probes(parts, [raw_texts[i] for i in rows], train.subset(rows), train_cfg.max_length,
                            probes_cfg.decoded_samples, seed, limit)
    measured["input_rows"] = {"measured": len(rows), "train": len(train)}
    for sample in measured["decoded_samples"] if isinstance(measured["decoded_samples"], list) else []:
        sample["row"] = rows[sample["row"]]  # the train row, not its place in the sample
    inputs_seconds = round(time.perf_counter() - started, 3)
    found, seconds = model_probes(parts, train_cfg, probes_cfg, train, valid, device, autocast, seed, stop_below,
                                  model, limit)
    measured.update(found)
    measured["seconds"] = {"inputs": inputs_seconds, **seconds,
                           "total": round(time.perf_counter() - started, 3)}
    measured["task"] = task_of_parts(parts).name  # which probes ran, and which checks grade them
    return measured
