"""What the probes share: running a model in eval mode, comparing outputs, naming parameters."""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Iterator
from typing import Any

import torch

from clearance.neural.parts.parts import forward
from clearance.neural.training.batches import Batch


class ProbeError(Exception):
    """A probe could not run on this model; the message is shown in its check."""


@contextlib.contextmanager
def exact_math() -> Iterator[None]:
    """Full fp32 matmuls on CUDA: TF32, when switched on elsewhere, differs by ~1e-3 between batch sizes."""
    flags = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = flags


@contextlib.contextmanager
def evaluating(model: torch.nn.Module, gradients: bool = False) -> Iterator[torch.nn.Module]:
    """Eval mode (dropout off), without gradients unless ``gradients`` (a probe that reads them), in exact
    fp32; the model's own mode restored after."""
    was_training = model.training
    model.eval()
    try:
        with torch.set_grad_enabled(gradients), exact_math():
            yield model
    finally:
        model.train(was_training)


@contextlib.contextmanager
def seeded(seed: int, device: torch.device | None = None) -> Iterator[None]:
    """Fix the random generators for a block (dropout draws), leaving the caller's state untouched."""
    devices = [device.index or 0] if device is not None and device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def logits(model: torch.nn.Module, batch: Batch) -> torch.Tensor:
    """The model's logits for a batch, as float32 (no autocast: the probes compare exact numbers)."""
    return forward(model, batch.input_ids, batch.attention_mask).float()


def rows(batch: Batch, index: list[int] | torch.Tensor) -> Batch:
    """The given rows of a batch, keeping its width (padding) unchanged."""
    index = torch.as_tensor(index, dtype=torch.long, device=batch.input_ids.device)
    return Batch(batch.input_ids[index], batch.attention_mask[index], batch.labels[index])


def scale(*tensors: torch.Tensor) -> float:
    """The largest absolute value among the tensors (the yardstick of a relative difference)."""
    return max((float(t.detach().abs().max()) for t in tensors if t.numel()), default=0.0)


def relative_difference(a: torch.Tensor, b: torch.Tensor) -> float | None:
    """max |a - b| relative to the larger of the two; None when the values are not finite."""
    a, b = a.detach().float(), b.detach().float()
    if a.shape != b.shape:
        raise ProbeError(f"outputs of shapes {list(a.shape)} and {list(b.shape)} cannot be compared")
    if not (torch.isfinite(a).all() and torch.isfinite(b).all()):
        return None
    size = scale(a, b)
    return float((a - b).abs().max()) / size if size > 0 else 0.0


def relative_norm_difference(a: torch.Tensor, b: torch.Tensor) -> float | None:
    """||a - b|| relative to the larger norm: robust to a few entries flipping on non-deterministic kernels."""
    a, b = a.detach().float(), b.detach().float()
    if not (torch.isfinite(a).all() and torch.isfinite(b).all()):
        return None
    size = max(float(a.norm()), float(b.norm()))
    return float((a - b).norm()) / size if size > 0 else 0.0


def trainable(model: torch.nn.Module) -> list[tuple[str, torch.nn.Parameter]]:
    """The parameters training updates (frozen ones are not the probes' business)."""
    return [(name, p) for name, p in model.named_parameters() if p.requires_grad]


def snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A copy of every trainable parameter's values, by name."""
    return {name: p.detach().clone() for name, p in trainable(model)}


def fresh_copy(model: torch.nn.Module) -> torch.nn.Module:
    """A deep copy, so a probe's steps never touch the model it was given."""
    try:
        return copy.deepcopy(model)
    except Exception as exc:  # noqa: BLE001 - any model that refuses to copy is reported, not crashed on
        raise ProbeError(f"the model cannot be copied (copy.deepcopy failed: {type(exc).__name__}: {exc})") from None


def finite(value: float | None) -> float | None:
    """A JSON-able number: None for NaN and infinities."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def json_ready(value: Any) -> Any:
    """Floats to 7 significant digits (readable, stable JSON; small numbers such as lr keep their value)."""
    if isinstance(value, float):
        return float(f"{value:.7g}") if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return value
