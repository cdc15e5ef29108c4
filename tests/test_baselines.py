"""Step 2, baselines: every check trips on data built for it, the metrics mean what they say,
and the files follow their contracts."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clearance.baselines.judge.run import CHECKS, BaselineChecks, judge_baselines
from clearance.baselines.measure.embeddings import MeanEmbeddings, resolve_model_dir
from clearance.baselines.measure.metric_choice import imbalance, recommend_metric
from clearance.baselines.measure.models import (
    Baseline,
    PriorRandom,
    TfidfLogReg,
    UniformRandom,
)
from clearance.baselines.measure.run import (
    GUESSES,
    BaselineResult,
    BaselinesOutcome,
    rows_outside,
    run_baselines,
)
from clearance.checklist.declared import grade_one
from clearance.checklist.results import STATUSES, CheckResult, Judgement, read_checks
from clearance.core.config.baselines import (
    BaselinesConfig,
    BaselinesStage,
    TfidfConfig,
)
from clearance.core.config.data import DataConfig, PrepareStage, SplitConfig
from clearance.core.config.params import from_conf
from clearance.core.data.prepare import SUMMARY_FILE, load_splits, load_summary, prepare
from clearance.core.errors import UserError
from clearance.core.evaluation import pick_best, score
from clearance.core.parts.preprocess import load_preprocess
from clearance.core.paths import split_file
from clearance.core.text.preprocess import clean_text, identity
from tests.factory import KEYWORDS, make_texts, summary_doc, write_table

CHECK_IDS = ["baselines_ran", "beats_prior", "metric_fits_balance", "fit_on_train_only", "classes_in_eval",
             "empty_after_preprocessing"]
ALL_BASELINES = ["uniform_random", "prior_random", "majority", "keyword_rule", "tfidf_logreg",
                 "embeddings_logreg"]
FAST = ["uniform_random", "prior_random", "majority", "tfidf_logreg"]
LEARNED = {"majority", "keyword_rule", "tfidf_logreg", "embeddings_logreg"}
LABELS = sorted(KEYWORDS)


# Preprocess plug-ins of a user's, written to plugins/ by the `preprocess_plugins` fixture.
PREPROCESS_PLUGINS = '''
import pandas as pd


def blank_some(texts: pd.Series, share: float = 0.0, blank: str = "") -> pd.Series:
    """The first ``share`` of each split's texts become ``blank``."""
    out = texts.astype("string").fillna("").astype(object).reset_index(drop=True)
    n = int(round(share * len(out)))
    out.iloc[:n] = blank
    return out


def drop_first(texts: pd.Series) -> pd.Series:
    """A faulty one: returns one text fewer."""
    return texts.iloc[1:]
'''


@pytest.fixture
def preprocess_plugins(user_plugins) -> str:
    """plugins/baseline_parts.py, with the preprocess functions above; the module name."""
    user_plugins("baseline_parts", PREPROCESS_PLUGINS)
    return "baseline_parts"


# helpers

def train_only_check(outside: dict[str, int]) -> CheckResult:
    """fit_on_train_only graded on the rows each baseline fitted outside train."""
    return grade_one(CHECKS, "fit_on_train_only", {"facts": {"rows_outside_train": outside}}, None)


@dataclass
class Run:
    """One step-2 run, measured then judged: checks by id, results by name, facts and files."""

    outcome: BaselinesOutcome
    judged: Judgement
    prepared: Path
    checks: dict[str, CheckResult] = field(init=False)
    results: dict[str, BaselineResult] = field(init=False)

    def __post_init__(self) -> None:
        self.checks = {c.id: c for c in self.judged.checks}
        self.results = {r.name: r for r in self.outcome.results}

    @property
    def facts(self) -> dict:
        """The measured facts, with the judged metric recommendation."""
        return self.judged.measurements["facts"]

    @property
    def files(self) -> dict[str, Path]:
        return {**self.outcome.files, **self.judged.files}

    def status(self, check_id: str) -> str:
        return self.checks[check_id].status


def prepared(frame: pd.DataFrame, folder: Path, split: dict | None = None) -> Path:
    """Write ``frame`` as a CSV and run prepare on it; returns the prepared folder."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "raw.csv"
    write_table(frame, source, "csv")
    out = folder / "prepared"
    cfg = from_conf(PrepareStage, hydra_overrides=("data=custom",), seed=42,
                    data=from_conf(DataConfig, "data", ("data=custom",), path=str(source)),
                    split=from_conf(SplitConfig, "split", **(split or {})))
    prepare(cfg, out)
    return out


def hand_prepared(parts: dict[str, pd.DataFrame], folder: Path) -> Path:
    """Write given train/valid/test frames (text, label) as prepare would: parquet splits + summary.json."""
    folder.mkdir(parents=True, exist_ok=True)
    start, classes = 0, set()
    for name in ("train", "valid", "test"):
        part = parts[name].reset_index(drop=True)
        part = pd.DataFrame({"row": range(start, start + len(part)),
                             "text": part["text"].astype("string"), "label": part["label"].astype("string")})
        start += len(part)
        classes |= set(part["label"])
        part.to_parquet(split_file(name, folder), index=False)
    summary = summary_doc(sorted(classes), {name: len(parts[name]) for name in ("train", "valid", "test")},
                          source="hand-made")
    (folder / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return folder


def stage(run: list[str] | None = None, metric: str = "macro_f1", preprocess: dict | None = None,
          seed: int = 42, **baselines) -> BaselinesStage:
    """A baselines stage config (conf/ defaults) with small overrides."""
    cfg = from_conf(BaselinesStage, seed=seed,
                    baselines=from_conf(BaselinesConfig, "baselines", primary_metric=metric, **baselines))
    if run is not None:
        cfg.baselines.run = list(run)
    if preprocess is not None:
        cfg.preprocess = preprocess
    return cfg


def baselines_run(cfg: BaselinesStage, prepared_dir: Path, out: Path,
                  baselines: list[Baseline] | None = None) -> Run:
    """The baselines stage then the judge_baselines stage, as DVC runs them."""
    outcome = run_baselines(cfg, prepared_dir, out, baselines=baselines)
    return Run(outcome, judge_baselines(thresholds(), out), prepared_dir)


def thresholds(**overrides) -> BaselineChecks:
    """Step 2's thresholds from conf/, with small overrides."""
    return from_conf(BaselineChecks, "checks.baselines", **overrides)


def entropy(labels: pd.Series) -> float:
    """Entropy (nats) of the label distribution."""
    p = labels.value_counts(normalize=True).to_numpy()
    return float(-(p * np.log(p)).sum())


# shared runs

@pytest.fixture(scope="module")
def clean_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 balanced keyword texts, prepared."""
    return prepared(make_texts(n_per_class=100, seed=0), tmp_path_factory.mktemp("clean"))


@pytest.fixture(scope="module")
def clean_run(clean_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """All six baselines on the clean data."""
    return baselines_run(stage(), clean_dir, tmp_path_factory.mktemp("clean_out"))


@pytest.fixture(scope="module")
def imbalanced_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """420 keyword texts, the negative class five times each other class, prepared."""
    data = make_texts(classes={"negative": 300, "neutral": 60, "positive": 60}, seed=1)
    return prepared(data, tmp_path_factory.mktemp("imbalanced"))


@pytest.fixture(scope="module")
def shuffled_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """All baselines on 1200 texts whose labels were permuted against them.

    valid holds 480 rows: on a small valid split the best of four baselines often beats one
    draw of prior_random by more than the threshold through noise alone.
    """
    data = make_texts(n_per_class=400, seed=0)
    rng = np.random.default_rng(0)
    data["label"] = data["label"].to_numpy()[rng.permutation(len(data))]
    folder = tmp_path_factory.mktemp("shuffled")
    out = prepared(data, folder, split={"valid_size": 0.4, "test_size": 0.1})
    return baselines_run(stage(), out, folder / "reports")


# the clean run: every check passes

def test_check_ids_and_order(clean_run: Run) -> None:
    """baseline_checks produces exactly the six step-2 checks, in report order."""
    assert [c.id for c in clean_run.judged.checks] == CHECK_IDS


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_clean_data_passes(clean_run: Run, check_id: str) -> None:
    """On clean, balanced, keyworded texts every step-2 check passes."""
    assert clean_run.status(check_id) == "pass", clean_run.checks[check_id]


def test_every_baseline_ran_on_clean_data(clean_run: Run) -> None:
    """All six configured baselines ran without errors, in configured order."""
    assert [r.name for r in clean_run.outcome.results] == ALL_BASELINES
    assert all(r.error == "" for r in clean_run.outcome.results)
    assert clean_run.facts["errors"] == {}


# beats_prior

def test_beats_prior_fails_on_shuffled_labels(shuffled_run: Run) -> None:
    """Labels permuted against the texts leave the best baseline near chance: beats_prior fails."""
    check = shuffled_run.checks["beats_prior"]
    assert check.status == "fail", check
    assert check.value < thresholds().min_gain_over_prior
    best = shuffled_run.results[shuffled_run.outcome.best]
    assert best.name in LEARNED
    assert abs(best.metrics["valid_accuracy"] - 1 / 3) < 0.05
    assert best.metrics["valid_macro_f1"] < 0.4


def test_beats_prior_passes_on_clean_data(clean_run: Run) -> None:
    """On keyword data the best baseline beats guessing in proportions by far."""
    check = clean_run.checks["beats_prior"]
    assert check.status == "pass"
    assert check.value > 0.3
    assert check.value == pytest.approx(clean_run.facts["gain_over_prior"], abs=1e-6)


def test_beats_prior_fails_without_a_learned_baseline(clean_dir: Path, tmp_path: Path) -> None:
    """With only the random guesses no gain can be measured: the check fails and says why."""
    run = baselines_run(stage(run=["uniform_random", "prior_random"]), clean_dir, tmp_path)
    check = run.checks["beats_prior"]
    assert check.status == "fail"
    assert check.value is None
    assert "no learned baseline" in check.message


def test_expected_prior_score_matches_a_long_random_draw() -> None:
    """The analytic score of guessing in class proportions equals what many draws give."""
    from clearance.baselines.measure.models import PriorRandom
    from clearance.core.evaluation import expected_prior_score, prior, score

    rng = np.random.default_rng(0)
    classes = ["a", "b", "c"]
    truth = rng.choice(classes, size=200_000, p=[0.6, 0.3, 0.1]).astype(object)
    guess = PriorRandom(classes, seed=1).fit(pd.Series(["x"] * len(truth)), truth)
    drawn = score(truth, guess.predict(pd.Series(["x"] * len(truth))), None, classes, "v")
    p = prior(truth, classes)
    for metric in ("accuracy", "macro_f1", "weighted_f1"):
        assert expected_prior_score(metric, p, p) == pytest.approx(drawn[f"v_{metric}"], abs=0.005)


# metric_fits_balance

def test_accuracy_on_imbalanced_data_fails(imbalanced_dir: Path, tmp_path: Path) -> None:
    """Accuracy as the primary metric with a 5:1 class ratio fails; macro_f1 is recommended."""
    run = baselines_run(stage(run=FAST, metric="accuracy"), imbalanced_dir, tmp_path)
    check = run.checks["metric_fits_balance"]
    assert check.status == "fail", check
    assert check.value == pytest.approx(5.0)
    assert check.threshold == thresholds().accuracy_max_imbalance
    assert run.facts["recommended_metric"] == "macro_f1"
    metrics = json.loads(run.files["metrics"].read_text(encoding="utf-8"))
    assert metrics["primary_metric"] == "accuracy"
    assert "recommended_metric" not in metrics  # a judgement: it depends on a threshold
    assert metrics["bar"]["metric"] == "accuracy"
    page = run.files["report"].read_text(encoding="utf-8")
    assert "Recommended for this data: <b>macro_f1</b>" in page


def test_macro_f1_on_imbalanced_data_passes(imbalanced_dir: Path, tmp_path: Path) -> None:
    """macro_f1 on the same imbalanced data passes."""
    run = baselines_run(stage(run=FAST, metric="macro_f1"), imbalanced_dir, tmp_path)
    assert run.status("metric_fits_balance") == "pass"
    assert run.facts["recommended_metric"] == "macro_f1"
    assert run.facts["imbalance_ratio"] == pytest.approx(5.0)


def test_accuracy_on_balanced_data_passes(clean_dir: Path, tmp_path: Path) -> None:
    """Accuracy on balanced classes passes, and is the recommended metric there."""
    run = baselines_run(stage(run=FAST, metric="accuracy"), clean_dir, tmp_path)
    assert run.status("metric_fits_balance") == "pass"
    assert run.checks["metric_fits_balance"].value == pytest.approx(1.0)
    assert run.facts["recommended_metric"] == "accuracy"
    metrics = json.loads(run.files["metrics"].read_text(encoding="utf-8"))
    assert "recommended_metric" not in metrics


def test_recommend_metric_and_imbalance() -> None:
    """macro_f1 above the limit, accuracy at or below it; the ratio is largest over smallest."""
    assert recommend_metric(5.0, 1.5)[0] == "macro_f1"
    assert recommend_metric(1.0, 1.5)[0] == "accuracy"
    assert recommend_metric(1.5, 1.5)[0] == "accuracy"
    assert "5.00" in recommend_metric(5.0, 1.5)[1]
    assert imbalance({"a": 300, "b": 60, "c": 60}) == pytest.approx(5.0)
    assert imbalance({"a": 10, "b": 0}) == pytest.approx(10.0)


# baselines_ran

class ExplodingBaseline(Baseline):
    """A plug-in baseline whose fit always raises."""

    name = "exploding"
    description = "raises while fitting"

    def fit(self, texts: pd.Series, labels: np.ndarray) -> "ExplodingBaseline":
        raise RuntimeError("boom: cannot fit\nsecond line")


def test_failing_plugin_baseline(clean_dir: Path, tmp_path: Path) -> None:
    """A baseline that raises fails baselines_ran with its error; the others still score."""
    classes = load_summary(clean_dir)["classes"]
    chosen = [UniformRandom(classes, 42), PriorRandom(classes, 42), ExplodingBaseline(classes, 42),
              TfidfLogReg(classes, 42, **asdict(from_conf(TfidfConfig, "baselines.tfidf")))]
    run = baselines_run(stage(), clean_dir, tmp_path, baselines=chosen)
    check = run.checks["baselines_ran"]
    assert check.status == "fail"
    assert check.value == ["exploding"]
    assert "exploding failed: RuntimeError: boom: cannot fit" in check.message
    assert run.results["exploding"].error == "RuntimeError: boom: cannot fit"
    assert run.results["exploding"].metrics == {}
    for name in ("uniform_random", "prior_random", "tfidf_logreg"):
        assert run.results[name].error == ""
        assert "valid_macro_f1" in run.results[name].metrics
    assert run.outcome.best == "tfidf_logreg"
    table = pd.read_csv(run.files["results"])
    assert table.set_index("baseline").loc["exploding", "error"] == "RuntimeError: boom: cannot fit"
    assert "boom: cannot fit" in run.files["report"].read_text(encoding="utf-8")


def test_tfidf_on_texts_without_repeated_words_uses_characters(tmp_path: Path) -> None:
    """Numbers only: no word occurs in two train texts, so TF-IDF fits on its character n-grams, says so in
    its note and the report, and every baseline runs."""
    numbers = np.random.default_rng(0).choice(10**7, size=150, replace=False)
    data = pd.DataFrame({"text": [str(v) for v in numbers], "label": ["odd", "even"] * 75})
    run = baselines_run(stage(run=FAST), prepared(data, tmp_path / "data"), tmp_path / "out")
    tfidf = run.results["tfidf_logreg"]
    assert tfidf.error == "" and tfidf.skipped == ""
    assert "valid_macro_f1" in tfidf.metrics
    assert tfidf.note == "words left out: none occurs in 2 train texts or more (baselines.tfidf.min_df)"
    assert run.status("baselines_ran") == "pass"
    assert tfidf.note in run.files["report"].read_text(encoding="utf-8")


def test_tfidf_without_any_feature_is_skipped_with_the_reason(tmp_path: Path) -> None:
    """Texts of one character each, all different: TF-IDF has nothing to fit, so it is skipped with the
    reason (a warning), not failed, and the other baselines still set the bar."""
    data = pd.DataFrame({"text": [chr(0x4E00 + i) for i in range(150)], "label": ["odd", "even"] * 75})
    run = baselines_run(stage(run=FAST), prepared(data, tmp_path / "data"), tmp_path / "out")
    tfidf = run.results["tfidf_logreg"]
    assert tfidf.error == "" and tfidf.metrics == {}
    assert tfidf.skipped.startswith("no word and no character n-gram occurs in 2 train texts")
    check = run.checks["baselines_ran"]
    assert check.status == "warn" and check.value == ["tfidf_logreg"]
    assert f"tfidf_logreg skipped: {tfidf.skipped}" in check.message
    assert run.facts["skipped"] == {"tfidf_logreg": tfidf.skipped}
    assert "skipped: no word and no character n-gram" in run.files["report"].read_text(encoding="utf-8")


# fit_on_train_only

def test_train_only_check_catches_a_valid_row(clean_run: Run) -> None:
    """A fitted row from valid fails fit_on_train_only, naming the baseline and the count."""
    splits = {name: set(frame["row"]) for name, frame in load_splits(clean_run.prepared).items()}
    leaked = next(iter(splits["valid"]))
    fit_rows = {"tfidf_logreg": set(splits["train"]) | {leaked}, "majority": set(splits["train"])}
    check = train_only_check(rows_outside(fit_rows, splits["train"]))
    assert check.status == "fail"
    assert check.value == {"tfidf_logreg": 1}
    assert "tfidf_logreg (1)" in check.message


def test_train_only_check_counts_test_rows() -> None:
    """Every row outside train counts, test rows included."""
    splits = {"train": {0, 1, 2}, "valid": {3}, "test": {4, 5}}
    check = train_only_check(rows_outside({"a": {0, 1, 4, 5}, "b": {0, 2}}, splits["train"]))
    assert check.status == "fail"
    assert check.value == {"a": 2}
    assert train_only_check(rows_outside({"b": {0, 2}}, splits["train"])).status == "pass"


def test_fit_rows_are_train_rows(clean_run: Run) -> None:
    """In a clean run every baseline was fitted on exactly the train rows."""
    facts = clean_run.facts
    assert facts["rows_outside_train"] == {name: 0 for name in ALL_BASELINES}
    assert clean_run.checks["fit_on_train_only"].value == {}


# classes_in_eval

def test_class_missing_from_valid(tmp_path: Path) -> None:
    """A class absent from valid fails classes_in_eval and names it; nothing crashes."""
    data = make_texts(n_per_class=80, seed=3)
    train = data.groupby("label").head(60)
    rest = data.drop(train.index)
    valid = rest[rest["label"] != "positive"].groupby("label").head(10)
    test = rest.drop(valid.index)
    folder = hand_prepared({"train": train, "valid": valid, "test": test}, tmp_path / "prepared")
    run = baselines_run(stage(run=FAST + ["keyword_rule"]), folder, tmp_path / "out")
    check = run.checks["classes_in_eval"]
    assert check.status == "fail", check
    assert check.value == {"valid": ["positive"]}
    assert "valid: positive" in check.message
    assert run.status("baselines_ran") == "pass"
    tfidf = run.results["tfidf_logreg"].metrics
    assert tfidf["valid_f1_positive"] == 0.0
    assert "test_f1_positive" in tfidf and tfidf["test_f1_positive"] > 0.5
    assert run.files["report"].is_file()


def test_class_missing_from_valid_and_test(tmp_path: Path) -> None:
    """A class only in train is reported for both valid and test."""
    data = make_texts(n_per_class=60, seed=4)
    train = pd.concat([data[data["label"] == "positive"], data[data["label"] != "positive"].iloc[:80]])
    rest = data.drop(train.index)
    valid, test = rest.iloc[: len(rest) // 2], rest.iloc[len(rest) // 2:]
    folder = hand_prepared({"train": train, "valid": valid, "test": test}, tmp_path / "prepared")
    run = baselines_run(stage(run=FAST), folder, tmp_path / "out")
    assert run.checks["classes_in_eval"].value == {"valid": ["positive"], "test": ["positive"]}
    assert run.status("classes_in_eval") == "fail"


# empty_after_preprocessing

def spec(share: float, blank: str = "") -> dict:
    """A preprocess spec that blanks ``share`` of the texts."""
    return {"_target_": "baseline_parts.blank_some", "share": share, "blank": blank}


@pytest.mark.parametrize(("share", "blank", "status"), [
    (0.0, "", "pass"),
    (0.1, "", "warn"),
    (0.1, "   ", "warn"),
    (0.6, "", "fail"),
])
def test_empty_after_preprocessing(clean_dir: Path, tmp_path: Path, share: float, blank: str,
                                   status: str, preprocess_plugins) -> None:
    """A preprocess step that blanks some texts warns, and fails above half of them."""
    run = baselines_run(stage(run=["prior_random", "tfidf_logreg"], preprocess=spec(share, blank)),
                        clean_dir, tmp_path)
    check = run.checks["empty_after_preprocessing"]
    assert check.status == status, check
    assert check.value == pytest.approx(share, abs=1e-6)
    assert run.status("baselines_ran") == "pass"


def test_all_texts_blank(clean_dir: Path, tmp_path: Path, preprocess_plugins) -> None:
    """Blanking every text fails empty_after_preprocessing; TF-IDF, with nothing to fit, is skipped with the
    reason (baselines_ran warns), and no exception escapes."""
    run = baselines_run(stage(run=["uniform_random", "prior_random", "majority", "tfidf_logreg"],
                              preprocess=spec(1.0)), clean_dir, tmp_path)
    assert run.status("empty_after_preprocessing") == "fail"
    assert run.checks["empty_after_preprocessing"].value == pytest.approx(1.0)
    ran = run.checks["baselines_ran"]
    assert ran.status == "warn"
    assert "tfidf_logreg" in ran.value
    assert run.results["tfidf_logreg"].skipped
    assert "tfidf_logreg skipped: no word and no character n-gram" in ran.message
    assert "valid_accuracy" in run.results["majority"].metrics
    assert run.files["report"].is_file()


def test_clean_text_preprocess_leaves_nothing_empty(clean_run: Run) -> None:
    """The default preprocessing leaves every keyword text non-empty."""
    assert clean_run.facts["empty_share"] == 0.0


# metrics

def test_uniform_random_log_loss_is_ln_k(clean_run: Run) -> None:
    """Uniform guessing costs exactly ln K in cross-entropy, on valid and test."""
    metrics = clean_run.results["uniform_random"].metrics
    assert metrics["valid_log_loss"] == pytest.approx(math.log(3), abs=1e-6)
    assert metrics["test_log_loss"] == pytest.approx(math.log(3), abs=1e-6)
    assert clean_run.facts["uniform_log_loss"] == pytest.approx(math.log(3), abs=1e-9)


def test_prior_random_log_loss_is_prior_entropy(imbalanced_dir: Path, tmp_path: Path) -> None:
    """Guessing in train proportions costs about the prior's entropy (not ln K on imbalanced data)."""
    run = baselines_run(stage(run=["uniform_random", "prior_random"]), imbalanced_dir, tmp_path)
    train_entropy = entropy(load_splits(imbalanced_dir)["train"]["label"])
    assert train_entropy < math.log(3) - 0.2
    assert run.facts["prior_log_loss"] == pytest.approx(train_entropy, abs=1e-9)
    assert run.results["prior_random"].metrics["valid_log_loss"] == pytest.approx(train_entropy, abs=0.05)
    assert run.results["prior_random"].metrics["test_log_loss"] == pytest.approx(train_entropy, abs=0.05)
    assert run.results["uniform_random"].metrics["valid_log_loss"] == pytest.approx(math.log(3), abs=1e-6)


def test_prior_random_log_loss_on_balanced_data(clean_run: Run) -> None:
    """On balanced data the prior's entropy is ln K and prior_random's log loss is close to it."""
    train_entropy = entropy(load_splits(clean_run.prepared)["train"]["label"])
    assert clean_run.results["prior_random"].metrics["valid_log_loss"] == pytest.approx(train_entropy, abs=0.05)


def test_no_log_loss_without_probabilities(clean_run: Run) -> None:
    """majority and keyword_rule give no probabilities, so no log loss."""
    for name in ("majority", "keyword_rule"):
        metrics = clean_run.results[name].metrics
        assert "valid_log_loss" not in metrics and "test_log_loss" not in metrics, name
    for name in ("uniform_random", "prior_random", "tfidf_logreg", "embeddings_logreg"):
        assert "valid_log_loss" in clean_run.results[name].metrics, name


def test_every_result_has_the_shared_metric_names(clean_run: Run) -> None:
    """Every baseline reports accuracy, macro/weighted F1 and F1 per class on valid and test."""
    for result in clean_run.outcome.results:
        for split in ("valid", "test"):
            for metric in ["accuracy", "macro_f1", "weighted_f1"] + [f"f1_{c}" for c in LABELS]:
                key = f"{split}_{metric}"
                assert key in result.metrics, (result.name, key)
                assert 0.0 <= result.metrics[key] <= 1.0


@pytest.mark.parametrize("classes", [["-1", "0", "1"], [":(", ":)"]])
def test_score_names_every_class_apart(classes: list[str]) -> None:
    """Each class gets its own f1_<class> metric, also for labels -1/0/1 or emoticons."""
    truth = np.array(classes * 2, dtype=object)
    predicted = np.array(classes[::-1] + classes, dtype=object)
    metrics = score(truth, predicted, None, classes, "valid")
    per_class = [k for k in metrics if k.startswith("valid_f1_")]
    assert len(per_class) == len(classes), per_class


def test_numeric_labels_keep_per_class_metrics(tmp_path: Path) -> None:
    """Sentiment labels -1, 0, 1 give three per-class F1 scores in every result."""
    data = make_texts(n_per_class=60, seed=6)
    data["label"] = data["label"].map({"negative": -1, "neutral": 0, "positive": 1})
    out = prepared(data, tmp_path)
    assert load_summary(out)["classes"] == ["-1", "0", "1"]
    run = baselines_run(stage(run=["prior_random", "tfidf_logreg"]), out, tmp_path / "out")
    for r in run.outcome.results:
        per_class = [k for k in r.metrics if k.startswith("valid_f1_")]
        assert len(per_class) == 3, (r.name, per_class)


def test_majority_scores(clean_run: Run) -> None:
    """majority predicts one class: F1 for the others is zero, macro F1 at most a third."""
    metrics = clean_run.results["majority"].metrics
    f1s = [metrics[f"valid_f1_{c}"] for c in LABELS]
    assert sorted(f1s)[:2] == [0.0, 0.0]
    assert metrics["valid_macro_f1"] == pytest.approx(sum(f1s) / 3)
    assert metrics["valid_macro_f1"] <= 1 / 3 + 1e-9


def test_same_seed_same_metrics(clean_run: Run, clean_dir: Path, tmp_path: Path) -> None:
    """Running again with the same seed gives identical metrics for every baseline."""
    again = baselines_run(stage(), clean_dir, tmp_path)
    assert {r.name: r.metrics for r in again.outcome.results} == \
        {r.name: r.metrics for r in clean_run.outcome.results}
    assert again.files["metrics"].read_text(encoding="utf-8") == \
        clean_run.files["metrics"].read_text(encoding="utf-8")
    assert again.files["mistakes"].read_text(encoding="utf-8") == \
        clean_run.files["mistakes"].read_text(encoding="utf-8")


def test_other_seed_changes_random_guesses(clean_dir: Path, tmp_path: Path) -> None:
    """The seed drives the random baselines (their guesses differ under another seed)."""
    first = baselines_run(stage(run=["uniform_random"], seed=1), clean_dir, tmp_path / "a")
    second = baselines_run(stage(run=["uniform_random"], seed=2), clean_dir, tmp_path / "b")
    assert first.results["uniform_random"].metrics != second.results["uniform_random"].metrics


# the best baseline

def test_best_is_learned_and_beats_prior(clean_run: Run) -> None:
    """On keyword data the best baseline is a learned one and beats prior_random on valid."""
    best = clean_run.outcome.best
    assert best in {"keyword_rule", "tfidf_logreg", "embeddings_logreg"}
    scores = {name: r.metrics["valid_macro_f1"] for name, r in clean_run.results.items()}
    assert scores[best] > scores["prior_random"] + 0.3
    learned = {n: s for n, s in scores.items() if n not in ("uniform_random", "prior_random")}
    assert scores[best] == max(learned.values())


def result(name: str, **metrics: float) -> BaselineResult:
    """A BaselineResult with given metrics."""
    return BaselineResult(name=name, description="", params={}, metrics=dict(metrics))


def test_pick_best_uses_valid_and_skips_random_guesses() -> None:
    """pick_best chooses on valid only and never picks uniform_random or prior_random."""
    results = [
        result("uniform_random", valid_macro_f1=0.99, test_macro_f1=0.99),
        result("prior_random", valid_macro_f1=0.98, test_macro_f1=0.98),
        result("majority", valid_macro_f1=0.2, test_macro_f1=0.9),
        result("tfidf_logreg", valid_macro_f1=0.7, test_macro_f1=0.1),
        result("broken"),
    ]
    assert pick_best({r.name: r.metrics for r in results}, "macro_f1", exclude=GUESSES) == "tfidf_logreg"
    assert pick_best({r.name: r.metrics for r in results[:2]}, "macro_f1", exclude=GUESSES) == ""


def test_pick_best_lower_log_loss_wins() -> None:
    """For log loss, lower is better; baselines without it are not candidates."""
    results = [result("majority", valid_accuracy=0.9), result("tfidf_logreg", valid_log_loss=0.5),
               result("embeddings_logreg", valid_log_loss=0.3), result("uniform_random", valid_log_loss=0.01)]
    assert pick_best({r.name: r.metrics for r in results}, "log_loss", exclude=GUESSES) == "embeddings_logreg"


def test_log_loss_as_primary_metric(clean_dir: Path, tmp_path: Path) -> None:
    """With log_loss as the primary metric, the gain over the prior is a drop in loss."""
    run = baselines_run(stage(run=["prior_random", "majority", "tfidf_logreg"], metric="log_loss"),
                        clean_dir, tmp_path)
    assert run.outcome.best == "tfidf_logreg"
    assert run.status("beats_prior") == "pass"
    gain = run.facts["gain_over_prior"]
    expected = (run.results["prior_random"].metrics["valid_log_loss"]
                - run.results["tfidf_logreg"].metrics["valid_log_loss"])
    assert gain == pytest.approx(expected)
    assert gain > 0


# the embeddings transformer

@pytest.fixture(scope="module")
def embedder() -> MeanEmbeddings:
    """The default model's mean input embeddings, fitted (nothing is learned)."""
    return MeanEmbeddings().fit(["x"])


def test_mean_embeddings_shape_and_identity(embedder: MeanEmbeddings) -> None:
    """Texts become (n, 384) float rows; equal texts equal rows, different texts different rows."""
    texts = ["I love this phone", "the meeting was announced today", "I love this phone", "awful and broken"]
    vectors = embedder.transform(pd.Series(texts))
    assert isinstance(vectors, np.ndarray)
    assert vectors.shape == (4, 384)
    assert np.isfinite(vectors).all()
    np.testing.assert_array_equal(vectors[0], vectors[2])
    assert not np.allclose(vectors[0], vectors[1])
    assert not np.allclose(vectors[1], vectors[3])


def test_mean_embeddings_truncates(embedder: MeanEmbeddings) -> None:
    """Words past max_length tokens do not change the row."""
    short = MeanEmbeddings(max_length=8).fit([])
    base = " ".join(["great"] * 20)
    vectors = short.transform([base, base + " awful awful awful"])
    np.testing.assert_allclose(vectors[0], vectors[1])
    assert not np.allclose(embedder.transform([base])[0], embedder.transform([base + " awful awful awful"])[0])


def test_resolve_model_dir_without_files(tmp_path: Path) -> None:
    """A folder without tokenizer.json and model.safetensors is a UserError naming the folder."""
    folder = tmp_path / "not-a-model"
    folder.mkdir()
    (folder / "tokenizer.json").write_text("{}", encoding="utf-8")
    with pytest.raises(UserError) as info:
        resolve_model_dir(str(folder))
    assert str(folder) in info.value.where
    assert "model.safetensors" in info.value.problem


def test_resolve_model_dir_default() -> None:
    """An empty setting resolves to the packaged default model."""
    folder = resolve_model_dir("")
    assert (folder / "tokenizer.json").is_file() and (folder / "model.safetensors").is_file()


def test_bad_model_dir_fails_only_that_baseline(clean_dir: Path, tmp_path: Path) -> None:
    """A wrong embeddings.model_dir fails embeddings_logreg with a message; the others run."""
    cfg = stage(run=["prior_random", "embeddings_logreg", "tfidf_logreg"])
    cfg.baselines.embeddings.model_dir = str(tmp_path / "nowhere")
    run = baselines_run(cfg, clean_dir, tmp_path / "out")
    assert run.status("baselines_ran") == "fail"
    assert "UserError" in run.results["embeddings_logreg"].error
    assert "nowhere" in run.results["embeddings_logreg"].error
    assert run.outcome.best == "tfidf_logreg"


# bad input

def test_unknown_baseline_name(clean_dir: Path, tmp_path: Path) -> None:
    """An unknown name in baselines.run is a UserError naming it."""
    with pytest.raises(UserError) as info:
        run_baselines(stage(run=["majority", "svm_rbf"]), clean_dir, tmp_path)
    assert "svm_rbf" in info.value.where
    assert "tfidf_logreg" in info.value.fix


def test_unknown_primary_metric(clean_dir: Path, tmp_path: Path) -> None:
    """An unknown primary metric is a UserError naming it."""
    with pytest.raises(UserError) as info:
        run_baselines(stage(metric="auc"), clean_dir, tmp_path)
    assert "auc" in info.value.where
    assert "macro_f1" in info.value.fix


@pytest.mark.parametrize("target", ["tests.no_such_module.clean", "clearance.core.text.preprocess.no_such_function"])
def test_load_preprocess_unknown_target(target: str) -> None:
    """A preprocess _target_ that cannot be imported is a UserError naming it."""
    with pytest.raises(UserError) as info:
        load_preprocess({"_target_": target})
    assert target in info.value.where


def test_load_preprocess_builds_with_arguments() -> None:
    """A known _target_ with keyword arguments gives a callable with them bound."""
    fn = load_preprocess({"_target_": "clearance.core.text.preprocess.clean_text", "lowercase": True})
    assert fn(pd.Series(["HeLLo"])).tolist() == ["hello"]


def test_preprocess_returning_wrong_length(clean_dir: Path, tmp_path: Path, preprocess_plugins) -> None:
    """A preprocess plug-in that drops texts is a UserError, not a misaligned run."""
    with pytest.raises(UserError) as info:
        run_baselines(stage(run=["majority"], preprocess={"_target_": "baseline_parts.drop_first"}),
                      clean_dir, tmp_path)
    assert "drop_first" in info.value.where


def test_preprocess_misspelt_argument(clean_dir: Path, tmp_path: Path) -> None:
    """A misspelt preprocess argument is a UserError naming the function, not a TypeError traceback."""
    bad = {"_target_": "clearance.core.text.preprocess.clean_text", "lowercse": True}
    with pytest.raises(UserError) as info:
        run_baselines(stage(run=["majority"], preprocess=bad), clean_dir, tmp_path)
    assert "clean_text" in info.value.where


def test_single_training_example_class(tmp_path: Path) -> None:
    """A class with a single training example does not crash any baseline."""
    data = make_texts(classes={"negative": 80, "neutral": 80, "positive": 7}, seed=5)
    pos = data[data["label"] == "positive"]
    others = data[data["label"] != "positive"]
    train = pd.concat([others.groupby("label").head(60), pos.iloc[:1]])
    rest = pd.concat([others.drop(others.groupby("label").head(60).index), pos.iloc[1:]])
    valid = pd.concat([rest[rest["label"] != "positive"].groupby("label").head(10), pos.iloc[1:4]])
    test = rest.drop(valid.index)
    folder = hand_prepared({"train": train, "valid": valid, "test": test}, tmp_path / "prepared")
    assert (load_splits(folder)["train"]["label"] == "positive").sum() == 1
    run = baselines_run(stage(), folder, tmp_path / "out")
    assert run.status("baselines_ran") == "pass", run.checks["baselines_ran"]
    assert all("valid_macro_f1" in r.metrics for r in run.outcome.results)
    assert run.facts["imbalance_ratio"] == pytest.approx(60.0)
    assert run.status("classes_in_eval") == "pass"


# output files

def test_checks_json_contract(clean_run: Run) -> None:
    """checks.json is a list of objects with id, status, value, threshold and message."""
    path = clean_run.files["checks"]
    assert path.name == "checks.json"
    items = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(items, list) and [i["id"] for i in items] == CHECK_IDS
    for item in items:
        assert {"id", "status", "value", "threshold", "message"} <= set(item)
        assert item["status"] in STATUSES
        assert isinstance(item["message"], str) and item["message"]
    assert [c.id for c in read_checks(path)] == CHECK_IDS


def test_checks_json_records_failures(shuffled_run: Run) -> None:
    """A failing check is written as 'fail' in checks.json."""
    items = {i["id"]: i for i in json.loads(shuffled_run.files["checks"].read_text(encoding="utf-8"))}
    assert items["beats_prior"]["status"] == "fail"


def test_metrics_json(clean_run: Run) -> None:
    """metrics.json holds the bar (metric, best baseline, ln K, prior entropy) and every baseline's scores."""
    metrics = json.loads(clean_run.files["metrics"].read_text(encoding="utf-8"))
    bar = metrics["bar"]
    assert bar["metric"] == "macro_f1"
    assert bar["best_baseline"] == clean_run.outcome.best
    assert bar["uniform_log_loss"] == pytest.approx(math.log(3), abs=1e-6)
    assert bar["prior_log_loss"] == pytest.approx(clean_run.facts["prior_log_loss"], abs=1e-6)
    best = clean_run.results[clean_run.outcome.best].metrics
    assert bar["valid"] == pytest.approx(best["valid_macro_f1"])
    assert bar["prior_expected"] == pytest.approx(clean_run.facts["prior_expected_score"])
    assert bar["valid_log_loss"] == pytest.approx(best["valid_log_loss"])
    assert set(metrics["baselines"]) == set(ALL_BASELINES)
    assert metrics["baselines"]["majority"]["valid_accuracy"] == \
        pytest.approx(clean_run.results["majority"].metrics["valid_accuracy"], abs=1e-4)


def test_results_csv(clean_run: Run) -> None:
    """results.csv has one row per baseline, in run order, with the shared metric columns."""
    table = pd.read_csv(clean_run.files["results"])
    assert table["baseline"].tolist() == ALL_BASELINES
    for column in ("valid_accuracy", "valid_macro_f1", "test_weighted_f1", "valid_f1_positive", "valid_log_loss",
                   "fit_seconds", "error"):
        assert column in table.columns
    assert table.set_index("baseline")["valid_log_loss"].isna()[["majority", "keyword_rule"]].all()


def test_mistakes_csv(shuffled_run: Run) -> None:
    """mistakes.csv holds the best baseline's wrong valid predictions, most confident first."""
    outcome = shuffled_run.outcome
    mistakes = pd.read_csv(outcome.files["mistakes"])
    assert list(mistakes.columns) == ["row", "label", "predicted", "confidence", "text"]
    assert len(mistakes) > 0
    assert (mistakes["label"] != mistakes["predicted"]).all()
    valid = load_splits(shuffled_run.prepared)["valid"]
    assert set(mistakes["row"]) <= set(valid["row"])
    assert mistakes["row"].is_unique
    best = shuffled_run.results[outcome.best]
    wrong = round((1 - best.metrics["valid_accuracy"]) * len(valid))
    assert len(mistakes) == min(wrong, from_conf(BaselinesConfig, "baselines").mistakes)
    if "valid_log_loss" in best.metrics:
        assert mistakes["confidence"].is_monotonic_decreasing
        assert mistakes["confidence"].between(0, 1).all()
    truth = valid.set_index("row")["label"]
    assert (truth[mistakes["row"]].to_numpy() == mistakes["label"].to_numpy()).all()


def test_mistakes_csv_limit(imbalanced_dir: Path, tmp_path: Path) -> None:
    """baselines.mistakes caps the rows written."""
    run = baselines_run(stage(run=["uniform_random", "majority"], mistakes=3), imbalanced_dir, tmp_path)
    assert run.outcome.best == "majority"
    mistakes = pd.read_csv(run.files["mistakes"])
    assert len(mistakes) == 3
    assert (mistakes["predicted"] == "negative").all()
    assert mistakes["confidence"].isna().all()


def test_confusion_png_and_report(clean_run: Run) -> None:
    """The confusion plot is a PNG and report.html has the bar, metric, results and errors sections."""
    png = clean_run.files["confusion"]
    assert png == clean_run.files["report"].parent / "plots" / "confusion.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = clean_run.files["report"].read_text(encoding="utf-8")
    for section in ("bar", "metric", "results", "errors"):
        assert f'id="{section}"' in page
    for name in ALL_BASELINES + CHECK_IDS:
        assert name in page
    assert "data:image/png;base64," in page


def test_outputs_when_no_baseline_scores(clean_dir: Path, tmp_path: Path) -> None:
    """With only random guesses there is no best baseline, yet every file is written."""
    run = baselines_run(stage(run=["uniform_random", "prior_random"]), clean_dir, tmp_path)
    assert run.outcome.best == ""
    assert run.status("beats_prior") == "fail"
    for path in run.files.values():
        assert path.is_file(), path
    assert json.loads(run.files["metrics"].read_text(encoding="utf-8"))["bar"]["best_baseline"] is None


# preprocessing

def test_clean_text_repairs_and_masks() -> None:
    """Mojibake is repaired, entities unescaped, URLs masked; one text out per text in."""
    texts = pd.Series(["I donâ€™t know", "fish &amp; chips", "see https://t.co/abc123 now", "plain text",
                       None, "  spaced   out  "], index=[5, 6, 7, 8, 9, 10])
    out = clean_text(texts)
    assert len(out) == len(texts)
    assert "â€" not in out.iloc[0] and out.iloc[0].startswith("I don") and out.iloc[0].endswith("t know")
    assert out.iloc[1] == "fish & chips"
    assert out.iloc[2] == "see URL now"
    assert out.iloc[3] == "plain text"
    assert out.iloc[4] == ""
    assert out.iloc[5] == "spaced out"


def test_clean_text_options() -> None:
    """Mentions are masked and text lower-cased only when asked; URLs kept when not masked."""
    texts = pd.Series(["Hi @bob see www.x.com"])
    assert clean_text(texts).iloc[0] == "Hi @bob see URL"
    assert clean_text(texts, mask_mentions=True, lowercase=True, mask_urls=False).iloc[0] == \
        "hi @user see www.x.com"


def test_identity_keeps_texts() -> None:
    """identity returns the texts unchanged (missing ones as empty strings)."""
    texts = pd.Series(["donâ€™t &amp; https://t.co/x", "  two  spaces "])
    assert identity(texts).tolist() == texts.tolist()
    assert identity(pd.Series(["a", None])).tolist() == ["a", ""]
