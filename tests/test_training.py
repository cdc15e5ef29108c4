"""The one training function: seeded, evaluates on schedule, resumes exactly, and logs the
numbers the report and MLflow need (on tiny models, in seconds)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from clearance.neural.training.batches import (
    Encoded,
    LazyEncoded,
    batch_rows,
    by_length,
    collate,
    encode,
    grouped_rows,
)
from clearance.neural.training.evaluation import evaluate
from clearance.neural.training.loop import train_model
from clearance.neural.training.norms import layer_group, param_norms
from clearance.neural.training.schedule import drawn_rows, total_steps
from clearance.neural.training.settings import TrainSettings
from clearance.neural.training.state import TrainState
from clearance.neural.training.step import train_step
from tests.training_kit import TurnsNaN, kit, train_config

QUIET = TrainSettings(progress=False)


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


def test_grouped_batches_cover_every_row_once_follow_the_seed_and_pad_less():
    lengths = np.random.default_rng(0).integers(5, 60, size=1000).tolist()
    grouped = grouped_rows(lengths, 16, seed=1, window=10)
    assert sorted(sum(grouped, [])) == list(range(1000))
    assert grouped == grouped_rows(lengths, 16, seed=1, window=10) != grouped_rows(lengths, 16, seed=2, window=10)
    assert batch_rows(1000, 16, 1, lengths) == grouped_rows(lengths, 16, seed=1)

    def padded(rows: list[list[int]]) -> int:
        return sum(max(lengths[i] for i in r) * len(r) - sum(lengths[i] for i in r) for r in rows)

    shuffled = batch_rows(1000, 16, seed=1)
    assert padded(grouped) < padded(shuffled) / 3
    # still shuffled: the first window's batches do not come first and in length order
    assert [min(lengths[i] for i in r) for r in grouped[:10]] != sorted(min(lengths[i] for i in r) for r in grouped[:10])


def test_group_by_length_trains_on_every_row_each_epoch(toy):
    parts, train, valid = toy
    seen: list[int] = []
    original = collate

    import clearance.neural.training.loop as loop

    def spy(encoded, rows, pad_id):
        seen.extend(rows)
        return original(encoded, rows, pad_id)

    loop.collate = spy
    try:
        result = train_model(train_config(epochs=2, group_by_length=True, eval_every=1000), parts, train, None,
                             QUIET)
    finally:
        loop.collate = original
    assert result.steps == total_steps(len(train), 16, 2, None)
    assert sorted(seen) == sorted(list(range(len(train))) * 2)


def test_evaluation_batches_by_length_but_returns_rows_in_data_order(toy):
    parts, _, toy_valid = toy
    # texts of different lengths, so the sorted order differs from the data's
    valid = Encoded([ids[: 3 + (7 * i) % 6] for i, ids in enumerate(toy_valid.input_ids)], toy_valid.labels,
                    toy_valid.texts)
    model = parts.build_model().eval()
    assert by_length(valid) != list(range(len(valid)))
    evaluation = evaluate(model, parts.loss, valid, 4, parts.tokenizer.pad_token_id)
    with torch.no_grad():
        one_by_one = np.concatenate([model(**{k: v for k, v in vars(collate(valid, [i], 0)).items()
                                              if k != "labels"}).numpy() for i in range(len(valid))])
    np.testing.assert_allclose(evaluation.logits, one_by_one, rtol=1e-4, atol=1e-5)


def test_total_steps():
    assert total_steps(100, 32, 2, None) == 8
    assert total_steps(100, 32, 2, 5) == 5


def test_training_learns_the_toy_task_and_records_each_evaluation(toy):
    parts, train, valid = toy
    result = train_model(train_config(epochs=8, eval_every=10), parts, train, valid,
                         TrainSettings(track=valid.subset(range(3)), progress=False))
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
    assert result.diverged is None  # a clean run is never flagged


def test_evaluations_score_a_sample_of_valid_and_the_last_scores_all_of_it(toy):
    """train.eval_max_rows bounds each evaluation during training; the scores judged are never a sample's."""
    parts, train, valid = toy
    whole = train_model(train_config(epochs=4, eval_every=5), parts, train, valid, QUIET)
    sampled = train_model(train_config(epochs=4, eval_every=5, eval_max_rows=10), parts, train, valid, QUIET)
    assert len(valid) > 10
    assert [r["valid_rows"] for r in sampled.history] == [10] * (len(sampled.history) - 1) + [len(valid)]
    assert [r["valid_rows"] for r in whole.history] == [len(valid)] * len(whole.history)
    # evaluating draws no random numbers: the same training, and the last evaluation's numbers are the same
    assert sampled.step_losses == whole.step_losses
    assert sampled.history[-1]["valid_macro_f1"] == whole.history[-1]["valid_macro_f1"]
    assert sampled.valid.logits.shape == (len(valid), 3)
    assert sampled.history[0]["valid_loss"] != whole.history[0]["valid_loss"]  # a sample's, not all of valid's


class CountingTokenizer:
    """The toy tokenizer, counting the texts it is asked to tokenise."""

    def __init__(self, inner) -> None:
        self.inner, self.texts = inner, 0
        self.pad_token_id = inner.pad_token_id

    def __call__(self, texts, **kw):
        self.texts += len(texts)
        return self.inner(texts, **kw)


def test_a_lazy_split_tokenises_each_row_once_when_used_with_the_ids_encode_gives(toy):
    parts, train, _ = toy
    counting = CountingTokenizer(parts.tokenizer)
    lazy = LazyEncoded(counting, train.texts, train.labels, 32)
    assert counting.texts == 0 and lazy.tokenised() == 0 and len(lazy) == len(train)
    part = lazy.subset([5, 2, 5])
    assert part.input_ids == [train.input_ids[i] for i in (5, 2, 5)] and part.labels.tolist() == train.labels[[5, 2, 5]].tolist()
    assert counting.texts == 2 == lazy.tokenised()  # row 5 asked twice, tokenised once
    assert lazy.input_ids == encode(parts.tokenizer, train.texts, train.labels, 32).input_ids
    assert counting.texts == len(train)  # the rest, once; never the rows done before
    assert lazy.lengths() == train.lengths() and counting.texts == len(train)


def test_a_run_shorter_than_an_epoch_draws_and_tokenises_only_its_rows(toy):
    """train.max_steps bounds the work: on a large split only steps x batch size rows are ever tokenised."""
    parts, train, valid = toy
    assert drawn_rows(100, 2, 16, seed=0) == drawn_rows(100, 2, 16, seed=0) != drawn_rows(100, 2, 16, seed=1)
    assert len(drawn_rows(100, 2, 16, seed=0)) == 32 and drawn_rows(100, 7, 16, seed=0) is None
    counting = CountingTokenizer(parts.tokenizer)
    lazy = LazyEncoded(counting, train.texts, train.labels, 32)
    result = train_model(train_config(max_steps=3, eval_every=3, batch_size=8), parts, lazy, valid, QUIET)
    assert result.steps == 3 and lazy.tokenised() == counting.texts == 24 < len(train)
    eager = train_model(train_config(max_steps=3, eval_every=3, batch_size=8), parts, train, valid, QUIET)
    assert eager.step_losses == result.step_losses  # the same rows, tokenised now or as drawn
    whole = LazyEncoded(CountingTokenizer(parts.tokenizer), train.texts, train.labels, 32)
    train_model(train_config(epochs=1, batch_size=8), parts, whole, valid, QUIET)
    assert whole.tokenised() == len(train)  # a whole epoch reads every row


def test_same_seed_same_numbers(toy):
    parts, train, valid = toy
    a = train_model(train_config(max_steps=8, eval_every=4), parts, train, valid, QUIET)
    b = train_model(train_config(max_steps=8, eval_every=4), parts, train, valid, QUIET)
    c = train_model(train_config(max_steps=8, eval_every=4, seed=1), parts, train, valid, QUIET)
    assert a.step_losses == b.step_losses
    assert [r["valid_loss"] for r in a.history] == [r["valid_loss"] for r in b.history]
    assert a.step_losses != c.step_losses


def test_an_interrupted_run_resumes_exactly(toy):
    parts, train, valid = toy
    cfg = train_config(epochs=2, eval_every=4)
    whole = train_model(cfg, parts, train, valid, QUIET)
    saved: list[TrainState] = []

    def keep(state: TrainState) -> None:
        saved.append(copy.deepcopy(state))
        if state.step == 7:  # stop here, as Ctrl-C would
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_model(cfg, parts, train, valid, TrainSettings(on_checkpoint=keep, checkpoint_every=7, progress=False))
    resumed = train_model(cfg, parts, train, valid, TrainSettings(resume=saved[-1], progress=False))
    assert resumed.resumed_from == 7 and resumed.steps == whole.steps
    assert resumed.step_losses == pytest.approx(whole.step_losses, rel=1e-6)
    assert [r["step"] for r in resumed.history] == [r["step"] for r in whole.history]


def test_ctrl_c_saves_the_last_whole_step_and_the_run_resumes_exactly_from_it(toy):
    """An interrupt between checkpoints saves the step it reached, so no step since the last checkpoint is lost."""
    parts, train, valid = toy
    cfg = train_config(epochs=2, eval_every=4)
    whole = train_model(cfg, parts, train, valid, QUIET)
    saved: list[TrainState] = []

    def stop_at_8(record: dict) -> None:
        if record["step"] == 8:  # step 8 is trained and recorded; the checkpoints fall at 7 and 14
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_model(cfg, parts, train, valid,
                    TrainSettings(on_eval=stop_at_8, on_checkpoint=lambda s: saved.append(copy.deepcopy(s)),
                                  checkpoint_every=7, progress=False))
    assert [s.step for s in saved] == [7, 8]
    resumed = train_model(cfg, parts, train, valid, TrainSettings(resume=saved[-1], progress=False))
    assert resumed.steps == whole.steps
    assert resumed.step_losses == pytest.approx(whole.step_losses, rel=1e-6)
    assert [r["step"] for r in resumed.history] == [r["step"] for r in whole.history]


def test_ctrl_c_in_the_middle_of_a_step_saves_nothing_half_done(toy, monkeypatch):
    """Interrupted between a step's update and its evaluation, the weights are ahead of the history: only the
    checkpoints already written remain."""
    import clearance.neural.training.loop as loop

    parts, train, valid = toy
    saved: list[int] = []
    real = loop._record

    def interrupted_evaluation(run, step, *args, **kwargs):
        if step == 8:
            raise KeyboardInterrupt
        return real(run, step, *args, **kwargs)

    monkeypatch.setattr(loop, "_record", interrupted_evaluation)
    with pytest.raises(KeyboardInterrupt):
        train_model(train_config(epochs=2, eval_every=4), parts, train, valid,
                    TrainSettings(on_checkpoint=lambda s: saved.append(s.step), checkpoint_every=7, progress=False))
    assert saved == [7]


# -- divergence ---------------------------------------------------------------------------------------------------

def test_a_learning_rate_the_optimizer_cannot_hold_is_a_divergence_not_a_crash(toy):
    """Adam at lr 1e38 cannot write its step in a float (torch raises an overflow error): a divergence too."""
    parts, train, valid = toy
    result = train_model(train_config(lr=1e38, epochs=1, eval_every=5), parts, train, valid, QUIET)
    assert result.diverged is not None and result.diverged.step == 1 and result.diverged.lr == 1e38
    assert result.diverged.message() == "training diverged at step 1: the training loss became inf at learning rate 1e+38"


def test_a_learning_rate_that_makes_the_loss_infinite_stops_the_run_at_that_step(toy):
    parts, train, valid = toy
    # 1e37 overflows float32 at the second step whatever the thread count (1e30's NaN depends on it).
    result = train_model(train_config(lr=1e37, epochs=3, eval_every=5), parts, train, valid, QUIET)
    diverged = result.diverged
    assert diverged is not None and diverged.where == "train" and diverged.lr == 1e37
    first_bad = next(i + 1 for i, loss in enumerate(result.step_losses) if not np.isfinite(loss))
    assert diverged.step == first_bad == result.steps == len(result.step_losses)
    assert result.steps < total_steps(len(train), 16, 3, None)  # stopped there, not at the end
    assert diverged.message() == (f"training diverged at step {first_bad}: the training loss became inf at "
                                  "learning rate 1e+37")
    assert result.valid is None and all(np.isfinite(r["valid_loss"]) for r in result.history)


def test_logits_that_turn_nan_in_an_evaluation_stop_the_run_before_anything_scores_them():
    """The scoring (scikit-learn) never sees a NaN: the evaluation at step 10 stops the run."""
    parts, train, valid = kit(model_class=TurnsNaN, after=7, where="valid")
    seen: list[int] = []
    result = train_model(train_config(epochs=3, eval_every=5), parts, train, valid,
                         TrainSettings(on_eval=lambda record: seen.append(record["step"]), progress=False))
    diverged = result.diverged
    assert diverged is not None and (diverged.step, diverged.where) == (10, "valid")
    assert diverged.nonfinite_logits == len(valid) * len(parts.classes)
    assert "training diverged at step 10: the valid loss became nan at learning rate 0.01" == diverged.message()
    assert [r["step"] for r in result.history] == seen == [5] and result.steps == 10
    assert diverged.to_dict()["loss"] == "nan"  # JSON has no NaN: the files keep it as text


def test_a_model_whose_training_logits_turn_nan_stops_at_that_step():
    parts, train, valid = kit(model_class=TurnsNaN, after=3, where="train")
    result = train_model(train_config(epochs=3, eval_every=5), parts, train, valid, QUIET)
    assert result.diverged is not None and (result.diverged.step, result.diverged.where) == (4, "train")
    assert result.history == [] and result.steps == 4


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


def test_reading_a_lazy_split_s_ids_row_by_row_costs_nothing_once_tokenised(toy):
    """Evaluation and collate index ``input_ids`` once per row: a read must not walk the split again (on 100k
    valid texts that walk made one evaluation take hours)."""
    parts, train, _ = toy

    class CountingList(list):
        reads = 0

        def __getitem__(self, index):
            CountingList.reads += 1
            return super().__getitem__(index)

    lazy = LazyEncoded(parts.tokenizer, train.texts * 20, np.tile(train.labels, 20), 32)
    lazy.input_ids  # the first read tokenises every row
    lazy._ids = CountingList(lazy._ids)
    batch = collate(lazy, range(len(lazy)), pad_id=0)  # reads each row's ids twice: its length, its tokens
    assert len(batch) == len(lazy) and CountingList.reads == 2 * len(lazy)
