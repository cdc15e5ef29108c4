"""Step 3's checks of what the loss is given, for label sets and numbers: a loss that reaches 0 at the right
answer, and a target on the scale the learning rate expects (the probes of measure/probes/targets.py)."""

from __future__ import annotations

from clearance.checklist.declared import Grading, Limit
from clearance.checklist.results import CheckResult
from clearance.core.task import MULTI_LABEL, REGRESSION
from clearance.small_model.judge.grading import not_finite, probe_check

LOSS_AT_TARGETS_FIX = (
    "the loss (loss._target_, conf/loss/) cannot reach 0 at the right answer. For label sets, use binary "
    "cross-entropy over independent sigmoids (loss=auto or loss=bce: BCEWithLogitsLoss), not a softmax over the "
    "labels: CrossEntropyLoss accepts multi-hot rows without a word, but makes the labels of one text share one "
    "unit of probability, so a text with two labels costs at least 2 ln 2 = 1.386 however well the model learns. "
    "For numbers, the loss must compare each output with its own target: outputs [batch, 1] against targets "
    "[batch] broadcast into [batch, batch] (loss=auto or loss=mse reshapes them)")


@probe_check("loss_reaches_zero", about="the loss at the right answer", reads="loss_at_targets", section="outputs",
             question="overfit_16", tasks=(MULTI_LABEL, REGRESSION), fix=LOSS_AT_TARGETS_FIX,
             limits=[Limit("loss_at_targets_max", 0.01, "fail",
                           "the loss of outputs that give every answer with certainty (each label's logit at "
                           "+/-30, or the target itself); binary cross-entropy gives ~1e-13, a softmax over the "
                           "labels at least 2 ln 2 on a text with two labels")])
def loss_reaches_zero(m: dict, c: Grading) -> CheckResult:
    """Outputs that give the probe batch's answers with certainty cost ~0 (and, for label sets, a text with
    two labels on too)."""
    if m["worst"] is None:
        return not_finite(c.id, c.fail, "the loss at the right answer", LOSS_AT_TARGETS_FIX)
    if "two_labels" in m:
        message = (f"at outputs certain of every label, the loss is {m['loss']:.3g} on the {m['rows']} probe "
                   f"samples ({m['rows_with_two']} with two or more labels) and {m['two_labels']:.3g} on a text "
                   "with two labels on")
    else:
        message = f"at outputs equal to the targets, the loss is {m['loss']:.3g} on the {m['rows']} probe samples"
    return c.graded(m["worst"], message)


TARGET_SCALE_FIX = ("set train.standardize_target=true (the default: the model learns (target - mean) / std of the "
                    "train split, and serving answers in the target's units); a target the loss sees in the "
                    "hundreds makes the loss and its gradients thousands of times larger, and a learning rate "
                    "meant for a standardised target diverges (see training_diverged)")


@probe_check("target_scale", about="the scale of the target", reads="target_scale", section="outputs",
             question="overfit_16", tasks=(REGRESSION,), fix=TARGET_SCALE_FIX,
             limits=[Limit("target_off_scale_warn", 3.0, "warn",
                           "the largest of std, 1/std and |mean| of the train target as the loss sees it "
                           "(standardised: 1)"),
                     Limit("target_off_scale_fail", 10.0, "fail")])
def target_scale(m: dict, c: Grading) -> CheckResult:
    """The target the loss sees is near mean 0 and std 1, the scale the learning rate and initialization expect."""
    how = ("standardised with the train split's mean and std" if m.get("standardized") else
           "as in the data (train.standardize_target is off)" if m.get("standardized") is False else "")
    where = f" ({how})" if how else ""
    if m["off_scale"] is None:
        return not_finite(c.id, c.fail, f"the target's spread (std {m['std']:.3g}: every train target is equal)",
                          "check the label column: a target that never varies leaves nothing to learn")
    return c.graded(m["off_scale"], f"the loss sees a train target with mean {m['mean']:.4g} and std {m['std']:.4g}"
                                    f"{where}: {m['off_scale']:.3g}x off the standardised scale")
