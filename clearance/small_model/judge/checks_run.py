"""Step 3's checks of the real training run, graded from training.json after the probes: divergence,
overfitting the real data, and the bar the model must clear (the run's measurements: measure/training.py)."""

from __future__ import annotations

from typing import Any

from clearance.checklist.declared import Grading, Limit
from clearance.checklist.results import CheckResult
from clearance.core.task import MULTI_LABEL, REGRESSION, SINGLE_LABEL
from clearance.small_model.judge.grading import probe_check


def diverged_fix(lr: Any) -> str:
    """Lower the learning rate, with a value to start from when the run recorded its own."""
    example = f", e.g. to {lr / 10:g} (a tenth of {lr:g})" if isinstance(lr, (int, float)) and lr > 0 else ""
    return (f"lower `train.lr`{example}, in conf/train/ or with `clearance params train.lr=...`, and run "
            "`dvc repro`; lr_band shows the rates usual for the optimizer (checks.model.lr_band)")


@probe_check("training_diverged", about="divergence on the real run", reads="divergence", section="training",
             question="predictions", fix=diverged_fix(None),
             limits=[Limit("diverged_loss_ratio_max", 5.0, "fail",
                           "mean training loss between two evaluations / ln K (label sets and numbers: / the loss of "
                           "a uniform guess) above this fails (a NaN or infinite loss stops the run and always "
                           "fails)")])
def training_diverged(m: dict, c: Grading) -> CheckResult:
    """The training loss stays finite and near what guessing costs or below: a run whose loss turned NaN or
    infinite stopped there and left no model; one whose loss ran far above ln K diverged all the same."""
    limit, fix = c.fail, diverged_fix(m.get("lr"))
    if m.get("diverged"):
        return c.result("fail", None, limit,
                        f"{m['diverged']['message']}; the run stopped there and no model was packaged", fix)
    if m["ratio"] is None:
        return c.result("warn", None, limit, "not measured: no evaluation recorded a training loss",
                        "run the real training")
    yardstick = (f"ln K = {m['ln_k']:.4f} (what guessing uniformly costs)" if m.get("guess") is None else
                 f"the loss of {m['guess']} = {m['reference']:.4g}")
    return c.graded(m["ratio"], f"the training loss stayed finite; its highest mean between two evaluations, "
                                f"{m['peak_loss']:.4g} at step {m['peak_step']}, is {m['ratio']:.2f}x {yardstick}", fix)


@probe_check("overfitting", about="overfitting on the real run", reads="overfitting", section="training",
             question="overfitting",
             fix="keep the model from the step with the best valid loss (fewer train.epochs or train.max_steps), or "
                 "add regularization (train.dropout, train.weight_decay) or data",
             limits=[Limit("overfitting_streak_max", 2, "warn",
                           "evaluations in a row with train loss falling and valid loss rising; more warns")])
def overfitting(m: dict, c: Grading) -> CheckResult:
    """Train loss does not keep falling while valid loss rises."""
    best = (f"; the best valid loss {m['best_valid_loss']:.4f} was at step {m['best_step']}"
            if m["best_step"] is not None else "")
    return c.graded(m["longest_streak"],
                    f"over {m['evaluations']} evaluations, train loss fell while valid loss rose for at most "
                    f"{m['longest_streak']} in a row"
                    + (f" (ending at step {m['streak_ends_at']})" if m["streak_ends_at"] is not None else "") + best,
                    f"keep the model from step {m['best_step']} (fewer train.epochs or train.max_steps), or add "
                    "regularization (train.dropout, train.weight_decay) or data")


# -- the bar ------------------------------------------------------------------------------------------------------

# What step 2's prior guess is, by task (the bar's ``prior``: its expected score on the primary metric).
PRIOR_GUESS = {SINGLE_LABEL: "guessing in the class proportions", MULTI_LABEL: "each label at its prior",
               REGRESSION: "predicting the mean"}


def better(m: dict) -> str:
    """For label sets and numbers whose metric is better lower (rmse, mae, log_loss), how the gain reads
    (single-label's messages stay as they were)."""
    from clearance.core.evaluation import HIGHER_IS_BETTER

    metric = m["metric"]
    if m.get("task", SINGLE_LABEL) == SINGLE_LABEL or HIGHER_IS_BETTER.get(metric, True):
        return ""
    return f" (lower {metric} is better: the gain is positive when the model's is lower)"


def gain(m: dict, reference: str) -> float | None:
    """The model's valid score over ``reference``'s, on the primary metric (None when either is missing)."""
    from clearance.core.evaluation import gain as gain_over

    if m["model"] is None or m[reference] is None:
        return None
    return gain_over(float(m["model"]), float(m[reference]), m["metric"])


def paired_words(paired: dict[str, Any]) -> str:
    """The paired comparison on the same valid rows, in words: the interval, and McNemar's test when there is one."""
    g = paired["gain"]
    words = (f"; {paired['level']:.0%} interval of the gain over {paired['bootstrap']} paired resamples of the same "
             f"valid rows [{g['low']:+.4f}, {g['high']:+.4f}]")
    if paired.get("mcnemar"):
        t = paired["mcnemar"]
        words += (f"; McNemar p={t['p_value']:.3g} (the model alone right on {t['model_only']} rows, the baseline "
                  f"alone on {t['baseline_only']})")
    return words


@probe_check("beats_best_baseline", about="the bar", reads="bar", section="bar", question="gain", direction="min",
             limits=[Limit("min_gain_over_baseline", 0.0, "warn",
                           "valid primary metric, model minus the best baseline: the lower end of the paired bootstrap "
                           "interval (the point difference when there is no interval); below warns")],
             fix="is the model worth its cost over the baseline? Train longer or tune (step 4), or keep the "
                 "baseline; answer at the gate")
def beats_best_baseline(m: dict, c: Grading) -> CheckResult:
    """The model beats the best baseline on the same valid rows by more than chance explains (the lower end of a
    paired bootstrap interval of the gain); if not, the user must answer why at the gate."""
    value = gain(m, "baseline")
    if value is None:
        return c.result("warn", None, c.warn,
                        f"no valid {m['metric']} to compare (model {m['model']}, best baseline {m['baseline']})",
                        "run step 2 and the real training so both have a valid score")
    head = (f"valid {m['metric']} {m['model']:.4f} against {m['baseline']:.4f} for the best baseline "
            f"({m['best_baseline']}): {value:+.4f}{better(m)}")
    paired = m.get("paired") or {}
    if "gain" not in paired:
        return c.graded(value, head)
    low, high = paired["gain"]["low"], paired["gain"]["high"]
    verdict = ("" if low >= c.warn else ": within noise, the model ties the baseline" if high >= c.warn
               else ": the baseline is better beyond noise")
    return c.graded(low, head + paired_words(paired) + verdict)


@probe_check("beats_prior_guess", about="the bar", reads="bar", section="bar", question="gain", direction="min",
             limits=[Limit("min_gain_over_prior", 0.0, "fail",
                           "model minus guessing in class proportions; below fails")],
             fix="the trained model is no better than guessing: look at the failing probes and the loss curves")
def beats_prior_guess(m: dict, c: Grading) -> CheckResult:
    """The model's valid score beats guessing in the class proportions."""
    value = gain(m, "prior")
    if value is None:
        return c.result("warn", None, c.fail, f"no valid {m['metric']} to compare with the prior guess",
                        "run the real training")
    guess = PRIOR_GUESS.get(m.get("task", SINGLE_LABEL), PRIOR_GUESS[SINGLE_LABEL])
    return c.graded(value, f"valid {m['metric']} {m['model']:.4f} against {m['prior']:.4f} for {guess}: "
                           f"{value:+.4f}{better(m)}")
