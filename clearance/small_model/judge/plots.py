"""Step 3's figures, drawn by its judging stage from training.json and probes.json.

The model stage writes numbers only; drawing here keeps the figures in step with the
thresholds they show (the overfit limit) and costs no training time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from clearance.core.report import plots
from clearance.core.report.fonts import safe, with_chain
from clearance.core.report.plots import _plt, _save, empty_axis, placeholder

# The files this module writes under the report folder (for dvc.yaml's outs).
FILES = {"loss": "loss.png", "grad_norm": "grad_norm.png", "param_norm": "param_norm.png",
         "overfit": "overfit.png", "confusion": "confusion.png", "reliability": "reliability.png"}
NORM_PREFIX = "param_norm/"


def _series(history: list[dict], key: str) -> tuple[list[int], list[float]]:
    """(steps, values) of one history key, leaving out evaluations without it."""
    pairs = [(h["step"], h[key]) for h in history if h.get(key) is not None]
    return [s for s, _ in pairs], [float(v) for _, v in pairs]


def _log_if_positive(ax: Any, values: list[float]) -> None:
    # Norms and losses span decades; a log axis shows the late, small changes.
    if values and min(values) > 0:
        ax.set_yscale("log")


@with_chain
def loss_curves(history: list[dict], metric: str, bar: dict[str, Any] | None, path: Path,
                step_losses: list[float] | None = None) -> Path:
    """Train and valid loss by step (each step's loss faintly, when given), and the valid metric against the bar."""
    fig, (losses, score) = _plt().subplots(1, 2, figsize=(10, 3.4))
    drawn = bool(step_losses)
    if step_losses:
        losses.plot(range(1, len(step_losses) + 1), step_losses, color="tab:blue", alpha=0.25, linewidth=0.8,
                    label="train, each step")
    for key, label, color in (("train_loss", "train (mean since last evaluation)", "tab:blue"),
                              ("valid_loss", "valid", "tab:orange")):
        steps, values = _series(history, key)
        if steps:
            losses.plot(steps, values, marker="o", markersize=3, color=color, label=label)
            drawn = True
    if drawn:
        losses.set_xlabel("step")
        losses.set_ylabel("loss")
        losses.set_title("Loss")
        losses.legend()
    else:
        empty_axis(losses, "no evaluations recorded")
    steps, values = _series(history, f"valid_{metric}")
    if steps:
        score.plot(steps, values, marker="o", markersize=3, label="model")
        for key, label, style in (("baseline", "best baseline", "--"), ("prior", "prior guess", ":")):
            if bar and bar.get(key) is not None:
                score.axhline(float(bar[key]), linestyle=style, color="gray", label=label)
        score.set_xlabel("step")
        score.set_ylabel(safe(f"valid {metric}"))
        score.set_title(safe(f"Valid {metric} against the bar"))
        score.legend()
    else:
        empty_axis(score, f"no valid {metric} recorded")
    return _save(fig, path)


@with_chain
def grad_norm_curve(history: list[dict], path: Path) -> Path:
    """The global gradient norm at each evaluation."""
    fig, ax = _plt().subplots(figsize=(6, 3.2))
    steps, values = _series(history, "grad_norm")
    if steps:
        ax.plot(steps, values, marker="o", markersize=3)
        _log_if_positive(ax, values)
        ax.set_xlabel("step")
        ax.set_ylabel("L2 norm of all gradients")
        ax.set_title("Gradient norm")
    else:
        empty_axis(ax, "no evaluations recorded")
    return _save(fig, path)


def norm_groups(history: list[dict]) -> list[str]:
    """The parameter groups with a norm in the history, in first-seen order."""
    return list(dict.fromkeys(k[len(NORM_PREFIX):] for h in history for k in h if k.startswith(NORM_PREFIX)))


@with_chain
def param_norm_curves(history: list[dict], path: Path) -> Path:
    """Each group's parameter norm, and its change relative to the first evaluation (small moves show there)."""
    fig, (absolute, relative) = _plt().subplots(1, 2, figsize=(10, 3.6))
    groups = norm_groups(history)
    if not groups:
        empty_axis(absolute, "no evaluations recorded")
        empty_axis(relative, "")
        return _save(fig, path)
    everything: list[float] = []
    for group in groups:
        steps, values = _series(history, NORM_PREFIX + group)
        everything += values
        absolute.plot(steps, values, label=safe(group))
        if values and values[0]:
            relative.plot(steps, [v / values[0] - 1 for v in values], label=safe(group))
    _log_if_positive(absolute, everything)
    absolute.set_title("Parameter norm per group")
    absolute.set_ylabel("L2 norm")
    relative.set_title("Change since the first evaluation")
    relative.set_ylabel("norm / first norm − 1")
    for ax in (absolute, relative):
        ax.set_xlabel("step")
    if relative.lines:  # none when every norm overflowed to infinity (a diverged run's JSON holds them as null)
        relative.legend(fontsize="small", loc="best")
    return _save(fig, path)


@with_chain
def overfit_curve(overfit: dict[str, Any], limit: float, path: Path) -> Path:
    """The overfit probe's loss at every step, with the limit it must get below."""
    fig, ax = _plt().subplots(figsize=(6, 3.2))
    losses = [float(x) for x in overfit.get("losses") or [] if x is not None]
    if losses:
        ax.plot(range(1, len(losses) + 1), losses, label="training loss")
        ax.axhline(limit, linestyle="--", color="tab:red", label=f"limit {limit:g}")
        _log_if_positive(ax, losses + [limit])
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        ax.set_title(f"Overfitting {overfit.get('samples', '?')} samples (regularization off)")
        ax.legend()
    else:
        empty_axis(ax, "the overfit probe recorded no losses")
    return _save(fig, path)


def confusion(confusion_data: dict[str, Any] | None, path: Path) -> Path:
    """The model's confusion matrix on valid, through the steps' shared drawing."""
    if not (confusion_data and confusion_data.get("matrix")):
        return placeholder("no confusion matrix recorded", path)
    classes = [str(c) for c in confusion_data["classes"]]
    table = pd.DataFrame(confusion_data["matrix"], index=classes, columns=classes)
    return plots.confusion_matrix(table, path, "The model on valid")


def _reliability_points(table: list[dict[str, Any]]) -> tuple[list[float], list[float], list[int]]:
    """(confidence, accuracy, count) of the bins that hold decisions."""
    kept = [row for row in table if row.get("count")]
    return ([float(r["confidence"]) for r in kept], [float(r["accuracy"]) for r in kept],
            [int(r["count"]) for r in kept])


@with_chain
def reliability(calibration: dict[str, Any] | None, path: Path) -> Path:
    """The reliability diagram on valid: accuracy against confidence per bin, before and after the temperature
    (the diagonal is a calibrated model), and how many decisions each bin holds."""
    if not (calibration and calibration.get("applies")):
        why = (calibration or {}).get("why") or "no calibration recorded"
        return placeholder(f"no reliability diagram: {why}", path)
    fig, (diagram, counts) = _plt().subplots(1, 2, figsize=(10, 3.6))
    diagram.plot([0, 1], [0, 1], linestyle=":", color="gray", label="calibrated")
    tables = calibration.get("reliability") or {}
    everything: list[int] = []
    for key, label, color in (("before", f"model (ECE {calibration['ece_before']:.3f})", "tab:red"),
                              ("after", f"T = {calibration['temperature']:.3g} (ECE {calibration['ece_after']:.3f})",
                               "tab:blue")):
        confidence, accuracy, count = _reliability_points(tables.get(key) or [])
        diagram.plot(confidence, accuracy, marker="o", markersize=3, color=color, label=label)
        counts.plot(confidence, count, marker="o", markersize=3, color=color, label=key)
        everything += count
    _log_if_positive(counts, everything)  # one bin often holds most decisions
    diagram.set_xlim(0, 1)
    diagram.set_ylim(0, 1)
    diagram.set_xlabel("confidence (mean in bin)")
    diagram.set_ylabel("accuracy in bin")
    diagram.set_title("Reliability on valid")
    diagram.legend(fontsize="small")
    counts.set_xlim(0, 1)
    counts.set_xlabel("confidence (mean in bin)")
    counts.set_ylabel("decisions in bin")
    counts.set_title("How many decisions each bin holds")
    counts.legend(fontsize="small")
    return _save(fig, path)


def draw_all(training: dict[str, Any], overfit: dict[str, Any] | None, overfit_limit: float,
             folder: Path) -> dict[str, Path]:
    """Every figure in ``FILES``, written under ``folder`` (a placeholder where there is nothing to draw)."""
    paths = {"overfit": overfit_curve(overfit or {}, overfit_limit, folder / FILES["overfit"])}
    if not training.get("trained"):
        for name in ("loss", "grad_norm", "param_norm", "confusion", "reliability"):
            paths[name] = placeholder("the real training did not run", folder / FILES[name])
        return paths
    history = training.get("history") or []
    paths["loss"] = loss_curves(history, training.get("primary_metric", "macro_f1"), training.get("bar_measure"),
                                folder / FILES["loss"], training.get("step_losses"))
    paths["grad_norm"] = grad_norm_curve(history, folder / FILES["grad_norm"])
    paths["param_norm"] = param_norm_curves(history, folder / FILES["param_norm"])
    paths["confusion"] = confusion(training.get("confusion"), folder / FILES["confusion"])
    paths["reliability"] = reliability(training.get("calibration"), folder / FILES["reliability"])
    return paths
