"""Step 3's shortcut probe (clearance/small_model/measure/shortcut_probe.py, shortcut_run.py) and its check
shortcut_reliance: each suspect step 1 lists taken out of valid texts the way its kind says, the model's answers
on them set against the same texts intact, and the check warning when they hang on it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clearance.core.config.errors import ShortcutStage
from clearance.core.config.params import from_conf
from clearance.core.errors import UserError
from clearance.core.text.units import CHARACTERS, WHITESPACE, WordUnit
from clearance.small_model.judge.checks import ModelChecks, grade
from clearance.small_model.measure.shortcut_probe import (
    Neutraliser,
    flipped,
    neutraliser,
    perturb,
    regression_tolerance,
    sample_of,
)
from clearance.small_model.measure.shortcut_run import probe_shortcuts
from tests.conftest import REPO
from tests.factory import make_texts
from tests.test_model_judge import runs  # noqa: F401  (the fixture: probes and a real run, measured once)

SPACED, UNSPACED = WordUnit(WHITESPACE), WordUnit(CHARACTERS)
LABEL_NAMES = {"check": "label_in_text", "kind": "tokens", "name": "label names in their own texts",
               "tokens": ["negative", "neutral", "positive"]}


def taken_out(suspect: dict, texts: list[str], unit: WordUnit = SPACED) -> list[str]:
    how = neutraliser(suspect, unit)
    assert isinstance(how, Neutraliser), how
    return [how.apply(t) for t in texts]


# -- taking each kind of suspect out of a text -------------------------------------------------------------------

def test_tokens_go_as_whole_words_in_any_case_where_words_are_spaced():
    texts = ["a great film [FRESH]", "Fresh fish, fresh!", "freshly baked", "#fresh start", "nothing here"]
    out = taken_out({"kind": "tokens", "tokens": ["fresh"]}, texts)
    assert out == ["a great film []", "fish,!", "freshly baked", "#fresh start", "nothing here"]


def test_tokens_go_wherever_they_occur_in_an_unspaced_script():
    texts = ["这部电影很好看[好评]", "剧情一般，不推荐", "好评如潮"]
    assert taken_out({"kind": "tokens", "tokens": ["好评"]}, texts, UNSPACED) == ["这部电影很好看[]", "剧情一般，不推荐", "如潮"]


def test_a_span_goes_in_any_case_and_however_it_was_wrapped():
    texts = ["the bus is late. Sent from my\n  PHONE please reply", "sent from my phone", "my phone is sent"]
    out = taken_out({"kind": "span", "span": "sent from my phone please reply"}, texts)
    assert out == ["the bus is late.", "sent from my phone", "my phone is sent"]


def test_a_length_is_cut_to_the_median_in_words_of_the_unit_or_in_characters():
    words = {"kind": "property", "property": "words", "median": 3.5}
    assert taken_out(words, ["one two three four five", "one  two three", "a b"]) == [
        "one two three", "one  two three", "a b"]
    assert taken_out(words, ["我喜欢这个电影", "好的"], UNSPACED) == ["我喜欢", "好的"]
    chars = {"kind": "property", "property": "chars", "median": 5.0}
    assert taken_out(chars, ["abcdefgh", "abc"]) == ["abcde", "abc"]


def test_urls_and_the_other_surface_patterns_are_removed_with_step_1s_regexes():
    url = {"kind": "property", "property": "url", "median": 0.0}
    assert taken_out(url, ["see https://news.example.org/a?b=1 now", "no link"]) == ["see now", "no link"]
    assert taken_out({"kind": "property", "property": "hashtag"}, ["so good #win &#39;"]) == ["so good &#39;"]
    assert taken_out({"kind": "property", "property": "mention"}, ["@ann hi"]) == ["hi"]


def test_a_property_with_no_neutral_form_and_an_unknown_kind_say_why_not():
    assert "no neutral form" in neutraliser({"kind": "property", "property": "upper"}, SPACED)
    assert "column:source" in neutraliser({"kind": "property", "property": "column:source"}, SPACED)
    assert "not one the probe knows" in neutraliser({"kind": "embedding"}, SPACED)


def test_touched_texts_are_the_changed_ones_and_the_sample_is_seeded():
    changed, touched = perturb([" padded ", "x fresh", "y"], neutraliser({"kind": "tokens", "tokens": ["fresh"]},
                                                                          SPACED).apply)
    assert changed == [" padded ", "x", "y"] and touched.tolist() == [1]  # a text without it is left as it is
    rows = np.arange(100)
    assert np.array_equal(sample_of(rows, 10, 42), sample_of(rows, 10, 42)) and len(sample_of(rows, 10, 42)) == 10
    assert np.array_equal(sample_of(rows[:5], 10, 42), rows[:5])


def test_a_flip_is_another_class_another_label_set_or_a_move_beyond_the_tolerance():
    assert flipped(["a", "b"], ["a", "c"], "single_label", 0.0).tolist() == [False, True]
    assert flipped([("x",), ("x", "y")], [("x",), ("x",)], "multi_label", 0.0).tolist() == [False, True]
    assert flipped([1.0, 1.0], [1.2, 2.0], "regression", 0.5).tolist() == [False, True]
    assert regression_tolerance([0.0, 2.0, 4.0]) == pytest.approx(0.25 * np.std([0.0, 2.0, 4.0]), abs=1e-6)


# -- the check ---------------------------------------------------------------------------------------------------

def thresholds(**changes) -> ModelChecks:
    return from_conf(ModelChecks, "checks.model", conf_dir=REPO / "conf", **changes)


def probed(share: float, probed: int = 50, name: str = "label names in their own texts") -> dict:
    return {**LABEL_NAMES, "name": name, "neutralised": "removed", "touched": probed, "probed": probed,
            "flipped": round(share * probed), "flip_share": share, "examples": []}


def record(*suspects: dict) -> dict:
    return {"task": "single_label", "found": len(suspects), "skipped": "", "suspects": list(suspects)}


def test_shortcut_reliance_warns_naming_the_suspect_its_share_and_the_fix():
    result = grade("shortcut_reliance", record(probed(0.02, name="the token 'xyz' alone"), probed(0.9)), thresholds())
    assert result.status == "warn" and result.value == 0.9 and result.threshold == 0.2
    assert "label names in their own texts" in result.message and "90%" in result.message
    assert "the model rests on 'label names in their own texts'" in result.fix and "conf/preprocess/" in result.fix


def test_shortcut_reliance_passes_when_no_answer_hangs_on_a_suspect_or_too_few_texts_were_probed():
    clean = grade("shortcut_reliance", record(probed(0.02), probed(0.2)), thresholds())
    assert clean.status == "pass" and clean.value == 0.2
    thin = grade("shortcut_reliance", record(probed(1.0, probed=5)), thresholds())
    assert thin.status == "pass" and "fewer than 10 valid texts" in thin.message
    assert grade("shortcut_reliance", record(probed(1.0, probed=5)), thresholds(shortcut_min_texts=5)).status == "warn"


def test_shortcut_reliance_says_when_step_1_found_none_and_warns_when_the_model_did_not_train():
    none = grade("shortcut_reliance", {"found": 0, "suspects": [], "skipped": "step 1 found no shortcut to probe"},
                 thresholds())
    assert none.status == "pass" and "step 1 found no shortcut" in none.message
    untrained = grade("shortcut_reliance", {"found": 1, "suspects": [LABEL_NAMES],
                                            "skipped": "the model did not train: probes failed"}, thresholds())
    assert untrained.status == "warn" and "the model did not train" in untrained.message


# -- the stage's work, on prepared data with a model double -------------------------------------------------------

class Double:
    """A predictor double with TextPredictor's ``predict``: ``rests_on_label`` answers the label a text names in
    brackets (a labelling tool's export left it there), the keyword's class otherwise (negative without one);
    the other reads only the keywords."""

    def __init__(self, rests_on_label: bool) -> None:
        self.rests_on_label = rests_on_label

    def predict(self, texts: list[str]) -> pd.DataFrame:
        from tests.factory import KEYWORDS

        def answer(text: str) -> str:
            named = re.search(r"\[(\w+)\]", text.lower())
            if self.rests_on_label and named:
                return named.group(1)
            if self.rests_on_label:
                return "negative"
            return next((c for c, words in KEYWORDS.items() if any(w in text.split() for w in words)), "neutral")
        return pd.DataFrame({"label": [answer(t) for t in texts]})


def project(root: Path, suspects: list[dict], trained: bool = True, task: str = "single_label") -> Path:
    """Prepared keyword texts, every other one ending with its label in brackets; step 1's suspects; training.json."""
    from clearance.core.config.data import DataConfig, PrepareStage
    from clearance.core.data.prepare import prepare

    frame = make_texts(n_per_class=150, seed=5)
    tagged = np.arange(len(frame)) % 2 == 0
    frame.loc[tagged, "text"] = frame.loc[tagged, "text"] + " [" + frame.loc[tagged, "label"].str.upper() + "]"
    (root / "data").mkdir(parents=True)
    frame.to_csv(root / "data/tagged.csv", index=False)
    data = from_conf(DataConfig, "data", ("data=custom",), conf_dir=REPO / "conf", path=str(root / "data/tagged.csv"))
    prepare(from_conf(PrepareStage, None, ("data=custom",), conf_dir=REPO / "conf", data=data), root / "data/prepared")
    (root / "reports/inspect").mkdir(parents=True)
    (root / "reports/inspect/shortcuts.json").write_text(json.dumps({"task": task, "suspects": suspects}))
    (root / "reports/model").mkdir(parents=True)
    (root / "reports/model/training.json").write_text(json.dumps({"trained": trained, "reason": "probes failed"}))
    return root


def probe(root: Path, load, **cfg) -> dict:
    stage = from_conf(ShortcutStage, conf_dir=REPO / "conf", **cfg)
    path = probe_shortcuts(stage, prepared=root / "data/prepared", out=root / "reports/model",
                           suspects=root / "reports/inspect/shortcuts.json", model=root / "models/model", load=load)
    assert path == root / "reports/model/shortcuts.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_a_model_that_rests_on_the_bracketed_label_warns_and_one_that_ignores_it_passes(tmp_path: Path):
    root = project(tmp_path, [LABEL_NAMES, {"check": "property_shortcut", "kind": "property", "name": "casing",
                                            "property": "upper"}])
    resting = probe(root, lambda folder: Double(rests_on_label=True))
    found = resting["suspects"][0]
    assert found["touched"] == found["probed"] >= 10 and found["flip_share"] > 0.5
    flipped_example = found["examples"][0]
    assert flipped_example["flipped"] and "[" in flipped_example["text"] and flipped_example["perturbed"].endswith("[]")
    assert resting["suspects"][1]["not_probed"] and resting["suspects"][1]["probed"] == 0
    warned = grade("shortcut_reliance", resting, thresholds())
    assert warned.status == "warn" and "label names in their own texts" in warned.message
    assert "1 could not be taken out of a text: casing" in warned.message
    ignoring = probe(root, lambda folder: Double(rests_on_label=False))
    assert ignoring["suspects"][0]["flip_share"] == 0.0
    assert grade("shortcut_reliance", ignoring, thresholds()).status == "pass"


def test_the_probe_is_capped_and_seeded(tmp_path: Path):
    root = project(tmp_path, [LABEL_NAMES])
    first = probe(root, lambda folder: Double(rests_on_label=True), max_texts=7)
    assert first["suspects"][0]["probed"] == 7 < first["suspects"][0]["touched"] and first["max_texts"] == 7
    assert probe(root, lambda folder: Double(rests_on_label=True), max_texts=7) == first


def never(folder: Path):
    raise AssertionError("the model was loaded with nothing to predict")


def test_with_no_suspect_or_no_model_the_record_says_why_and_no_model_is_loaded(tmp_path: Path):
    none = probe(project(tmp_path / "none", []), never)
    assert none["found"] == 0 and none["suspects"] == [] and "step 1 found no shortcut" in none["skipped"]
    untrained = probe(project(tmp_path / "untrained", [LABEL_NAMES], trained=False), never)
    assert untrained["found"] == 1 and "the model did not train: probes failed" in untrained["skipped"]
    absent = probe(project(tmp_path / "absent", [{**LABEL_NAMES, "tokens": ["zzz"]}]), never)
    assert absent["suspects"][0]["touched"] == absent["suspects"][0]["probed"] == 0


def test_a_damaged_suspects_file_or_one_for_other_data_names_the_fix(tmp_path: Path):
    root = project(tmp_path, [{"check": "label_in_text", "kind": "tokens", "name": "x"}])
    with pytest.raises(UserError, match=r"suspects\[0\]") as caught:
        probe(root, never)
    assert "tokens" in caught.value.problem and "judge_inspect" in caught.value.fix
    other = project(tmp_path / "other", [LABEL_NAMES], task="regression")
    with pytest.raises(UserError, match="regression"):
        probe(other, never)


def test_the_stage_loads_and_scores_with_a_real_packaged_model(tmp_path: Path):
    """The default loader: TextPredictor on a package save_predictor wrote (the tiny model, untrained)."""
    from clearance.core.config.model import ModelStage
    from clearance.neural.parts.parts import build_parts
    from clearance.neural.serving import save_predictor
    from clearance.small_model.measure.shortcut_run import load_model

    root = project(tmp_path, [LABEL_NAMES])
    cfg = from_conf(ModelStage, hydra_overrides=("model=tiny", "train.max_length=64"), conf_dir=REPO / "conf")
    parts = build_parts(cfg, ["negative", "neutral", "positive"])
    save_predictor(root / "models/model", cfg, parts, parts.build_model().eval())
    found = probe(root, load_model)["suspects"][0]
    assert found["probed"] == found["touched"] > 0 and 0.0 <= found["flip_share"] <= 1.0
    assert {e["intact_prediction"] for e in found["examples"]} <= {"negative", "neutral", "positive"}


# -- judging step 3 with the probe's record ------------------------------------------------------------------------

@pytest.mark.parametrize("shortcuts, status", [(record(probed(0.9)), "warn"), (record(probed(0.05)), "pass"),
                                               (None, "pass")], ids=["rests", "clean", "none found"])
def test_judge_model_grades_the_record_and_the_report_shows_its_table(runs, tmp_path: Path, shortcuts, status):
    from clearance.small_model.judge import run as J
    from tests.test_model_judge import write_runs

    folder = write_runs(tmp_path, *runs)
    found = shortcuts or {"task": "single_label", "found": 0, "suspects": [],
                          "skipped": "step 1 found no shortcut to probe"}
    (folder / "shortcuts.json").write_text(json.dumps(found), encoding="utf-8")
    judged = {c.id: c for c in J.judge_model(thresholds(calibration_ece_max=1.0), folder).checks}
    assert judged["shortcut_reliance"].status == status
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert 'id="shortcuts"' in html
    if shortcuts:
        assert "label names in their own texts" in html and "<code>label_in_text</code>" in html
    else:
        assert "Not probed: step 1 found no shortcut to probe" in html
