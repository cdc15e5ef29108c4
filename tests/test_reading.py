"""Reading a model's errors (clearance.reading): the fast metrics equal sklearn's, intervals, slices, the paired
comparison with the best baseline, the labels the model doubts, and weak_slices / beats_best_baseline graded on
what it found."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clearance.core.config.errors import ErrorsConfig
from clearance.core.evaluation import score_task
from clearance.core.row_outputs import RowOutputs, aligned
from clearance.core.task import MULTI_LABEL, REGRESSION, SINGLE_LABEL, Task, encode_label_set
from clearance.core.text.units import WHITESPACE, WordUnit
from clearance.reading.bootstrap import interval, paired_interval
from clearance.reading.label_review import doubted_labels
from clearance.reading.metrics import encode, scorer
from clearance.reading.run import ReadInputs, read_errors
from clearance.reading.slices import all_slices
from clearance.reading.versus import mcnemar
from clearance.small_model.judge.checks import grade

CFG = ErrorsConfig(bootstrap=200, level=0.95, rare_word_count=2, rare_share=0.25, max_column_values=10,
                   max_groups=20, examples=3, rows_listed=30)
CLASSES = ("neg", "neu", "pos")


def single_task() -> Task:
    return Task(SINGLE_LABEL, CLASSES)


@pytest.mark.parametrize("metric", ["accuracy", "macro_f1", "weighted_f1", "log_loss"])
def test_single_label_metrics_equal_sklearns(metric):
    rng = np.random.default_rng(0)
    truth, predicted = rng.choice(CLASSES, 300), rng.choice(CLASSES, 300)
    probs = rng.dirichlet(np.ones(3), 300)
    task = single_task()
    fast = scorer(task, metric, encode(task, truth), encode(task, predicted), probs)(np.arange(300))
    assert fast == pytest.approx(score_task(task, truth, predicted, probs, "v")[f"v_{metric}"], abs=1e-9)


@pytest.mark.parametrize("metric", ["micro_f1", "macro_f1", "exact_match", "log_loss"])
def test_multi_label_metrics_equal_sklearns(metric):
    rng = np.random.default_rng(1)
    task = Task(MULTI_LABEL, ("a", "b", "c", "d"))
    names = np.array(task.classes)
    truth = [encode_label_set(names[rng.random(4) < 0.4]) for _ in range(200)]
    predicted = [encode_label_set(names[rng.random(4) < 0.4]) for _ in range(200)]
    probs = rng.random((200, 4))
    fast = scorer(task, metric, encode(task, truth), encode(task, predicted), probs)(np.arange(200))
    assert fast == pytest.approx(score_task(task, truth, predicted, probs, "v")[f"v_{metric}"], abs=1e-9)


@pytest.mark.parametrize("metric", ["rmse", "mae", "r2", "spearman"])
def test_regression_metrics_equal_sklearns(metric):
    rng = np.random.default_rng(2)
    task = Task(REGRESSION, ())
    truth, predicted = rng.normal(size=150), rng.normal(size=150)
    fast = scorer(task, metric, encode(task, truth), encode(task, predicted))(np.arange(150))
    assert fast == pytest.approx(score_task(task, truth, predicted, None, "v")[f"v_{metric}"], abs=1e-9)


def test_intervals_are_seeded_and_hold_the_score():
    rng = np.random.default_rng(3)
    right = rng.random(400) < 0.7
    score = lambda idx: float(right[idx].mean())  # noqa: E731
    first, again = interval(score, np.arange(400), 200, 7), interval(score, np.arange(400), 200, 7)
    assert first == again and first.low < first.value < first.high
    assert first.high - first.low < 0.15
    same = paired_interval(score, score, np.arange(400), 200, 7)
    assert same.low == same.high == 0.0


def test_mcnemar_counts_the_rows_only_one_gets_right():
    model = np.array([True] * 30 + [False] * 5 + [True] * 65)
    base = np.array([False] * 30 + [True] * 5 + [True] * 65)
    t = mcnemar(model, base)
    assert (t["model_only"], t["baseline_only"]) == (30, 5) and t["p_value"] < 0.001
    assert mcnemar(base, base)["p_value"] == 1.0


def frame_with_urls(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = rng.choice(CLASSES, n)
    texts = [f"{label} words here number {i}" + (" see https://x.example/a" if i % 4 == 0 else "")
             for i, label in enumerate(labels)]
    return pd.DataFrame({"row": np.arange(n) + 1000, "text": texts, "label": labels})


def test_slices_find_urls_lengths_and_duplicates():
    frame = frame_with_urls()
    train = pd.Series([frame["text"].iloc[0], "other text"])
    slices = {s.name: s for s in all_slices(frame, train, WordUnit(WHITESPACE), None, [])}
    assert slices["texts with a URL"].mask.sum() == 100
    assert sum(s.mask.sum() for s in slices.values() if s.kind == "length") == len(frame)
    assert slices["texts also in train (duplicates)"].mask.sum() == 1
    grouped = frame.assign(source=np.where(frame.index % 2, "forum", "mail"))
    names = [s.name for s in all_slices(grouped, train, WordUnit(WHITESPACE), "source", [])]
    assert "source = forum" in names and "source = mail" in names


def inputs(frame: pd.DataFrame, model: list, baseline: list | None = None) -> ReadInputs:
    task = single_task()
    probs = np.full((len(frame), 3), 0.1)
    probs[np.arange(len(frame)), encode(task, model)] = 0.8
    base = None if baseline is None else RowOutputs("tfidf", frame["row"].to_numpy(), baseline)
    return ReadInputs("valid", frame, pd.Series(frame["text"]), task, WordUnit(WHITESPACE), "macro_f1",
                      RowOutputs("model", frame["row"].to_numpy(), model, probs), base, pd.DataFrame())


def wrong_on(frame: pd.DataFrame, mask: np.ndarray) -> list:
    flipped = {"neg": "pos", "pos": "neu", "neu": "neg"}
    return [flipped[l] if m else l for l, m in zip(frame["label"], mask)]


def test_weak_slices_warns_on_the_planted_url_slice_only():
    frame = frame_with_urls()
    url = frame["text"].str.contains("https").to_numpy()
    rng = np.random.default_rng(5)
    noise = rng.random(len(frame)) < 0.1
    record, _ = read_errors(inputs(frame, wrong_on(frame, url & (rng.random(len(frame)) < 0.7) | noise)), CFG, 0)
    result = grade("weak_slices", record, thresholds())
    assert result.status == "warn" and "texts with a URL" in result.message
    clean, _ = read_errors(inputs(frame, wrong_on(frame, noise)), CFG, 0)
    assert grade("weak_slices", clean, thresholds()).status == "pass"


def thresholds():
    from clearance.small_model.judge.checks import ModelChecks

    return ModelChecks()


def bar(model: float, baseline: float, paired: dict) -> dict:
    return {"metric": "macro_f1", "model": model, "best_baseline": "tfidf", "baseline": baseline, "prior": 0.3,
            "paired": paired}


def test_beats_best_baseline_judges_the_interval_not_two_points():
    frame = frame_with_urls(600, seed=1)
    rng = np.random.default_rng(9)
    model = wrong_on(frame, rng.random(len(frame)) < 0.20)
    tie = wrong_on(frame, rng.random(len(frame)) < 0.21)
    record, tables = read_errors(inputs(frame, model, tie), CFG, 0)
    versus = record["versus_baseline"]
    assert versus["gain"]["low"] < 0 < versus["gain"]["high"]
    m = bar(0.80, 0.79, versus)
    result = grade("beats_best_baseline", m, thresholds())
    assert result.status == "warn" and "ties the baseline" in result.message and "McNemar" in result.message
    weak_base = wrong_on(frame, rng.random(len(frame)) < 0.45)
    record, tables = read_errors(inputs(frame, model, weak_base), CFG, 0)
    assert grade("beats_best_baseline", bar(0.8, 0.55, record["versus_baseline"]), thresholds()).status == "pass"
    assert set(tables["versus_baseline"]["who"]) == {"model right, baseline wrong", "baseline right, model wrong"}


def test_the_model_doubts_flipped_labels():
    frame = frame_with_urls(300, seed=2)
    task = single_task()
    truth = encode(task, frame["label"])
    probs = np.full((300, 3), 0.05)
    probs[np.arange(300), truth] = 0.9
    flipped = np.arange(0, 300, 30)
    given = truth.copy()
    given[flipped] = (given[flipped] + 1) % 3
    doubted, why = doubted_labels(task, frame, given, probs, probs.argmax(axis=1))
    assert not why and set(doubted["row"]) == set(frame["row"].iloc[flipped])


def test_row_outputs_round_trip_and_align(tmp_path):
    out = RowOutputs("tfidf", np.array([3, 1, 2]), ["a", "b", "c"], np.eye(3)).save(tmp_path / "x.npz")
    back = aligned(RowOutputs.load(out), np.array([1, 2, 3]), "x")
    assert back.answers == ["b", "c", "a"] and back.probs[0].tolist() == [0, 1, 0]
    numbers = RowOutputs.load(RowOutputs("ridge", np.array([1]), [0.5]).save(tmp_path / "y.npz"))
    assert numbers.answers == [0.5]
