"""Is the sweep's gain bigger than seed noise? The best configuration and step 3's, each re-run
with the same k seeds (paired), at the sweep's budget; the best one's first-seed model is packaged."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from clearance.core.config.sweep import SweepStage
from clearance.core.paths import BEST_MODEL_DIR
from clearance.neural.serving import save_predictor, save_untrained
from clearance.neural.training.divergence import Diverged
from clearance.sweep.search.analysis import paired_bootstrap
from clearance.sweep.search.trial import Scored, Setup, configuration, train_and_score

CONFIGS = ("best", "reference")  # reference: step 3's configuration at the sweep's budget

# A tracked run around one re-run: (name, params) -> context; its on_eval logs the curves.
RunFactory = Callable[[str, dict[str, Any]], AbstractContextManager]


def seed_list(first: int, count: int) -> list[int]:
    """The paired seeds: the same for both configurations."""
    return [first + i for i in range(max(count, 1))]


def rerun(setup: Setup, values: dict[str, Any], seeds: list[int], name: str, best_dir: Path,
          tracked: RunFactory, on_eval: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Train one configuration once per seed (the best one's first-seed model is packaged); its scores.

    A seed whose training diverges scores None (the bootstrap leaves its pair out) and is listed under
    ``diverged``; when it is the best one's first seed, its package says so instead of holding a model.
    """
    scores: list[float | None] = []
    runs, diverged, optimizer = [], [], ""
    for i, seed in enumerate(seeds):
        cfg = configuration(setup, values, seed=seed)
        packaged = i == 0 and name == "best"  # step 3's own model (models/model) stands for the reference
        try:
            with tracked(f"{name}_seed_{seed}", {**values, "train.seed": seed}) as run:
                runs.append(getattr(getattr(run, "info", None), "run_id", ""))
                scored: Scored = train_and_score(setup, cfg, on_eval)
        except Diverged as stop:
            scores.append(None)
            diverged.append({"seed": seed, **stop.divergence.to_dict()})
            if packaged:
                save_untrained(best_dir, f"seed {seed}: {stop}")
            continue
        scores.append(scored.value)
        optimizer = optimizer or optimizer_name(scored.parts.optimizer)
        if packaged:
            # a multi-label model's decision threshold and the temperature, both fitted on valid, travel with it
            save_predictor(best_dir, scored.cfg, scored.parts, scored.result.model, threshold=scored.result.threshold,
                           temperature=scored.result.temperature)
    return {"params": values, "values": scores, "run_ids": runs, "diverged": diverged,
            "optimizer": optimizer or str(cfg.optimizer.get("_target_", "")).rsplit(".", 1)[-1]}


def optimizer_name(optimizer: Any) -> str:
    """The optimizer's class name, from the parts' factory (a partial of the class, or the class)."""
    return optimizer.func.__name__ if hasattr(optimizer, "func") else type(optimizer).__name__


def rerun_seeds(stage: SweepStage, setup: Setup, best: dict[str, Any], tracked: RunFactory,
                on_eval: Callable[[dict[str, Any]], None] | None = None,
                best_dir: Path = BEST_MODEL_DIR) -> dict[str, Any]:
    """Both configurations over the paired seeds, and the bootstrap interval of the mean gain."""
    seeds = seed_list(stage.sweep.seed, stage.sweep.seeds)
    runs = {name: rerun(setup, values, seeds, name, best_dir, tracked, on_eval)
            for name, values in (("best", dict(best["params"])), ("reference", {}))}
    boot = paired_bootstrap(runs["best"]["values"], runs["reference"]["values"], stage.sweep.bootstrap,
                            stage.sweep.seed, setup.direction)
    for run in runs.values():
        scored = [v for v in run["values"] if v is not None]  # a diverged seed has no score
        run.update(mean=_mean(scored) if scored else None, std=_std(scored))
    return {"metric": setup.metric, "direction": setup.direction, "seeds": seeds,
            "optimizer": runs["best"].pop("optimizer"), "best_trial": best.get("number"),
            "best": runs["best"], "reference": {k: v for k, v in runs["reference"].items() if k != "optimizer"},
            "bootstrap": boot, "fixed": setup.fixed}


def gain_line(boot: dict[str, Any], seeds: list[int]) -> str:
    """The paired gain in one line, or why there is none (every pair lost a seed to divergence)."""
    if boot.get("mean_gain") is None:
        return f"no paired gain over step 3's configuration: {boot.get('note') or 'no seed has both scores'}"
    return (f"mean gain over step 3's configuration: {boot['mean_gain']:.4f} [{boot['low']:.4f}, {boot['high']:.4f}] "
            f"over seeds {seeds}")


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _std(values: list[float]) -> float | None:
    if len(values) < 2:
        return None
    mean = _mean(values)
    return (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5


def no_tracking(name: str, params: dict[str, Any]) -> AbstractContextManager:
    """A RunFactory that tracks nothing (tests, notebooks)."""
    return contextlib.nullcontext()
