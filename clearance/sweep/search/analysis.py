"""Step 4's measurements of a finished sweep: pure functions on plain data, JSON-able results.

A *trial* here is a plain dict, as the sweep records it::

    {"number": int, "state": "COMPLETE" | "FAIL" | "PRUNED" | "RUNNING" | "WAITING",
     "value": float | None, "params": {dotted key: value}, "error": str, "seconds": float, "run_id": str,
     "diverged": {"step", "loss", "lr", "where", "message"} | None}   # a PRUNED trial whose loss turned NaN

Only COMPLETE trials with a finite value count as scored. Nothing here reads or writes files or
talks to MLflow; optuna is imported only inside ``importances``.

Direction: the metric may be one to minimize (``log_loss``). Functions whose answer depends on
it take ``direction`` ("maximize" or "minimize"): ``importances``, ``budget_curve`` and
``paired_bootstrap``. Their outputs keep raw metric values, except the bootstrap's *gain*,
which is always "higher is better" (best minus reference when maximizing, reference minus
best when minimizing), so a positive gain always means the sweep helped.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from clearance.core.errors import UserError
from clearance.sweep.search.space import Dimension, distributions, position

DIRECTIONS = ("maximize", "minimize")
EVALUATORS = ("fanova", "ped_anova")
NUMERIC_KINDS = ("uniform", "loguniform", "int", "logint")
DIGITS = 6  # rounding of reported floats: stable JSON, no false precision


# -- trials -------------------------------------------------------------------------------------------------------

def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def scored(trials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The COMPLETE trials with a finite value, by trial number."""
    done = [t for t in trials if t.get("state") == "COMPLETE" and _finite(t.get("value"))]
    return sorted(done, key=lambda t: t["number"])


def diverged(trials: list[dict[str, Any]]) -> dict[str, Any]:
    """The trials whose loss or logits turned NaN or infinite: how many, and each one's settings and where.

    Returns ``{"count": int, "trials": [{"number", "params", "step", "loss", "lr", "message"}, ...]}``,
    by trial number.
    """
    found = sorted((t for t in trials if t.get("diverged")), key=lambda t: t["number"])
    return {"count": len(found),
            "trials": [{"number": t["number"], "params": t["params"],
                        **{k: t["diverged"].get(k) for k in ("step", "loss", "lr", "message")}} for t in found]}


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")


def _better(a: float, b: float, direction: str) -> bool:
    return a > b if direction == "maximize" else a < b


def _varying(trials: list[dict[str, Any]], keys: list[str]) -> list[str]:
    """The keys that take more than one value across the trials (values compared by their repr)."""
    return [k for k in keys if len({repr(t["params"][k]) for t in trials}) > 1]


# -- importances --------------------------------------------------------------------------------------------------

def _evaluator(name: str, seed: int) -> Any:
    from optuna.importance import FanovaImportanceEvaluator, PedAnovaImportanceEvaluator

    if name == "fanova":
        return FanovaImportanceEvaluator(seed=seed)
    if name == "ped_anova":
        return PedAnovaImportanceEvaluator()  # deterministic: no seed to set
    raise UserError("sweep.importance", f"unknown importance evaluator {name!r}",
                    f"set sweep.importance to one of: {', '.join(EVALUATORS)} (conf/sweep/)")


def _study(trials: list[dict[str, Any]], dims: list[Dimension], direction: str) -> tuple[Any, int]:
    """An in-memory study holding the trials; also how many did not fit the space (skipped)."""
    import optuna

    dists = distributions(dims)
    study = optuna.create_study(direction=direction, sampler=optuna.samplers.RandomSampler(seed=0))
    skipped = 0
    for t in trials:
        params = {k: v for k, v in t["params"].items() if k in dists}
        try:
            frozen = optuna.trial.create_trial(params=params, distributions={k: dists[k] for k in params},
                                               value=float(t["value"]))
        except ValueError:  # a value outside its dimension: recorded under another space
            skipped += 1
            continue
        study.add_trial(frozen)
    return study, skipped


def _quiet_optuna() -> int:
    """Silence optuna's INFO lines ("A new study created in memory"); returns the level to restore."""
    import optuna

    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return level


def importances(trials: list[dict[str, Any]], dims: list[Dimension], evaluator: str, seed: int,
                direction: str = "maximize") -> dict[str, Any]:
    """Which dimensions mattered, by optuna's importance evaluator named ``evaluator``.

    Returns ``{"values": {key: share}, "evaluator": name, "note": str}``: ``values`` are
    normalized importances (summing to 1, highest first) of the dimensions that varied across
    the COMPLETE trials (the others are left out, named in ``note``), or ``{}`` when they cannot be computed, with ``note`` saying why
    (fewer than 2 complete trials, no dimension varies, every trial scored the same, the
    evaluator raised). ``note`` also carries the evaluator's warnings. fANOVA is seeded with
    ``seed``; PED-ANOVA is deterministic; the same input gives the same output.
    """
    import optuna

    _check_direction(direction)
    result: dict[str, Any] = {"values": {}, "evaluator": evaluator, "note": ""}
    chosen = _evaluator(evaluator, seed)
    done = scored(trials)
    keys = [d.key for d in dims if done and all(d.key in t["params"] for t in done)]
    if len(done) < 2:
        return {**result, "note": f"{len(done)} complete trial(s): importances need at least 2"}
    if len({t["value"] for t in done}) == 1:
        return {**result, "note": "every complete trial scored the same: no dimension made a difference"}
    varying = _varying(done, keys)
    if not varying:
        return {**result, "note": "no dimension took more than one value across the complete trials"}
    level = _quiet_optuna()
    try:
        study, skipped = _study(done, [d for d in dims if d.key in varying], direction)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            values = optuna.importance.get_param_importances(study, evaluator=chosen, params=varying,
                                                            normalize=True)
    except Exception as error:  # the evaluator's limits on few trials are not the user's fault
        return {**result, "note": f"{evaluator} could not compute importances: {type(error).__name__}: {error}"}
    finally:
        optuna.logging.set_verbosity(level)
    notes = [f"{skipped} trial(s) outside the current space were left out"] if skipped else []
    fixed = [k for k in keys if k not in varying]
    notes += [f"left out, one value in every trial: {', '.join(fixed)}"] if fixed else []
    notes += sorted({str(w.message) for w in caught if "experimental" not in str(w.message).lower()})
    shares = {k: round(float(v), DIGITS) for k, v in values.items()}
    return {**result, "values": shares, "note": "; ".join(notes)}


# -- per-dimension views ------------------------------------------------------------------------------------------

def numeric(dim: Dimension) -> bool:
    """Whether a dimension's values are numbers with an order (ranges, and choices of numbers)."""
    if dim.kind in NUMERIC_KINDS:
        return True
    return bool(dim.choices) and all(_finite(c) for c in dim.choices)


def scatter(trials: list[dict[str, Any]], dims: list[Dimension]) -> dict[str, list[list[Any]]]:
    """Key -> ``[[value, metric], ...]`` over the complete trials that set it, by trial number."""
    done = scored(trials)
    return {d.key: [[t["params"][d.key], t["value"]] for t in done if d.key in t["params"]] for d in dims}


def spearman(trials: list[dict[str, Any]], dims: list[Dimension]) -> dict[str, float | None]:
    """Spearman's rank correlation of each numeric dimension with the metric.

    None when fewer than 3 complete trials set it, or when the value or the metric is constant
    (the correlation is undefined). Rank-based, so a log scale changes nothing.
    """
    from scipy.stats import spearmanr

    result: dict[str, float | None] = {}
    for dim in filter(numeric, dims):
        points = [(float(x), float(y)) for x, y in scatter(trials, [dim])[dim.key] if _finite(x)]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        if len(points) < 3 or len(set(xs)) < 2 or len(set(ys)) < 2:
            result[dim.key] = None
            continue
        rho = float(spearmanr(xs, ys).statistic)
        result[dim.key] = round(rho, DIGITS) if math.isfinite(rho) else None
    return result


def edges(dims: list[Dimension], best_params: dict[str, Any]) -> dict[str, float | None]:
    """Key -> where the best value sits in its dimension, 0..1 (None: no order, or not set)."""
    return {d.key: position(d, best_params[d.key]) if d.key in best_params else None for d in dims}


# -- budget -------------------------------------------------------------------------------------------------------

def budget_curve(trials: list[dict[str, Any]], direction: str = "maximize") -> list[float | None]:
    """The best value so far after each trial, by trial number (all trials; only complete ones score).

    Entry i belongs to the i-th trial by number; None until the first complete trial. Monotone:
    never decreasing when maximizing, never increasing when minimizing.
    """
    _check_direction(direction)
    best: float | None = None
    curve: list[float | None] = []
    for t in sorted(trials, key=lambda t: t["number"]):
        value = t.get("value")
        if t.get("state") == "COMPLETE" and _finite(value) and (best is None or _better(value, best, direction)):
            best = float(value)
        curve.append(best)
    return curve


# -- gain against seed noise --------------------------------------------------------------------------------------

def _std(values: np.ndarray) -> float | None:
    return round(float(values.std(ddof=1)), DIGITS) if len(values) > 1 else None


def paired_bootstrap(best: list[float | None], reference: list[float | None], resamples: int, seed: int,
                     direction: str = "maximize") -> dict[str, Any]:
    """The gain of ``best`` over ``reference``, paired by seed, with a 95% bootstrap interval.

    ``best[i]`` and ``reference[i]`` are the two configurations' scores with the same seed i.
    The gain is "higher is better" whatever the direction (see the module docstring). Returns
    ``{"mean_gain", "low", "high", "best_mean", "best_std", "reference_mean", "reference_std",
    "seeds", "differences", "resamples", "direction", "note"}``: ``low``/``high`` is the 2.5–97.5
    percentile interval of the mean paired gain over ``resamples`` resamples of the seeds
    (numpy Generator seeded with ``seed``); stds are sample stds (None with one seed). Pairs with
    a missing or non-finite score are dropped (the note says how many). With one seed the
    interval is that single difference and says nothing about noise; with none, every number is None.
    """
    _check_direction(direction)
    if len(best) != len(reference):
        raise ValueError(f"paired scores need equal lengths, not {len(best)} and {len(reference)}")
    pairs = [(float(b), float(r)) for b, r in zip(best, reference) if _finite(b) and _finite(r)]
    notes = [f"{len(best) - len(pairs)} seed(s) without both scores were dropped"] if len(pairs) < len(best) else []
    result: dict[str, Any] = {"seeds": len(pairs), "resamples": resamples, "direction": direction}
    if not pairs:
        keys = ("mean_gain", "low", "high", "best_mean", "best_std", "reference_mean", "reference_std")
        return {**result, **dict.fromkeys(keys), "differences": [],
                "note": "; ".join(notes + ["no seed has both scores: nothing to compare"])}
    b, r = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    diffs = (b - r) if direction == "maximize" else (r - b)
    if len(diffs) == 1:
        low = high = float(diffs[0])
        notes.append("one seed: the interval is that single difference and cannot show seed noise")
    else:
        picks = np.random.default_rng(seed).integers(0, len(diffs), size=(resamples, len(diffs)))
        low, high = (float(q) for q in np.percentile(diffs[picks].mean(axis=1), [2.5, 97.5]))
    return {**result, "mean_gain": round(float(diffs.mean()), DIGITS), "low": round(low, DIGITS),
            "high": round(high, DIGITS), "best_mean": round(float(b.mean()), DIGITS), "best_std": _std(b),
            "reference_mean": round(float(r.mean()), DIGITS), "reference_std": _std(r),
            "differences": [round(float(d), DIGITS) for d in diffs], "note": "; ".join(notes)}
