"""Large data: the memory check before reading, the sampled parts of steps 1 and 2 said in their reports,
and progress with the time left."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clearance.baselines.judge.run import BaselineChecks, judge_baselines
from clearance.baselines.measure import embeddings as E
from clearance.baselines.measure.run import as_text_labels, run_baselines
from clearance.core.config.baselines import (
    BaselinesConfig,
    BaselinesStage,
)
from clearance.core.config.data import DataConfig, PrepareStage, SplitConfig
from clearance.core.config.inspect import InspectConfig, InspectStage
from clearance.inspection.judge.run import InspectChecks
from clearance.core.config.params import from_conf
from clearance.core.data import load as L
from clearance.core.data.prepare import prepare
from clearance.core.data.sampling import stratified_rows
from clearance.core.errors import UserError
from clearance.core.evaluation import score
from clearance.core.progress import Countdown
from clearance.inspection.judge.run import judge_inspection
from clearance.inspection.measure.label_issues import find_label_issues
from clearance.inspection.measure.run import run_inspection
from clearance.inspection.measure.stats import combine
from tests.factory import make_texts, write_table

MB = 2**20


def prepare_config(source: Path, **data: object) -> PrepareStage:
    """The custom-data settings from conf/, reading ``source``."""
    return from_conf(PrepareStage, hydra_overrides=("data=custom",), seed=42,
                     data=from_conf(DataConfig, "data", ("data=custom",), path=str(source), **data),
                     split=from_conf(SplitConfig, "split"))


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A small three-class CSV."""
    path = tmp_path / "raw.csv"
    write_table(make_texts(n_per_class=100, seed=0), path, "csv")
    return path


@pytest.fixture
def prepared(source: Path, tmp_path: Path) -> Path:
    """``source`` prepared."""
    out = tmp_path / "prepared"
    prepare(prepare_config(source), out)
    return out


# the memory check

def test_too_little_memory_is_a_message_not_a_kill(source: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """With less memory than reading the file needs, prepare stops before reading, naming the file, the
    estimate, what is available and the settings that lower the need."""
    monkeypatch.setattr(L, "available_memory", lambda: 50 * MB)
    with pytest.raises(UserError) as info:
        prepare(prepare_config(source), tmp_path / "out")
    error = info.value
    assert error.where == str(source)
    assert "GB of memory (an estimate)" in error.problem and "0.05 GB is available" in error.problem
    for setting in ("data.sample", "max_features", "inspect.label_issue_max_rows"):
        assert setting in error.fix
    assert not (tmp_path / "out").exists()


def test_a_sample_that_fits_is_suggested_and_then_passes(source: Path) -> None:
    """When reading fits but the later stages do not, the fix names a data.sample that fits, and it does."""
    need = L.memory_need(source, "csv", None)
    available = (need.read + need.steps) // 2  # reading fits, steps 1 and 2 on every row do not
    assert need.read < available < need.steps
    with pytest.raises(UserError) as info:
        L.check_memory(source, "csv", None, available=available)
    fits = need.rows_that_fit(available)
    assert f"data.sample={fits}" in info.value.fix and fits < need.rows
    L.check_memory(source, "csv", fits, available=available)  # no error


def test_enough_memory_reads_as_before(source: Path) -> None:
    """The check is silent when memory suffices, and the estimate grows with the file."""
    L.check_memory(source, "csv", None, available=64 * 2**30)
    assert L.memory_need(source, "csv", None).peak > L.BASE_BYTES
    assert L.memory_need(source, "csv", 30).steps < L.memory_need(source, "csv", None).steps


def test_rows_estimated_from_the_first_lines(tmp_path: Path) -> None:
    """Text formats: rows from the bytes per line; Parquet: from its metadata."""
    frame = make_texts(n_per_class=50, seed=1)
    for fmt, name in (("csv", "a.csv"), ("jsonl", "a.jsonl"), ("parquet", "a.parquet")):
        write_table(frame, tmp_path / name, fmt)
        assert abs(L.estimated_rows(tmp_path / name, fmt) - len(frame)) <= 1


def test_available_memory_is_read_here() -> None:
    """On Linux the kernel says how much memory is available."""
    available = L.available_memory()
    assert available is None or available > 0


# what was sampled, and why, in the reports

def test_label_issue_search_on_a_sample_says_so(prepared: Path, tmp_path: Path) -> None:
    """inspect.label_issue_max_rows below the rows: the summary and step 1's report say what was sampled."""
    cfg = from_conf(InspectStage, seed=42, inspect=from_conf(InspectConfig, "inspect", label_issue_max_rows=120))
    out = tmp_path / "inspect"
    outcome = run_inspection(cfg, prepared=prepared, out=out)
    sampled = outcome.stats["label_issues"]["sampled"]
    assert sampled["rows"] == 120 and sampled["from"] == 300 and sampled["setting"] == "inspect.label_issue_max_rows"
    judge_inspection(from_conf(InspectChecks, "checks.inspect"), out)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "stratified sample of 120 of the 300 rows" in report and "inspect.label_issue_max_rows" in report


def test_label_issue_search_on_every_row_is_not_sampled(prepared: Path) -> None:
    """Below the setting every row is searched and nothing is said to be sampled."""
    rows = combine({s: pd.read_parquet(prepared / f"{s}.parquet") for s in ("train", "valid", "test")})
    _, summary = find_label_issues(rows, folds=2, max_rows=10_000, seed=0)
    assert summary["sampled"] is None and summary["searched_rows"] == len(rows)


def test_sampled_baselines_say_so_in_the_report(prepared: Path, tmp_path: Path) -> None:
    """baselines.*.max_rows below the train rows: fitted on a stratified sample, scored on every row, and
    step 2's facts and report say which baseline, how many rows and which setting."""
    cfg = from_conf(BaselinesStage, seed=42, baselines=from_conf(BaselinesConfig, "baselines"))
    cfg.baselines.run = ["majority", "tfidf_logreg", "embeddings_logreg"]
    cfg.baselines.tfidf.max_rows = 90
    cfg.baselines.embeddings.max_rows = 60
    out = tmp_path / "baselines"
    outcome = run_baselines(cfg, prepared=prepared, out=out)
    train_rows = len(outcome.splits["train"])
    assert outcome.facts["sampled"] == {
        "tfidf_logreg": {"rows": 90, "from": train_rows, "setting": "baselines.tfidf.max_rows",
                         "why": outcome.facts["sampled"]["tfidf_logreg"]["why"]},
        "embeddings_logreg": {"rows": 60, "from": train_rows, "setting": "baselines.embeddings.max_rows",
                              "why": outcome.facts["sampled"]["embeddings_logreg"]["why"]},
    }
    assert all(not r.error and "valid_macro_f1" in r.metrics for r in outcome.results)
    judge_baselines(from_conf(BaselineChecks, "checks.baselines"), out)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert f"stratified sample of 90 of the {train_rows} train rows" in report
    assert "baselines.embeddings.max_rows" in report


def test_stratified_rows_keep_class_shares_and_order() -> None:
    """A seeded sample in class proportions, in the original order; None when every row fits."""
    labels = np.array(["a"] * 600 + ["b"] * 300 + ["c"] * 100)
    picked = stratified_rows(labels, 100, seed=0)
    assert len(picked) == 100 and list(picked) == sorted(picked)
    assert {c: int((labels[picked] == c).sum()) for c in "abc"} == {"a": 60, "b": 30, "c": 10}
    assert (stratified_rows(labels, 100, seed=0) == picked).all()
    assert (stratified_rows(labels, 100, seed=1) != picked).any()  # the seed decides the sample
    assert stratified_rows(labels, 1000, seed=0) is None
    single = np.array(["a"] * 50 + ["b"])  # a class of one row cannot be stratified: still a sample
    assert len(stratified_rows(single, 10, seed=0)) == 10


# same results, less time

def test_scoring_text_labels_gives_the_same_metrics() -> None:
    """Labels as fixed-width strings score exactly as the Python objects they come from."""
    rng = np.random.default_rng(0)
    classes = ["negative", "neutral", "positive"]
    truth = np.array(classes, dtype=object)[rng.integers(0, 3, 500)]
    predicted = np.array(classes, dtype=object)[rng.integers(0, 3, 500)]
    probs = rng.dirichlet(np.ones(3), size=500)
    assert score(*as_text_labels(truth, predicted), probs, classes, "valid") == score(truth, predicted, probs,
                                                                                         classes, "valid")


def test_embeddings_in_chunks_equal_all_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Embedding in chunks (to bound memory on large splits) gives the very same rows."""
    texts = [f"text number {i} about cars and phones" for i in range(7)]
    embedder = E.MeanEmbeddings().fit(texts)
    whole = embedder.transform(texts)
    monkeypatch.setattr(E, "CHUNK_ROWS", 3)
    assert np.array_equal(embedder.transform(texts), whole)


# progress

def test_countdown_says_what_is_left(capsys: pytest.CaptureFixture[str]) -> None:
    """k/n and an estimate of the seconds left while work remains; the last part without one."""
    countdown = Countdown("fold", 3, every=0)
    countdown.tick(1)
    countdown.tick(3)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].strip().startswith("fold 1/3, ~") and lines[0].endswith(" s left")
    assert lines[1].strip() == "fold 3/3"


def test_countdown_weights_and_quiet_between_reports(capsys: pytest.CaptureFixture[str]) -> None:
    """Weighted parts scale the estimate; within ``every`` seconds nothing is printed but the last part."""
    countdown = Countdown("baselines", 3, weights=[1.0, 1.0, 98.0], every=3600)
    countdown.tick(1)
    countdown.tick(2)
    assert capsys.readouterr().out == ""
    countdown.start -= 2.0  # two seconds for the first two parts, of weight 2 in 100
    assert countdown.left(2) == pytest.approx(98.0, rel=0.05) and countdown.left(0) is None
    countdown.tick(3)
    assert capsys.readouterr().out.strip() == "baselines 3/3"


# step 3 at that size

def test_epochs_seen_counts_whole_epochs_and_the_part_of_the_last() -> None:
    """Whole epochs despite a short last batch; a run capped by train.max_steps sees a part of one."""
    from clearance.small_model.measure.training import epochs_seen

    assert epochs_seen(96, 32, 482) == 6.0  # 16 batches an epoch, the last one of 2 texts
    assert epochs_seen(100, 32, 800_000) == 0.004  # 3,200 of 800,000 texts: train.max_steps=100
    assert epochs_seen(17, 32, 482) == pytest.approx(1 + 32 / 482, abs=1e-4)
