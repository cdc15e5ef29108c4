"""The probes on tiny models: each fires on a model or setting built to have its bug and stays
silent on a clean one (seconds on CPU). The models and the tokenizer are defined here."""

from __future__ import annotations

from functools import partial
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from clearance.core.config.model import ProbeConfig, TrainConfig
from clearance.core.config.params import from_conf
from clearance.neural.parts.device import autocast_for
from clearance.neural.training.batches import Encoded, encode
from clearance.small_model.judge import checks as C
from clearance.small_model.judge.checks import ModelChecks
from clearance.small_model.measure.probes.batch import measure_batch_independence
from clearance.small_model.measure.probes.evaluation import (
    loop_modes,
    measure_eval_repeat,
    measure_loop_eval,
)
from clearance.small_model.measure.probes.fitting import measure_overfit, overfit_rows
from clearance.small_model.measure.probes.gradients import (
    measure_dead_parameters,
    measure_param_change,
    measure_zero_grad,
)
from clearance.small_model.measure.probes.init import measure_symmetry
from clearance.small_model.measure.probes.outputs import measure_init_loss, measure_outputs
from clearance.small_model.measure.probes.suite import probe_batch, run_probes
from tests.factory import make_texts
from tests.training_kit import BagOfWords, TurnsNaN, WordTokenizer, kit

CPU = torch.device("cpu")
FP32 = autocast_for(CPU, "fp32")


# -- a tiny tokenizer and tiny models -----------------------------------------------------------------------------

class BatchMean(BagOfWords):
    """Bug: normalizes over the batch axis, so each sample's output depends on the others."""

    def pool(self, input_ids, attention_mask):
        pooled = super().pool(input_ids, attention_mask)
        return pooled - pooled.mean(0, keepdim=True)


class PositionBias(BagOfWords):
    """Bug: adds the row's position in the batch (indexing by batch position)."""

    def forward(self, input_ids, attention_mask):
        out = super().forward(input_ids, attention_mask)
        return out + torch.arange(len(out), dtype=out.dtype).unsqueeze(1)


class Softmaxed(BagOfWords):
    """Bug: probabilities into a loss that wants logits."""

    def forward(self, input_ids, attention_mask):
        return super().forward(input_ids, attention_mask).softmax(-1)


class WrongShape(BagOfWords):
    """Bug: one output per sample instead of one per class."""

    def forward(self, input_ids, attention_mask):
        return super().forward(input_ids, attention_mask)[:, :1]


class Squeezed(BagOfWords):
    """Bug: squeeze() drops the batch axis for a batch of one."""

    def forward(self, input_ids, attention_mask):
        return super().forward(input_ids, attention_mask).squeeze()


class AlwaysDropout(BagOfWords):
    """Bug: dropout applied whatever the mode."""

    def forward(self, input_ids, attention_mask):
        hidden = torch.tanh(self.hidden(self.pool(input_ids, attention_mask)))
        return self.head(F.dropout(hidden, 0.5, training=True))


class ListedDropout(BagOfWords):
    """Bug: dropout held in a plain list, so model.eval() never reaches it."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self.hidden_drops = [torch.nn.Dropout(0.5)]

    def forward(self, input_ids, attention_mask):
        hidden = torch.tanh(self.hidden(self.pool(input_ids, attention_mask)))
        return self.head(self.hidden_drops[0](hidden))


class StaysTraining(BagOfWords):
    """Bug: train(mode) ignores the mode, so eval() leaves dropout on."""

    def train(self, mode: bool = True):
        return super().train(True)


class ConstantInit(BagOfWords):
    """Bug: a hidden layer filled with one value."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        torch.nn.init.constant_(self.hidden.weight, 0.05)


class CopiedRows(BagOfWords):
    """Bug: every unit of the hidden layer starts as a copy of the first."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        with torch.no_grad():
            self.hidden.weight.copy_(self.hidden.weight[:1].expand_as(self.hidden.weight))


class UnusedLayer(BagOfWords):
    """Bug: a layer that forward never uses."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self.extra = torch.nn.Linear(kw.get("width", 32), kw.get("width", 32))


class LoudHead(BagOfWords):
    """Bug: a last layer with huge weights: confident, wrong guesses at init."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        with torch.no_grad():
            self.head.weight.mul_(200.0)


class WithLogits(BagOfWords):
    """Clean, transformers-style: an object with .logits."""

    def forward(self, input_ids, attention_mask):
        return SimpleNamespace(logits=super().forward(input_ids, attention_mask))


class NoZeroGrad(torch.optim.AdamW):
    """Bug: an optimizer whose zero_grad does nothing."""

    def zero_grad(self, set_to_none: bool = True) -> None:
        pass


# -- fixtures -----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def t() -> ModelChecks:
    return from_conf(ModelChecks, "checks.model")


def train_config(**changes: Any) -> TrainConfig:
    """conf/'s training settings, on CPU in fp32, sized for tiny models."""
    values = dict(lr=0.01, weight_decay=0.0, dropout=0.1, batch_size=16, epochs=2, max_steps=None, max_length=32,
                  device="cpu", precision="fp32", eval_every=5, seed=0, schedule="constant", warmup_ratio=0.0)
    values.update(changes)
    return from_conf(TrainConfig, "train", **values)


def make_parts(model_class: type = BagOfWords, optimizer: Any = torch.optim.AdamW, vocabulary: int | None = None,
               preprocess=lambda s: s, n_per_class: int = 30):
    """(parts, raw train texts, train, valid) for a keyword-labelled toy task with ``model_class``."""
    frame = make_texts(n_per_class=n_per_class, seed=0)
    classes = sorted(frame["label"].unique())
    raw = frame["text"].tolist()
    texts = [str(x) for x in preprocess(pd.Series(raw))]
    tokenizer = WordTokenizer(texts, vocabulary)
    labels = frame["label"].map({c: i for i, c in enumerate(classes)}).to_numpy()

    def build_model(dropout: float | None = None) -> torch.nn.Module:
        torch.manual_seed(0)
        return model_class(len(tokenizer), len(classes), **({} if dropout is None else {"dropout": dropout}))

    parts = SimpleNamespace(build_model=build_model, tokenizer=tokenizer, optimizer=partial(optimizer),
                            loss=torch.nn.CrossEntropyLoss(), preprocess=preprocess, classes=classes, names={})
    cut = int(len(raw) * 0.75)
    return (parts, raw[:cut], encode(tokenizer, texts[:cut], labels[:cut], 32),
            encode(tokenizer, texts[cut:], labels[cut:], 32))


@pytest.fixture(scope="module")
def clean():
    return make_parts()


def batch_of(parts, train: Encoded, size: int = 8):
    return probe_batch(train, size, parts.tokenizer.pad_token_id, seed=0)


def model_and_batch(model_class: type = BagOfWords):
    parts, _, train, _ = make_parts(model_class)
    return parts, parts.build_model(), batch_of(parts, train)


def optimizer_for(parts, lr: float = 0.01):
    return lambda params: parts.optimizer(params, lr=lr, weight_decay=0.0)


# -- outputs ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("model_class", [BagOfWords, WithLogits])
def test_clean_logits_pass_the_output_checks(model_class, t):
    parts, model, batch = model_and_batch(model_class)
    measured = measure_outputs(model, batch, 3)
    assert measured["shape"] == [8, 3] and measured["shape_ok"]
    assert C.grade("output_logits", measured, t).status == "pass"
    assert C.grade("probability_outputs", measured, t).status == "pass"


def test_probabilities_fail_and_say_to_remove_the_softmax(t):
    _, model, batch = model_and_batch(Softmaxed)
    check = C.grade("probability_outputs", measure_outputs(model, batch, 3), t)
    assert check.status == "fail" and check.value == 1.0 and check.direction == "max"
    assert "softmax" in check.fix


def test_wrong_shape_is_a_failing_check_naming_the_shapes(t):
    _, model, batch = model_and_batch(WrongShape)
    measured = measure_outputs(model, batch, 3)
    check = C.grade("output_logits", measured, t)
    assert check.status == "fail" and "[8, 1]" in check.message and "[8, 3]" in check.message
    assert C.grade("probability_outputs", measured, t).status == "warn"  # not run: nothing to judge


def test_class_indices_instead_of_logits_fail_as_not_floating_point(t):
    class Argmax(BagOfWords):
        def forward(self, input_ids, attention_mask):
            return F.one_hot(super().forward(input_ids, attention_mask).argmax(1), 3)

    _, model, batch = model_and_batch(Argmax)
    measured = measure_outputs(model, batch, 3)
    check = C.grade("output_logits", measured, t)
    assert not measured["logits_ok"] and check.status == "fail" and "int64, not floating point" in check.message


def test_init_loss_near_ln_k_passes_and_a_loud_head_fails(t):
    parts, model, batch = model_and_batch()
    calm = measure_init_loss(model, parts.loss, batch, 3)
    assert calm["ln_k"] == pytest.approx(np.log(3)) and 0.8 < calm["ratio"] < 1.2
    assert C.grade("init_loss", calm, t).status == "pass"
    parts, model, batch = model_and_batch(LoudHead)
    loud = C.grade("init_loss", measure_init_loss(model, parts.loss, batch, 3), t)
    assert loud.status == "fail" and loud.value > t.init_loss_ratio_max and "ln K" in loud.message


def test_init_loss_far_below_ln_k_warns(t):
    measured = {"loss": 0.1, "ln_k": float(np.log(3)), "ratio": 0.1 / np.log(3), "batch_size": 8}
    check = C.grade("init_loss", measured, t)
    assert check.status == "warn" and check.direction == "min"


# -- the batch ----------------------------------------------------------------------------------------------------

def test_batch_probes_are_silent_on_a_clean_model_and_restore_its_mode(t):
    _, model, batch = model_and_batch()
    model.train()
    measured = measure_batch_independence(model, batch)
    assert model.training  # the probe ran in eval mode and gave the mode back
    assert measured["alone"] < 1e-5 and measured["others_changed"] < 1e-5 and measured["permuted"] < 1e-5
    assert C.grade("batch_independence", measured, t).status == "pass"
    assert C.grade("permutation_equivariance", measured, t).status == "pass"


def test_pooling_over_the_batch_axis_is_caught(t):
    _, model, batch = model_and_batch(BatchMean)
    check = C.grade("batch_independence", measure_batch_independence(model, batch), t)
    assert check.status == "fail" and "dim 0" in check.fix


def test_indexing_by_batch_position_breaks_permutation_equivariance(t):
    _, model, batch = model_and_batch(PositionBias)
    assert C.grade("permutation_equivariance", measure_batch_independence(model, batch), t).status == "fail"


def test_dropout_on_in_eval_is_not_blamed_on_batch_mixing(t):
    """Outputs that differ between identical passes leave the batch probes unable to tell: they warn."""
    _, model, batch = model_and_batch(AlwaysDropout)
    measured = measure_batch_independence(model, batch)
    for check in (C.grade("batch_independence", measured, t), C.grade("permutation_equivariance", measured, t)):
        assert check.status == "warn" and "dropout_in_eval" in check.message


def test_a_squeezed_batch_of_one_is_reported_not_crashed_on():
    _, model, batch = model_and_batch(Squeezed)
    with pytest.raises(Exception, match="batch of one"):
        measure_batch_independence(model, batch)


# -- evaluation mode ----------------------------------------------------------------------------------------------

def test_two_eval_passes_agree_on_a_clean_model(t):
    _, model, batch = model_and_batch()
    measured = measure_eval_repeat(model, batch)
    assert measured["difference"] == 0.0 and measured["still_training"] == []
    assert C.grade("dropout_in_eval", measured, t).status == "pass"


@pytest.mark.parametrize("model_class", [AlwaysDropout, ListedDropout, StaysTraining])
def test_dropout_left_on_in_eval_is_caught(model_class, t):
    _, model, batch = model_and_batch(model_class)
    measured = measure_eval_repeat(model, batch)
    assert C.grade("dropout_in_eval", measured, t).status == "fail"
    if model_class is StaysTraining:
        assert "drop" in C.grade("dropout_in_eval", measured, t).message  # the module still training is named


def test_loop_modes_count_calls_by_mode():
    # two steps (grad, train), each followed by one evaluation call
    good = [(True, True), (False, False), (True, True), (False, False)]
    assert loop_modes(good, 2) == {"steps": 2, "calls": 4, "evaluation_calls": 2, "evaluations_in_train_mode": 0,
                                   "steps_in_eval_mode": 0, "evaluations_with_gradients": 0}
    forgot_eval = [(True, True), (True, False)]
    assert loop_modes(forgot_eval, 1)["evaluations_in_train_mode"] == 1
    forgot_no_grad = [(True, True), (False, True)]
    assert loop_modes(forgot_no_grad, 1)["evaluations_with_gradients"] == 1
    left_in_eval = [(True, True), (False, False), (False, True)]
    assert loop_modes(left_in_eval, 2)["steps_in_eval_mode"] == 1


def test_the_training_loop_evaluates_in_eval_mode(clean, t):
    parts, _, train, valid = clean
    measured = measure_loop_eval(train_config(), parts, train.subset(range(8)), valid.subset(range(8)), CPU, FP32)
    assert measured["steps"] == 2 and measured["evaluation_calls"] >= 2
    assert C.grade("eval_mode_in_loop", measured, t).status == "pass"


def test_a_model_that_ignores_eval_fails_the_loop_check(t):
    parts, _, train, valid = make_parts(StaysTraining)
    measured = measure_loop_eval(train_config(), parts, train.subset(range(8)), valid.subset(range(8)), CPU, FP32)
    check = C.grade("eval_mode_in_loop", measured, t)
    assert check.status == "fail" and measured["evaluations_in_train_mode"] >= 2
    assert "train mode" in check.message


def test_no_evaluation_at_all_fails_the_loop_check(t):
    check = C.grade("eval_mode_in_loop", loop_modes([(True, True), (True, True)], 2), t)
    assert check.status == "fail" and "none" in check.message


# -- gradients and updates ----------------------------------------------------------------------------------------

def test_zero_grad_passes_with_a_working_optimizer(t):
    parts, model, batch = model_and_batch()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    measured = measure_zero_grad(model, optimizer_for(parts), parts.loss, batch)
    assert measured["zero_grad_calls"] == 1 and measured["left_with_gradient"] == []
    assert measured["update_difference"] == 0.0
    assert C.grade("zero_grad", measured, t).status == "pass"
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())  # the model is untouched


def test_an_optimizer_whose_zero_grad_does_nothing_fails(t):
    parts, _, train, _ = make_parts(optimizer=NoZeroGrad)
    model = parts.build_model()
    measured = measure_zero_grad(model, optimizer_for(parts), parts.loss, batch_of(parts, train))
    check = C.grade("zero_grad", measured, t)
    assert check.status == "fail" and measured["update_difference"] > 0.1
    assert "head.weight" in measured["left_with_gradient"] and "zero_grad" in check.fix


def test_every_parameter_gets_a_gradient_on_a_clean_model(t):
    parts, model, batch = model_and_batch()
    measured = measure_dead_parameters(model, parts.loss, batch)
    assert measured["dead"] == [] and measured["trainable"] == 5 and model.embed.weight.grad is None
    assert C.grade("dead_parameters", measured, t).status == "pass"


def test_an_unused_layer_is_named_as_dead(t):
    parts, model, batch = model_and_batch(UnusedLayer)
    check = C.grade("dead_parameters", measure_dead_parameters(model, parts.loss, batch), t)
    assert check.status == "fail" and check.value == ["extra.weight", "extra.bias"]
    assert "extra.weight" in check.message


def test_frozen_parameters_are_not_dead():
    parts, model, batch = model_and_batch(UnusedLayer)
    model.extra.requires_grad_(False)
    assert measure_dead_parameters(model, parts.loss, batch)["dead"] == []


def test_one_step_moves_the_parameters_at_a_plausible_lr(t):
    parts, model, batch = model_and_batch()
    measured = measure_param_change(model, optimizer_for(parts, lr=0.001), parts.loss, batch)
    assert measured["unchanged"] == [] and measured["optimizer"] == "AdamW" and measured["lr"] == [0.001]
    assert C.grade("params_change", measured, t).status == "pass"
    assert C.grade("lr_band", measured, t).status == "pass"


def test_lr_zero_fails_both_the_change_and_the_band(t):
    parts, model, batch = model_and_batch()
    measured = measure_param_change(model, optimizer_for(parts, lr=0.0), parts.loss, batch)
    assert len(measured["unchanged"]) == measured["trainable"]
    change, band = C.grade("params_change", measured, t), C.grade("lr_band", measured, t)
    assert change.status == "fail" and change.value == 0.0 and change.direction == "min"
    assert band.status == "fail" and "train.lr" in band.fix


def test_an_odd_lr_warns_with_the_band_of_its_optimizer(t):
    measured = {"optimizer": "AdamW", "lr": [0.5], "trainable": 2, "unchanged": [], "update_ratio": 0.1}
    check = C.grade("lr_band", measured, t)
    assert check.status == "warn" and check.threshold == t.lr_band["AdamW"]
    sgd = C.grade("lr_band", {**measured, "optimizer": "SGD"}, t)
    assert sgd.status == "pass" and sgd.threshold == t.lr_band["SGD"]
    other = C.grade("lr_band", {**measured, "optimizer": "Lion", "lr": [5.0]}, t)
    assert other.status == "warn" and "lr_band.default" in other.message


# -- initialization -----------------------------------------------------------------------------------------------

def test_random_init_is_not_symmetric(t):
    _, model, _ = model_and_batch()
    measured = measure_symmetry(model)
    assert measured == {"checked": 3, "constant": [], "identical_rows": []}
    assert C.grade("symmetric_init", measured, t).status == "pass"


@pytest.mark.parametrize("model_class, kind", [(ConstantInit, "constant"), (CopiedRows, "identical_rows")])
def test_symmetric_init_is_named(model_class, kind, t):
    _, model, _ = model_and_batch(model_class)
    measured = measure_symmetry(model)
    assert measured[kind] == ["hidden.weight"]
    check = C.grade("symmetric_init", measured, t)
    assert check.status == "fail" and "hidden.weight" in check.message


def test_a_frozen_constant_layer_is_skipped():
    _, model, _ = model_and_batch(ConstantInit)
    model.hidden.weight.requires_grad_(False)
    assert measure_symmetry(model)["constant"] == []


# -- overfitting 16 samples ---------------------------------------------------------------------------------------

def test_overfit_rows_take_every_class():
    labels = np.array([0] * 50 + [1] * 5 + [2] * 50)
    rows = overfit_rows(labels, 16, seed=0)
    assert len(rows) == len(set(rows)) == 16 and set(labels[rows]) == {0, 1, 2}
    assert rows == overfit_rows(labels, 16, seed=0)


def test_a_clean_model_overfits_16_samples(clean, t):
    parts, _, train, _ = clean
    measured = measure_overfit(train_config(lr=0.05), parts, train, 16, 60, CPU, FP32)
    assert measured["samples"] == 16 and measured["steps"] == 60 and len(measured["losses"]) == 60
    assert measured["losses"][0] > 0.9 and measured["final_loss"] < t.overfit_loss_max
    check = C.grade("overfit_small_sample", measured, t)
    assert check.status == "pass" and "first below" in check.message


def test_overfit_stops_early_below_the_given_loss(clean, t):
    parts, _, train, _ = clean
    measured = measure_overfit(train_config(lr=0.05), parts, train, 16, 60, CPU, FP32, stop_below=0.05)
    assert measured["steps"] < 60 and measured["final_loss"] < 0.05
    assert all(loss >= 0.05 for loss in measured["losses"][:-1])


def test_a_stop_loss_above_the_threshold_is_named_as_the_cause(clean, t):
    parts, _, train, _ = clean
    loose = measure_overfit(train_config(lr=0.05), parts, train, 16, 60, CPU, FP32, stop_below=0.5)
    check = C.grade("overfit_small_sample", loose, t)
    assert check.status == "fail" and "probes.overfit_stop_loss=0.5" in check.fix
    tight = measure_overfit(train_config(lr=0.05), parts, train, 16, 60, CPU, FP32, stop_below=t.overfit_loss_max / 5)
    passing = C.grade("overfit_small_sample", tight, t)
    assert passing.status == "pass" and "overfit_stop_loss" not in passing.fix


def test_a_model_that_cannot_learn_fails_overfit_and_says_why(clean, t):
    parts, _, train, _ = clean
    measured = measure_overfit(train_config(lr=0.0), parts, train, 16, 20, CPU, FP32)
    check = C.grade("overfit_small_sample", measured, t)
    assert check.status == "fail" and f"never below {t.overfit_loss_max}" in check.message
    assert "bug" in check.fix and "too small" in check.fix


def test_an_overfit_run_that_diverges_fails_saying_where_and_to_lower_the_lr(clean, t):
    parts, train, _ = kit(model_class=TurnsNaN, after=3)
    measured = measure_overfit(train_config(lr=0.05), parts, train, 16, 20, CPU, FP32)
    assert measured["steps"] == 4
    assert measured["diverged"] == "training diverged at step 4: the training loss became nan at learning rate 0.05"
    check = C.grade("overfit_small_sample", measured, t)
    assert check.status == "fail" and check.message == f"the overfit run: {measured['diverged']}"
    assert check.fix.startswith("lower train.lr")
    assert measure_overfit(train_config(lr=0.05), clean[0], clean[2], 16, 5, CPU, FP32)["diverged"] is None


def test_overfit_runs_with_dropout_and_weight_decay_off(clean):
    parts, _, train, _ = clean
    seen = []
    build = parts.build_model

    def spy(dropout=None):
        seen.append(dropout)
        return build(dropout)

    optimizers = []

    def optimizer(params, **kw):
        optimizers.append(kw)
        return torch.optim.AdamW(params, **kw)

    spied = SimpleNamespace(**{**vars(parts), "build_model": spy, "optimizer": optimizer})
    measure_overfit(train_config(weight_decay=0.1, dropout=0.3), spied, train, 16, 2, CPU, FP32)
    assert seen == [0.0] and optimizers[0]["weight_decay"] == 0.0


# -- the whole suite ----------------------------------------------------------------------------------------------

def probes_config(**changes: Any) -> ProbeConfig:
    values = dict(overfit_samples=16, overfit_max_steps=60, batch_size=8, decoded_samples=5)
    values.update(changes)
    return from_conf(ProbeConfig, "probes", **values)


def suite_checks(t: ModelChecks, model_class: type = BagOfWords, lr: float = 0.01, **kw: Any) -> dict:
    parts, raw, train, valid = make_parts(model_class, **kw)
    measured = run_probes(parts, train_config(lr=lr), probes_config(), raw, train, valid, CPU, FP32, seed=0)
    return measured, {c.id: c for c in C.probe_checks(measured, t)}


def test_the_suite_passes_every_probe_on_a_clean_model(t):
    measured, checks = suite_checks(t)
    assert {k: c.status for k, c in checks.items() if c.status != "pass"} == {}
    assert len(measured["decoded_samples"]) == 5 and measured["seconds"]["total"] > 0
    assert set(C.reads_for("single_label")) - set(measured) == set(C.AFTER_TRAINING) == {"divergence", "overfitting",
                                                                                           "bar", "calibration",
                                                                                           "errors", "shortcuts"}


@pytest.mark.parametrize("model_class, failing", [
    (BatchMean, "batch_independence"), (Softmaxed, "probability_outputs"), (AlwaysDropout, "dropout_in_eval"),
    (ConstantInit, "symmetric_init"), (UnusedLayer, "dead_parameters"),
])
def test_the_suite_fails_the_probe_for_each_bug(model_class, failing, t):
    _, checks = suite_checks(t, model_class)
    assert checks[failing].status == "fail", checks[failing]


def test_the_suite_catches_a_no_op_zero_grad_and_lr_zero(t):
    _, checks = suite_checks(t, optimizer=NoZeroGrad)
    assert checks["zero_grad"].status == "fail"
    _, checks = suite_checks(t, lr=0.0)
    assert checks["params_change"].status == checks["lr_band"].status == checks["overfit_small_sample"].status == "fail"


def test_the_suite_reports_a_wrong_shape_once_and_skips_what_needs_logits(t):
    measured, checks = suite_checks(t, WrongShape)
    assert checks["output_logits"].status == "fail"
    assert measured["batch"] == {"skipped": "the model's output is not logits [batch, classes]: see output_logits"}
    assert checks["batch_independence"].status == "warn" and "not run" in checks["batch_independence"].message
    assert checks["symmetric_init"].status == "pass"  # needs no logits: still runs


class Crashes(BagOfWords):
    def forward(self, input_ids, attention_mask):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")


def test_a_model_that_raises_becomes_a_failing_check_not_a_traceback(t):
    measured, checks = suite_checks(t, Crashes)
    assert "mat1 and mat2" in measured["outputs"]["error"]
    assert checks["output_logits"].status == "fail" and "could not run" in checks["output_logits"].message


def test_a_model_returning_neither_tensor_nor_logits_is_named(t):
    class Returns(BagOfWords):
        def forward(self, input_ids, attention_mask):
            return {"scores": super().forward(input_ids, attention_mask)}

    measured, checks = suite_checks(t, Returns)
    assert "returned a dict, not logits" in measured["outputs"]["error"]
    assert checks["output_logits"].status == "fail"


def test_the_same_settings_give_the_same_measurements(t):
    def numbers(measured: dict) -> dict:
        out = {k: v for k, v in measured.items() if k != "seconds"}
        out["overfit"] = {k: v for k, v in out["overfit"].items() if k != "seconds"}
        return out

    assert numbers(suite_checks(t)[0]) == numbers(suite_checks(t)[0])


def test_a_tokenizer_that_raises_fails_its_checks_and_the_model_probes_still_run(t):
    class BrokenDecode(WordTokenizer):
        def decode(self, ids, skip_special_tokens: bool = False) -> str:
            raise ValueError("no decoding table")

    parts, raw, train, valid = make_parts()
    parts.tokenizer = BrokenDecode(train.texts)
    measured = run_probes(parts, train_config(), probes_config(), raw, train, valid, CPU, FP32, seed=0)
    checks = {c.id: c for c in C.probe_checks(measured, t)}
    assert checks["words_kept"].status == "fail" and "no decoding table" in checks["words_kept"].message
    assert "tokenizer" in checks["words_kept"].fix
    assert measured["decoded_samples"] == {"error": "ValueError: no decoding table"}
    assert checks["truncated_texts"].status == "pass" and checks["zero_grad"].status == "pass"


def test_the_input_probes_measure_a_sample_of_probes_input_max_rows_and_name_train_rows(t):
    """On a large split the input probes read probes.input_max_rows train rows; the samples name real rows."""
    parts, raw, train, valid = make_parts()
    measured = run_probes(parts, train_config(), probes_config(input_max_rows=25), raw, train, valid, CPU, FP32,
                          seed=0)
    assert measured["input_rows"] == {"measured": 25, "train": len(train)} and len(train) > 25
    assert measured["truncation"]["texts"] == measured["tokenizer"]["texts"] == 25
    rows = [s["row"] for s in measured["decoded_samples"]]
    assert all(raw[row] == sample["raw"] for row, sample in zip(rows, measured["decoded_samples"]))
    assert max(rows) >= 25 or len(rows) < 5  # rows of the split, not places in the sample
    whole = run_probes(parts, train_config(), probes_config(input_max_rows=None), raw, train, valid, CPU, FP32, seed=0)
    assert whole["input_rows"] == {"measured": len(train), "train": len(train)}
    assert whole["truncation"]["texts"] == len(train)
