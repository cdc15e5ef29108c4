"""Step 2 runs a baseline of the user's own, named in `baselines.run`, beside the built-in ones: fitted
on train only, scored, checked and reported the same way; a wrong entry or a broken one says what and
where. The worked example of docs/plugins.md is plugins/my_baselines.py, and it is what runs here."""

from __future__ import annotations

import importlib
import json
import re
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from clearance.baselines.judge.run import BaselineChecks, judge_baselines
from clearance.baselines.measure.plugged import PluggedBaseline
from clearance.baselines.measure.run import build, run_baselines
from clearance.core.config.baselines import BaselinesConfig, BaselinesStage
from clearance.core.config.data import DataConfig, PrepareStage, SplitConfig
from clearance.core.config.params import from_conf
from clearance.core.data.prepare import prepare
from clearance.core.errors import UserError
from clearance.core.parts.plugins import plugins_digest
from clearance.core.paths import split_file
from clearance.core.records import settings_digest
from tests.conftest import REPO
from tests.factory import make_texts, write_table
from tests.test_baselines import Run

EXAMPLE = REPO / "plugins" / "my_baselines.py"
DOC = REPO / "docs" / "plugins.md"
SECTION = "## A baseline of your own"
LENGTH_RULE, NAIVE_BAYES = "my_baselines.LengthRule", "my_baselines.word_counts_nb"
BUILT_IN = ["uniform_random", "prior_random", "majority", "keyword_rule"]

# Baselines of a user's that break the contract, one way each.
BROKEN = '''
import numpy as np


class Explodes:
    """Raises while fitting."""

    def fit(self, texts, labels):
        raise RuntimeError("boom: cannot fit")

    def predict(self, texts):
        return np.full(len(texts), "negative")


class FewColumns:
    """Probabilities for two classes of three."""

    def fit(self, texts, labels):
        return self

    def predict_proba(self, texts):
        return np.full((len(texts), 2), 0.5)


class Scores:
    """Scores, not probabilities."""

    def fit(self, texts, labels):
        return self

    def predict_proba(self, texts):
        return np.tile([2.0, -1.0, 0.5], (len(texts), 1))


class Indices:
    """Class indices, not class names."""

    def fit(self, texts, labels):
        return self

    def predict(self, texts):
        return np.zeros(len(texts), dtype=int)


class NoPredict:
    """Nothing to predict with."""

    def fit(self, texts, labels):
        return self
'''

# A baseline that records what it was given: the rows it was fitted on and predicted, the facts passed.
RECORDER = '''
import numpy as np

SEEN = {"fit": [], "predict": []}


class Recorder:
    def __init__(self, classes, seed, shout=False):
        self.classes, self.seed, self.shout = classes, seed, shout

    def fit(self, texts, labels):
        SEEN["fit"].append((list(texts.index), list(labels)))
        texts[:] = "changed in place"  # a careless plug-in: the next baseline must not see it
        return self

    def predict(self, texts):
        SEEN["predict"].append(list(texts.index))
        return np.full(len(texts), self.classes[0], dtype=object)
'''


def prepared(frame: pd.DataFrame, folder: Path) -> Path:
    """Write ``frame`` as a CSV and run prepare on it (conf/ defaults); returns the prepared folder."""
    folder.mkdir(parents=True, exist_ok=True)
    write_table(frame, folder / "raw.csv", "csv")
    cfg = from_conf(PrepareStage, hydra_overrides=("data=custom",), seed=42,
                    data=from_conf(DataConfig, "data", ("data=custom",), path=str(folder / "raw.csv")),
                    split=from_conf(SplitConfig, "split"))
    prepare(cfg, folder / "prepared")
    return folder / "prepared"


def stage(run: list, seed: int = 42) -> BaselinesStage:
    """Step 2's settings from conf/, running the baselines ``run`` names."""
    cfg = from_conf(BaselinesStage, seed=seed, baselines=from_conf(BaselinesConfig, "baselines"))
    cfg.baselines.run = list(run)
    return cfg


def baselines_run(cfg: BaselinesStage, prepared_dir: Path, out: Path) -> Run:
    """The baselines stage then the judge_baselines stage, as DVC runs them."""
    outcome = run_baselines(cfg, prepared_dir, out)
    return Run(outcome, judge_baselines(from_conf(BaselineChecks, "checks.baselines"), out), prepared_dir)


def doc_section() -> str:
    """The "A baseline of your own" section of docs/plugins.md."""
    text = DOC.read_text(encoding="utf-8")
    assert SECTION in text, f"{DOC} has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1]
    return section.split("\n## ", 1)[0]


def doc_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", doc_section(), flags=re.S)


def doc_run_list() -> list:
    """`baselines.run` as the documented conf line sets it."""
    (block,) = [b for b in doc_blocks("yaml") if "run:" in b]
    return yaml.safe_load(block)["run"]


@pytest.fixture(scope="module")
def clean_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 balanced keyword texts, prepared."""
    return prepared(make_texts(n_per_class=100, seed=0), tmp_path_factory.mktemp("clean"))


@pytest.fixture(scope="module")
def length_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Texts whose class is given away by their length alone (short, medium, long), prepared."""
    rng = np.random.default_rng(3)
    words = "the car phone city road app team new day week people time work home game".split()
    rows = [{"text": " ".join(rng.choice(words, size=n)) + f" w{label}{i}", "label": label}
            for label, (low, high) in {"short": (2, 5), "medium": (9, 13), "long": (20, 28)}.items()
            for i, n in enumerate(rng.integers(low, high, size=100))]
    return prepared(pd.DataFrame(rows).sample(frac=1.0, random_state=0), tmp_path_factory.mktemp("lengths"))


@pytest.fixture(scope="module")
def project_with_example(tmp_path_factory: pytest.TempPathFactory):
    """A project folder whose plugins/ holds plugins/my_baselines.py as shipped; runs from there."""
    root = tmp_path_factory.mktemp("plugged")
    (root / "plugins").mkdir()
    (root / "conf").symlink_to(REPO / "conf")
    (root / "plugins" / "my_baselines.py").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.setattr(sys, "path", list(sys.path))
        sys.modules.pop("my_baselines", None)
        importlib.invalidate_caches()
        yield root
        sys.modules.pop("my_baselines", None)


@pytest.fixture(scope="module")
def documented_run(project_with_example: Path, clean_dir: Path) -> Run:
    """Every baseline the documented conf line names, on the clean data."""
    return baselines_run(stage(run=doc_run_list()), clean_dir, project_with_example / "reports" / "baselines")


@pytest.fixture
def broken(user_plugins) -> str:
    user_plugins("broken_baselines", BROKEN)
    return "broken_baselines"


# the worked example of docs/plugins.md

def test_the_documented_code_is_the_example_file() -> None:
    """Every Python block of the section is quoted verbatim from plugins/my_baselines.py."""
    source = EXAMPLE.read_text(encoding="utf-8")
    blocks = doc_blocks("python")
    assert blocks, "the section shows no code"
    for block in blocks:
        assert block in source, f"docs/plugins.md quotes code that plugins/my_baselines.py does not hold:\n{block}"
    assert "class LengthRule" in "".join(blocks)


def test_the_documented_conf_line_names_the_example() -> None:
    """The conf line names the built-in baselines, then both of the example's (one with a setting)."""
    run = doc_run_list()
    assert run[:6] == ["uniform_random", "prior_random", "majority", "keyword_rule", "tfidf_logreg",
                       "embeddings_logreg"]
    assert run[6:] == [LENGTH_RULE, {"_target_": NAIVE_BAYES, "alpha": 0.5}]


def test_documented_plugins_run_beside_the_built_ins(documented_run: Run) -> None:
    """Both plug-ins run in configured order, scored on valid and test with the shared metrics, log loss
    included; every check passes, fit_on_train_only among them."""
    names = [r.name for r in documented_run.outcome.results]
    assert names == [*BUILT_IN, "tfidf_logreg", "embeddings_logreg", LENGTH_RULE, NAIVE_BAYES]
    tfidf = documented_run.results["tfidf_logreg"].metrics
    for name in (LENGTH_RULE, NAIVE_BAYES):
        result = documented_run.results[name]
        assert result.error == "" and result.skipped == ""
        assert set(result.metrics) == set(tfidf)  # the same metric names, valid and test, log loss too
    assert documented_run.results[NAIVE_BAYES].params == {"alpha": 0.5}
    assert documented_run.results[LENGTH_RULE].description.startswith("Guesses the class from the text's length")
    assert all(c.status == "pass" for c in documented_run.judged.checks), documented_run.judged.checks
    assert documented_run.facts["rows_outside_train"][NAIVE_BAYES] == 0
    assert documented_run.results[NAIVE_BAYES].metrics["valid_macro_f1"] > 0.9  # keywords: easy
    assert documented_run.results[LENGTH_RULE].metrics["valid_macro_f1"] < 0.6  # length tells nothing here


def test_documented_plugins_are_in_every_report_file(documented_run: Run) -> None:
    """The results table, metrics.json, the scores plot's data, measurements and the report name them."""
    files = documented_run.files
    table = pd.read_csv(files["results"]).set_index("baseline")
    assert table.loc[LENGTH_RULE, "valid_macro_f1"] == round(
        documented_run.results[LENGTH_RULE].metrics["valid_macro_f1"], 4)
    metrics = json.loads(files["metrics"].read_text(encoding="utf-8"))
    assert {LENGTH_RULE, NAIVE_BAYES} <= set(metrics["baselines"])
    assert {LENGTH_RULE, NAIVE_BAYES} <= set(pd.read_csv(files["scores"]).iloc[:, 0])
    measured = json.loads(files["measurements"].read_text(encoding="utf-8"))
    assert [r["name"] for r in measured["results"]][-2:] == [LENGTH_RULE, NAIVE_BAYES]
    report = files["report"].read_text(encoding="utf-8")
    assert LENGTH_RULE in report and "Word counts + multinomial naive Bayes" in report


def test_a_plugin_can_set_the_bar(project_with_example: Path, length_dir: Path) -> None:
    """On texts whose length gives the class away, LengthRule is the best baseline: the bar, the mistakes
    and the confusion matrix are its own, as for a built-in."""
    run = baselines_run(stage(run=[*BUILT_IN, LENGTH_RULE]), length_dir, project_with_example / "lengths")
    assert run.outcome.best == LENGTH_RULE
    metrics = json.loads(run.files["metrics"].read_text(encoding="utf-8"))
    assert metrics["bar"]["best_baseline"] == LENGTH_RULE
    assert metrics["bar"]["valid"] == pytest.approx(run.results[LENGTH_RULE].metrics["valid_macro_f1"], abs=1e-4)
    assert metrics["bar"]["valid_log_loss"] is not None
    assert run.results[LENGTH_RULE].metrics["valid_macro_f1"] > run.results["keyword_rule"].metrics["valid_macro_f1"]
    assert run.status("beats_prior") == "pass" and LENGTH_RULE in run.checks["beats_prior"].message
    assert pd.read_csv(run.files["mistakes"]).columns[:3].tolist() == ["row", "label", "predicted"]


def test_settings_reach_the_plugin(project_with_example: Path, clean_dir: Path) -> None:
    """The keys of a mapping entry are the target's arguments."""
    cfg = stage(run=[{"_target_": NAIVE_BAYES, "alpha": 0.25, "min_df": 1}])
    model = build(cfg.baselines.run[0], ["negative", "neutral", "positive"], cfg, index=0).model
    assert model.steps[-1][1].alpha == 0.25 and model.steps[0][1].min_df == 1


def test_plugin_is_fitted_on_train_and_sees_its_own_copy(user_plugins, clean_dir: Path, tmp_path: Path) -> None:
    """The plug-in is given the train rows to fit and valid and test to predict; the facts its signature
    names (classes, seed) are passed; what it does to its inputs stays with it."""
    user_plugins("recording", RECORDER)
    run = baselines_run(stage(run=["recording.Recorder", "majority", "keyword_rule"], seed=7), clean_dir, tmp_path)
    seen = sys.modules["recording"].SEEN
    train = pd.read_parquet(split_file("train", clean_dir))
    ((fitted_rows, fitted_labels),) = seen["fit"]
    assert fitted_rows == train["row"].tolist() and fitted_labels == train["label"].tolist()
    valid, test = (pd.read_parquet(split_file(s, clean_dir))["row"].tolist() for s in ("valid", "test"))
    assert seen["predict"] == [valid, test]
    cfg = stage(run=["recording.Recorder"], seed=7)
    recorder = build("recording.Recorder", ["negative", "neutral", "positive"], cfg, index=0).model
    assert recorder.classes == ["negative", "neutral", "positive"] and recorder.seed == 7
    alone = baselines_run(stage(run=["majority", "keyword_rule"], seed=7), clean_dir, tmp_path / "alone")
    assert run.results["keyword_rule"].metrics == alone.results["keyword_rule"].metrics  # not "changed in place"
    assert run.status("fit_on_train_only") == "pass"


# what stays as it was

def test_without_a_plugin_the_settings_digest_is_as_before(clean_dir: Path, tmp_path: Path) -> None:
    """Built-in baselines only: the settings digest is the one it always was (no plugins/ in it), so a
    signed-off gate 2 stays valid; with a plug-in, plugins/' code is in it."""
    cfg = stage(run=["majority"])
    run_baselines(cfg, clean_dir, tmp_path / "a")
    measured = json.loads((tmp_path / "a" / "measurements.json").read_text(encoding="utf-8"))
    assert measured["settings_digest"] == settings_digest(
        {"seed": cfg.seed, "preprocess": cfg.preprocess, "baselines": asdict(cfg.baselines)})


def test_with_a_plugin_the_settings_digest_covers_its_code(user_plugins, clean_dir: Path, tmp_path: Path) -> None:
    user_plugins("recording", RECORDER)
    cfg = stage(run=["majority", "recording.Recorder"])
    run_baselines(cfg, clean_dir, tmp_path / "a")
    first = json.loads((tmp_path / "a" / "measurements.json").read_text(encoding="utf-8"))["settings_digest"]
    assert first == settings_digest({"seed": cfg.seed, "preprocess": cfg.preprocess,
                                     "baselines": asdict(cfg.baselines), "plugins": plugins_digest()})
    user_plugins("recording", RECORDER + "\n# edited\n")
    run_baselines(cfg, clean_dir, tmp_path / "b")
    assert json.loads((tmp_path / "b" / "measurements.json").read_text(encoding="utf-8"))["settings_digest"] != first


# an entry that cannot be run: stopped before any work, naming baselines.run[i] and the fix

@pytest.mark.parametrize(("entry", "where", "problem", "fix"), [
    ("my_baselines.LenghtRule", "baselines.run[4]=my_baselines.LenghtRule", "my_baselines has no 'LenghtRule'",
     "did you mean my_baselines.LengthRule?"),
    ("my_baselnes.LengthRule", "baselines.run[4]=my_baselnes.LengthRule", "no module named 'my_baselnes'",
     "plugins/"),
    ("keyword_rul", "baselines.run[4]=keyword_rul", "unknown baseline", "did you mean keyword_rule?"),
    ({"_target_": NAIVE_BAYES, "alpah": 0.5}, f"baselines.run[4] (_target_={NAIVE_BAYES})",
     "unexpected keyword argument 'alpah'", "match the arguments of my_baselines.word_counts_nb"),
    ({"alpha": 0.5}, "baselines.run[4]._target_", "no baseline is named", "plugins/"),
])
def test_an_entry_that_cannot_be_located_is_a_user_error(project_with_example: Path, clean_dir: Path,
                                                          entry, where: str, problem: str, fix: str) -> None:
    with pytest.raises(UserError) as info:
        run_baselines(stage(run=[*BUILT_IN, entry]), clean_dir, project_with_example / "misspelt")
    assert info.value.where == where
    assert problem in info.value.problem
    assert fix in info.value.fix
    assert not (project_with_example / "misspelt" / "measurements.json").exists()


def test_a_module_outside_plugins_is_refused(user_plugins, clean_dir: Path, tmp_path: Path) -> None:
    """A baseline in the project root, where DVC does not watch it, is refused as step 3's parts are."""
    stray = Path.cwd() / "root_baselines.py"
    stray.write_text("class Rule:\n    def fit(self, t, l):\n        return self\n", encoding="utf-8")
    with pytest.raises(UserError) as info:
        run_baselines(stage(run=["root_baselines.Rule"]), clean_dir, tmp_path)
    assert info.value.where == "baselines.run[0]=root_baselines.Rule"
    assert "outside plugins/" in info.value.problem and "git mv root_baselines.py plugins/" in info.value.fix


def test_a_class_without_predict_is_a_user_error(broken: str, clean_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError) as info:
        run_baselines(stage(run=["majority", f"{broken}.NoPredict"]), clean_dir, tmp_path)
    assert info.value.where.startswith("baselines.run[1]")
    assert "no predict or predict_proba" in info.value.problem


def test_the_same_plugin_twice_is_a_user_error(project_with_example: Path, clean_dir: Path) -> None:
    with pytest.raises(UserError) as info:
        run_baselines(stage(run=[LENGTH_RULE, "majority", {"_target_": LENGTH_RULE, "min_spread": 0.5}]),
                      clean_dir, project_with_example / "twice")
    assert info.value.where == f"baselines.run[2]={LENGTH_RULE}"
    assert "baselines.run[0]" in info.value.problem


# a plug-in that runs but breaks: baselines_ran fails with the reason, the others set the bar

def test_a_plugin_raising_in_fit_fails_baselines_ran(broken: str, clean_dir: Path, tmp_path: Path) -> None:
    run = baselines_run(stage(run=[*BUILT_IN, f"{broken}.Explodes"]), clean_dir, tmp_path)
    name = f"{broken}.Explodes"
    check = run.checks["baselines_ran"]
    assert check.status == "fail" and check.value == [name]
    line = BROKEN.splitlines().index('        raise RuntimeError("boom: cannot fit")') + 1
    error = f"RuntimeError: boom: cannot fit (plugins/broken_baselines.py, line {line})"
    assert run.results[name].error == error
    assert f"{name} failed: {error}" in check.message
    assert run.results[name].metrics == {}
    assert run.outcome.best == "keyword_rule"
    assert all(run.results[n].error == "" for n in BUILT_IN)
    assert pd.read_csv(run.files["results"]).set_index("baseline").loc[name, "error"] == error
    assert "boom: cannot fit" in run.files["report"].read_text(encoding="utf-8")


@pytest.mark.parametrize(("cls", "says"), [
    ("FewColumns", "BrokenContract: predict_proba returned shape (30, 2) for 30 texts and 3 classes "
                   "(the sorted class names)"),
    ("Scores", "BrokenContract: predict_proba's row 0 is not probabilities (sum 1.5, min -1)"),
    ("Indices", "BrokenContract: predict returned '0', not among the classes"),
])
def test_a_plugin_returning_the_wrong_thing_fails_baselines_ran(broken: str, clean_dir: Path, tmp_path: Path,
                                                                cls: str, says: str) -> None:
    run = baselines_run(stage(run=["prior_random", "majority", f"{broken}.{cls}"]), clean_dir, tmp_path)
    assert run.status("baselines_ran") == "fail"
    assert run.results[f"{broken}.{cls}"].error.startswith(says), run.results[f"{broken}.{cls}"].error
    assert run.outcome.best == "majority"


def test_probabilities_follow_classes_and_a_class_unseen_in_fit_gets_zero() -> None:
    """Columns come in the order of the plug-in's classes_ and are put in the sorted class order; a class
    its fit never saw gets probability 0, and the prediction is the most probable class."""

    class TwoOfThree:
        classes_ = np.array(["positive", "negative"])

        def fit(self, texts, labels):
            return self

        def predict_proba(self, texts):
            return np.tile([0.8, 0.2], (len(texts), 1))

    baseline = PluggedBaseline(TwoOfThree(), "two_of_three", "", {}, ["negative", "neutral", "positive"], 0)
    predicted, probs = baseline.fit(pd.Series(["a", "b"]), np.array(["positive", "negative"])).predict_scored(
        pd.Series(["c", "d"]))
    assert probs.tolist() == [[0.2, 0.0, 0.8], [0.2, 0.0, 0.8]]
    assert predicted.tolist() == ["positive", "positive"]
