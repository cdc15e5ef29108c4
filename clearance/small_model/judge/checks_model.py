"""Step 3's checks of the model itself at initialization: what it returns, its starting point, the batch,
padding and what it reads (the probes of measure/probes/outputs.py, init.py, batch.py, padding.py, reading.py)."""

from __future__ import annotations

from typing import Any

from clearance.checklist.declared import Grading, Limit
from clearance.checklist.results import CheckResult
from clearance.core.task import MULTI_LABEL, REGRESSION, SINGLE_LABEL
from clearance.small_model.judge.grading import MODEL_FIX, names, not_finite, pct, probe_check, unmeasured

# What the model's outputs are, by task, in a check's words (single-label: as before tasks existed).
OUTPUTS = {SINGLE_LABEL: "[batch, number of classes]", MULTI_LABEL: "[batch, number of labels]: one logit per label",
           REGRESSION: "[batch, 1]: one number per text"}

# -- what the model returns ---------------------------------------------------------------------------------------

@probe_check("output_logits", about="the model's output", reads="outputs", section="outputs", question="overfit_16",
             direction="", fix=MODEL_FIX, error_fix=MODEL_FIX)
def output_logits(m: dict, c: Grading) -> CheckResult:
    """Logits of shape [batch, K], floating point and finite."""
    problems = []
    if not m["shape_ok"]:
        problems.append(f"shape {m['shape']} instead of {m['expected']} ({OUTPUTS[m.get('task', SINGLE_LABEL)]})")
    if not m["dtype"].startswith(("float", "bfloat")):
        problems.append(f"dtype {m['dtype']}, not floating point")
    if m.get("nonfinite"):
        problems.append(f"{m['nonfinite']} NaN or infinite values")
    model = f"the model ({m['model']})" if m.get("model") else "the model"
    return c.result("fail" if problems else "pass", m["shape"], m["expected"],
                    (f"{model} returns " + "; ".join(problems)) if problems else
                    f"{model} returns finite logits of shape {m['shape']} ({m['dtype']})")


@probe_check("probability_outputs", about="softmax before the loss", reads="outputs", section="outputs",
             question="overfit_16", tasks=(SINGLE_LABEL, MULTI_LABEL),
             limits=[Limit("probability_rows_max", 0.5, "fail",
                           "share of output rows in [0, 1] that sum to 1: softmax applied before the loss")],
             fix="remove the softmax/sigmoid at the end of the model's forward (model._target_): the loss "
                 "(cross-entropy) applies log-softmax itself, and probabilities fed to it learn slowly or not at all")
def probability_outputs(m: dict, c: Grading) -> CheckResult:
    """Outputs in [0, 1] that sum to 1 per row are probabilities, and a loss that wants logits squashes them."""
    if m["probability_rows"] is None:
        return unmeasured(c.id, {"skipped": "the output has the wrong shape"}, "softmax before the loss")
    if m.get("task") == MULTI_LABEL:
        return c.graded(m["probability_rows"],
                        f"{pct(m['probability_rows'])} of output rows lie in [0, 1] (a sigmoid applied; "
                        f"{pct(m['sum_one_rows'])} also sum to 1: a softmax over the labels), not logits "
                        f"(output range {m.get('range')})", LABEL_PROBABILITIES_FIX)
    return c.graded(m["probability_rows"],
                    f"{pct(m['probability_rows'])} of output rows lie in [0, 1] and sum to 1 (probabilities, not "
                    f"logits; output range {m.get('range')})")


LABEL_PROBABILITIES_FIX = (
    "remove the sigmoid or softmax at the end of the model's forward (model._target_): for label sets the model "
    "returns one raw logit per label and the loss (BCEWithLogitsLoss, loss=auto or loss=bce) applies the sigmoid "
    "itself; a softmax over the labels makes them compete, so a text cannot have two")


INIT_LOSS_FIX = ("a loss far above ln K means confident wrong guesses at init: a last layer with large weights, or a "
                 "loss summed instead of averaged; far below means the model knows the answers before training "
                 "(labels leaking into the inputs, or an already trained head): check the model's last layer and "
                 "the loss")


@probe_check("init_loss", about="the loss at initialization", reads="init_loss", section="outputs",
             question="overfit_16", fix=INIT_LOSS_FIX,
             limits=[Limit("init_loss_ratio_max", 1.75, "fail",
                           "initial loss / ln K above this fails (neural_net_checklist's limit)"),
                     Limit("init_loss_ratio_min", 0.5, "warn",
                           "below this warns: the untrained model already \"knows\" (leak? trained head?)")])
def init_loss(m: dict, c: Grading) -> CheckResult:
    """The untrained model's loss is about ln K: it guesses uniformly (far below warns, far above fails)."""
    if "guess" in m:  # label sets and numbers: the task's guesses, measured through the same loss
        return task_init_loss(m, c)
    if m["ratio"] is None:
        return not_finite(c.id, c.t.init_loss_ratio_max, "the initial loss", INIT_LOSS_FIX)
    message = (f"initial loss {m['loss']:.4f} on {m['batch_size']} samples, {m['ratio']:.2f}x ln K = {m['ln_k']:.4f} "
               "(what guessing uniformly costs)")
    if m["ratio"] < c.t.init_loss_ratio_min:
        return c.graded(m["ratio"], message, warn=c.t.init_loss_ratio_min, fail=None, direction="min")
    return c.graded(m["ratio"], message, warn=None)


GUESS_WORDS = {MULTI_LABEL: ("every label at one half", "each label at its share in train (the sum of the "
                                                          "labels' binary entropies per text)"),
               REGRESSION: ("predicting the mean of the target the loss sees", "its variance")}
TARGET_FIX = ("; for numbers, a loss far above the variance means a target the model starts far from: standardise it "
              "(train.standardize_target=true, see target_scale)")


def task_init_loss(m: dict, c: Grading) -> CheckResult:
    """Multi-label and regression: the initial loss against a uniform guess (far above fails: confident wrong
    outputs) and against the prior guess (far below warns: the untrained model knows more than the labels' shares
    or the target's mean, a leak), both measured through the loss on the same rows (its reduction cancels)."""
    if m["ratio"] is None or m["prior_ratio"] is None:
        return not_finite(c.id, c.t.init_loss_ratio_max, "the initial loss (or a guess's)", INIT_LOSS_FIX)
    uniform, prior = GUESS_WORDS[m["task"]]
    guess = m["guess"]
    if m["task"] == REGRESSION:
        message = (f"initial loss {m['loss']:.4g} on {m['batch_size']} samples, {m['ratio']:.2f}x the loss of "
                   f"{uniform} = {guess['uniform']:.4g} ({prior}: 1 when standardised)")
    else:
        message = (f"initial loss {m['loss']:.4f} on {m['batch_size']} samples, {m['ratio']:.2f}x the loss of "
                   f"{uniform} = {guess['uniform']:.4f} and {m['prior_ratio']:.2f}x that of {prior} = "
                   f"{guess['prior']:.4f} (in the loss's own units)")
    fix = INIT_LOSS_FIX + (TARGET_FIX if m["task"] == REGRESSION else "")
    if m["prior_ratio"] < c.t.init_loss_ratio_min:
        return c.graded(m["prior_ratio"], message, fix, warn=c.t.init_loss_ratio_min, fail=None, direction="min")
    return c.graded(m["ratio"], message, fix, warn=None)


@probe_check("symmetric_init", about="initialization that does not break symmetry", reads="symmetry",
             section="init", question="overfit_16", direction="",
             fix="in the model (model._target_), initialize weights randomly (the default of nn.Linear/nn.Embedding, "
                 "or nn.init.normal_/xavier_uniform_), not with a constant such as nn.init.zeros_ or fill_")
def symmetric_init(m: dict, c: Grading) -> CheckResult:
    """No trainable weight matrix starts constant or with identical rows."""
    bad = m["constant"] + m["identical_rows"]
    parts = ([f"constant: {names(m['constant'])}"] if m["constant"] else []) + \
            ([f"identical rows: {names(m['identical_rows'])}"] if m["identical_rows"] else [])
    return c.result("fail" if bad else "pass", bad, "none",
                    (f"{len(bad)} of {m['checked']} trainable weight matrices start symmetric ("
                     + "; ".join(parts) + "): their units get equal gradients and stay copies of each other")
                    if bad else f"all {m['checked']} trainable weight matrices start with distinct rows")


# -- the batch ----------------------------------------------------------------------------------------------------

BATCH_FIX = ("in the model (model._target_), a sample's logits must depend on that sample only: look for pooling, "
             "normalization or indexing over "
             "dim 0 (the batch axis) in forward, e.g. x.mean(0) instead of x.mean(1), or a reshape/view that mixes "
             "rows; in eval mode nothing may share information across samples")
BATCH_MIXING = Limit("batch_mixing_max", 1.0e-3, "fail",
                     "a sample's logits alone, in a changed or reordered batch, or in batches of 1, 2 and the "
                     "probe batch's size (float noise ~1e-6)")


def ungraded(c: Grading, m: dict, what: str, fix: str, *changes: str) -> CheckResult | None:
    """Why a batch or padding probe's ``changes`` cannot be graded, or None: two identical eval passes already
    disagree, or a limit of the model (a batch of one, a position table) stopped the probe (both warnings: the
    probe cannot tell), or a change is not a finite number (``what`` moved by it; a failure, ``fix`` its fix)."""
    if "not_repeatable" in m:
        return CheckResult(c.id, "warn", m["not_repeatable"], c.t.batch_mixing_max,
                           "cannot tell: two evaluation passes on the same batch already give different logits "
                           "(see dropout_in_eval)", "fix dropout_in_eval first; this probe then runs", "max")
    if "limit" in m:
        return CheckResult(c.id, "warn", None, c.fail, f"not measured: {m['limit']} (a limit of the model, not "
                           "necessarily a bug)", "if the model is meant to take it, look at the error; otherwise "
                           "nothing to do", "max")
    if any(m[key] is None for key in changes):
        return not_finite(c.id, c.fail, what, fix)
    return None


@probe_check("batch_independence", about="samples mixed across the batch", reads="batch", section="batch",
             question="overfit_16", limits=[BATCH_MIXING], fix=BATCH_FIX)
def batch_independence(m: dict, c: Grading) -> CheckResult:
    """A sample's logits do not move when it is run alone or when the other samples change."""
    # an all-zero output leaves nothing to compare, unless two passes already disagree (ungraded says so first)
    if "not_repeatable" not in m and not m["output_scale"]:
        return c.result("warn", 0.0, c.fail,
                        "cannot tell: every logit is 0 at initialization (a zero-initialized last layer?)",
                        "initialize the last layer with small random weights")
    if (unclear := ungraded(c, m, "a sample's logits", BATCH_FIX, "alone", "others_changed")) is not None:
        return unclear
    change = max(m["alone"], m["others_changed"])
    return c.graded(change, f"a sample's logits change by up to {change:.3g} (relative) when it runs alone "
                            f"({m['alone']:.3g}) or when the other {m['batch_size'] - 1} samples of its batch change "
                            f"({m['others_changed']:.3g})")


@probe_check("permutation_equivariance", about="samples mixed across the batch", reads="batch",
             section="batch", question="overfit_16", limits=[BATCH_MIXING], fix=BATCH_FIX)
def permutation_equivariance(m: dict, c: Grading) -> CheckResult:
    """Reordering the batch reorders the logits, nothing else."""
    return ungraded(c, m, "the reordered logits", BATCH_FIX, "permuted") or c.graded(
        m["permuted"], f"reordering the batch changes the reordered logits by up to {m['permuted']:.3g} (relative)")


PADDING_FIX = ("the model (model._target_) reads padding: pass attention_mask on to the encoder (transformers "
               "models: attention_mask=...; nn.TransformerEncoder: src_key_padding_mask=attention_mask == 0) and pool "
               "over real tokens only, e.g. (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True), or "
               "masked_fill(mask == 0, -inf) before a max or an attention-pooling softmax; look at the pooling line "
               "of forward first")


@probe_check("batch_size_invariance", about="a text's logits in batches of other sizes", reads="batch_size",
             section="padding", question="overfit_16", limits=[BATCH_MIXING], fix=BATCH_FIX)
def batch_size_invariance(m: dict, c: Grading) -> CheckResult:
    """A text's logits are the same in batches of 1, 2 and the probe batch's size, at one width."""
    return ungraded(c, m, "a text's logits", BATCH_FIX, "change") or c.graded(
        m["change"], f"with equal padding, a text's logits change by up to {m['change']:.3g} (relative) between a "
                     f"batch of 1 ({m['size_1']:.3g}), of 2 ({m['size_2']:.3g}) and of {m['batch_size']}")


@probe_check("padding_invariance", about="a text's logits under more padding", reads="padding", section="padding",
             question="overfit_16", fix=PADDING_FIX,
             limits=[Limit("padding_change_max", 1.0e-3, "fail",
                           "a text's logits at its own length vs padded to the batch's width or far wider")])
def padding_invariance(m: dict, c: Grading) -> CheckResult:
    """A text's logits are the same at its own length, at its batch's width and at a much larger width."""
    return ungraded(c, m, "a padded text's logits", PADDING_FIX, "change") or c.graded(
        m["change"], f"a text's logits change by up to {m['change']:.3g} (relative) when padded from its own length "
                     f"to the batch's width of {m['batch_width']} ({m['at_batch_width']:.3g}) or to "
                     f"{m['wide_width']} tokens ({m['at_wide_width']:.3g})")


# -- what the model reads -----------------------------------------------------------------------------------------

def method(m: dict) -> str:
    """How the reading probe measured each position's influence."""
    if m["method"] == "gradient":
        return f"gradient of the logits at the input embeddings ({m['embeddings']})"
    return (f"perturbation: each position's token replaced in {m['rows']} texts (no input embeddings reachable "
            "through get_input_embeddings() or an nn.Embedding)")


def reads_nothing(c: Grading, m: dict, threshold: Any) -> CheckResult:
    """A warning when the logits move with no input position at all."""
    return c.result("warn", None, threshold,
                    f"cannot tell: the logits do not move with any input position ({method(m)})",
                    "check that forward uses input_ids (see the other probes)")


@probe_check("reads_padding", about="what the model reads", reads="reading", section="reading", question="overfit_16",
             limits=[Limit("padding_gradient_share_max", 1.0e-3, "fail",
                           "share of the logits' sensitivity on padding positions (a masked model: ~0)")],
             fix=PADDING_FIX)
def reads_padding(m: dict, c: Grading) -> CheckResult:
    """No share of the logits' sensitivity lies on padding positions."""
    if m["padding_share"] is None:
        return reads_nothing(c, m, c.fail)
    return c.graded(m["padding_share"], f"{pct(m['padding_share'])} of the logits' sensitivity lies on the "
                                        f"{m['padding_positions']} padding positions ({method(m)})")


@probe_check("unread_tokens", about="what the model reads", reads="reading", section="reading", question="overfit_16",
             limits=[Limit("unread_tokens_warn", 0.25, "warn",
                           "share of real token positions with no influence on the logits"),
                     Limit("unread_tokens_fail", 0.5, "fail",
                           "most of each text unread: a model reading only its first token or a prefix")],
             fix="the model (model._target_) ignores part of each text: look for an index such as h[:, 0] or "
                 "h[:, :n] in forward (reading only the first token or a prefix), a slice of input_ids, or a position "
                 "table shorter than train.max_length")
def unread_tokens(m: dict, c: Grading) -> CheckResult:
    """Every real token has some influence on the logits."""
    if m["dead_share"] is None:
        return reads_nothing(c, m, c.warn)
    dead = m.get("dead_positions") or []
    where = f"; positions with none, e.g. {', '.join(map(str, dead))}" if dead else ""
    return c.graded(m["dead_share"], f"{pct(m['dead_share'])} of the {m['real_positions']} real token positions have "
                                     f"no influence on the logits ({method(m)}){where}")

