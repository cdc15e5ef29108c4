"""Step 3's probe checks: grade the probes' measurements against ``checks.model``.

Each ``<name>_check(measured, t)`` takes one probe's measurement (a dict from the probe
modules) and returns a CheckResult; ``model_checks`` grades them all, in report order.
A measurement may instead be ``{"error": why}`` (the probe could not run on this model:
a failing check) or ``{"skipped": why}`` (it was not run, e.g. because an earlier probe
failed or the real training did not run: a warning).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from clearance.checklist.results import CheckResult, graded
from clearance.core.config.model import ModelChecks, lr_band_for

Check = Callable[[dict, ModelChecks], CheckResult]
MODEL_FIX = ("in the model named by model._target_ (conf/model/), make forward(input_ids, attention_mask) return "
             "raw logits [batch, num_labels]: one score per class, before any softmax (accept `num_labels` in its "
             "signature to get K)")
PARTS_FIX = ("the error comes from a plugged-in part this probe runs (model, tokenizer, optimizer or loss: their "
             "_target_ in conf/model, conf/tokenizer, conf/optimizer, conf/loss): fix it there; the README "
             "describes what each part must accept and return")
SHOWN = 8  # names listed in a message; the full list is the check's value


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def _names(names: list[str]) -> str:
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


def _not_finite(check_id: str, threshold: Any, what: str, fix: str) -> CheckResult:
    """A measurement that came out NaN or infinite: it cannot pass."""
    return CheckResult(check_id, "fail", None, threshold, f"{what} is not a finite number (NaN or infinity)", fix,
                       "" if not isinstance(threshold, (int, float)) else "max")


def unmeasured(check_id: str, measured: dict | None, about: str, fix: str = PARTS_FIX) -> CheckResult | None:
    """The result for a probe that did not produce numbers, or None when it did (``fix``: for an error)."""
    if measured is None:
        return CheckResult(check_id, "warn", None, "measured", f"{about}: not measured",
                           "run the model stage again (`dvc repro`)")
    if "error" in measured:
        return CheckResult(check_id, "fail", None, "the probe runs", f"{about}: the probe could not run on this "
                           f"model: {measured['error']}", fix)
    if "skipped" in measured:
        return CheckResult(check_id, "warn", None, "the probe runs", f"{about}: not run ({measured['skipped']})",
                           "fix the failing checks above and run the model stage again")
    return None


def guarded(check_id: str, about: str, fix: str = PARTS_FIX) -> Callable[[Check], Check]:
    """Let a grading function see only real measurements (errors and skips are graded here)."""
    def wrap(grade: Check) -> Check:
        def check(measured: dict | None, t: ModelChecks) -> CheckResult:
            return unmeasured(check_id, measured, about, fix) or grade(measured, t)
        check.__name__, check.__doc__ = grade.__name__, grade.__doc__
        return check
    return wrap


# -- what the model returns -------------------------------------------------------------------------------------

@guarded("output_logits", "the model's output", MODEL_FIX)
def output_check(m: dict, t: ModelChecks) -> CheckResult:
    """Logits of shape [batch, K], floating point and finite."""
    problems = []
    if not m["shape_ok"]:
        problems.append(f"shape {m['shape']} instead of {m['expected']} ([batch, number of classes])")
    if not m["dtype"].startswith(("float", "bfloat")):
        problems.append(f"dtype {m['dtype']}, not floating point")
    if m.get("nonfinite"):
        problems.append(f"{m['nonfinite']} NaN or infinite values")
    model = f"the model ({m['model']})" if m.get("model") else "the model"
    return CheckResult("output_logits", "fail" if problems else "pass", m["shape"], m["expected"],
                       (f"{model} returns " + "; ".join(problems)) if problems else
                       f"{model} returns finite logits of shape {m['shape']} ({m['dtype']})", MODEL_FIX)


@guarded("probability_outputs", "softmax before the loss")
def probabilities_check(m: dict, t: ModelChecks) -> CheckResult:
    """Outputs in [0, 1] that sum to 1 per row are probabilities, and a loss that wants logits squashes them."""
    if m["probability_rows"] is None:
        return unmeasured("probability_outputs", {"skipped": "the output has the wrong shape"},
                          "softmax before the loss")
    return graded("probability_outputs", m["probability_rows"], None, t.probability_rows_max,
                  f"{_pct(m['probability_rows'])} of output rows lie in [0, 1] and sum to 1 (probabilities, not "
                  f"logits; output range {m.get('range')})",
                  "remove the softmax/sigmoid at the end of the model's forward (model._target_): the loss "
                  "(cross-entropy) applies log-softmax itself, and probabilities fed to it learn slowly or not at all")


@guarded("init_loss", "the loss at initialization")
def init_loss_check(m: dict, t: ModelChecks) -> CheckResult:
    """The untrained model's loss is about ln K: it guesses uniformly."""
    fix = ("a loss far above ln K means confident wrong guesses at init: a last layer with large weights, or a "
           "loss summed instead of averaged; far below means the model knows the answers before training (labels "
           "leaking into the inputs, or an already trained head): check the model's last layer and the loss")
    if m["ratio"] is None:
        return _not_finite("init_loss", t.init_loss_ratio_max, "the initial loss", fix)
    message = (f"initial loss {m['loss']:.4f} on {m['batch_size']} samples, {m['ratio']:.2f}x ln K = {m['ln_k']:.4f} "
               "(what guessing uniformly costs)")
    if m["ratio"] < t.init_loss_ratio_min:
        return graded("init_loss", m["ratio"], t.init_loss_ratio_min, None, message, fix, direction="min")
    return graded("init_loss", m["ratio"], None, t.init_loss_ratio_max, message, fix)


# -- the batch ----------------------------------------------------------------------------------------------------

BATCH_FIX = ("in the model (model._target_), a sample's logits must depend on that sample only: look for pooling, "
             "normalization or indexing over "
             "dim 0 (the batch axis) in forward, e.g. x.mean(0) instead of x.mean(1), or a reshape/view that mixes "
             "rows; in eval mode nothing may share information across samples")


def _not_repeatable(check_id: str, m: dict, t: ModelChecks) -> CheckResult | None:
    """A warning instead of a verdict when two identical eval passes already disagree."""
    if "not_repeatable" not in m:
        return None
    return CheckResult(check_id, "warn", m["not_repeatable"], t.batch_mixing_max,
                       "cannot tell: two evaluation passes on the same batch already give different logits "
                       "(see dropout_in_eval)", "fix dropout_in_eval first; this probe then runs", "max")


@guarded("batch_independence", "samples mixed across the batch")
def batch_independence_check(m: dict, t: ModelChecks) -> CheckResult:
    """A sample's logits do not move when it is run alone or when the other samples change."""
    if (unclear := _not_repeatable("batch_independence", m, t)) is not None:
        return unclear
    if not m["output_scale"]:
        return CheckResult("batch_independence", "warn", 0.0, t.batch_mixing_max,
                           "cannot tell: every logit is 0 at initialization (a zero-initialized last layer?)",
                           "initialize the last layer with small random weights", "max")
    if m["alone"] is None or m["others_changed"] is None:
        return _not_finite("batch_independence", t.batch_mixing_max, "a sample's logits", BATCH_FIX)
    change = max(m["alone"], m["others_changed"])
    return graded("batch_independence", change, None, t.batch_mixing_max,
                  f"a sample's logits change by up to {change:.3g} (relative) when it runs alone ({m['alone']:.3g}) "
                  f"or when the other {m['batch_size'] - 1} samples of its batch change ({m['others_changed']:.3g})",
                  BATCH_FIX)


@guarded("permutation_equivariance", "samples mixed across the batch")
def permutation_check(m: dict, t: ModelChecks) -> CheckResult:
    """Reordering the batch reorders the logits, nothing else."""
    if (unclear := _not_repeatable("permutation_equivariance", m, t)) is not None:
        return unclear
    if m["permuted"] is None:
        return _not_finite("permutation_equivariance", t.batch_mixing_max, "the reordered logits", BATCH_FIX)
    return graded("permutation_equivariance", m["permuted"], None, t.batch_mixing_max,
                  f"reordering the batch changes the reordered logits by up to {m['permuted']:.3g} (relative)",
                  BATCH_FIX)


PADDING_FIX = ("the model (model._target_) reads padding: pass attention_mask on to the encoder (transformers "
               "models: attention_mask=...; nn.TransformerEncoder: src_key_padding_mask=attention_mask == 0) and pool "
               "over real tokens only, e.g. (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True), or "
               "masked_fill(mask == 0, -inf) before a max or an attention-pooling softmax; look at the pooling line "
               "of forward first")


def _model_limit(check_id: str, m: dict, threshold: Any, direction: str = "max") -> CheckResult | None:
    """A warning when the model's own limits (a batch of one, a position table) stopped the probe."""
    if "limit" not in m:
        return None
    return CheckResult(check_id, "warn", None, threshold, f"not measured: {m['limit']} (a limit of the model, not "
                       "necessarily a bug)", "if the model is meant to take it, look at the error; otherwise "
                       "nothing to do", direction)


@guarded("padding_invariance", "a text's logits under more padding")
def padding_check(m: dict, t: ModelChecks) -> CheckResult:
    """A text's logits are the same at its own length, at its batch's width and at a much larger width."""
    if (unclear := _not_repeatable("padding_invariance", m, t)) is not None:
        return unclear
    if (limit := _model_limit("padding_invariance", m, t.padding_change_max)) is not None:
        return limit
    if m["change"] is None:
        return _not_finite("padding_invariance", t.padding_change_max, "a padded text's logits", PADDING_FIX)
    return graded("padding_invariance", m["change"], None, t.padding_change_max,
                  f"a text's logits change by up to {m['change']:.3g} (relative) when padded from its own length "
                  f"to the batch's width of {m['batch_width']} ({m['at_batch_width']:.3g}) or to {m['wide_width']} "
                  f"tokens ({m['at_wide_width']:.3g})", PADDING_FIX)


@guarded("batch_size_invariance", "a text's logits in batches of other sizes")
def batch_size_check(m: dict, t: ModelChecks) -> CheckResult:
    """A text's logits are the same in batches of 1, 2 and the probe batch's size, at one width."""
    if (unclear := _not_repeatable("batch_size_invariance", m, t)) is not None:
        return unclear
    if (limit := _model_limit("batch_size_invariance", m, t.batch_mixing_max)) is not None:
        return limit
    if m["change"] is None:
        return _not_finite("batch_size_invariance", t.batch_mixing_max, "a text's logits", BATCH_FIX)
    return graded("batch_size_invariance", m["change"], None, t.batch_mixing_max,
                  f"with equal padding, a text's logits change by up to {m['change']:.3g} (relative) between a batch "
                  f"of 1 ({m['size_1']:.3g}), of 2 ({m['size_2']:.3g}) and of {m['batch_size']}", BATCH_FIX)


def _method(m: dict) -> str:
    if m["method"] == "gradient":
        return f"gradient of the logits at the input embeddings ({m['embeddings']})"
    return (f"perturbation: each position's token replaced in {m['rows']} texts (no input embeddings reachable "
            "through get_input_embeddings() or an nn.Embedding)")


@guarded("reads_padding", "what the model reads")
def reads_padding_check(m: dict, t: ModelChecks) -> CheckResult:
    """No share of the logits' sensitivity lies on padding positions."""
    if m["padding_share"] is None:
        return CheckResult("reads_padding", "warn", None, t.padding_gradient_share_max,
                           f"cannot tell: the logits do not move with any input position ({_method(m)})",
                           "check that forward uses input_ids (see the other probes)", "max")
    return graded("reads_padding", m["padding_share"], None, t.padding_gradient_share_max,
                  f"{_pct(m['padding_share'])} of the logits' sensitivity lies on the {m['padding_positions']} "
                  f"padding positions ({_method(m)})", PADDING_FIX)


@guarded("unread_tokens", "what the model reads")
def unread_tokens_check(m: dict, t: ModelChecks) -> CheckResult:
    """Every real token has some influence on the logits."""
    if m["dead_share"] is None:
        return CheckResult("unread_tokens", "warn", None, t.unread_tokens_warn,
                           f"cannot tell: the logits do not move with any input position ({_method(m)})",
                           "check that forward uses input_ids (see the other probes)", "max")
    dead = m.get("dead_positions") or []
    where = f"; positions with none, e.g. {', '.join(map(str, dead))}" if dead else ""
    return graded("unread_tokens", m["dead_share"], t.unread_tokens_warn, t.unread_tokens_fail,
                  f"{_pct(m['dead_share'])} of the {m['real_positions']} real token positions have no influence on "
                  f"the logits ({_method(m)}){where}",
                  "the model (model._target_) ignores part of each text: look for an index such as h[:, 0] or "
                  "h[:, :n] in forward (reading only the first token or a prefix), a slice of input_ids, or a "
                  "position table shorter than train.max_length")


# -- evaluation mode ----------------------------------------------------------------------------------------------

@guarded("dropout_in_eval", "dropout left on in evaluation")
def eval_repeat_check(m: dict, t: ModelChecks) -> CheckResult:
    """Two eval-mode passes over one batch give the same logits."""
    fix = ("in eval mode the model (model._target_) must be deterministic: use nn.Dropout modules (or F.dropout(..., "
           "training=self.training)) registered as submodules (nn.ModuleList, not a Python list), and do not "
           "override train()/eval()")
    still = m.get("still_training") or []
    detail = f"; modules still in training mode after model.eval(): {_names(still)}" if still else ""
    if m["difference"] is None:
        return _not_finite("dropout_in_eval", t.eval_repeat_max, "the eval-mode logits", fix)
    return graded("dropout_in_eval", m["difference"], None, t.eval_repeat_max,
                  f"two eval-mode passes over the same batch differ by {m['difference']:.3g} (relative){detail}", fix)


@guarded("eval_mode_in_loop", "the training loop's evaluations")
def loop_eval_check(m: dict, t: ModelChecks) -> CheckResult:
    """Every evaluation of the training loop runs in eval mode without gradients; every step in train mode."""
    problems = {"evaluations_in_train_mode": "model calls during evaluation in train mode (dropout on)",
                "evaluations_with_gradients": "model calls during evaluation with gradients on",
                "steps_in_eval_mode": "training steps in eval mode (dropout off while training)"}
    found = {key: m[key] for key in problems if m[key]}
    if not m["evaluation_calls"] and not m["evaluations_with_gradients"]:
        found["no_evaluation"] = 1
        problems["no_evaluation"] = "evaluations seen: none"
    value = {key: m[key] for key in problems if key in m}
    return CheckResult(
        "eval_mode_in_loop", "fail" if found else "pass", value, "0 of each",
        (f"over {m['steps']} training steps, each followed by an evaluation: "
         + ("; ".join(f"{problems[k]}: {v}" for k, v in found.items()) if found else
            f"{m['evaluation_calls']} evaluation calls, all in eval mode without gradients")),
        "the model (model._target_) must follow model.train()/model.eval(): do not override train() or eval(), and "
        "keep dropout in registered submodules")


# -- gradients and updates ----------------------------------------------------------------------------------------

@guarded("zero_grad", "zero_grad")
def zero_grad_check(m: dict, t: ModelChecks) -> CheckResult:
    """A step from stale gradients updates exactly like a step from clean ones: zero_grad clears them."""
    fix = ("the optimizer named by optimizer._target_ (conf/optimizer/) must clear the gradients in zero_grad() "
           "(set them to None or zero): do not override it with a no-op; in a subclass call "
           "super().zero_grad(set_to_none)")
    left = m["left_with_gradient"]
    optimizer = m.get("optimizer", "the optimizer")
    detail = (f"; the loop called {optimizer}.zero_grad {m['zero_grad_calls']} time(s) and it left gradients in "
              f"{len(left)} parameter(s): {_names(left)}" if left else
              f"; the loop called {optimizer}.zero_grad {m['zero_grad_calls']} time(s)")
    if m["update_difference"] is None:
        return _not_finite("zero_grad", t.update_repeat_max, "the update", fix)
    return graded("zero_grad", m["update_difference"], None, t.update_repeat_max,
                  f"one training step from stale gradients differs from one from clean gradients by "
                  f"{m['update_difference']:.3g} (relative){detail}", fix)


@guarded("symmetric_init", "initialization that does not break symmetry")
def symmetry_check(m: dict, t: ModelChecks) -> CheckResult:
    """No trainable weight matrix starts constant or with identical rows."""
    bad = m["constant"] + m["identical_rows"]
    parts = ([f"constant: {_names(m['constant'])}"] if m["constant"] else []) + \
            ([f"identical rows: {_names(m['identical_rows'])}"] if m["identical_rows"] else [])
    return CheckResult("symmetric_init", "fail" if bad else "pass", bad, "none",
                       (f"{len(bad)} of {m['checked']} trainable weight matrices start symmetric ("
                        + "; ".join(parts) + "): their units get equal gradients and stay copies of each other")
                       if bad else f"all {m['checked']} trainable weight matrices start with distinct rows",
                       "in the model (model._target_), initialize weights randomly (the default of nn.Linear/"
                       "nn.Embedding, or nn.init.normal_/xavier_uniform_), not with a constant such as nn.init.zeros_ "
                       "or fill_")


@guarded("dead_parameters", "parameters without a gradient")
def dead_parameters_check(m: dict, t: ModelChecks) -> CheckResult:
    """After one backward pass, every trainable parameter has a non-zero gradient."""
    dead = m["dead"]
    message = (f"{len(dead)} of {m['trainable']} trainable parameters got no gradient from one backward pass: "
               f"{_names(dead)}" if dead else f"all {m['trainable']} trainable parameters get a gradient")
    if not m["loss_finite"]:
        message += " (the loss was NaN or infinite)"
    return CheckResult("dead_parameters", "fail" if dead or not m["loss_finite"] else "pass", dead, "none", message,
                       "in the model (model._target_), use these layers in forward, or remove them; freeze "
                       "parameters you mean to keep fixed "
                       "(requires_grad=False); check for .detach() or integer casts cutting the graph")


@guarded("params_change", "parameters changing after a step")
def params_change_check(m: dict, t: ModelChecks) -> CheckResult:
    """One training step moves the trainable parameters."""
    fix = "check train.lr (0 freezes everything) and the optimizer settings; see also dead_parameters"
    if not m["trainable"]:
        return CheckResult("params_change", "fail", 0.0, t.changed_params_min,
                           "the model has no trainable parameters", "leave some parameters with requires_grad=True",
                           "min")
    changed = 1 - len(m["unchanged"]) / m["trainable"]
    ratio = f"; median update/weight ratio {m['update_ratio']:.2g}" if m.get("update_ratio") is not None else ""
    return graded("params_change", changed, None, t.changed_params_min,
                  f"one training step changed {m['trainable'] - len(m['unchanged'])} of {m['trainable']} trainable "
                  f"parameters at lr {_rates(m['lr'])}{ratio}"
                  + (f"; unchanged: {_names(m['unchanged'])}" if m["unchanged"] else ""), fix, direction="min")


def _rates(rates: list[float]) -> str:
    """One learning rate, or each group's."""
    return f"{rates[0]:g}" if len(set(rates)) == 1 else ", ".join(f"{r:g}" for r in rates)


@guarded("lr_band", "the learning rate")
def lr_band_check(m: dict, t: ModelChecks) -> CheckResult:
    """The learning rate is above 0 and in the band plausible for the optimizer."""
    key, (low, high) = lr_band_for(m["optimizer"], t.lr_band)
    rates = m["lr"]
    value = rates[0] if len(set(rates)) == 1 else rates
    zero = [r for r in rates if not r > 0]
    outside = [r for r in rates if not low <= r <= high]
    status = "fail" if zero else "warn" if outside else "pass"
    where = f"checks.model.lr_band.{key}"
    message = (f"learning rate {value} for {m['optimizer']}; plausible band [{low:g}, {high:g}] ({where})"
               + (": 0 never moves the weights" if zero else ": outside the band" if outside else ""))
    return CheckResult("lr_band", status, value, [low, high], message,
                       f"set train.lr inside [{low:g}, {high:g}] (e.g. 1e-4 to 5e-4 for AdamW on a small "
                       f"transformer); if the value is deliberate, widen {where} in conf/checks/default.yaml")


# -- inputs -------------------------------------------------------------------------------------------------------

PERCENTILES = (("95", "the 95th percentile"), ("99", "the 99th percentile"), ("100", "the longest text"))


def suggested_length(m: dict) -> str:
    """What to do about truncation: a max_length near the 95th percentile of the lengths (the 99th or the
    longest when a few long texts are what loses tokens), in the tokenizer's tokens, never beyond what the
    model and tokenizer take (``length_limit``, when the probe found one)."""
    current, limit = m["max_length"], m.get("length_limit")
    for key, name in PERCENTILES:
        wanted = math.ceil(m["length_percentiles"][key])
        if wanted > current:
            break
    if limit is None or wanted <= limit:
        bound = f"; the model takes at most {limit} tokens" if limit is not None else ""
        return f"raise train.max_length to about {name} ({wanted}{bound})"
    longer = ("for texts this long, choose a model taking longer inputs (model=tiny: raise model.max_positions "
              "with train.max_length)")
    if current < limit:
        return (f"raise train.max_length to {limit}, the most the model takes ({name}, {wanted}, is beyond it); "
                f"{longer}")
    return f"train.max_length={current} is already the most the model takes ({limit} tokens): {longer}"


@guarded("truncated_texts", "inputs truncated")
def truncated_texts_check(m: dict, t: ModelChecks) -> CheckResult:
    """Few texts are longer than max_length."""
    p = m["length_percentiles"]
    return graded("truncated_texts", m["truncated_share"], t.truncated_texts_warn, t.truncated_texts_fail,
                  f"{m['truncated_texts']} of {m['texts']} training texts ({_pct(m['truncated_share'])}) are longer "
                  f"than train.max_length={m['max_length']} tokens (lengths: median {p['50']:g}, 95th percentile "
                  f"{p['95']:g}, longest {p['100']:g})", suggested_length(m))


@guarded("truncated_tokens", "inputs truncated")
def truncated_tokens_check(m: dict, t: ModelChecks) -> CheckResult:
    """Truncation drops a small share of the training tokens (a few long outliers may lose much)."""
    return graded("truncated_tokens", m["tokens_lost_overall"], t.truncated_tokens_warn, t.truncated_tokens_fail,
                  f"truncation drops {_pct(m['tokens_lost_overall'])} of all training tokens "
                  f"({_pct(m['tokens_lost_share'])} of the cut texts' tokens)",
                  suggested_length(m))


# The built-in way out when the default (English) tokenizer misses the data: a tokenizer learned from the
# training split, with a model trained from scratch for its ids (a pretrained model's embeddings are keyed to
# its own vocabulary). The default train.lr suits it: one epoch on 35k Chinese reviews reached valid macro-F1
# 0.854 at 3e-4 and 0.769 at 3e-3 (debug=tiny's 3e-3 is for the micro model's few steps).
TRAINED_TOKENIZER = "`clearance params model=tiny tokenizer=trained` then `dvc repro`"
TOKENIZER_FIX = ("read the decoded samples in the report: a tokenizer whose vocabulary misses the data's words "
                 "(another language, a tiny vocabulary) or preprocessing that removes them leaves the model "
                 "little to read. For data the default English tokenizer does not cover (Chinese, Japanese, Thai, "
                 f"...), learn a tokenizer from the training split: {TRAINED_TOKENIZER} (add the overrides you "
                 "composed with, e.g. your data=...; docs/plugins.md). Or choose another tokenizer matching the "
                 "data (tokenizer._target_, conf/tokenizer/), or fix the preprocessing (preprocess, conf/preprocess/)")


@guarded("unknown_tokens", "unknown tokens")
def unknown_tokens_check(m: dict, t: ModelChecks) -> CheckResult:
    """Few tokens are the tokenizer's unknown token."""
    if m["unk_token"] is None:
        return CheckResult("unknown_tokens", "pass", 0.0, t.unk_rate_fail,
                           "the tokenizer has no unknown token (byte-level: every text is representable)",
                           TOKENIZER_FIX, "max")
    return graded("unknown_tokens", m["unk_rate"], t.unk_rate_warn, t.unk_rate_fail,
                  f"{_pct(m['unk_rate'])} of the {m['tokens']} training tokens are the unknown token "
                  f"(id {m['unk_token']})", TOKENIZER_FIX)


@guarded("words_kept", "words surviving preprocessing and tokenization")
def words_kept_check(m: dict, t: ModelChecks) -> CheckResult:
    """Most of a text's words can be read back from its tokens."""
    if m["words_kept"] is None:
        return CheckResult("words_kept", "warn", None, t.words_kept_fail, "the training texts contain no words",
                           "check data.text_column and the preprocess settings", "min")
    return graded("words_kept", m["words_kept"], t.words_kept_warn, t.words_kept_fail,
                  f"on average {_pct(m['words_kept'])} of a text's words come back when its tokens are decoded; "
                  f"{m['texts_mostly_lost']} of {m['words_checked']} texts read lose most of their words",
                  TOKENIZER_FIX, direction="min")


@guarded("empty_after_tokenization", "texts left empty")
def empty_texts_check(m: dict, t: ModelChecks) -> CheckResult:
    """Few texts are left with nothing but special or unknown tokens."""
    return graded("empty_after_tokenization", m["empty_share"], t.empty_texts_warn, t.empty_texts_fail,
                  f"{m['empty']} of {m['texts']} training texts ({_pct(m['empty_share'])}) have no known token left "
                  "after preprocessing and tokenization", TOKENIZER_FIX)


@guarded("tokens_per_word", "tokens per word")
def tokens_per_word_check(m: dict, t: ModelChecks) -> CheckResult:
    """Words are not shredded into many pieces (a vocabulary too small for the data)."""
    value = m["tokens_per_word"]
    if value is None:
        return CheckResult("tokens_per_word", "pass", None, t.tokens_per_word_warn,
                           "no words to count tokens for", TOKENIZER_FIX, "max")
    return graded("tokens_per_word", value, t.tokens_per_word_warn, None,
                  f"{value:.2f} tokens per word on train: many pieces per word mean a vocabulary that fits the data "
                  "poorly, and longer inputs", TOKENIZER_FIX)


# -- fitting ------------------------------------------------------------------------------------------------------

@guarded("overfit_small_sample", "overfitting a small sample")
def overfit_check(m: dict, t: ModelChecks) -> CheckResult:
    """With regularization off, the training function drives the loss on a few samples near 0."""
    losses, limit = m["losses"], t.overfit_loss_max
    below = next((i + 1 for i, loss in enumerate(losses) if loss < limit), None)
    reached = f"first below {limit} at step {below}" if below else f"never below {limit}"
    still_falling = len(losses) >= 10 and losses[-1] < 0.8 * losses[int(len(losses) * 0.8)]
    fix = ("a model that cannot memorize a handful of samples almost always has a bug: check the other probes "
           "(labels aligned with texts, logits not probabilities, a learning rate above 0, parameters that get "
           "gradients, inputs not truncated to nothing); rarely the model is too small to memorize them")
    if still_falling:
        fix += "; the loss was still falling at the end: raise probes.overfit_max_steps or train.lr"
    stop = m.get("stop_below")
    if stop is not None and stop >= limit:
        fix += (f"; the run stopped once the loss fell below probes.overfit_stop_loss={stop}, which is not below "
                f"this threshold: set probes.overfit_stop_loss under checks.model.overfit_loss_max")
    if m.get("diverged"):  # the run stopped at that step: the loss below is not a number
        return CheckResult("overfit_small_sample", "fail", None, limit, f"the overfit run: {m['diverged']}",
                           f"lower train.lr; {fix}", "max")
    if m["final_loss"] is None:
        return _not_finite("overfit_small_sample", limit, "the overfit run's loss", fix)
    return graded("overfit_small_sample", m["final_loss"], None, limit,
                  f"with dropout and weight decay off, the loss on {m['samples']} training samples went from "
                  f"{losses[0]:.4f} to {m['final_loss']:.4f} in {m['steps']} steps (of at most {m['max_steps']}; "
                  f"{reached})", fix)


@guarded("overfit_predictions", "what overfitting proves")
def overfit_predictions_check(m: dict, t: ModelChecks) -> CheckResult:
    """After overfitting, the model predicts the labels of the samples it learned."""
    if m.get("accuracy") is None:
        return CheckResult("overfit_predictions", "warn", None, t.overfit_accuracy_min,
                           "no predictions on the overfit samples", "see overfit_small_sample", "min")
    message = (f"after overfitting, {_pct(m['accuracy'])} of the {m['samples']} samples are predicted as their "
               f"labels (final loss {m['final_loss']:.4f})" if m["final_loss"] is not None else
               f"after overfitting, {_pct(m['accuracy'])} of the {m['samples']} samples are predicted as their labels")
    wrong = m.get("wrong") or []
    if wrong:
        message += "; e.g. " + ", ".join(f"label {w['label']} predicted as {w['predicted']}" for w in wrong[:3])
    low_loss = m["final_loss"] is not None and m["final_loss"] < t.overfit_loss_max
    if m["accuracy"] >= t.overfit_accuracy_min or low_loss:
        return graded("overfit_predictions", m["accuracy"], None, t.overfit_accuracy_min, message,
                      "a loss near 0 with wrong predictions means the loss and the labels disagree: a label map "
                      "shifted between the data and the loss (class i must be logit i), or a loss that ignores or "
                      "transforms its target (loss._target_, conf/loss/)", direction="min")
    return CheckResult("overfit_predictions", "warn", m["accuracy"], t.overfit_accuracy_min,
                       message + "; the loss did not get low either, so this says nothing more",
                       "see overfit_small_sample", "min")


@guarded("overfitting", "overfitting on the real run")
def overfitting_check(m: dict, t: ModelChecks) -> CheckResult:
    """Train loss does not keep falling while valid loss rises."""
    best = (f"; the best valid loss {m['best_valid_loss']:.4f} was at step {m['best_step']}"
            if m["best_step"] is not None else "")
    return graded("overfitting", m["longest_streak"], t.overfitting_streak_max, None,
                  f"over {m['evaluations']} evaluations, train loss fell while valid loss rose for at most "
                  f"{m['longest_streak']} in a row"
                  + (f" (ending at step {m['streak_ends_at']})" if m["streak_ends_at"] is not None else "") + best,
                  f"keep the model from step {m['best_step']} (fewer train.epochs or train.max_steps), or add "
                  "regularization (train.dropout, train.weight_decay) or data")


def diverged_fix(lr: Any) -> str:
    """Lower the learning rate, with a value to start from when the run recorded its own."""
    example = f", e.g. to {lr / 10:g} (a tenth of {lr:g})" if isinstance(lr, (int, float)) and lr > 0 else ""
    return (f"lower `train.lr`{example}, in conf/train/ or with `clearance params train.lr=...`, and run "
            "`dvc repro`; lr_band shows the rates usual for the optimizer (checks.model.lr_band)")


@guarded("training_diverged", "divergence on the real run")
def diverged_check(m: dict, t: ModelChecks) -> CheckResult:
    """The training loss stays finite and near what guessing costs or below: a run whose loss turned NaN or
    infinite stopped there and left no model; one whose loss ran far above ln K diverged all the same."""
    limit, fix = t.diverged_loss_ratio_max, diverged_fix(m.get("lr"))
    if m.get("diverged"):
        return CheckResult("training_diverged", "fail", None, limit,
                           f"{m['diverged']['message']}; the run stopped there and no model was packaged", fix, "max")
    if m["ratio"] is None:
        return CheckResult("training_diverged", "warn", None, limit,
                           "not measured: no evaluation recorded a training loss", "run the real training", "max")
    return graded("training_diverged", m["ratio"], None, limit,
                  f"the training loss stayed finite; its highest mean between two evaluations, {m['peak_loss']:.4g} "
                  f"at step {m['peak_step']}, is {m['ratio']:.2f}x ln K = {m['ln_k']:.4f} (what guessing uniformly "
                  "costs)", fix)


def _gain(m: dict, reference: str) -> float | None:
    from clearance.core.evaluation import gain

    if m["model"] is None or m[reference] is None:
        return None
    return gain(float(m["model"]), float(m[reference]), m["metric"])


@guarded("beats_best_baseline", "the bar")
def bar_baseline_check(m: dict, t: ModelChecks) -> CheckResult:
    """The model's valid score beats the best baseline's; if not, the user must answer why at the gate."""
    value = _gain(m, "baseline")
    if value is None:
        return CheckResult("beats_best_baseline", "warn", None, t.min_gain_over_baseline,
                           f"no valid {m['metric']} to compare (model {m['model']}, best baseline {m['baseline']})",
                           "run step 2 and the real training so both have a valid score", "min")
    return graded("beats_best_baseline", value, t.min_gain_over_baseline, None,
                  f"valid {m['metric']} {m['model']:.4f} against {m['baseline']:.4f} for the best baseline "
                  f"({m['best_baseline']}): {value:+.4f}",
                  "is the model worth its cost over the baseline? Train longer or tune (step 4), or keep the "
                  "baseline; answer at the gate", direction="min")


@guarded("beats_prior_guess", "the bar")
def bar_prior_check(m: dict, t: ModelChecks) -> CheckResult:
    """The model's valid score beats guessing in the class proportions."""
    value = _gain(m, "prior")
    if value is None:
        return CheckResult("beats_prior_guess", "warn", None, t.min_gain_over_prior,
                           f"no valid {m['metric']} to compare with the prior guess", "run the real training", "min")
    return graded("beats_prior_guess", value, None, t.min_gain_over_prior,
                  f"valid {m['metric']} {m['model']:.4f} against {m['prior']:.4f} for guessing in the class "
                  f"proportions: {value:+.4f}",
                  "the trained model is no better than guessing: look at the failing probes and the loss curves",
                  direction="min")


# -- all of them --------------------------------------------------------------------------------------------------

# Report order: what the model reads, what it returns, the batch, evaluation mode, gradients, fitting, the bar.
ORDER: tuple[tuple[str, Check], ...] = (
    ("truncation", truncated_texts_check), ("truncation", truncated_tokens_check),
    ("tokenizer", unknown_tokens_check), ("tokenizer", words_kept_check), ("tokenizer", empty_texts_check),
    ("tokenizer", tokens_per_word_check),
    ("outputs", output_check), ("outputs", probabilities_check), ("init_loss", init_loss_check),
    ("symmetry", symmetry_check),
    ("batch", batch_independence_check), ("batch", permutation_check), ("batch_size", batch_size_check),
    ("padding", padding_check), ("reading", reads_padding_check), ("reading", unread_tokens_check),
    ("eval_repeat", eval_repeat_check), ("loop_eval", loop_eval_check),
    ("zero_grad", zero_grad_check), ("dead_parameters", dead_parameters_check),
    ("param_change", params_change_check), ("param_change", lr_band_check),
    ("overfit", overfit_check), ("overfit", overfit_predictions_check), ("divergence", diverged_check),
    ("overfitting", overfitting_check),
    ("bar", bar_baseline_check), ("bar", bar_prior_check),
)
PROBES = tuple(dict.fromkeys(key for key, _ in ORDER))  # the measurement keys model_checks reads


AFTER_TRAINING = ("divergence", "overfitting", "bar")  # measured on the real run, after the probes


def model_checks(measured: dict[str, dict], t: ModelChecks) -> list[CheckResult]:
    """Every step-3 check, in report order; a missing measurement is a warning that says so."""
    return [grade(measured.get(key), t) for key, grade in ORDER]


def probe_checks(measured: dict[str, dict], t: ModelChecks) -> list[CheckResult]:
    """The checks of the probes that run before the real training (to decide whether to train at all)."""
    return [grade(measured.get(key), t) for key, grade in ORDER if key not in AFTER_TRAINING]
