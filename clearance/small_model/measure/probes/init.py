"""Initialization that does not break symmetry: units that start equal get equal gradients and stay equal.

A trainable weight (dim >= 2) that is constant, or whose rows are all the same, is
flagged by name. Frozen parameters are skipped: they never train, so symmetry is moot.
"""

from __future__ import annotations

import torch

from clearance.small_model.measure.probes.common import trainable
from clearance.small_model.measure.probes.declared import ModelRun, probe


def is_constant(p: torch.Tensor) -> bool:
    """Every entry equal (e.g. zeros or a fill value)."""
    flat = p.detach().reshape(-1)
    return flat.numel() > 1 and bool((flat == flat[0]).all())


def has_identical_rows(p: torch.Tensor) -> bool:
    """At least two rows, all of them equal (each unit starts as a copy of the first)."""
    values = p.detach()
    return values.shape[0] > 1 and bool((values == values[:1]).all())


def measure_symmetry(model: torch.nn.Module) -> dict:
    """Names of trainable weight matrices that are constant, or made of identical rows."""
    matrices = [(name, p) for name, p in trainable(model) if p.dim() >= 2]
    constant = [name for name, p in matrices if is_constant(p)]
    identical = [name for name, p in matrices if name not in constant and has_identical_rows(p)]
    return {"checked": len(matrices), "constant": constant, "identical_rows": identical}


# -- the probes this family declares (their keys are probes.json's) ------------------------------------------

@probe("symmetry")
def symmetry_probe(run: ModelRun) -> dict:
    return measure_symmetry(run.model)
