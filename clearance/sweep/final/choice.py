"""Which model meets the test split: a decision taken from step 4's own checks, never against them.

Pure functions on the sweep's files (measurements.json and seeds.json as plain dicts); no torch,
no MLflow, no files. The final test stage decides with ``choose``; the judge calls it again on the
same evidence and fails ``final_choice`` if final.json says otherwise, so the report, the gate and
the model that met the test split can never disagree.

The rules (``sweep.final``):

- ``best_if_better`` (the default; ``reference_if_noise`` is its older name): step 3's model,
  unless the best configuration's paired gain is above seed noise (the whole 95% interval above 0,
  over at least 2 seeds: ``gain_vs_noise`` passes) *and* its learning rate is plausible
  (``lr_plausible`` passes). Worse, within noise, a single seed or an odd learning rate: step 3's.
- ``best``: the best configuration, whatever the re-runs say, except when they show it is worse
  than step 3's (the whole interval below 0): then no model meets the test split, the test split is
  not scored, and ``final_choice`` fails until the user fixes the space or waives it in writing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from clearance.core.config.sweep import BEST, final_rule
from clearance.core.records import Record

BEST_MODEL, REFERENCE_MODEL = "best", "reference"
# What the paired re-runs say about the best configuration against step 3's.
BETTER, WITHIN_NOISE, WORSE, ONE_SEED, UNMEASURED = "better", "within_noise", "worse", "one_seed", "unmeasured"


@dataclass(frozen=True)
class Gain:
    """What the paired re-runs say: a verdict and the numbers behind it, in words."""

    verdict: str
    numbers: str


def _signed(value: float) -> str:
    return f"{value:+.4f}"


def gain_verdict(bootstrap: dict[str, Any] | None) -> Gain:
    """BETTER only with >= 2 paired seeds and the whole interval above 0; WORSE when it lies below 0."""
    b = bootstrap or {}
    low, high, seeds = b.get("low"), b.get("high"), b.get("seeds") or 0
    if not isinstance(low, (int, float)) or not isinstance(high, (int, float)):
        return Gain(UNMEASURED, b.get("note") or b.get("skipped") or "the seed re-runs gave no paired scores")
    numbers = (f"mean gain {_signed(b.get('mean_gain', (low + high) / 2))}, 95% interval "
               f"[{_signed(low)}, {_signed(high)}] over {seeds} paired seed(s)")
    if high < 0:
        return Gain(WORSE, numbers)
    if seeds < 2:
        return Gain(ONE_SEED, numbers)
    return Gain(WITHIN_NOISE if low <= 0 else BETTER, numbers)


@dataclass(frozen=True)
class Choice(Record):
    """reports/sweep/choice.json: the model that meets the test split (None: none does), the one sentence
    that says why, and what the final test needs to score it (the sweep's metric, the chosen configuration's
    values and seed)."""

    STAGE: ClassVar[str] = "choose_final"
    rule: str
    chosen: str | None
    verdict: str
    reason: str
    metric: str
    direction: str
    params: dict[str, Any]  # the chosen configuration's searched values ({}: step 3's)
    seed: int | None  # the seed its packaged model was trained with

    def __post_init__(self) -> None:
        if self.chosen not in (BEST_MODEL, REFERENCE_MODEL, None):
            raise ValueError(f"unknown model {self.chosen!r} (best, reference or none)")

    def as_dict(self) -> dict[str, Any]:
        return self.to_dict()


def _decided(rule: str, chosen: str | None, verdict: str, reason: str) -> Choice:
    """A decision before decision.decide adds what the final test needs (the metric, values and seed)."""
    return Choice(rule, chosen, verdict, reason, metric="", direction="maximize", params={}, seed=None)


def describe(params: dict[str, Any]) -> str:
    """A configuration's searched values, as ``key=value`` pairs."""
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()) or "no values"


WORDS = {WORSE: "scored worse than step 3's configuration beyond seed noise",
         WITHIN_NOISE: "was not better than step 3's configuration beyond seed noise (the interval includes 0)",
         ONE_SEED: "was compared with step 3's configuration on one seed only, which cannot show seed noise",
         BETTER: "beat step 3's configuration beyond seed noise",
         UNMEASURED: "could not be compared with step 3's configuration"}


def choose(rule: str, best: dict[str, Any], gain: Gain, lr_ok: bool, lr_note: str = "") -> Choice:
    """Apply ``rule`` to the evidence: the best trial (its number and values), its gain and its learning rate.

    The sentence names the learning rate only where it decided, so a threshold that moves without
    changing the decision leaves the choice byte for byte the same (and the test split unscored).
    """
    rule = final_rule(rule)
    label = f"the sweep's best configuration (trial #{best.get('number')}: {describe(best.get('params') or {})})"
    said = f"{WORDS[gain.verdict]} ({gain.numbers})"
    if rule == BEST:
        if gain.verdict == WORSE:
            return _decided(rule, None, gain.verdict,
                          f"No model met the test split, and it was not scored: sweep.final=best asks for {label}, "
                          f"but the paired re-runs show it {said}.")
        return _decided(rule, BEST_MODEL, gain.verdict,
                      f"The sweep's best configuration met the test split, not step 3's model, because "
                      f"sweep.final=best takes it unless it is worse: {label} {said}.")
    if gain.verdict == BETTER and lr_ok:
        return _decided(rule, BEST_MODEL, gain.verdict,
                      f"The sweep's best configuration met the test split, not step 3's model: {label} {said}, "
                      f"and its learning rate is plausible (sweep.final=best_if_better).")
    if gain.verdict == BETTER:
        return _decided(rule, REFERENCE_MODEL, gain.verdict,
                      f"Step 3's model met the test split, not the sweep's best configuration: {label} {said}, "
                      f"but {lr_note or 'its learning rate is implausible'}, and sweep.final=best_if_better "
                      f"does not take a configuration whose learning rate points at a deeper problem.")
    return _decided(rule, REFERENCE_MODEL, gain.verdict,
                  f"Step 3's model met the test split, not the sweep's best configuration: {label} {said}, and "
                  f"sweep.final=best_if_better takes it only when the whole interval lies above 0.")


def without_diverged_best(rule: str, verdict: str, seed: int | None) -> Choice:
    """The best configuration's packaged run (its first seed) diverged: there is no model of it to test, so
    best_if_better keeps step 3's model and ``best`` has none (the test split is not scored)."""
    why = (f"the sweep's best configuration's packaged run (seed {seed}) diverged, so no model of it exists to "
           f"meet the test split")
    if final_rule(rule) == BEST:
        return _decided(rule, None, verdict, f"No model met the test split, and it was not scored: {why}.")
    return _decided(rule, REFERENCE_MODEL, verdict,
                    f"Step 3's model met the test split, not the sweep's best configuration: {why}.")
