"""Which model meets the test split: the rule follows step 4's own checks, a rejected model is never
scored, and the ledger counts every scoring of a test split (each check trips and passes)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from clearance.checklist.declared import grade_one
from clearance.core.config.params import from_conf
from clearance.core.config.sweep import final_rule
from clearance.core.errors import UserError
from clearance.core.records import from_data
from clearance.sweep.final.choice import (
    BETTER,
    ONE_SEED,
    UNMEASURED,
    WITHIN_NOISE,
    WORSE,
    Choice,
    Gain,
    choose,
    gain_verdict,
)
from clearance.sweep.final.ledger import (
    DIGEST_TAG,
    SCORING_TAG,
    count_scorings,
    ledger_digest,
    missing_from_ledger,
    read_ledger,
    record_scoring,
    restore_from_store,
    store_scorings,
    times_seen,
)
from clearance.sweep.final.scoring import score_on_test
from clearance.sweep.judge.decision import decide
from clearance.sweep.judge.run import CHECKS, SweepChecks

LR_BAND = {"AdamW": [1e-6, 1e-2], "default": [1e-6, 1.0]}
# The numbers a user met with `sweep.space.train.lr='loguniform(0.5, 5.0)'`: worse beyond noise, odd lr.
ABSURD = {"mean_gain": -0.465, "low": -0.4659, "high": -0.4647, "seeds": 2, "best_mean": 0.19, "best_std": 0.0,
          "reference_mean": 0.65, "reference_std": 0.001, "note": ""}
MEASURED = {"metric": "macro_f1", "direction": "maximize", "optimizer": "AdamW",
            "best": {"number": 2, "value": 0.19, "params": {"train.lr": 2.04561, "model.num_layers": 1}}}


def seeds(**bootstrap) -> dict:
    return {"metric": "macro_f1", "direction": "maximize", "optimizer": "AdamW", "seeds": [42, 43],
            "best": {"params": {"train.lr": 3e-4}, "values": [0.7, 0.71]}, "reference": {"params": {}, "values": [0.6, 0.6]},
            "bootstrap": {**ABSURD, **bootstrap}}


def measured(lr: float = 3e-4) -> dict:
    return {**MEASURED, "best": {**MEASURED["best"], "params": {"train.lr": lr, "model.num_layers": 1}}}


@pytest.fixture(scope="module")
def t() -> SweepChecks:
    return from_conf(SweepChecks, "checks.sweep")


# -- the verdict and the rule -------------------------------------------------------------------------------------

@pytest.mark.parametrize("boot, verdict", [
    ({"low": 0.01, "high": 0.05, "seeds": 3}, BETTER),
    ({"low": -0.01, "high": 0.05, "seeds": 3}, WITHIN_NOISE),
    ({"low": -0.08, "high": -0.02, "seeds": 3}, WORSE),
    ({"low": -0.02, "high": -0.02, "seeds": 1}, WORSE),  # the safe side: a worse single seed is still worse
    ({"low": 0.02, "high": 0.02, "seeds": 1}, ONE_SEED),  # ...but one better seed shows no noise
    ({"low": None, "high": None, "seeds": 0, "note": "no seed has both scores"}, UNMEASURED),
])
def test_the_gain_verdict(boot, verdict):
    assert gain_verdict({"mean_gain": 0.0, **boot}).verdict == verdict


@pytest.mark.parametrize("verdict, lr_ok, rule, chosen", [
    (BETTER, True, "best_if_better", "best"),
    (BETTER, False, "best_if_better", "reference"),  # an odd learning rate points at a deeper problem
    (WITHIN_NOISE, True, "best_if_better", "reference"),
    (WORSE, True, "best_if_better", "reference"),
    (ONE_SEED, True, "best_if_better", "reference"),
    (UNMEASURED, True, "best_if_better", "reference"),
    (WORSE, True, "best", None),  # rejected: not scored
    (WITHIN_NOISE, False, "best", "best"),
    (BETTER, True, "best", "best"),
    (WORSE, True, "reference_if_noise", "reference"),  # the older name of best_if_better means the same
])
def test_the_rule_table(verdict, lr_ok, rule, chosen):
    choice = choose(rule, MEASURED["best"], Gain(verdict, "numbers"), lr_ok)
    assert choice.chosen == chosen and choice.rule in ("best_if_better", "best")


def test_the_issue_scenario_keeps_step_3s_model_and_says_why_in_one_sentence():
    choice = decide("best_if_better", MEASURED, seeds(), LR_BAND)
    assert choice.chosen == "reference" and choice.verdict == WORSE
    assert choice.reason.startswith("Step 3's model met the test split, not the sweep's best configuration")
    assert "trial #2: train.lr=2.046, model.num_layers=1" in choice.reason
    assert "mean gain -0.4650, 95% interval [-0.4659, -0.4647] over 2 paired seed(s)" in choice.reason
    assert choice.reason.count(". ") == 0 and choice.reason.endswith(".")  # one sentence


def test_best_rejects_a_worse_configuration_and_names_numbers_and_setting():
    choice = decide("best", MEASURED, seeds(), LR_BAND)
    assert choice.chosen is None
    assert choice.reason.startswith("No model met the test split, and it was not scored: sweep.final=best")
    assert "-0.4659" in choice.reason and "train.lr=2.046" in choice.reason


def test_a_better_configuration_whose_packaged_seed_diverged_is_not_taken():
    """Seed 42's re-run of the best configuration is its packaged model: diverged, there is nothing to test."""
    better = seeds(mean_gain=0.05, low=0.02, high=0.08)
    assert decide("best_if_better", measured(3e-4), better, LR_BAND).chosen == "best"
    better["best"]["diverged"] = [{"seed": 43, "step": 3}]  # another seed: the packaged model exists
    assert decide("best_if_better", measured(3e-4), better, LR_BAND).chosen == "best"
    better["best"]["diverged"] = [{"seed": 42, "step": 3}]
    kept = decide("best_if_better", measured(3e-4), better, LR_BAND)
    assert kept.chosen == "reference" and "packaged run (seed 42) diverged" in kept.reason
    assert decide("best", measured(3e-4), better, LR_BAND).chosen is None


def test_a_better_configuration_with_an_odd_learning_rate_is_not_taken():
    better = seeds(mean_gain=0.05, low=0.02, high=0.08)
    assert decide("best_if_better", measured(3e-4), better, LR_BAND).chosen == "best"
    odd = decide("best_if_better", measured(0.5), better, LR_BAND)
    assert odd.chosen == "reference" and "learning rate 0.5 lies outside the plausible band" in odd.reason
    assert decide("best", measured(0.5), better, LR_BAND).chosen == "best"


def test_a_moved_band_that_changes_nothing_leaves_the_choice_byte_for_byte_the_same():
    """choose_final's output is what final_test depends on: an unchanged decision must not re-score test."""
    within = seeds(mean_gain=0.01, low=-0.01, high=0.03)
    narrow = decide("best_if_better", measured(0.5), within, LR_BAND)
    wide = decide("best_if_better", measured(0.5), within, {**LR_BAND, "AdamW": [1e-6, 1.0]})
    assert json.dumps(narrow.as_dict()) == json.dumps(wide.as_dict())


def test_an_unknown_rule_names_the_setting_and_the_choices():
    with pytest.raises(UserError) as caught:
        final_rule("newest")
    assert caught.value.where == "sweep.final=newest"
    assert "best_if_better, best" in caught.value.problem and "conf/sweep/" in caught.value.fix
    assert final_rule("reference_if_noise") == "best_if_better"


def test_a_malformed_choice_file_is_a_clear_error():
    with pytest.raises(UserError, match=r"choice.json#chosen: missing"):
        from_data(Choice, {"rule": "best"}, "reports/sweep/choice.json")
    whole = {"rule": "best", "chosen": "newest", "verdict": "better", "reason": ".", "metric": "macro_f1",
             "direction": "maximize", "params": {}, "seed": 42}
    with pytest.raises(UserError, match=r"choice.json: inconsistent: unknown model 'newest'"):
        from_data(Choice, whole, "reports/sweep/choice.json")
    assert from_data(Choice, {**whole, "chosen": None}, "reports/sweep/choice.json").chosen is None


# -- the checks ---------------------------------------------------------------------------------------------------

def recorded(choice: Choice) -> dict:
    return {"choice": {"recorded": choice.as_dict(), "expected": choice.as_dict()}}


def test_final_choice_fails_when_the_evidence_rejects_the_requested_model(t):
    rejected = decide("best", MEASURED, seeds(), LR_BAND)
    check = grade_one(CHECKS, "final_choice", recorded(rejected), t)
    assert check.status == "fail" and "No model met the test split" in check.message
    assert "sweep.final=best_if_better" in check.fix and "waive final_choice" in check.fix
    kept = decide("best_if_better", MEASURED, seeds(), LR_BAND)
    check = grade_one(CHECKS, "final_choice", recorded(kept), t)
    assert check.status == "pass" and check.value == "reference" and check.message == kept.reason


def test_final_choice_fails_when_final_json_disagrees_with_the_evidence(t):
    kept = decide("best_if_better", MEASURED, seeds(), LR_BAND).as_dict()
    stale = {"choice": {"recorded": {**kept, "chosen": "best"}, "expected": kept}}
    check = grade_one(CHECKS, "final_choice", stale, t)
    assert check.status == "fail" and "but the current evidence picks reference" in check.message
    assert "dvc repro -f final_test" in check.fix
    assert grade_one(CHECKS, "final_choice", {"choice": {"recorded": None, "expected": kept}}, t).status == "fail"
    assert grade_one(CHECKS, "final_choice", {"choice": None}, t).status == "warn"


def test_a_test_split_seen_twice_warns(t):
    ledger = {"seen": 2, "digest": "cd" * 32, "path": "ledger/test_split.jsonl"}
    check = grade_one(CHECKS, "test_split_reuse", {"ledger": ledger}, t)
    assert check.status == "warn" and check.value == 2 and check.threshold == t.test_seen_warn
    assert check.message.startswith("the test split has been seen 2 times: its score is no longer an unbiased "
                                    "estimate")
    assert grade_one(CHECKS, "test_split_reuse", {"ledger": {**ledger, "seen": 1}}, t).status == "pass"
    assert grade_one(CHECKS, "test_split_reuse", {"ledger": None}, t).status == "warn"


def test_a_ledger_that_holds_fewer_scorings_than_the_store_fails_naming_both(t):
    ledger = {"seen": 1, "digest": "cd" * 32, "path": "ledger/test_split.jsonl"}
    lost = grade_one(CHECKS, "test_split_reuse", {"ledger": {**ledger, "in_ledger": 1, "in_store": 3}}, t)
    assert lost.status == "fail" and lost.value == 3  # the count is the store's: it never goes down
    assert "holds 1 scoring(s)" in lost.message and "the MLflow store records 3" in lost.message
    assert "git checkout -- ledger/test_split.jsonl" in lost.fix and "dvc repro -f final_test" in lost.fix
    kept = grade_one(CHECKS, "test_split_reuse", {"ledger": {**ledger, "in_ledger": 1, "in_store": 1}}, t)
    assert kept.status == "pass" and kept.value == 1
    # a store made anew
    ahead = grade_one(CHECKS, "test_split_reuse", {"ledger": {**ledger, "in_ledger": 2, "in_store": 1}}, t)
    assert ahead.status == "warn" and "seen 2 times" in ahead.message


def test_a_store_that_cannot_be_read_is_said_and_the_ledger_still_counts(t):
    ledger = {"seen": 2, "digest": "cd" * 32, "path": "ledger/test_split.jsonl", "in_ledger": 2,
              "store_error": "MLflow store mlflow.db: is not an SQLite database"}
    check = grade_one(CHECKS, "test_split_reuse", {"ledger": ledger}, t)
    assert check.status == "warn" and "seen 2 times" in check.message
    assert "the MLflow store could not be read (MLflow store mlflow.db: is not an SQLite database)" in check.message
    broken = grade_one(CHECKS, "test_split_reuse",
                       {"ledger": {**ledger, "ledger_error": "line 2: not a JSON object"}}, t)
    assert broken.status == "fail" and "line 2" in broken.message and "git checkout" in broken.fix


# -- the ledger ---------------------------------------------------------------------------------------------------

def test_the_ledger_counts_per_test_split_and_appends_only(tmp_path: Path):
    path = tmp_path / "ledger/test_split.jsonl"
    assert read_ledger(path) == []
    record_scoring({"test_digest": "a", "chosen": "reference"}, path)
    record_scoring({"test_digest": "a", "chosen": "best"}, path)
    record_scoring({"test_digest": "b", "chosen": "reference"}, path)
    entries = read_ledger(path)
    assert [e["chosen"] for e in entries] == ["reference", "best", "reference"] and all(e["when"] for e in entries)
    assert times_seen(entries, "a") == 2 and times_seen(entries, "b") == 1 and times_seen(entries, "c") == 0
    first = path.read_text().splitlines()[0]
    record_scoring({"test_digest": "a", "chosen": "best"}, path)
    assert path.read_text().splitlines()[0] == first


def scoring_run(digest: str, number: int, run_id: str = "") -> dict:
    """A final test's run as clearance.core.tracking.tagged_runs returns it."""
    return {"run_id": run_id or f"run{number}", "start_time": 1_700_000_000_000 + number,
            "tags": {DIGEST_TAG: digest, SCORING_TAG: str(number)},
            "params": {"chosen": "reference", "sweep.final": "best_if_better"},
            "metrics": {"test_macro_f1": 0.5, "valid_macro_f1": 0.6, "test_seen": float(number)}}


def test_the_count_is_the_ledger_s_or_the_store_s_whichever_holds_more(tmp_path: Path):
    path = tmp_path / "ledger/test_split.jsonl"
    runs = [scoring_run("a", 1), scoring_run("a", 2)]
    assert store_scorings(runs) == 2 and store_scorings([]) == 0
    assert store_scorings([{"tags": {SCORING_TAG: "two"}}]) == 0  # a hand-set tag that is no number counts nothing
    # a deleted ledger: the store still counts both scorings
    assert count_scorings(read_ledger(path), "a", runs) == 2
    # one line's digest changed by hand: 2 lines counted as 1, the store still says 2
    record_scoring({"test_digest": "a", "chosen": "reference"}, path)
    record_scoring({"test_digest": "edited", "chosen": "reference"}, path)
    entries = read_ledger(path)
    assert times_seen(entries, "a") == 1 and count_scorings(entries, "a", runs) == 2
    # a store made anew (or another store): the ledger's count holds
    record_scoring({"test_digest": "a", "chosen": "reference"}, path)
    record_scoring({"test_digest": "a", "chosen": "reference"}, path)
    assert count_scorings(read_ledger(path), "a", runs) == 3


def test_scorings_the_ledger_lost_are_written_back_from_the_store(tmp_path: Path):
    path = tmp_path / "ledger/test_split.jsonl"
    record_scoring({"test_digest": "a", "chosen": "reference"}, path)
    runs = [scoring_run("a", 1), scoring_run("a", 3)]  # scoring 2's run was removed from the store
    missing = missing_from_ledger(read_ledger(path), "a", runs)
    assert [m["scoring"] for m in missing] == [2, 3]
    assert missing[0]["chosen"] is None and "no run of it is left" in missing[0]["restored_from"]
    assert missing[1]["restored_from"] == "MLflow run run3" and missing[1]["test_macro_f1"] == 0.5
    assert missing[1]["when"].startswith("2023-11-14") and "test_seen" not in missing[1]
    restore_from_store(read_ledger(path), "a", runs, path)
    entries = read_ledger(path)  # the written lines read back as ledger entries
    assert times_seen(entries, "a") == 3 and restore_from_store(entries, "a", runs, path) == []
    assert len(path.read_text().splitlines()) == 3


def test_the_final_test_writes_the_store_s_scorings_back_before_it_counts(tmp_path: Path, prepared_tiny: Path):
    path = tmp_path / "ledger/test_split.jsonl"
    rejected = decide("best", MEASURED, seeds(), LR_BAND)  # nothing is scored: only the count is read
    asked: list[str] = []

    def store_runs(digest: str) -> list[dict]:
        asked.append(digest)
        return [scoring_run(digest, 1), scoring_run(digest, 2)]

    record = score_on_test(rejected, prepared_tiny, {"best": tmp_path / "no-model"}, path, store_runs)
    assert record["ledger"]["seen"] == 2 and record["ledger"]["restored"] == 2
    assert asked == [record["ledger"]["digest"]] and len(path.read_text().splitlines()) == 2
    again = score_on_test(rejected, prepared_tiny, {"best": tmp_path / "no-model"}, path, store_runs)
    assert again["ledger"]["seen"] == 2 and again["ledger"]["restored"] == 0  # written back once


def test_a_changed_test_split_has_its_own_digest():
    test = pd.DataFrame({"text": ["a b", "c d"], "label": ["x", "y"]})
    assert ledger_digest(test) == ledger_digest(test.copy())
    assert ledger_digest(test) != ledger_digest(test.assign(label=["y", "y"]))


def test_a_broken_ledger_names_its_line_and_nothing_is_scored(tmp_path: Path):
    path = tmp_path / "ledger/test_split.jsonl"
    record_scoring({"test_digest": "a", "chosen": "reference"}, path)
    path.write_text(path.read_text() + "{not json\n")
    with pytest.raises(UserError) as caught:
        read_ledger(path)
    assert caught.value.where == f"{path}, line 2" and "git checkout" in caught.value.fix
    choice = decide("best_if_better", MEASURED, seeds(), LR_BAND)
    # the ledger is read before the data or any model: no scoring happens with a broken ledger
    with pytest.raises(UserError, match="line 2"):
        score_on_test(choice, tmp_path / "no-data", {"reference": tmp_path / "no-model"}, path)
    path.write_text('{"test_digest": "a"}\n')
    with pytest.raises(UserError, match="a ledger entry without when, chosen"):
        read_ledger(path)


def test_a_rejected_model_is_not_scored_and_the_ledger_still_exists(tmp_path: Path, prepared_tiny: Path):
    path = tmp_path / "ledger/test_split.jsonl"
    rejected = decide("best", MEASURED, seeds(), LR_BAND)
    record = score_on_test(rejected, prepared_tiny, {"best": tmp_path / "no-model"}, path)
    assert record["chosen"] is None and "test" not in record and "valid" not in record
    assert record["ledger"]["seen"] == 0 and path.exists() and path.read_text() == ""


@pytest.fixture(scope="module")
def prepared_tiny(tmp_path_factory) -> Path:
    """Tiny prepared splits (no model needed to reach the point where a rejected model is not scored)."""
    from clearance.core.config.data import DataConfig, PrepareStage
    from clearance.core.data.prepare import prepare
    from tests.factory import make_texts

    root = tmp_path_factory.mktemp("prepared")
    make_texts(n_per_class=20).to_csv(root / "tiny.csv", index=False)
    data = from_conf(DataConfig, "data", ("data=custom",), path=str(root / "tiny.csv"))
    prepare(from_conf(PrepareStage, None, ("data=custom",), data=data), root / "prepared")
    return root / "prepared"
