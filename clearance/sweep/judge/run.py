"""Step 4's judging: grade the sweep, the seed re-runs and the final test; write checks, report and manifest.

Reads what the sweep's stages measured (measurements.json, seeds.json, final.json), the test split's
ledger and, when given, the store's record of its scorings (test_split_reuse compares the two), and,
for the comparison table, steps 2 and 3's metrics files; nothing else. A threshold change re-grades in
seconds without a single trial. Imports neither optuna nor torch.

seeds.json and final.json may be missing (their stage has not run yet, or failed): the report
then shows what exists and the checks that need them warn "not measured".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import MISSING

from clearance.checklist.declared import declared_in, grade_all, limits_schema
from clearance.checklist.required import FILE as QUESTIONS_FILE
from clearance.checklist.judging import Measured, StepJudging, judge_step
from clearance.checklist.results import CheckResult, Judgement
from clearance.core.config.tracking import TrackingConfig
from clearance.core.errors import UserError
from clearance.core.paths import report_dir
from clearance.core.report.html import embed_png
from clearance.core.task import SINGLE_LABEL
from clearance.sweep.final.files import FINAL_FILE, LEDGER
from clearance.sweep.final.ledger import StoreRuns
from clearance.sweep.judge import checks as step_checks
from clearance.sweep.judge import plots as sweep_plots
from clearance.sweep.judge.checks import edge_evidence
from clearance.sweep.judge.inputs import (
    checks_input,
    is_number,
    missing,
    read_earlier,
    read_inputs,
    settings_of,
    split_score,
)
from clearance.sweep.search.files import MEASUREMENTS_FILE, SEEDS_FILE, STEP

TEMPLATE = Path(__file__).with_name("report.html.j2")  # extends clearance/core/report/templates/base.html.j2
QUESTIONS = Path(__file__).with_name(QUESTIONS_FILE)  # this step's required questions

PLOTS_DIR = "plots"
MODEL_FOLDER = report_dir("model")
ROUGH = ("Importances from few trials are rough: each one rests on {n} complete trial(s), and another seed "
         "or a few more trials can reorder them. Trust a conclusion only where the importance, the rank "
         "correlation and the scatter agree.")
VALID_ONLY = ("Every selection used the valid split only: the best trial, the seed re-runs and the choice of "
              "the final model were all decided on valid. The test split is scored only for the chosen model, "
              "and the ledger counts every scoring of it.")

# What step 2's prior guess is, by task (its expected score is the bar's prior_expected).
PRIOR_ROW = {SINGLE_LABEL: "guessing in class proportions (prior, expected)",
             "multi_label": "each label guessed at its share (prior, expected)",
             "regression": "predicting the training target's mean (prior, expected)"}

CHECKS = declared_in(step_checks)
SweepChecks = limits_schema("SweepChecks", CHECKS,
                            "Thresholds of step 4's checks (checks.sweep; declared in checks.py).")


@dataclass
class SweepJudge:
    """What judging step 4 reads: its thresholds, step 3's learning-rate band (lr_plausible and the final
    choice grade it), and the store that records every scoring of the test split (test_split_reuse compares
    it with the ledger)."""

    checks: SweepChecks = field(default=MISSING, metadata={"params": "checks.sweep"})  # type: ignore[valid-type]
    lr_band: dict[str, list[float]] = field(default=MISSING, metadata={"params": "checks.model.lr_band"})
    tracking: TrackingConfig = MISSING


# -- the report's sections ----------------------------------------------------------------------------------------

def show(value: Any) -> str:
    """A value as the report prints it: 4 significant digits for floats, "–" for nothing."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def gain(value: float | None, reference: float | None, direction: str) -> float | None:
    """How much better ``value`` is than ``reference`` (positive is better, whatever the direction)."""
    if not (is_number(value) and is_number(reference)):
        return None
    return (value - reference) if direction != "minimize" else (reference - value)


def comparison(measured: dict[str, Any], seeds: dict[str, Any] | None, final: dict[str, Any] | None,
               model: dict[str, Any], bar: dict[str, Any]) -> dict[str, Any]:
    """One table on valid (best trial, step 3 at the same budget, step 3's model, best baseline, prior), and test."""
    metric, direction = measured.get("metric") or "", measured.get("direction") or "maximize"
    best = measured.get("best") or {}
    model_bar = model.get("bar") or {}
    model_score = model_bar.get("model") if is_number(model_bar.get("model")) else \
        split_score(model.get("valid"), "valid", metric)
    rows = [
        (f"best trial (#{best['number']}), at the sweep's budget" if "number" in best else "best trial",
         best.get("value") if is_number(best.get("value")) else None, f"{STEP}/{MEASUREMENTS_FILE}#best"),
        ("step 3's configuration re-run at the same budget (mean over seeds)",
         ((seeds or {}).get("reference") or {}).get("mean"), f"{STEP}/{SEEDS_FILE}#reference"),
        ("step 3's model (its full run)", model_score, "model/metrics.json#bar"),
        (f"best baseline ({bar['best_baseline']})" if bar.get("best_baseline") else "best baseline",
         bar.get("valid"), "baselines/metrics.json#bar"),
        (PRIOR_ROW.get(measured.get("task") or SINGLE_LABEL, PRIOR_ROW[SINGLE_LABEL]), bar.get("prior_expected"),
         "baselines/metrics.json#bar"),
    ]
    top = rows[0][1]
    table = [{"name": name, "value": value, "text": show(value), "source": f"reports/{source}",
              "gain": None if i == 0 else gain(top, value, direction)} for i, (name, value, source) in enumerate(rows)]
    chosen = (final or {}).get("chosen")
    test = split_score((final or {}).get("test"), "test", metric)
    return {"metric": metric, "direction": direction, "rows": table,
            "test": {"name": f"final model ({chosen})" if chosen else "final model", "value": test,
                     "text": show(test), "source": f"reports/{STEP}/{FINAL_FILE}#test",
                     "seen": ((final or {}).get("ledger") or {}).get("seen")}}


def dimension_kinds(space: dict[str, Any]) -> dict[str, str]:
    """Each searched key's kind ("loguniform", "choice", ...), read from its expression's function name."""
    from clearance.sweep.search.space import parse_expression

    kinds = {}
    for key, text in space.items():
        try:
            kinds[key] = parse_expression(key, text).kind
        except UserError:  # written by another version: the name before "(" still tells the kind
            kinds[key] = str(text).split("(", 1)[0].strip()
    return kinds


def edge_note(position: float | None, reasons: list[str] | None) -> str:
    """Where a best value sits, in words, when it is on an edge; whether the trials say it mattered."""
    if position is None or reasons is None:
        return ""
    end = "low end" if position < 0.5 else "high end"
    if reasons:
        return f"{end}: on the edge of the grid where it mattered ({'; '.join(reasons)}): widen it"
    return f"{end}: on an edge, with no sign that it mattered (information)"


def best_view(measured: dict[str, Any], checks: Any) -> dict[str, Any]:
    """The best trial: its score, and each searched value with its position in the range."""
    best = measured.get("best")
    if not best:
        return {"found": False}
    params, positions = best.get("params") or {}, measured.get("positions") or {}
    evidence = edge_evidence(measured, checks)
    rows = [{"key": key, "range": text, "value": show(params.get(key)), "position": positions.get(key),
             "edge": edge_note(positions.get(key), evidence.get(key))}
            for key, text in (measured.get("space") or {}).items()]
    return {"found": True, "number": best.get("number"), "value": show(best.get("value")),
            "run_id": best.get("run_id") or "", "rows": rows, "share": checks.edge_share}


def importance_view(measured: dict[str, Any]) -> dict[str, Any]:
    """Importances beside the Spearman correlations, most important first, and how rough they are."""
    found = measured.get("importances") or {}
    shares, rhos = found.get("values") or {}, measured.get("spearman") or {}
    keys = list(dict.fromkeys([*sorted(shares, key=lambda k: -float(shares[k] or 0)),
                               *(measured.get("space") or {}), *rhos]))
    complete = sum(t.get("state") == "COMPLETE" for t in measured.get("trials") or [])
    return {"evaluator": found.get("evaluator") or "–", "note": found.get("note") or "",
            "rough": ROUGH.format(n=complete),
            "rows": [{"key": k, "share": shares.get(k), "rho": rhos.get(k)} for k in keys]}


def budget_view(measured: dict[str, Any]) -> dict[str, Any]:
    """Where the best-so-far curve last improved, out of how many trials."""
    curve = measured.get("budget_curve") or []
    numbers = sorted(t.get("number", i) for i, t in enumerate(measured.get("trials") or []))
    last = None
    for i, value in enumerate(curve):
        if value is not None and (i == 0 or value != curve[i - 1]):
            last = numbers[i] if i < len(numbers) else i
    return {"trials": len(curve), "budget": measured.get("trials_budget"), "last_gain": last,
            "best": show(next((v for v in reversed(curve) if v is not None), None))}


def noise_view(seeds: dict[str, Any] | None) -> dict[str, Any]:
    """Each seed's scores of both configurations, their means and spreads, and the mean gain's interval."""
    if seeds is None:
        return {"measured": False, "note": missing("the seed re-runs", SEEDS_FILE)["skipped"]}
    best, ref = seeds.get("best") or {}, seeds.get("reference") or {}
    b = seeds.get("bootstrap") or {}
    numbers = seeds.get("seeds") or []
    values_b, values_r = best.get("values") or [], ref.get("values") or []
    rows = [{"seed": s, "best": show(_at(values_b, i)), "reference": show(_at(values_r, i)),
             "best_trial": _at(best.get("trials") or [], i), "reference_trial": _at(ref.get("trials") or [], i),
             "difference": show(_at(b.get("differences") or [], i))} for i, s in enumerate(numbers)]
    return {"measured": True, "rows": rows, "optimizer": seeds.get("optimizer") or "–",
            "shared": bool(ref.get("shared")),
            "best": {k: show(best.get(k)) for k in ("mean", "std")}, "best_params": best.get("params") or {},
            "reference": {k: show(ref.get(k)) for k in ("mean", "std")},
            "gain": {k: show(b.get(k)) for k in ("mean_gain", "low", "high")}, "resamples": b.get("resamples"),
            "note": b.get("note") or seeds.get("error") or ""}


def _at(values: list[Any], i: int) -> Any:
    return values[i] if i < len(values) else None


def final_view(final: dict[str, Any] | None, metric: str) -> dict[str, Any]:
    """Which model met the test split and why (one sentence), valid beside test, and the ledger's count."""
    if final is None:
        return {"measured": False, "note": missing("the final test", FINAL_FILE)["skipped"]}
    valid, test = final.get("valid") or {}, final.get("test") or {}
    names = list(dict.fromkeys([k.split("_", 1)[1] for k in [*valid, *test] if "_" in k]))
    names.sort(key=lambda m: m != metric)  # the primary metric first
    ledger = final.get("ledger") or {}
    return {"measured": True, "chosen": final.get("chosen") or "none", "why": final.get("why") or "",
            "params": final.get("params") or {}, "metric": metric,
            "scores": [{"metric": m, "valid": show(valid.get(f"valid_{m}")), "test": show(test.get(f"test_{m}"))}
                       for m in names],
            "model_dir": final.get("model_dir") or "", "seen": ledger.get("seen"), "threshold": final.get("threshold"),
            "lower_is_better": final.get("direction") == "minimize",
            "ledger": ledger.get("path") or "", "note": final.get("error") or ""}


def shown_state(trial: dict[str, Any]) -> str:
    """A trial's state as the report shows it: a pruned trial whose loss turned NaN or infinite is DIVERGED."""
    return "DIVERGED" if trial.get("diverged") else trial.get("state", "")


def trials_view(measured: dict[str, Any]) -> list[dict[str, Any]]:
    """Every trial by number: state, score, values, error (or where it diverged) and time."""
    return [{"number": t.get("number"), "state": shown_state(t), "value": show(t.get("value")),
             "params": ", ".join(f"{k}={show(v)}" for k, v in (t.get("params") or {}).items()),
             "error": t.get("error") or (t.get("diverged") or {}).get("message") or "", "seconds": t.get("seconds")}
            for t in sorted(measured.get("trials") or [], key=lambda t: t.get("number", 0))]


def report_context(measured: dict[str, Any], seeds: dict[str, Any] | None, final: dict[str, Any] | None,
                   earlier: tuple[dict[str, Any], dict[str, Any]], checks: list[CheckResult], thresholds: Any,
                   figures: dict[str, Path]) -> dict[str, Any]:
    """Everything sweep.html.j2 shows, each part with defaults so a partial run still renders."""
    metric = measured.get("metric") or ""
    trials = measured.get("trials") or []
    scatters = [{"key": name[len(sweep_plots.SCATTER_KEY):], "src": embed_png(path)}
                for name, path in figures.items() if name.startswith(sweep_plots.SCATTER_KEY)]
    return {
        "title": "clearance · step 4 · the sweep", "checks": [asdict(c) for c in checks],
        "counts": {s: sum(c.status == s for c in checks) for s in ("pass", "warn", "fail")},
        "study": {k: measured.get(k) for k in ("study", "storage", "sampler", "trials_budget", "direction")},
        "metric": metric, "fixed": measured.get("fixed") or {},
        "states": {s: sum(shown_state(t) == s for t in trials) for s in ("COMPLETE", "FAIL", "PRUNED", "DIVERGED")},
        "valid_only": VALID_ONLY, "comparison": comparison(measured, seeds, final, *earlier),
        "best": best_view(measured, thresholds), "importance": importance_view(measured),
        "scatters": scatters, "budget": budget_view(measured), "noise": noise_view(seeds),
        "final": final_view(final, metric), "trials": trials_view(measured),
        "overhead": measured.get("overhead") or {"share": None, "seconds": None},
        "figures": {"budget": embed_png(figures["budget"])},
    }


# -- judging ------------------------------------------------------------------------------------------------------

def measured_settings(measured: dict[str, Any], seeds: dict[str, Any] | None,
                      final: dict[str, Any] | None) -> list[Any]:
    """The three files' settings, as they enter the evidence fingerprint."""
    return [settings_of(measured, "measurements"), settings_of(seeds, "seeds"), settings_of(final, "final")]


def judging(lr_band: dict[str, list[float]], model_folder: Path = MODEL_FOLDER, ledger: Path = LEDGER,
            store_runs: StoreRuns | None = None) -> StepJudging:
    """Step 4's part in judging. Its record needs more than the folder judge_step passes (step 3's band,
    the ledger, the store, step 3's metrics for the comparison): the read and the context close over them."""

    def read(folder: Path, thresholds: Any) -> Measured:
        measured, seeds, final = read_inputs(folder)
        return Measured(graded=checks_input(measured, seeds, final, lr_band, ledger, store_runs),
                        data_digest=measured["data_digest"], settings=measured_settings(measured, seeds, final),
                        kept={"measurements": measured, "seeds": seeds, "final": final},
                        task=measured.get("task") or SINGLE_LABEL)

    def context(found: Measured, checks: list[CheckResult], thresholds: Any, folder: Path) -> dict[str, Any]:
        measured, seeds, final = found.kept["measurements"], found.kept["seeds"], found.kept["final"]
        logs = {key: kind.startswith("log") for key, kind in dimension_kinds(measured.get("space") or {}).items()}
        # Drawn here, as only the report shows them: a re-grade redraws them from the same files.
        figures = sweep_plots.draw_all(measured, logs, folder / PLOTS_DIR)
        return report_context(measured, seeds, final, read_earlier(model_folder, measured), checks, thresholds,
                              figures)

    def fingerprint(found: Measured, thresholds: Any) -> dict[str, Any]:
        # step 3's band decides lr_plausible and the final choice: changing it re-asks the gate
        return {"measured": found.settings, "checks": asdict(thresholds), "lr_band": lr_band}

    return StepJudging(step=STEP, checks=CHECKS, template=TEMPLATE, questions=QUESTIONS, read=read, context=context,
                       fingerprint=fingerprint)


def judge_sweep(cfg: SweepJudge, folder: Path | None = None, model_folder: Path = MODEL_FOLDER,
                ledger: Path = LEDGER, store_runs: StoreRuns | None = None) -> Judgement:
    """Grade step 4's measurements against ``checks.sweep``; write checks, report and manifest.

    ``store_runs``: the MLflow store's records of a test split's scorings (None: the store is not read).
    """
    folder = folder or report_dir(STEP)
    return judge_step(judging(cfg.lr_band, model_folder, ledger, store_runs), cfg.checks, folder)


def sweep_checks(record: dict[str, Any], thresholds: Any, lr_band: dict[str, list[float]],
                 task: str = SINGLE_LABEL) -> list[CheckResult]:
    """Every step-4 check that applies to ``task`` graded on a record (its fields: checks.py) and step 3's band,
    in report order (for notebooks and tests)."""
    return grade_all(CHECKS, {**record, "lr_band": lr_band}, thresholds, task)
