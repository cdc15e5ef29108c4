"""Run every probe that comes before the real training, each guarded so one model's failure is a check, not a crash.

Returns the measurements keyed as ``checks.model_checks`` reads them. A probe that raises
is recorded as ``{"error": ...}``; when the model's output is not logits [B, K], the probes
that need logits are recorded as ``{"skipped": ...}``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from clearance.core.errors import UserError
from clearance.neural.training.batches import Batch, Encoded, LazyEncoded, collate
from clearance.small_model.measure.probes.batch import measure_batch_independence
from clearance.small_model.measure.probes.common import json_ready
from clearance.small_model.measure.probes.evaluation import (
    measure_eval_repeat,
    measure_loop_eval,
)
from clearance.small_model.measure.probes.fitting import measure_overfit
from clearance.small_model.measure.probes.gradients import (
    measure_dead_parameters,
    measure_param_change,
    measure_zero_grad,
)
from clearance.small_model.measure.probes.init import measure_symmetry
from clearance.small_model.measure.probes.inputs import (
    COUNT_CHARS,
    decoded_samples,
    length_limit,
    measure_tokenizer,
    measure_truncation,
    sample_rows,
    untruncated_ids,
)
from clearance.small_model.measure.probes.outputs import measure_init_loss, measure_outputs
from clearance.small_model.measure.probes.padding import measure_batch_sizes, measure_padding
from clearance.small_model.measure.probes.reading import measure_reading

# The probes that need the model's logits; skipped when its output is not logits [B, K].
NEEDS_LOGITS = ("init_loss", "batch", "batch_size", "padding", "reading", "eval_repeat", "loop_eval", "zero_grad",
                "dead_parameters", "param_change", "overfit")


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
    """Truncation, tokenizer and preprocessing probes, and the decoded samples (no model needed;
    ``limit``: the most tokens it takes, for the truncation check's advice)."""
    tokenizer = parts.tokenizer
    full = attempt(lambda: {"ids": untruncated_ids(tokenizer, train.texts, train.input_ids, max_length)},
                   ready=lambda ids: ids)  # plain ints already; rounding would walk every token
    if "error" in full:
        return {"truncation": full, "tokenizer": full, "decoded_samples": full}
    return {
        "truncation": attempt(lambda: measure_truncation(full["ids"], max_length, limit,
                                                         sum(len(t) > COUNT_CHARS for t in train.texts))),
        "tokenizer": attempt(lambda: measure_tokenizer(tokenizer, raw_texts, train.texts, full["ids"], seed=seed)),
        # a list for the report, or {"error": ...}
        "decoded_samples": attempt(lambda: decoded_samples(tokenizer, raw_texts, train.texts, max_length, samples,
                                                           seed)),
    }


def model_probes(parts: Any, train_cfg: Any, probes_cfg: Any, train: Encoded | LazyEncoded,
                 valid: Encoded | LazyEncoded | None,
                 device: torch.device, autocast: Callable, seed: int, stop_below: float | None = None,
                 model: torch.nn.Module | None = None,
                 limit: int | None = None) -> tuple[dict[str, Any], dict[str, float]]:
    """The probes that run the model (``model``: one already built; ``limit``: the most tokens it takes, for
    the padding probe's widest padding); returns measurements and seconds per probe."""
    pad_id = int(parts.tokenizer.pad_token_id)
    batch = probe_batch(train, probes_cfg.batch_size, pad_id, seed).to(device)
    model = (parts.build_model() if model is None else model).to(device)
    classes = len(parts.classes)
    make_optimizer = lambda params: parts.optimizer(params, lr=train_cfg.lr,  # noqa: E731
                                                    weight_decay=train_cfg.weight_decay)
    small = train.subset(probe_rows(len(train), probes_cfg.batch_size, seed))
    has_valid = valid is not None and len(valid) > 0
    held_out = valid.subset(range(min(len(valid), probes_cfg.batch_size))) if has_valid else small
    probes: dict[str, Callable[[], Any]] = {
        "outputs": lambda: {**measure_outputs(model, batch, classes), "model": parts.names.get("model", "")},
        "symmetry": lambda: measure_symmetry(model),
        "init_loss": lambda: measure_init_loss(model, parts.loss, batch, classes),
        "batch": lambda: measure_batch_independence(model, batch, seed),
        "batch_size": lambda: measure_batch_sizes(model, batch),
        "padding": lambda: measure_padding(model, batch, pad_id, limit),
        "reading": lambda: measure_reading(model, batch, pad_id, seed, limit),
        "eval_repeat": lambda: measure_eval_repeat(model, batch),
        "dead_parameters": lambda: measure_dead_parameters(model, parts.loss, batch, seed),
        "zero_grad": lambda: measure_zero_grad(model, make_optimizer, parts.loss, batch, seed),
        "param_change": lambda: measure_param_change(model, make_optimizer, parts.loss, batch, seed),
        "loop_eval": lambda: measure_loop_eval(replace(train_cfg, batch_size=len(small)), parts, small, held_out,
                                               device, autocast),
        "overfit": lambda: measure_overfit(train_cfg, parts, train, probes_cfg.overfit_samples,
                                           probes_cfg.overfit_max_steps, device, autocast, seed, stop_below),
    }
    measured: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    for name, measure in probes.items():
        if name in NEEDS_LOGITS and not measured["outputs"].get("logits_ok"):
            measured[name] = {"skipped": "the model's output is not logits [batch, classes]: see output_logits"}
            continue
        started = time.perf_counter()
        measured[name] = attempt(measure)
        seconds[name] = round(time.perf_counter() - started, 3)
    return measured, seconds


def run_probes(parts: Any, train_cfg: Any, probes_cfg: Any, raw_texts: Sequence[str], train: Encoded | LazyEncoded,
               valid: Encoded | LazyEncoded | None, device: torch.device, autocast: Callable, seed: int,
               stop_below: float | None = None) -> dict[str, Any]:
    """Every probe before the real training. ``raw_texts``: the training texts as in the data, row for row
    with ``train`` (whose ``texts`` are preprocessed). ``stop_below`` ends the overfit run early at that loss.
    The input probes measure a seeded sample of ``probes_cfg.input_max_rows`` train rows (None: all of them).

    Returns measurements keyed as ``checks.model_checks`` reads them, plus ``decoded_samples``
    (for the report) and ``seconds`` (per probe).
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
    return measured
