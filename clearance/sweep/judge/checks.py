"""Step 4's automated checks, each declared once (``@check``) and graded from what the sweep measured.

Each grading function gets the part of the step's record its ``reads`` names (the whole record when it
reads several parts) and a ``Grading`` (its limits, its fix); the report shows them in this file's
order. The record is a plain dict, built by clearance/sweep/judge/run.py::

    {
      "trials": [trial dict, ...],          # clearance.sweep.search.analysis's trial dicts, every state
      "best": {"number": int, "value": float, "params": {dotted key: value}} | None,
      "positions": {dotted key: float | None},   # analysis.edges(dims, best["params"])
      "importances": {"values": {dotted key: share}},   # analysis.importances(...)
      "spearman": {dotted key: float | None},    # analysis.spearman(...)
      "direction": "maximize" | "minimize",
      "optimizer": "AdamW",                 # the best trial's optimizer class name
      "lr_band": {optimizer: [low, high]},  # step 3's plausible learning rates (checks.model.lr_band)
      "bootstrap": {...},                   # analysis.paired_bootstrap(...) output
      "choice": {"recorded": final.json's choice, "expected": decision.decide(...) on the same files},
      "final": {"metric": str, "valid": float, "test": float},   # the final model, once
      "ledger": {"seen": int, "digest": str, "path": str,          # scorings of this test split (final.json)
                 "in_ledger": int, "in_store": int,                 # ...in the ledger file, in the MLflow store
                 "ledger_error": str, "store_error": str},          # ...or why one could not be read
    }

A part may instead be ``{"skipped": why}`` or ``{"error": why}``. A check whose input is absent,
None, skipped or errored gets status "warn" with the message "not measured: <why>": it neither
passes silently nor blocks a gate that a waiver can clear. The exceptions are trials_completed
(without trials the sweep learned nothing) and final_choice (a choice that contradicts the
evidence, or a best configuration the evidence rejects): both fail.
"""

from __future__ import annotations

from typing import Any

from clearance.checklist.declared import Grading, Limit, check
from clearance.checklist.results import CheckResult
from clearance.core.config.model import lr_band_for
from clearance.sweep.final.choice import (
    BETTER,
    ONE_SEED,
    WITHIN_NOISE,
    WORSE,
    gain_verdict,
)

# The tasks of clearance.core.task, spelled here so that reading the declarations stays light (the CLI does).
CLASSIFICATION, REGRESSION = ("single_label", "multi_label"), "regression"
LR_KEY = "train.lr"
RESUME = "`dvc repro` resumes the study: finished trials are kept"
TRIALS_FIX = f"read the error, fix the search space (conf/sweep/) or the code, then {RESUME}"
EDGE_FIX = ("widen the range (or extend the choice list) past that end in conf/sweep/ and run `dvc repro`; "
            "a changed space starts a new study")
NOISE_FIX = ("keep step 3's configuration (sweep.final: best_if_better), or run more seeds (sweep.seeds) "
             "to narrow the interval; do not read a gain within noise as progress")
CHOICE_FIX = ("the evidence rejects the model sweep.final asks for: set sweep.final=best_if_better (step 3's model "
              "then meets the test split), or find out why the sweep's settings do worse (the search space in "
              "conf/sweep/, lr_plausible, the trials' errors) and run `dvc repro`; or waive final_choice in "
              "checklists/sweep.yaml with your reason, to close step 4 with no tested model")
STALE_CHOICE_FIX = "run `dvc repro -f final_test` so final.json is decided again on the current evidence"
LEDGER_FILE = "ledger/test_split.jsonl"
REUSE_FIX = ("quote the first test score and read later ones as optimistic; compare models on valid, never by "
             "scoring test again; for an unbiased estimate, hold out new test data (a changed test split starts "
             f"a new count in {LEDGER_FILE})")
LOST_LINES_FIX = (f"restore the ledger from git (`git checkout -- {LEDGER_FILE}`) and commit it; or run "
                  "`dvc repro -f final_test`, which writes the store's scorings back to the ledger (and scores the "
                  "test split once more). Never delete the ledger's lines: the store keeps every scoring")
LEDGER_REPAIR_FIX = (f"restore it from git (`git checkout -- {LEDGER_FILE}`), or delete the broken line by hand "
                     "and run `dvc repro`: the final test writes the store's scorings back to it")
TEST_FIX = ("do not tune on the test split: report the test score as it is; look for why valid and test "
            "differ (step 1's split checks, too many selections on valid, a small valid split)")
LR_FIX = ("an odd best learning rate points at a deeper problem: look at the data, the loss, the model and "
          "step 3's probes before trusting the sweep; if the value is deliberate, widen {where} in "
          "conf/checks/default.yaml")


def not_measured(c: Grading, threshold: Any, why: str, fix: str | None = None) -> CheckResult:
    """The warning for a check whose input is missing."""
    return c.result("warn", None, threshold, f"not measured: {why}", fix)


def absent(part: Any, default: str) -> str | None:
    """Why a part of the record cannot be graded, or None when it can."""
    if part is None:
        return default
    if isinstance(part, dict) and (part.get("skipped") or part.get("error")):
        return str(part.get("error") or part.get("skipped"))
    return None


def _count(trials: list[dict[str, Any]], state: str) -> int:
    return sum(t.get("state") == state for t in trials)


def _first_error(trials: list[dict[str, Any]]) -> str:
    failed = sorted((t for t in trials if t.get("state") == "FAIL"), key=lambda t: t.get("number", 0))
    if not failed:
        return ""
    first = failed[0]
    return f"; the first failed trial (#{first.get('number')}) said: {first.get('error') or 'no error recorded'}"


@check("trials_completed", reads="trials", section="trials", question="budget", direction="min",
       limits=[Limit("min_complete_trials", 3, "fail",
                     "fewer finished trials than this fails: nothing can be learned from them")],
       fix=TRIALS_FIX)
def trials_completed(trials: list[dict[str, Any]] | None, c: Grading) -> CheckResult:
    """Enough trials finished to learn from the sweep."""
    if trials is None:
        return c.result("fail", None, c.fail, "not measured: no trials recorded (the sweep did not run)",
                        f"run the sweep: {RESUME}")
    complete = _count(trials, "COMPLETE")
    diverged = [x for x in trials if x.get("diverged")]
    counts = (f"{complete} of {len(trials)} trials completed, {_count(trials, 'FAIL')} failed, "
              f"{_count(trials, 'PRUNED') - len(diverged)} pruned, {len(diverged)} diverged")
    fix = TRIALS_FIX + ("; for diverged trials, lower the high end of the train.lr range in sweep.space"
                        if diverged else "")
    return c.graded(complete, f"{counts} (at least {c.fail} needed){_diverged_at(diverged)}{_first_error(trials)}",
                    fix)


def _values(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())


def _diverged_at(diverged: list[dict[str, Any]], shown: int = 5) -> str:
    """The settings of the trials whose loss turned NaN or infinite, and where each one diverged."""
    if not diverged:
        return ""
    each = [f"#{x.get('number')} ({_values(x.get('params') or {})}: step {x['diverged'].get('step')}, loss "
            f"{x['diverged'].get('loss')})" for x in diverged[:shown]]
    more = f" and {len(diverged) - shown} more" if len(diverged) > shown else ""
    return "; diverged: " + "; ".join(each) + more


def _end(position: float) -> str:
    return "low" if position < 0.5 else "high"


def _toward(rho: float | None, position: float, direction: str) -> float | None:
    """The rank correlation between a value and the score, read toward the end the best value sits at."""
    if rho is None:
        return None
    better = -1.0 if direction == "minimize" else 1.0
    return rho * better * (1.0 if position > 0.5 else -1.0)


def edge_evidence(measured: dict[str, Any], t: Any) -> dict[str, list[str]]:
    """Each best value on an edge of its range -> the evidence that it mattered ([] when there is none).

    It mattered when its importance reaches ``edge_importance_min``, or when the score keeps rising
    toward that edge across the trials (rank correlation toward it at least ``edge_trend_min``).
    """
    shares = (measured.get("importances") or {}).get("values") or {}
    rhos = measured.get("spearman") or {}
    direction = measured.get("direction") or "maximize"
    found: dict[str, list[str]] = {}
    for key, p in (measured.get("positions") or {}).items():
        if p is None or t.edge_share <= p <= 1 - t.edge_share:
            continue
        share, toward = shares.get(key), _toward(rhos.get(key), p, direction)
        reasons = []
        if isinstance(share, (int, float)) and share >= t.edge_importance_min:
            reasons.append(f"importance {share:.2f} >= {t.edge_importance_min:g}")
        if toward is not None and toward >= t.edge_trend_min:
            reasons.append(f"the score rises toward that end, rank correlation {toward:+.2f} >= {t.edge_trend_min:g}")
        found[key] = reasons
    return found


@check("edge_of_grid", reads="", section="best", question="plausible",
       limits=[Limit("edge_share", 0.1, "",
                     "a best value in the outer 10% of its range, or at a choice list's end, is on an edge;"),
               Limit("edge_importance_min", 0.3, "",
                     "it warns only when it mattered: an importance of at least this share,"),
               Limit("edge_trend_min", 0.5, "",
                     "or a score that keeps rising toward that edge (rank correlation at least this)")],
       fix=EDGE_FIX)
def edge_of_grid(measured: dict[str, Any], c: Grading) -> CheckResult:
    """No best value that mattered sits in the outer ``edge_share`` of its range (or at a choice list's end).

    A value on an edge that did not matter (low importance, no trend toward the edge) is listed as
    information: with short choice lists most values are "edges", and a warning that always fires
    teaches users to skip warnings.
    """
    best, positions = measured.get("best"), measured.get("positions")
    why = absent(best, "no complete trial, so no best values") or absent(positions, "no positions of the best values")
    if why:
        return not_measured(c, 0, why)
    params = best.get("params") or {}
    evidence = edge_evidence(measured, c.t)
    mattered = {k: r for k, r in evidence.items() if r}

    def listed(keys: list[str], with_reasons: bool) -> str:
        return ", ".join(f"{k}={params.get(k)!r} ({_end(positions[k])} end"
                         + (f"; {'; '.join(evidence[k])})" if with_reasons else ")") for k in keys)

    quiet = [k for k in evidence if not evidence[k]]
    info = (f"at an edge without evidence that it mattered (information, not a warning): {listed(quiet, False)}"
            if quiet else "")
    if mattered:
        message = f"on the edge of the grid: widen it: {listed(list(mattered), True)}"
        message += f". Also {info}" if info else ""
    elif info:
        message = f"no best value that mattered sits on the edge of the grid; {info}"
    else:
        ordered = sum(p is not None for p in positions.values())
        message = (f"every best value of the {ordered} ordered dimension(s) lies inside the inner "
                   f"{1 - 2 * c.t.edge_share:.0%} of its range" if ordered else
                   "no dimension has an order (only non-numeric choices): nothing can sit on an edge")
    return c.graded(len(mattered), message, warn=0)


@check("lr_plausible", reads="", section="best", question="plausible", direction="",
       fix=LR_FIX.format(where="checks.model.lr_band.<optimizer>"))
def lr_plausible(measured: dict[str, Any], c: Grading) -> CheckResult:
    """The best learning rate lies in step 3's plausible band for its optimizer (``measured["lr_band"]``:
    step 3's threshold, checks.model.lr_band, which the judge and the final choice put in the record)."""
    best = measured.get("best")
    optimizer = measured.get("optimizer") or "default"
    key, (low, high) = lr_band_for(optimizer, measured["lr_band"])
    where = f"checks.model.lr_band.{key}"
    fix = LR_FIX.format(where=where)
    why = absent(best, "no complete trial, so no best learning rate")
    if why:
        return not_measured(c, [low, high], why, fix)
    params = best.get("params") or {}
    if LR_KEY not in params:
        return c.result("pass", None, [low, high],
                        f"{LR_KEY} is not in the search space: step 3's lr_band check graded the fixed rate", fix)
    lr = params[LR_KEY]
    inside = isinstance(lr, (int, float)) and low <= lr <= high
    message = (f"best learning rate {lr:g} for {optimizer}; plausible band [{low:g}, {high:g}] ({where})"
               if isinstance(lr, (int, float)) else f"best learning rate {lr!r} is not a number")
    if not inside:
        message += (": outside the band. A best learning rate this odd means something more fundamental is "
                    "going on (a bug, the data, the loss), not that the sweep found a good value")
    return c.result("pass" if inside else "warn", lr, [low, high], message, fix)


GAIN_WORDS = {BETTER: ("pass", "the sweep's gain is larger than seed noise"),
              WITHIN_NOISE: ("warn", "the sweep's gain is within seed noise"),
              WORSE: ("warn", "the sweep's best configuration is worse than step 3's on the paired re-runs"),
              ONE_SEED: ("warn", "one seed cannot measure seed noise")}


@check("gain_vs_noise", reads="bootstrap", section="noise", question="noise", direction="", fix=NOISE_FIX)
def gain_vs_noise(b: dict[str, Any] | None, c: Grading) -> CheckResult:
    """The paired re-runs' gain of the best config over step 3's is larger than seed noise.

    Passes only when the whole 95% interval is above 0 and at least 2 seeds were compared:
    an interval below 0 (the sweep's best is worse) and a single seed warn as well. The verdict
    is ``choice.gain_verdict``'s, the one the final choice follows.
    """
    threshold = "95% interval of the mean gain above 0"
    why = absent(b, "the seed re-runs did not run") or (None if b.get("low") is not None else
                                                         b.get("note") or "no paired scores")
    if why:
        return not_measured(c, threshold, why)
    spread = (f"best {b['best_mean']:g} ± {b['best_std'] if b['best_std'] is not None else '–'}, "
              f"step 3 {b['reference_mean']:g} ± {b['reference_std'] if b['reference_std'] is not None else '–'}")
    interval = f"mean gain {b['mean_gain']:g}, 95% interval [{b['low']:g}, {b['high']:g}] over {b['seeds']} seed(s)"
    status, verdict = GAIN_WORDS[gain_verdict(b).verdict]
    return c.result(status, b["mean_gain"], threshold, f"{verdict}: {interval} ({spread})")


@check("final_choice", reads="choice", section="final", question="noise", direction="", fix=CHOICE_FIX)
def final_choice(choice: dict[str, Any] | None, c: Grading) -> CheckResult:
    """The model that met the test split is the one the evidence picks, and the evidence did not reject it."""
    threshold = "the model sweep.final asks for, unless the evidence rejects it"
    why = absent(choice, "the final test did not run yet")
    if why:
        return not_measured(c, threshold, why, "run `dvc repro`")
    recorded, expected = choice.get("recorded"), choice.get("expected") or {}
    if not isinstance(recorded, dict) or "chosen" not in recorded:
        return c.result("fail", None, threshold, "final.json records no choice (written by another version)",
                        STALE_CHOICE_FIX)
    if (recorded.get("rule"), recorded.get("chosen")) != (expected.get("rule"), expected.get("chosen")):
        return c.result("fail", recorded.get("chosen"), threshold,
                        f"final.json says {recorded.get('chosen') or 'no model'} met the test split under "
                        f"sweep.final={recorded.get('rule')}, but the current evidence picks "
                        f"{expected.get('chosen') or 'no model'}: {expected.get('reason', '')}", STALE_CHOICE_FIX)
    if recorded["chosen"] is None:
        return c.result("fail", None, threshold, str(recorded.get("reason")))
    return c.result("pass", recorded["chosen"], threshold, str(recorded.get("reason")))


def _final_scores(final: dict[str, Any] | None) -> str | None:
    """Why the final model's valid and test scores cannot be compared, or None when they can."""
    why = absent(final, "the final model was not tested yet")
    if not why and not all(isinstance(final.get(k), (int, float)) for k in ("valid", "test")):
        why = "the final model has no valid and test scores"
    return why


# A score between 0 and 1 (accuracy, F1, exact match): an absolute gap reads the same on every corpus.
@check("test_consistent", reads="final", section="final", question="test", tasks=CLASSIFICATION,
       limits=[Limit("test_gap_warn", 0.05, "warn",
                     "|test - valid| of the final model, primary metric, above this warns")],
       fix=TEST_FIX)
def test_consistent(final: dict[str, Any] | None, c: Grading) -> CheckResult:
    """The final model's test score is close to its valid score."""
    why = _final_scores(final)
    if why:
        return not_measured(c, c.warn, why)
    gap = abs(final["test"] - final["valid"])
    metric = final.get("metric") or "the primary metric"
    return c.graded(gap, f"final model, {metric}: valid {final['valid']:g}, test {final['test']:g}, gap {gap:.4g}")


# An error in the target's units (RMSE, MAE) has no scale of its own: 0.05 is nothing on prices in the
# thousands and everything on scores in [0, 1], so the gap is read as a share of the valid error.
@check("test_consistent_relative", reads="final", section="final", question="test", tasks=(REGRESSION,),
       limits=[Limit("test_relative_gap_warn", 0.1, "warn",
                     "|test - valid| / |valid| of the final model's primary metric (an error in the target's "
                     "units), above this warns")],
       fix=TEST_FIX)
def test_consistent_relative(final: dict[str, Any] | None, c: Grading) -> CheckResult:
    """The final model's test error is close to its valid error, as a share of the valid error."""
    why = _final_scores(final)
    if why:
        return not_measured(c, c.warn, why)
    valid, test = final["valid"], final["test"]
    gap = abs(test - valid)
    share = gap / abs(valid) if valid else (0.0 if gap == 0 else float("inf"))
    metric = final.get("metric") or "the primary metric"
    return c.graded(share, f"final model, {metric}: valid {valid:g}, test {test:g}, gap {gap:.4g} "
                           f"({share:.1%} of the valid score)")


def _counts(ledger: dict[str, Any]) -> list[int]:
    """Every count of the test split's scorings on hand: final.json's, the ledger file's, the store's."""
    return [n for n in (ledger.get(k) for k in ("seen", "in_ledger", "in_store")) if isinstance(n, int)]


@check("test_split_reuse", reads="ledger", section="final", question="test",
       limits=[Limit("test_seen_warn", 1, "warn",
                     "the same test split scored more often than this warns (ledger/test_split.jsonl)")],
       fix=REUSE_FIX)
def test_split_reuse(ledger: dict[str, Any] | None, c: Grading) -> CheckResult:
    """The test split of this data was scored at most ``test_seen_warn`` times. The count is the largest
    of the ledger's and the MLflow store's; a ledger that holds fewer scorings than the store lost
    lines, and fails."""
    why = absent(ledger, f"no count of test scorings ({LEDGER_FILE})")
    if not why and not isinstance(ledger.get("seen"), int):
        why = f"{ledger.get('path') or LEDGER_FILE} gave no count"
    if why:
        return not_measured(c, c.warn, why)
    path = ledger.get("path") or LEDGER_FILE
    seen, where = max(_counts(ledger)), f"{path}, test split {str(ledger.get('digest'))[:12]}"
    if ledger.get("ledger_error"):
        return c.result("fail", seen, c.warn, f"the ledger cannot be read ({ledger['ledger_error']})",
                        LEDGER_REPAIR_FIX)
    held, stored = ledger.get("in_ledger"), ledger.get("in_store")
    if isinstance(held, int) and isinstance(stored, int) and held < stored:
        return c.result("fail", seen, c.warn,
                        f"{path} holds {held} scoring(s) of test split {str(ledger.get('digest'))[:12]}, the MLflow "
                        f"store records {stored}: the ledger lost lines, and its count must not go down",
                        LOST_LINES_FIX)
    if seen > c.warn:
        message = f"the test split has been seen {seen} times: its score is no longer an unbiased estimate ({where})"
    else:
        message = f"the test split of this data has been scored {seen} time(s) ({where})"
    if ledger.get("store_error"):
        message += (f"; the MLflow store could not be read ({ledger['store_error']}), so this count is the "
                    "ledger's alone")
    return c.graded(seen, message)

