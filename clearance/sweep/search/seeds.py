"""Is the sweep's gain bigger than seed noise? The best configuration and step 3's, each re-run
with the same k seeds (paired), at the sweep's budget; the best one's first-seed model is packaged."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clearance.core.config.sweep import SweepStage
from clearance.core.paths import BEST_MODEL_DIR, KEPT_TRIAL_DIR
from clearance.neural.serving import save_predictor, save_untrained
from clearance.neural.training.divergence import Diverged
from clearance.sweep.search.analysis import paired_bootstrap
from clearance.sweep.search.kept import copy_package, kept_for
from clearance.sweep.search.trial import Scored, Setup, configuration, train_and_score

CONFIGS = ("best", "reference")  # reference: step 3's configuration at the sweep's budget

# A tracked run around one re-run: (name, params) -> context; its on_eval logs the curves.
RunFactory = Callable[[str, dict[str, Any]], AbstractContextManager]


def seed_list(first: int, count: int) -> list[int]:
    """The paired seeds: the same for both configurations."""
    return [first + i for i in range(max(count, 1))]


@dataclass(frozen=True)
class Reused:
    """A first seed the sweep already trained: the trial's score, MLflow run and number, and (best) its package."""

    value: float
    run_id: str
    trial: int
    package: Path | None = None


def reusable(measured: dict[str, Any] | None, name: str, seed: int, kept: Path = KEPT_TRIAL_DIR) -> Reused | None:
    """The trial that is configuration ``name``'s run with ``seed`` at the sweep's budget, if the sweep made it:
    the queued trial of step 3's values (reference), the best trial with its kept package (best)."""
    if not measured:
        return None
    if name == "reference":
        trial = next((t for t in measured["trials"] if t.get("reference") and t["state"] == "COMPLETE"), None)
    else:
        trial = measured.get("best")
    if not trial or trial.get("seed") != seed or trial.get("value") is None:
        return None
    package = kept_for(measured["study"], trial["number"], seed, kept) if name == "best" else None
    if name == "best" and package is None:
        return None  # its first seed is packaged: without the trial's package, it is trained again
    return Reused(float(trial["value"]), trial.get("run_id", ""), trial["number"], package)


def rerun(setup: Setup, values: dict[str, Any], seeds: list[int], name: str, best_dir: Path,
          tracked: RunFactory, on_eval: Callable[[dict[str, Any]], None] | None = None,
          reused: Reused | None = None) -> dict[str, Any]:
    """Train one configuration once per seed (the best one's first-seed model is packaged); its scores.

    ``reused``: the first seed's run, already made by a sweep trial (the same settings, seed and budget give
    the same model), taken instead of trained. A seed whose training diverges scores None (the bootstrap
    leaves its pair out) and is listed under ``diverged``; when it is the best one's first seed, its package
    says so instead of holding a model.
    """
    scores: list[float | None] = []
    runs, trials, diverged, optimizer = [], [], [], ""
    for i, seed in enumerate(seeds):
        packaged = i == 0 and name == "best"  # step 3's own model (models/model) stands for the reference
        trials.append(reused.trial if i == 0 and reused else None)
        if i == 0 and reused is not None:
            scores.append(reused.value)
            runs.append(reused.run_id)
            if packaged and reused.package is not None:
                copy_package(reused.package, best_dir)
            continue
        try:
            with tracked(f"{name}_seed_{seed}", {**values, "train.seed": seed}) as run:
                runs.append(getattr(getattr(run, "info", None), "run_id", ""))
                scored: Scored = train_and_score(setup, configuration(setup, values, seed=seed), on_eval)
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
    optimizer = optimizer or str(configuration(setup, values).optimizer.get("_target_", "")).rsplit(".", 1)[-1]
    return {"params": values, "values": scores, "run_ids": runs, "diverged": diverged, "trials": trials,
            "optimizer": optimizer}


def optimizer_name(optimizer: Any) -> str:
    """The optimizer's class name, from the parts' factory (a partial of the class, or the class)."""
    return optimizer.func.__name__ if hasattr(optimizer, "func") else type(optimizer).__name__


def rerun_seeds(stage: SweepStage, setup: Setup, best: dict[str, Any], tracked: RunFactory,
                on_eval: Callable[[dict[str, Any]], None] | None = None, best_dir: Path = BEST_MODEL_DIR,
                measured: dict[str, Any] | None = None, kept: Path = KEPT_TRIAL_DIR) -> dict[str, Any]:
    """Both configurations over the paired seeds, and the bootstrap interval of the mean gain.

    With the sweep's ``measured`` trials, a first seed that a trial already trained is reused (``reusable``);
    when the best configuration is step 3's own, its runs are the reference's too (a gain of exactly 0).
    """
    seeds = seed_list(stage.sweep.seed, stage.sweep.seeds)
    values = dict(best["params"])
    runs = {"best": rerun(setup, values, seeds, "best", best_dir, tracked, on_eval,
                          reusable(measured, "best", seeds[0], kept))}
    if configuration(setup, values) == configuration(setup, {}):  # step 3's settings won: the same runs
        runs["reference"] = {**copy.deepcopy(runs["best"]), "params": {}, "shared": True}
    else:
        runs["reference"] = rerun(setup, {}, seeds, "reference", best_dir, tracked, on_eval,
                                  reusable(measured, "reference", seeds[0], kept))
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
