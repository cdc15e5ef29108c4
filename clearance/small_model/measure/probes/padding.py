"""Invariants of padding and batch size: a text's logits depend on its own tokens only.

A correct classifier gives a text the same logits however much padding its batch-mates force on it
and however many texts share its batch. Both are checked in eval mode (dropout off), so only the
padding or the batch can move the logits:
- *padding*: each probed text at its own length, at the probe batch's width, and at a much larger
  width (right padding with the tokenizer's pad id, the mask 0 there, as the pipeline pads);
- *batch size*: each probed text in batches of 1, 2 and the probe batch's size, at one width.

The first catches an attention mask that is not passed on, or pooling over the padding; the
second separates batch mixing from padding leaks. A forward that cannot take a batch of one,
or a width beyond its position table, is a model limit: recorded, graded as a warning.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from clearance.neural.training.batches import Batch
from clearance.small_model.measure.probes.batch import PROBED_ROWS, worst
from clearance.small_model.measure.probes.common import ProbeError, evaluating, logits, relative_difference, rows, scale
from clearance.small_model.measure.probes.declared import ModelRun, probe

WIDE_FACTOR = 4  # the "much larger" width: this many times the batch's width (capped by the model's limit)
WIDE_EXTRA = 16  # and at least this many pad tokens more than the batch's width


def padded(batch: Batch, row: int, width: int, pad_id: int) -> Batch:
    """One row of ``batch`` alone, trimmed to its real tokens and right-padded to ``width``."""
    length = int(batch.attention_mask[row].sum())
    ids = torch.full((1, width), int(pad_id), dtype=batch.input_ids.dtype, device=batch.input_ids.device)
    mask = torch.zeros((1, width), dtype=batch.attention_mask.dtype, device=batch.attention_mask.device)
    ids[0, :length] = batch.input_ids[row, :length]
    mask[0, :length] = 1
    return Batch(ids, mask, batch.labels[row:row + 1])


def widened(batch: Batch, width: int, pad_id: int) -> Batch:
    """The batch right-padded to ``width`` (at least its own width), the mask 0 on the new positions."""
    extra = max(width - int(batch.input_ids.shape[1]), 0)
    if not extra:
        return batch
    ids = F.pad(batch.input_ids, (0, extra), value=int(pad_id))
    return Batch(ids, F.pad(batch.attention_mask, (0, extra), value=0), batch.labels)


def wide_width(batch_width: int, limit: int | None) -> int:
    """The much larger width, within the model's position limit when it has one."""
    wanted = max(WIDE_FACTOR * batch_width, batch_width + WIDE_EXTRA)
    return min(wanted, limit) if limit is not None else wanted


def limited(what: str, exc: Exception) -> dict:
    """The record of a model limit that stopped a probe (a warning, not a bug)."""
    return {"limit": f"{what}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}


def not_repeatable(model: torch.nn.Module, batch: Batch) -> dict | None:
    """``{"not_repeatable": difference}`` when two identical eval passes disagree (dropout left on: that bug
    is dropout_in_eval's to name, and it would read as a change here), else None."""
    repeat = relative_difference(logits(model, batch), logits(model, batch))
    return None if repeat == 0 else {"not_repeatable": repeat}


def measure_padding(model: torch.nn.Module, batch: Batch, pad_id: int, limit: int | None = None) -> dict:
    """Largest relative change of a probed text's logits between its own length, the batch's width and a
    much larger width. ``limit``: the most tokens the model takes (its position table), if known."""
    width = int(batch.input_ids.shape[1])
    wide = wide_width(width, limit)
    probed = list(range(min(PROBED_ROWS, len(batch))))
    changes: dict[str, list[float | None]] = {"batch_width": [], "wide": []}
    lengths = []
    with evaluating(model):
        if (unclear := not_repeatable(model, batch)) is not None:
            return unclear
        for i in probed:
            length = int(batch.attention_mask[i].sum())
            lengths.append(length)
            try:
                own = logits(model, padded(batch, i, max(length, 1), pad_id))
            except Exception as exc:  # noqa: BLE001 - a forward that needs more samples is a model limit
                return limited("the model cannot take a batch of 1 (the probe runs each text alone)", exc)
            changes["batch_width"].append(relative_difference(logits(model, padded(batch, i, width, pad_id)), own))
            try:
                at_wide = logits(model, padded(batch, i, wide, pad_id))
            except Exception as exc:  # noqa: BLE001 - a position table too short is a limit, not a bug
                return {**limited(f"the model cannot take {wide} tokens of padding", exc), "widths": [width, wide]}
            changes["wide"].append(relative_difference(at_wide, own))
    return {"probed_rows": len(probed), "lengths": lengths, "batch_width": width, "wide_width": wide,
            "at_batch_width": worst(changes["batch_width"]), "at_wide_width": worst(changes["wide"]),
            "change": worst(changes["batch_width"] + changes["wide"]), "output_scale": scale(own)}


def measure_batch_sizes(model: torch.nn.Module, batch: Batch) -> dict:
    """Largest relative change of a probed text's logits between batches of 1, 2 and the probe batch's size
    (one width, so the padding is equal)."""
    size = len(batch)
    if size < 2:
        raise ProbeError("the probe batch has fewer than 2 samples (set probes.batch_size to 2 or more)")
    probed = list(range(min(PROBED_ROWS, size)))
    by_size: dict[str, list[float | None]] = {"1": [], "2": []}
    with evaluating(model):
        if (unclear := not_repeatable(model, batch)) is not None:
            return unclear
        full = logits(model, batch)
        for i in probed:
            partner = (i + 1) % size
            for name, index in (("1", [i]), ("2", [i, partner])):
                try:
                    out = logits(model, rows(batch, index))
                except Exception as exc:  # noqa: BLE001 - a forward that needs more samples is a model limit
                    return limited(f"the model cannot take a batch of {name}", exc)
                if out.shape[0] != len(index):
                    raise ProbeError(f"for a batch of {name} the model returns shape {list(out.shape)} "
                                     f"(a squeeze() on the batch axis?)")
                by_size[name].append(relative_difference(out[0], full[i]))
    return {"batch_size": size, "probed_rows": len(probed), "size_1": worst(by_size["1"]),
            "size_2": worst(by_size["2"]), "change": worst(by_size["1"] + by_size["2"]), "output_scale": scale(full)}


# -- the probes this family declares (their keys are probes.json's) ------------------------------------------

@probe("batch_size", needs_logits=True)
def batch_size_probe(run: ModelRun) -> dict:
    return measure_batch_sizes(run.model, run.batch)


@probe("padding", needs_logits=True)
def padding_probe(run: ModelRun) -> dict:
    return measure_padding(run.model, run.batch, run.pad_id, run.limit)
