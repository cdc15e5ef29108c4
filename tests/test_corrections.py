"""Labels to fix, tracked: data.corrections' CSV files applied by prepare, counted, shown, and refused when wrong
(each error names the file, the line and the field); removing them restores every output byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from clearance.core.config.data import DataConfig, PrepareStage
from clearance.core.config.params import from_conf
from clearance.core.data.corrections import DROP, describe
from clearance.core.data.prepare import load_splits, prepare
from clearance.core.errors import UserError
from clearance.core.task import encode_label_set
from tests.conftest import new_project, run
from tests.factory import make_texts, write_table
from tests.journey import SETTINGS, clear, repro
from tests.test_task_data import multi_label_rows, regression_rows

OTHER = {"negative": "neutral", "neutral": "positive", "positive": "negative"}
HEADER = "row,label,reason\n"
PREPARED = ("summary.json", "train.parquet", "valid.parquet", "test.parquet")


def config(source: Path, corrections: Path, **fields: object) -> PrepareStage:
    """The custom-data settings reading ``source``, with ``corrections`` as data.corrections."""
    data = from_conf(DataConfig, "data", ("data=custom",), path=str(source), corrections=str(corrections), **fields)
    return from_conf(PrepareStage, None, ("data=custom",), data=data)


def write_corrections(folder: Path, text: str, name: str = "fix.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def rows_by_key(folder: Path) -> pd.DataFrame:
    """Every prepared row with its split, by row key."""
    splits = load_splits(folder)
    return pd.concat([part.assign(split=name) for name, part in splits.items()]).set_index("row").sort_index()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.csv"
    write_table(make_texts(n_per_class=40), path)
    return path


def test_labels_change_rows_drop_and_every_row_keeps_its_split(tmp_path: Path, source: Path):
    fixes = tmp_path / "corrections"
    (fixes / "README.md").parent.mkdir()
    (fixes / "README.md").write_text("not read\n")
    before = prepare(config(source, fixes), tmp_path / "before")
    old = rows_by_key(tmp_path / "before")
    changed = [3, 10, 50]
    lines = [f"{k},{OTHER[old.at[k, 'label']]},looked again" for k in changed] + ["7,drop,not a review",
                                                                                  f"8,{old.at[8, 'label']},same"]
    write_corrections(fixes, HEADER + "\n".join(lines) + "\n")
    after = prepare(config(source, fixes), tmp_path / "after")
    new = rows_by_key(tmp_path / "after")

    assert list(new.index) == [k for k in old.index if k != 7]
    assert (new["split"] == old["split"].drop(7)).all()  # a corrected label moves no row to another split
    differs = new.index[new["label"] != old["label"].drop(7)].tolist()
    assert differs == changed and all(new.at[k, "label"] == OTHER[old.at[k, "label"]] for k in changed)
    record = after["corrections"]
    assert (record["changed"], record["dropped"], record["unchanged"], record["outside_sample"]) == (3, 1, 1, 0)
    assert record["files"] == [str(fixes / "fix.csv")]
    assert [r["row"] for r in record["rows"]] == [3, 7, 10, 50]
    assert record["rows"][1] == {"row": 7, "split": old.at[7, "split"], "from": old.at[7, "label"], "to": DROP,
                                 "reason": "not a review", "file": str(fixes / "fix.csv"), "line": 5}
    assert sum(after["sizes"].values()) == sum(before["sizes"].values()) - 1
    assert after["digest"] != before["digest"]
    assert "corrections" not in before
    assert describe(record) == f"corrections: 3 labels changed, 1 rows dropped (1 already so) by {fixes / 'fix.csv'}"
    assert json.loads((tmp_path / "after/summary.json").read_text())["corrections"] == record


def test_no_correction_files_write_the_same_bytes_as_no_folder(tmp_path: Path, source: Path):
    """A folder with only its README (or none at all, or a header-only CSV) changes no output byte."""
    prepare(config(source, tmp_path / "absent"), tmp_path / "none")
    readme = tmp_path / "corrections"
    write_corrections(readme, "# notes\n", name="README.md")
    write_corrections(readme, HEADER, name="empty.csv")
    prepare(config(source, readme), tmp_path / "readme")
    for name in PREPARED:
        assert (tmp_path / "none" / name).read_bytes() == (tmp_path / "readme" / name).read_bytes(), name
    assert "corrections" not in json.loads((tmp_path / "none/summary.json").read_text())


def test_files_are_read_in_name_order_and_a_row_fixed_twice_names_both_lines(tmp_path: Path, source: Path):
    fixes = tmp_path / "corrections"
    write_corrections(fixes, HEADER + "4,positive,first look\n", name="a.csv")
    write_corrections(fixes, HEADER + "5,negative,ok\n\n4,neutral,second look\n", name="b.csv")
    with pytest.raises(UserError) as error:
        prepare(config(source, fixes), tmp_path / "out")
    assert error.value.where == f"{fixes / 'b.csv'}, line 4, field row"
    assert f"{fixes / 'a.csv'}, line 2" in error.value.problem and "twice" in error.value.problem


@pytest.mark.parametrize(("text", "field", "line", "said"), [
    ("row,label\n1,positive\n", None, 1, "no column reason"),
    ("row,label,reason\n1,positive,x\n9999,positive,typo\n", "row", 3, "rows are 0 to 119"),
    ("row,label,reason\nfirst,positive,x\n", "row", 2, "not a row key"),
    ("row,label,reason\n-1,positive,x\n", "row", 2, "not a row key"),
    ("row,label,reason\n1,Positive,x\n", "label", 2, "not a label of this data"),
    ("row,label,reason\n1,,x\n", "label", 2, "no label"),
    ('row,label,reason\n1,positive,"a reason\nover two lines"\n2,positive, \n', "reason", 4, "no reason"),
    ("row,label,reason\n0,positive,x\n", "row", 2, "cleaning dropped it"),
])
def test_a_bad_correction_names_its_file_line_and_field(tmp_path: Path, text: str, field: str | None, line: int,
                                                        said: str):
    data = make_texts(n_per_class=40)
    data.loc[0, "text"] = ""  # row 0 is dropped on the way in (missing text)
    source = tmp_path / "tiny.csv"
    write_table(data, source)
    path = write_corrections(tmp_path / "corrections", text)
    with pytest.raises(UserError) as error:
        prepare(config(source, tmp_path / "corrections"), tmp_path / "out")
    assert error.value.where == f"{path}, line {line}" + (f", field {field}" if field else "")
    assert said in error.value.problem and error.value.fix


def test_label_sets_take_the_separator_or_a_json_list_and_known_labels_only(tmp_path: Path):
    source = tmp_path / "sets.csv"
    multi_label_rows(n=120).to_csv(source, index=False)
    fixes = tmp_path / "corrections"
    write_corrections(fixes, HEADER + '2,film|sport ,mis-tagged\n3,"[""music""]",one topic\n')
    prepare(config(source, fixes), tmp_path / "out")
    rows = rows_by_key(tmp_path / "out")
    assert rows.at[2, "label"] == encode_label_set(["film", "sport"])
    assert rows.at[3, "label"] == encode_label_set(["music"])
    write_corrections(fixes, HEADER + "2,film|jazz,mis-tagged\n")
    with pytest.raises(UserError, match="'jazz' is not a label") as error:
        prepare(config(source, fixes), tmp_path / "out")
    assert error.value.where.endswith("line 2, field label")


def test_a_target_is_a_finite_number(tmp_path: Path):
    source = tmp_path / "scores.csv"
    regression_rows(n=120).to_csv(source, index=False)
    fixes = tmp_path / "corrections"
    write_corrections(fixes, HEADER + "5,2.5,rescored\n6,drop,garbled\n")
    summary = prepare(config(source, fixes), tmp_path / "out")
    rows = rows_by_key(tmp_path / "out")
    assert rows.at[5, "label"] == 2.5 and 6 not in rows.index
    assert (summary["corrections"]["changed"], summary["corrections"]["dropped"]) == (1, 1)
    for bad in ("inf", "high"):
        write_corrections(fixes, HEADER + f"5,{bad},rescored\n")
        with pytest.raises(UserError, match="not a finite number") as error:
            prepare(config(source, fixes), tmp_path / "out")
        assert error.value.where.endswith("line 2, field label")


def test_rows_outside_the_sample_are_counted_not_refused(tmp_path: Path, source: Path):
    fixes = tmp_path / "corrections"
    prepare(config(source, fixes, sample=60), tmp_path / "sampled")
    kept = set(rows_by_key(tmp_path / "sampled").index)
    inside, outside = min(kept), min(set(range(120)) - kept)
    labels = make_texts(n_per_class=40)["label"]
    write_corrections(fixes, HEADER + "".join(f"{k},{OTHER[labels[k]]},checked\n" for k in (inside, outside)))
    record = prepare(config(source, fixes, sample=60), tmp_path / "out")["corrections"]
    assert (record["changed"], record["outside_sample"]) == (1, 1)
    assert set(rows_by_key(tmp_path / "out").index) == kept


def test_the_step_1_report_shows_them_and_the_evidence_fingerprint_changes(tmp_path: Path, source: Path):
    """What makes gate 1 ask again: the corrected data's digest changes step 1's evidence fingerprint."""
    from clearance.core.config.inspect import InspectConfig, InspectStage
    from clearance.inspection.judge.run import InspectChecks, judge_inspection
    from clearance.inspection.measure.run import run_inspection

    cfg = from_conf(InspectStage, inspect=from_conf(InspectConfig, "inspect", label_issue_folds=2))
    fixes, labels = tmp_path / "corrections", make_texts(n_per_class=40)["label"]
    found = {}
    for name, text in (("plain", ""), ("fixed", "".join(f"{k},{OTHER[labels[k]]},<b>checked</b>\n" for k in (1, 2)))):
        write_corrections(fixes, HEADER + text)
        prepare(config(source, fixes), tmp_path / name / "prepared")
        run_inspection(cfg, tmp_path / name / "prepared", tmp_path / name / "reports")
        judge_inspection(from_conf(InspectChecks, "checks.inspect"), tmp_path / name / "reports")
        found[name] = (json.loads((tmp_path / name / "reports/evidence.json").read_text())["fingerprint"],
                       (tmp_path / name / "reports/report.html").read_text(encoding="utf-8"))
    assert found["plain"][0] != found["fixed"][0]
    assert "Corrections applied" not in found["plain"][1]
    report = found["fixed"][1]
    assert 'id="corrections"' in report and "2 labels changed and 0 rows dropped" in report
    assert "&lt;b&gt;checked&lt;/b&gt;" in report  # the user's reason is shown as text, escaped


def test_the_prepare_stage_depends_on_the_folder_and_prints_what_it_applied(tmp_path: Path):
    """DVC re-runs prepare when a corrections file appears or goes, and an edit of the folder's README
    re-runs it with the same outputs (so nothing after it runs)."""
    root = new_project(tmp_path / "project")
    make_texts(n_per_class=40).to_csv(root / "data/tiny.csv", index=False)
    run(["clearance", "params", *SETTINGS], root)
    assert (root / "data/corrections/README.md").is_file()  # shipped, so the dependency exists in a clone
    run(["dvc", "repro", "prepare"], root)
    before = {name: (root / "data/prepared" / name).read_bytes() for name in PREPARED}
    key = int(rows_by_key(root / "data/prepared").index[0])
    label = make_texts(n_per_class=40)["label"][key]
    write_corrections(root / "data/corrections", HEADER + f"{key},{OTHER[label]},checked\n", name="r.csv")
    printed = run(["dvc", "repro", "prepare"], root).stdout
    assert "Running stage 'prepare'" in printed
    assert "corrections: 1 labels changed, 0 rows dropped by data/corrections/r.csv" in printed
    (root / "data/corrections/r.csv").unlink()
    with (root / "data/corrections/README.md").open("a", encoding="utf-8") as readme:
        readme.write("\nRound 2: nothing to fix.\n")
    assert "Running stage 'prepare'" in run(["dvc", "repro", "prepare"], root).stdout
    assert {name: (root / "data/prepared" / name).read_bytes() for name in PREPARED} == before


def snapshot(root: Path) -> dict[str, bytes]:
    files = [root / "data/prepared" / name for name in PREPARED] + [root / "reports/inspect/measurements.json"]
    return {str(f.relative_to(root)): f.read_bytes() for f in files}


@pytest.mark.slow
def test_ten_corrections_make_gate_1_stale_and_removing_them_restores_every_byte(tmp_path: Path):
    """The loop a user runs: step 1 cleared, ten labels corrected in data/corrections/, `dvc repro` re-runs
    from prepare and gate 1 asks again; the file removed, the outputs are those of before, byte for byte."""
    root = new_project(tmp_path / "project")
    make_texts(n_per_class=60).to_csv(root / "data/tiny.csv", index=False)
    run(["clearance", "params", *SETTINGS], root)
    assert repro(root, "gate_inspect")[0] != 0
    clear(root, "inspect")
    code, output = repro(root, "gate_inspect")
    assert code == 0, output
    before = snapshot(root)
    old = rows_by_key(root / "data/prepared")
    keys = old.index[:10].tolist()
    write_corrections(root / "data/corrections", HEADER + "".join(
        f"{k},{OTHER[old.at[k, 'label']]},read it again\n" for k in keys), name="round-1.csv")

    code, output = repro(root, "gate_inspect")
    assert code != 0 and "corrections: 10 labels changed, 0 rows dropped" in output, output
    assert "Evidence changed since the answers were written" in output, output
    new = rows_by_key(root / "data/prepared")
    assert new.index[new["label"] != old["label"]].tolist() == keys
    summary = json.loads((root / "data/prepared/summary.json").read_text())
    assert summary["corrections"]["changed"] == 10
    assert "Corrections applied" in (root / "reports/inspect/report.html").read_text()
    check = run(["clearance", "check", "--step", "inspect"], root, check=False)
    assert check.returncode == 1 and "STALE" in check.stderr, check.stderr

    (root / "data/corrections/round-1.csv").unlink()
    code, output = repro(root, "gate_inspect")
    assert code == 0, output
    assert snapshot(root) == before


def test_a_copied_text_guards_the_row_key_against_a_reordered_file(tmp_path: Path, source: Path):
    frame = pd.read_csv(source)
    fixes = tmp_path / "corrections"
    text = frame.loc[5, "text"]
    label = OTHER[frame.loc[5, "label"]]
    write_corrections(fixes, f"row,label,reason,text\n5,{label},wrong,\"{text[:25]}…\"\n")
    prepare(config(source, fixes), tmp_path / "ok")
    assert rows_by_key(tmp_path / "ok").loc[5, "label"] == label
    frame.iloc[::-1].to_csv(source, index=False)  # the data file reordered since the key was copied
    with pytest.raises(UserError) as raised:
        prepare(config(source, fixes), tmp_path / "moved")
    assert "fix.csv, line 2, field text" in raised.value.where and "reordered or edited" in raised.value.problem
