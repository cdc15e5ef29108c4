"""Step 3's checks of how the model trains before the real run: evaluation mode, gradients and updates, the
learning rate and overfitting a few samples (the probes of measure/probes/evaluation.py, gradients.py, fitting.py)."""

from __future__ import annotations

from clearance.checklist.declared import Grading, Limit
from clearance.checklist.results import CheckResult
from clearance.core.config.model import lr_band_for
from clearance.core.task import MULTI_LABEL, REGRESSION, SINGLE_LABEL
from clearance.small_model.judge.grading import names, not_finite, pct, probe_check

# -- evaluation mode ----------------------------------------------------------------------------------------------

EVAL_FIX = ("in eval mode the model (model._target_) must be deterministic: use nn.Dropout modules (or F.dropout(..., "
            "training=self.training)) registered as submodules (nn.ModuleList, not a Python list), and do not "
            "override train()/eval()")


@probe_check("dropout_in_eval", about="dropout left on in evaluation", reads="eval_repeat", section="evaluation",
             question="overfit_16", fix=EVAL_FIX,
             limits=[Limit("eval_repeat_max", 1.0e-5, "fail",
                           "two eval-mode passes on one batch: dropout on gives ~1e-1")])
def dropout_in_eval(m: dict, c: Grading) -> CheckResult:
    """Two eval-mode passes over one batch give the same logits."""
    still = m.get("still_training") or []
    detail = f"; modules still in training mode after model.eval(): {names(still)}" if still else ""
    if m["difference"] is None:
        return not_finite(c.id, c.fail, "the eval-mode logits", EVAL_FIX)
    return c.graded(m["difference"],
                    f"two eval-mode passes over the same batch differ by {m['difference']:.3g} (relative){detail}")


LOOP_PROBLEMS = {"evaluations_in_train_mode": "model calls during evaluation in train mode (dropout on)",
                 "evaluations_with_gradients": "model calls during evaluation with gradients on",
                 "steps_in_eval_mode": "training steps in eval mode (dropout off while training)"}


@probe_check("eval_mode_in_loop", about="the training loop's evaluations", reads="loop_eval", section="evaluation",
             question="overfit_16", direction="",
             fix="the model (model._target_) must follow model.train()/model.eval(): do not override train() or "
                 "eval(), and keep dropout in registered submodules")
def eval_mode_in_loop(m: dict, c: Grading) -> CheckResult:
    """Every evaluation of the training loop runs in eval mode without gradients; every step in train mode."""
    problems = dict(LOOP_PROBLEMS)
    found = {key: m[key] for key in problems if m[key]}
    if not m["evaluation_calls"] and not m["evaluations_with_gradients"]:
        found["no_evaluation"] = 1
        problems["no_evaluation"] = "evaluations seen: none"
    value = {key: m[key] for key in problems if key in m}
    return c.result("fail" if found else "pass", value, "0 of each",
                    f"over {m['steps']} training steps, each followed by an evaluation: "
                    + ("; ".join(f"{problems[k]}: {v}" for k, v in found.items()) if found else
                       f"{m['evaluation_calls']} evaluation calls, all in eval mode without gradients"))


# -- gradients and updates ----------------------------------------------------------------------------------------

ZERO_GRAD_FIX = ("the optimizer named by optimizer._target_ (conf/optimizer/) must clear the gradients in zero_grad() "
                 "(set them to None or zero): do not override it with a no-op; in a subclass call "
                 "super().zero_grad(set_to_none)")


@probe_check("zero_grad", about="zero_grad", reads="zero_grad", section="gradients", question="overfit_16",
             fix=ZERO_GRAD_FIX, limits=[Limit("update_repeat_max", 1.0e-3, "fail",
                                              "one step from stale vs clean gradients: a no-op zero_grad gives ~1")])
def zero_grad(m: dict, c: Grading) -> CheckResult:
    """A step from stale gradients updates exactly like a step from clean ones: zero_grad clears them."""
    left = m["left_with_gradient"]
    optimizer = m.get("optimizer", "the optimizer")
    detail = (f"; the loop called {optimizer}.zero_grad {m['zero_grad_calls']} time(s) and it left gradients in "
              f"{len(left)} parameter(s): {names(left)}" if left else
              f"; the loop called {optimizer}.zero_grad {m['zero_grad_calls']} time(s)")
    if m["update_difference"] is None:
        return not_finite(c.id, c.fail, "the update", ZERO_GRAD_FIX)
    return c.graded(m["update_difference"], f"one training step from stale gradients differs from one from clean "
                                            f"gradients by {m['update_difference']:.3g} (relative){detail}")


@probe_check("dead_parameters", about="parameters without a gradient", reads="dead_parameters",
             section="gradients", question="overfit_16", direction="",
             fix="in the model (model._target_), use these layers in forward, or remove them; freeze parameters you "
                 "mean to keep fixed (requires_grad=False); check for .detach() or integer casts cutting the graph")
def dead_parameters(m: dict, c: Grading) -> CheckResult:
    """After one backward pass, every trainable parameter has a non-zero gradient."""
    dead = m["dead"]
    message = (f"{len(dead)} of {m['trainable']} trainable parameters got no gradient from one backward pass: "
               f"{names(dead)}" if dead else f"all {m['trainable']} trainable parameters get a gradient")
    if not m["loss_finite"]:
        message += " (the loss was NaN or infinite)"
    return c.result("fail" if dead or not m["loss_finite"] else "pass", dead, "none", message)


def rates(lrs: list[float]) -> str:
    """One learning rate, or each group's."""
    return f"{lrs[0]:g}" if len(set(lrs)) == 1 else ", ".join(f"{r:g}" for r in lrs)


@probe_check("params_change", about="parameters changing after a step", reads="param_change", section="gradients",
             question="overfit_16", direction="min",
             limits=[Limit("changed_params_min", 0.5, "fail",
                           "share of trainable parameters one training step must move (lr 0 moves none)")],
             fix="check train.lr (0 freezes everything) and the optimizer settings; see also dead_parameters")
def params_change(m: dict, c: Grading) -> CheckResult:
    """One training step moves the trainable parameters."""
    if not m["trainable"]:
        return c.result("fail", 0.0, c.fail, "the model has no trainable parameters",
                        "leave some parameters with requires_grad=True")
    changed = 1 - len(m["unchanged"]) / m["trainable"]
    ratio = f"; median update/weight ratio {m['update_ratio']:.2g}" if m.get("update_ratio") is not None else ""
    return c.graded(changed, f"one training step changed {m['trainable'] - len(m['unchanged'])} of {m['trainable']} "
                             f"trainable parameters at lr {rates(m['lr'])}{ratio}"
                             + (f"; unchanged: {names(m['unchanged'])}" if m["unchanged"] else ""))


@probe_check("lr_band", about="the learning rate", reads="param_change", section="gradients", question="overfit_16",
             direction="",
             limits=[Limit("lr_band", {"AdamW": [1.0e-6, 1.0e-2], "Adam": [1.0e-6, 1.0e-2], "SGD": [1.0e-4, 1.0],
                                       "default": [1.0e-6, 1.0]}, "",
                           "plausible learning rates [min, max] by optimizer class (default: any other); warn outside, "
                           "fail at 0")],
             fix="set train.lr inside the band checks.model.lr_band gives the optimizer; if the value is deliberate, "
                 "widen the band in conf/checks/default.yaml")
def lr_band(m: dict, c: Grading) -> CheckResult:
    """The learning rate is above 0 and in the band plausible for the optimizer."""
    key, (low, high) = lr_band_for(m["optimizer"], c.t.lr_band)
    lrs = m["lr"]
    value = lrs[0] if len(set(lrs)) == 1 else lrs
    zero = [r for r in lrs if not r > 0]
    outside = [r for r in lrs if not low <= r <= high]
    status = "fail" if zero else "warn" if outside else "pass"
    where = f"checks.model.lr_band.{key}"
    message = (f"learning rate {value} for {m['optimizer']}; plausible band [{low:g}, {high:g}] ({where})"
               + (": 0 never moves the weights" if zero else ": outside the band" if outside else ""))
    return c.result(status, value, [low, high], message,
                    f"set train.lr inside [{low:g}, {high:g}] (e.g. 1e-4 to 5e-4 for AdamW on a small "
                    f"transformer); if the value is deliberate, widen {where} in conf/checks/default.yaml")


# -- fitting ------------------------------------------------------------------------------------------------------

OVERFIT_FIX = ("a model that cannot memorize a handful of samples almost always has a bug: check the other probes "
               "(labels aligned with texts, logits not probabilities, a learning rate above 0, parameters that get "
               "gradients, inputs not truncated to nothing); rarely the model is too small to memorize them")


def overfit_fix(m: dict, limit: float) -> str:
    """The overfit run's fix, with what its own numbers add (still falling; a stop loss at the threshold)."""
    losses, fix = m["losses"], OVERFIT_FIX
    if len(losses) >= 10 and losses[-1] < 0.8 * losses[int(len(losses) * 0.8)]:
        fix += "; the loss was still falling at the end: raise probes.overfit_max_steps or train.lr"
    stop, terms = m.get("stop_below"), m.get("loss_terms") or 1.0
    if stop is not None and stop / terms >= limit:
        # the setting: the stop per label (label sets); numbers stop at the setting / samples (fitting.stop_loss)
        setting = round(stop * m["samples"], 12) if "errors" in m else stop / terms
        fix += (f"; the run stopped once the loss fell below probes.overfit_stop_loss={setting}, which is not below "
                f"this threshold: set probes.overfit_stop_loss under checks.model.overfit_loss_max")
    return fix


@probe_check("overfit_small_sample", about="overfitting a small sample", reads="overfit", section="fitting",
             question="overfit_16", fix=OVERFIT_FIX,
             limits=[Limit("overfit_loss_max", 0.05, "fail",
                           "training loss the 16-sample overfit run must get below (ln 3 ~ 1.10 at the start)")])
def overfit_small_sample(m: dict, c: Grading) -> CheckResult:
    """With regularization off, the training function drives the loss on a few samples near 0 (label sets: the
    loss per label, so a loss that sums K labels' terms is held to the same bar as one that averages them)."""
    terms = m.get("loss_terms") or 1.0
    losses, limit = [loss / terms for loss in m["losses"]], c.fail
    below = next((i + 1 for i, loss in enumerate(losses) if loss < limit), None)
    reached = f"first below {limit} at step {below}" if below else f"never below {limit}"
    fix = overfit_fix(m, limit)
    if m.get("diverged"):  # the run stopped at that step: the loss below is not a number
        return c.result("fail", None, limit, f"the overfit run: {m['diverged']}", f"lower train.lr; {fix}", "max")
    if m["final_loss"] is None:
        return not_finite(c.id, limit, "the overfit run's loss", fix)
    per = f" per label (the loss adds up {terms:g} labels' terms)" if terms != 1.0 else ""
    return c.graded(losses[-1], f"with dropout and weight decay off, the loss{per} on {m['samples']} training "
                                f"samples went from {losses[0]:.4f} to {losses[-1]:.4f} in {m['steps']} steps (of at "
                                f"most {m['max_steps']}; {reached})", fix)


@probe_check("overfit_predictions", about="what overfitting proves", reads="overfit", section="fitting",
             question="overfit_16", direction="min", tasks=(SINGLE_LABEL,),
             limits=[Limit("overfit_accuracy_min", 1.0, "fail",
                           "share of the 16 overfit samples predicted as their labels, once the loss is low")],
             fix="a loss near 0 with wrong predictions means the loss and the labels disagree: a label map shifted "
                 "between the data and the loss (class i must be logit i), or a loss that ignores or transforms its "
                 "target (loss._target_, conf/loss/)")
def overfit_predictions(m: dict, c: Grading) -> CheckResult:
    """After overfitting, the model predicts the labels of the samples it learned."""
    if m.get("accuracy") is None:
        return c.result("warn", None, c.fail, "no predictions on the overfit samples", "see overfit_small_sample")
    message = (f"after overfitting, {pct(m['accuracy'])} of the {m['samples']} samples are predicted as their "
               f"labels (final loss {m['final_loss']:.4f})" if m["final_loss"] is not None else
               f"after overfitting, {pct(m['accuracy'])} of the {m['samples']} samples are predicted as their labels")
    wrong = m.get("wrong") or []
    if wrong:
        message += "; e.g. " + ", ".join(f"label {w['label']} predicted as {w['predicted']}" for w in wrong[:3])
    low_loss = m["final_loss"] is not None and m["final_loss"] < c.t.overfit_loss_max
    if m["accuracy"] >= c.fail or low_loss:
        return c.graded(m["accuracy"], message)
    return c.result("warn", m["accuracy"], c.fail, message + "; the loss did not get low either, so this says nothing "
                    "more", "see overfit_small_sample")


OVERFIT_SETS_FIX = ("a loss near 0 whose label sets are not the samples' own means the loss and the labels disagree: "
                    "a label order shifted between the data and the logits (label i must be logit i), or a softmax "
                    "over the labels (see loss_reaches_zero), which lets a text keep only one of its labels")


@probe_check("overfit_label_sets", about="what overfitting proves", reads="overfit", section="fitting",
             question="overfit_16", direction="min", tasks=(MULTI_LABEL,), fix=OVERFIT_SETS_FIX,
             limits=[Limit("overfit_sets_min", 1.0, "fail",
                           "share of the overfit samples whose label set is reproduced exactly (each label on where "
                           "its sigmoid is above one half)")])
def overfit_label_sets(m: dict, c: Grading) -> CheckResult:
    """After overfitting, the model gives each sample it learned exactly its own label set."""
    if m.get("sets_reproduced") is None:
        return c.result("warn", None, c.fail, "no predictions on the overfit samples", "see overfit_small_sample")
    message = (f"after overfitting, {pct(m['sets_reproduced'])} of the {m['samples']} samples "
               f"({m.get('label_sets', '?')} distinct label sets) get exactly their own label set")
    wrong = m.get("wrong") or []
    if wrong:
        message += "; e.g. " + ", ".join(f"{w['labels']} given {w['predicted']}" for w in wrong[:3])
    return c.graded(m["sets_reproduced"], message)


OVERFIT_TARGETS_FIX = ("a model that cannot reproduce a handful of targets almost always has a bug: a target the loss "
                       "sees on a large scale (see target_scale), outputs that do not line up with their targets (see "
                       "loss_reaches_zero), or a learning rate too low or too high for the budget")


@probe_check("overfit_targets", about="what overfitting proves", reads="overfit", section="fitting",
             question="overfit_16", direction="min", tasks=(REGRESSION,), fix=OVERFIT_TARGETS_FIX,
             limits=[Limit("overfit_target_tolerance", 0.25, "",
                           "an overfit sample counts as reproduced when its error is within this share of the train "
                           "target's standard deviation"),
                     Limit("overfit_targets_min", 1.0, "fail",
                           "share of the overfit samples whose target is reproduced within the tolerance")])
def overfit_targets(m: dict, c: Grading) -> CheckResult:
    """After overfitting, the model gives each sample it learned its own target, within a stated tolerance."""
    errors, std = m.get("errors") or [], m.get("target_std")
    if not errors or std is None:
        return c.result("warn", None, c.fail, "no predictions on the overfit samples", "see overfit_small_sample")
    tolerance = c.t.overfit_target_tolerance * std
    if any(e is None for e in errors):
        return not_finite(c.id, c.fail, "an overfit sample's prediction", OVERFIT_TARGETS_FIX)
    within = sum(e <= tolerance for e in errors) / len(errors)
    return c.graded(within, f"after overfitting, {pct(within)} of the {len(errors)} samples are within "
                            f"{tolerance:.3g} of their targets ({c.t.overfit_target_tolerance:g}x the train target's "
                            f"std {std:.3g}, in the units the loss sees; checks.model.overfit_target_tolerance); "
                            f"largest error {max(errors):.3g}")
