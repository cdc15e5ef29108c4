"""Where the model runs (`train.device`) and in which precision (`train.precision`)."""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable
from contextlib import AbstractContextManager

import torch

from clearance.core.errors import UserError

Autocast = Callable[[], AbstractContextManager]

DEVICES = "auto | cpu | cuda | cuda:N"
PRECISIONS = "auto | fp32 | bf16"


def resolve(device: str, precision: str) -> tuple[torch.device, Autocast]:
    """The torch device, and a factory of the autocast context every forward pass runs in."""
    where = resolve_device(device)
    return where, autocast_for(where, precision)


def resolve_device(device: str) -> torch.device:
    """auto: CUDA when present, else CPU. Asking for an absent CUDA device is an error, not a fallback."""
    name = str(device).strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if not re.fullmatch(r"cuda(:\d+)?", name):
        raise UserError(f"train.device={device}", f"unknown device (expected {DEVICES})",
                        "set train.device=auto to use CUDA when present, else the CPU")
    if not torch.cuda.is_available():
        build = "a CPU-only build of torch" if torch.version.cuda is None else "no CUDA device is visible"
        raise UserError(f"train.device={device}", f"CUDA was asked for but is not available ({build})",
                        "set train.device=auto (or cpu), or run on a machine with a CUDA GPU and torch built for it")
    where = torch.device(name)
    if where.index is not None and where.index >= torch.cuda.device_count():
        raise UserError(f"train.device={device}", f"only {torch.cuda.device_count()} CUDA device(s) exist",
                        f"choose cuda:0 to cuda:{torch.cuda.device_count() - 1}, or auto")
    return where


def autocast_for(where: torch.device, precision: str) -> Autocast:
    """auto: bf16 autocast on a CUDA device that supports it, else fp32 (a context that does nothing)."""
    name = str(precision).strip().lower()
    if name not in ("auto", "fp32", "bf16"):
        raise UserError(f"train.precision={precision}", f"unknown precision (expected {PRECISIONS})",
                        "set train.precision=auto")
    bf16_ok = where.type == "cpu" or (where.type == "cuda" and torch.cuda.is_bf16_supported())
    if name == "bf16" and not bf16_ok:
        raise UserError(f"train.precision={precision}", f"this device ({where}) does not support bf16",
                        "set train.precision=auto (or fp32)")
    # auto leaves the CPU in fp32: bf16 autocast there is slower on most CPUs and changes the numbers.
    use_bf16 = name == "bf16" or (name == "auto" and where.type == "cuda" and bf16_ok)
    if not use_bf16:
        return contextlib.nullcontext
    return functools.partial(torch.autocast, device_type=where.type, dtype=torch.bfloat16)
