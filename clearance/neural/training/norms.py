"""Gradient and parameter norms, the numbers each evaluation records beside the losses."""

from __future__ import annotations

import math
import re

import torch


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
