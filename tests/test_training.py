"""The one training function: seeded, evaluates on schedule, resumes exactly, and logs the
numbers the report and MLflow need (on tiny models, in seconds)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from clearance.training.batches import Encoded, batch_rows, collate
from clearance.training.loop import (TrainState, evaluate, layer_group, param_norms, total_steps, train_model,
                                     train_step)
from tests.training_kit import kit, train_config


@pytest.fixture(scope="module")
def toy():
    return kit()


def test_collate_pads_to_the_longest_and_masks():
    encoded = Encoded([[5, 6, 7], [8]], np.array([0, 1]), ["a b c", "d"])
    batch = collate(encoded, [0, 1], pad_id=0)
    assert batch.input_ids.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert batch.attention_mask.tolist() == [[1, 1, 1], [1, 0, 0]]
    assert batch.labels.tolist() == [0, 1] and batch.input_ids.dtype == torch.long


def test_batch_rows_cover_every_row_once_and_follow_the_seed():
    rows = batch_rows(10, 4, seed=3)
    assert sorted(sum(rows, [])) == list(range(10)) and [len(r) for r in rows] == [4, 4, 2]
    assert rows == batch_rows(10, 4, seed=3) and rows != batch_rows(10, 4, seed=4)
    assert batch_rows(5, 2, seed=None) == [[0, 1], [2, 3], [4]]


def test_total_steps():
    assert total_steps(100, 32, 2, None) == 8
    assert total_steps(100, 32, 2, 5) == 5


def test_training_learns_the_toy_task_and_records_each_evaluation(toy):
    parts, train, valid = toy
    result = train_model(train_config(epochs=8, eval_every=10), parts, train, valid, track=valid.subset(range(3)),
                         progress=False)
    assert result.steps == total_steps(len(train), 16, 8, None) == 48
    assert [r["step"] for r in result.history] == [10, 20, 30, 40, 48]
    first, last = result.history[0], result.history[-1]
    assert last["valid_loss"] < first["valid_loss"]
    assert last["valid_macro_f1"] > 0.8
    for key in ("train_loss", "valid_loss", "valid_accuracy", "lr", "grad_norm", "param_norm/embed", "param_norm/head"):
        assert key in last, key
    assert len(last["predictions"]) == 3 and set(last["predictions"][0]) == {"predicted", "confidence"}
    assert result.valid is not None and result.valid.logits.shape == (len(valid), 3)
    assert not result.model.training and result.samples_per_second > 0


def test_same_seed_same_numbers(toy):
    parts, train, valid = toy
    a = train_model(train_config(max_steps=8, eval_every=4), parts, train, valid, progress=False)
    b = train_model(train_config(max_steps=8, eval_every=4), parts, train, valid, progress=False)
    c = train_model(train_config(max_steps=8, eval_every=4, seed=1), parts, train, valid, progress=False)
    assert a.step_losses == b.step_losses
    assert [r["valid_loss"] for r in a.history] == [r["valid_loss"] for r in b.history]
    assert a.step_losses != c.step_losses


def test_an_interrupted_run_resumes_exactly(toy):
    parts, train, valid = toy
    cfg = train_config(epochs=2, eval_every=4)
    whole = train_model(cfg, parts, train, valid, progress=False)
    saved: list[TrainState] = []

    def keep(state: TrainState) -> None:
        saved.append(copy.deepcopy(state))
        if state.step == 7:  # stop here, as Ctrl-C would
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_model(cfg, parts, train, valid, on_checkpoint=keep, checkpoint_every=7, progress=False)
    resumed = train_model(cfg, parts, train, valid, resume=saved[-1], progress=False)
    assert resumed.resumed_from == 7 and resumed.steps == whole.steps
    assert resumed.step_losses == pytest.approx(whole.step_losses, rel=1e-6)
    assert [r["step"] for r in resumed.history] == [r["step"] for r in whole.history]


def test_train_step_zeroes_gradients_first(toy):
    parts, train, _ = toy
    model = parts.build_model(dropout=0.0)
    batch = collate(train, list(range(8)), 0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    train_step(model, optimizer, parts.loss, batch)
    once = [p.grad.clone() for p in model.parameters()]
    train_step(model, optimizer, parts.loss, batch)
    assert all(torch.equal(a, p.grad) for a, p in zip(once, model.parameters()))


def test_evaluate_restores_the_mode_and_keeps_no_gradients(toy):
    parts, _, valid = toy
    model = parts.build_model()
    model.train()
    result = evaluate(model, parts.loss, valid, 16, 0)
    assert model.training and all(p.grad is None for p in model.parameters())
    assert result.logits.shape == (len(valid), 3) and np.allclose(result.probabilities().sum(1), 1)


def test_layer_groups_and_param_norms(toy):
    assert layer_group("encoder.layer.0.attention.self.query.weight") == "encoder.layer.0"
    assert layer_group("bert.encoder.layer.11.output.dense.bias") == "bert.encoder.layer.11"
    assert layer_group("head.weight") == "head" and layer_group("bias") == "params"
    model = toy[0].build_model()
    model.embed.weight.requires_grad_(False)
    assert set(param_norms(model)) == {"hidden", "head"}
