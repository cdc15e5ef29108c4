"""End to end, as a user works: `dvc repro` stops at each gate, answers clear it, and DVC re-runs exactly
what changed (a real git + DVC repo, MLflow on SQLite). The four-gate journey is built once per session
(tests/journey.py, on `debug=tiny`); each test after the first works on a copy of it."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.cli_helpers import add_waivers, fill_answers, mark_reviewed
from tests.conftest import BIN, run
from tests.factory import make_texts
from tests.journey import (
    SETTINGS,
    Journey,
    copy_project,
    failing_checks,
    relabel_half,
    repro,
)

MEASURING = {"builtin_data", "prepare", "inspect", "baselines", "probe_model", "train_model", "sweep", "seed_runs",
             "final_test", "register"}
STEPS_1_AND_2 = {"prepare", "inspect", "judge_inspect", "gate_inspect", "baselines", "judge_baselines",
                 "gate_baselines"}
PLUGIN_USERS = {"baselines", "probe_model", "train_model", "sweep", "seed_runs", "final_test", "register"}


def env_with_venv() -> dict:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "DVC_NO_ANALYTICS": "1"}


def stale_stages(root: Path) -> set[str]:
    """Stages `dvc status` says would run (top-level names only)."""
    status = json.loads(run(["dvc", "status", "--json"], root).stdout or "{}")
    return set(status)


def stale_after_edit(root: Path, relative: str) -> set[str]:
    """The stages `dvc status` names after a comment is added to one file (the file is restored after)."""
    path = root / relative
    original = path.read_text(encoding="utf-8")
    path.write_text(original + ("{# edited #}\n" if path.suffix == ".j2" else "\n# edited\n"), encoding="utf-8")
    try:
        return stale_stages(root)
    finally:
        path.write_text(original, encoding="utf-8")


def ran_stages(output: str) -> list[str]:
    return [line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage '")]


def registered_versions(root: Path) -> list[tuple[int, str]]:
    """(version, gate fingerprint tag) of every registered version of the final model, from the SQLite store."""
    with sqlite3.connect(root / "mlflow.db") as db:
        if not db.execute("select name from sqlite_master where name = 'model_versions'").fetchall():
            return []
        return db.execute("select v.version, t.value from model_versions v left join model_version_tags t on "
                          "t.name = v.name and t.version = v.version and t.key = 'clearance.gate_fingerprint' "
                          "order by v.version").fetchall()


def statuses(root: Path, step: str) -> dict[str, str]:
    return {c["id"]: c["status"] for c in json.loads((root / f"reports/{step}/checks.json").read_text())}


def ledger_lines(root: Path) -> int:
    return len((root / "ledger/test_split.jsonl").read_text().splitlines())


@pytest.fixture
def copied(journey: Journey, tmp_path: Path) -> Path:
    """A copy of the finished journey to change."""
    return copy_project(journey, tmp_path / "project")


def test_repro_blocks_at_each_gate_then_clears_then_does_nothing(journey: Journey):
    project, printed = journey.root, journey.printed
    code, output = printed["gate 1 closed"]
    assert code != 0
    assert "GATE CLOSED" in output and "checklists/inspect.yaml" in output
    assert "label_balance" in output and "dvc repro" in output and "reviewed: " in output
    assert "Traceback" not in output
    assert (project / "reports/inspect/report.html").stat().st_size > 10_000

    # A hand edit of checks.json was undone: the judging stage's output is restored before the gate judges.
    code, output = printed["gate 1 answered"]
    assert code != 0
    assert "Running stage 'judge_inspect'" in output
    assert (project / "reports/inspect/checks.json").read_text() == journey.true_checks
    assert "GATE CLEARED: step 1" in output and "GATE CLOSED: step 2" in output
    assert "checklists/baselines.yaml" in output and "random_predictor" in output
    assert json.loads((project / "gates/inspect.json").read_text())["cleared"] is True
    baselines = json.loads((project / "reports/baselines/metrics.json").read_text())
    assert set(baselines["baselines"]) == {"uniform_random", "prior_random", "majority", "keyword_rule",
                                           "tfidf_logreg", "embeddings_logreg"}

    code, output = printed["gate 2 answered"]
    assert code != 0, output
    assert "GATE CLEARED: step 2" in output and "GATE CLOSED: step 3" in output
    assert "every probe passed" in output and "checklists/model.yaml" in output and "overfit_16" in output
    training = json.loads((project / "reports/model/training.json").read_text())
    assert training["trained"] and training["steps"] >= 20
    assert all(c["status"] != "fail" for c in json.loads((project / "reports/model/checks.json").read_text()))
    # the packaged model (a DVC output) scores raw texts
    scored = run(["python", "-c", "from pathlib import Path; from clearance.neural.serving import TextPredictor; "
                  "print(TextPredictor.load(Path('models/model')).predict(['a new text']).iloc[0]['label'])"],
                 project).stdout
    classes = json.loads((project / "data/prepared/summary.json").read_text())["classes"]
    assert scored.strip().splitlines()[-1] in classes, scored

    code, output = printed["gate 3 answered"]
    assert code != 0 and "GATE CLEARED: step 3" in output and "GATE CLOSED: step 4" in output, output
    assert "checklists/sweep.yaml" in output and "Traceback" not in output
    measured = json.loads((project / "reports/sweep/measurements.json").read_text())
    assert len(measured["trials"]) == 3 and measured["best"]["state"] == "COMPLETE"
    # The sweep's best is worse than step 3's: step 3's model met the test split, and nothing was registered
    # before gate 4 (registration runs after it; the ledger counted one scoring).
    final = json.loads((project / "reports/sweep/final.json").read_text())
    assert final["chosen"] == "reference" and final["model_dir"] == "models/model", final["why"]
    assert "test_macro_f1" in final["test"] and final["why"].startswith("Step 3's model met the test split")
    checks = statuses(project, "sweep")
    assert checks["lr_plausible"] == checks["gain_vs_noise"] == "warn", checks
    assert checks["final_choice"] == checks["test_split_reuse"] == "pass", checks
    assert "worse than step 3's" in output and "Running stage 'register'" not in output and ledger_lines(project) == 1

    code, output = printed["gate 4 answered"]
    assert code == 0 and "GATE CLEARED: step 4" in output
    # answering re-runs nothing that measures; the model goes to the registry only now
    assert ran_stages(output) == ["gate_sweep", "register", "summary"], output
    assert registered_versions(project) == [(1, journey.reviewed["sweep"])]
    registered = json.loads((project / "reports/sweep/registered.json").read_text())
    summary = (project / "reports/summary.html").read_text()
    assert registered["model_uri"] in summary and "evidence for importance" in summary  # the sweep's answers too
    assert "Step 3&#39;s model met the test split" in summary
    status = run(["clearance", "status"], project).stdout
    assert status.count("cleared") == 4, status

    code, output = printed["again"]
    assert "Running stage" not in output and "Data and pipelines are up to date" in output

    with sqlite3.connect(project / "mlflow.db") as db:
        names = sorted(r[0] for r in db.execute("select name from runs"))
        kinds = dict(db.execute("select key, value from experiment_tags"))
        curves = {r[0] for r in db.execute("select distinct key from metrics m join runs r on r.run_uuid = m.run_uuid "
                                           "where r.name = 'training' and m.step > 0")}
    # each stage ran once; a blocked gate logs nothing
    steps = ["inspect", "gate_inspect", "baselines", "gate_baselines", "uniform_random", "prior_random", "majority",
             "keyword_rule", "tfidf_logreg", "embeddings_logreg", "gate_model", "sweep", "seed_runs", "final_test",
             "gate_sweep", "register", "trial_0", "trial_1", "trial_2"]
    assert [n for n in names if n in steps] == sorted(steps)
    assert names.count("model") == 1 and names.count("training") == 1 and "overfit_16" in names
    assert {"train_loss", "valid_loss", "grad_norm"} <= curves
    assert kinds.get("mlflow.experimentKind") == "custom_model_development"
    logged = {path.relative_to(project / "mlartifacts").parts[-2:] for path in (project / "mlartifacts").rglob("*.*")}
    assert ("plots", "confusion.png") in logged
    assert any(name == "report.html" for _, name in logged)


def test_a_killed_training_resumes_from_its_last_checkpoint(copied: Path):
    """Killed mid-training, the run resumes from its last checkpoint on the next `dvc repro`."""
    checkpoint = copied / ".clearance/checkpoints/model.pt"
    killed = subprocess.Popen(["dvc", "repro", "-f", "-s", "train_model"], cwd=copied, env=env_with_venv(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 240
    while not checkpoint.exists() and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert checkpoint.exists(), "no checkpoint was written"
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    code, output = repro(copied, "-s", "train_model")
    assert "resuming at step" in output, output
    assert json.loads((copied / "reports/model/training.json").read_text())["resumed_from"] > 0
    assert not checkpoint.exists()


def test_sweep_final_best_on_a_worse_space_fails_before_the_test_split_is_scored(copied: Path):
    """The evidence rejects the best: the test split is not scored, a failing check blocks gate 4, and the
    registry keeps its one version."""
    project = copied
    run(["clearance", "params", *SETTINGS, "sweep.final=best"], project)
    code, output = repro(project)
    assert code != 0 and "GATE CLOSED: step 4" in output and "final_choice" in output, output
    assert ran_stages(output) == ["choose_final", "final_test", "read_final", "judge_sweep", "gate_sweep"], output
    rejected = json.loads((project / "reports/sweep/final.json").read_text())
    assert rejected["chosen"] is None and rejected["test"] is None and "it was not scored" in rejected["why"]
    assert statuses(project, "sweep")["final_choice"] == "fail" and ledger_lines(project) == 1
    assert len(registered_versions(project)) == 1


def test_step_4_run_twice_counts_the_test_split_twice_and_a_new_sign_off_is_a_new_version(copied: Path):
    project = copied
    # The final test again on the same data: step 3's model meets the same test split a second time; the
    # ledger counts 2 and warns, and the gate is closed again (the evidence changed).
    code, output = repro(project, "-f", "-s", "final_test")
    assert code == 0 and "scored 2 time(s)" in output, output
    code, output = repro(project)
    assert code != 0 and "test_split_reuse" in output and "GATE CLOSED: step 4" in output, output
    assert ledger_lines(project) == 2 and statuses(project, "sweep")["test_split_reuse"] == "warn"
    assert len(registered_versions(project)) == 1
    # A moved learning-rate band that changes no decision re-decides in seconds and never re-scores the test split.
    run(["clearance", "params", *SETTINGS, "checks.model.lr_band.AdamW=[1e-6,10.0]"], project)
    run(["dvc", "repro", "-s", "choose_final"], project)
    skipped = run(["dvc", "repro", "-s", "final_test"], project).stdout
    assert "Stage 'final_test' didn't change" in skipped and ledger_lines(project) == 2, skipped
    run(["clearance", "params", *SETTINGS], project)
    run(["dvc", "repro", "-s", "choose_final"], project)
    # Re-reviewed, gate 4 clears and the new sign-off is registered as the next version.
    mark_reviewed(project / "checklists/sweep.yaml")
    signed = run(["dvc", "repro"], project)
    assert "GATE CLEARED: step 4" in signed.stdout and ran_stages(signed.stdout)[-2:] == ["register", "summary"]
    versions = registered_versions(project)
    assert [v for v, _ in versions] == [1, 2] and versions[1][1] == json.loads(
        (project / "gates/sweep.json").read_text())["reviewed"]
    assert "scored 2 time(s)" in (project / "reports/summary.html").read_text()


def test_thresholds_and_code_re_run_exactly_what_uses_them(copied: Path):
    project, settings = copied, SETTINGS
    assert stale_stages(project) == set()
    # Moving a threshold re-runs only the judging and the gates, never a measurement.
    run(["clearance", "params", *settings, "checks.inspect.duplicate_warn=0.2"], project)
    stale = stale_stages(project)
    assert stale & MEASURING == set() and "judge_inspect" in stale, stale
    run(["clearance", "params", *settings, "checks.model.overfitting_streak_max=5"], project)
    stale = stale_stages(project)
    assert stale & MEASURING == set() and {"judge_probes", "judge_model"} <= stale, stale
    run(["clearance", "params", *settings], project)
    assert stale_stages(project) == set()

    # Editing code re-runs exactly what runs it: a step's judging or report code no measuring stage,
    # step 3's code nothing of steps 1 and 2, step 4's report code no trial, your plugins/ the stages
    # that build or apply a part (the summary reads everything, so it follows every edit).
    assert stale_after_edit(project, "clearance/inspection/judge/checks.py") - {"summary"} == {"judge_inspect"}
    assert stale_after_edit(project, "clearance/baselines/judge/report.html.j2") - {"summary"} == {"judge_baselines"}
    stale = stale_after_edit(project, "clearance/small_model/measure/training.py")
    assert {"probe_model", "train_model", "judge_model"} <= stale and not stale & STEPS_1_AND_2, stale
    # The training loop lives in clearance/neural, which no stage of steps 1 and 2 depends on.
    stale = stale_after_edit(project, "clearance/neural/training/loop.py")
    assert {"probe_model", "train_model"} <= stale and not stale & ({"builtin_data"} | STEPS_1_AND_2), stale
    stale = stale_after_edit(project, "clearance/sweep/judge/report.html.j2")
    assert "judge_sweep" in stale and not stale & {"sweep", "seed_runs", "final_test"}, stale
    assert stale_after_edit(project, "plugins/my_models.py") == PLUGIN_USERS
    assert stale_stages(project) == set()


def reword(path: Path, old: str, new: str) -> None:
    """Change one word of the question file, as a user fixing a typo does."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_rewording_an_answer_re_runs_its_gate_only_and_keeps_its_stamp(copied: Path):
    """The most common edits cost seconds: the gate judges again to the same decision, its stamp keeps its
    bytes, and nothing after it re-runs (the journey page re-renders: it quotes the answers)."""
    project = copied
    checklist, stamp = project / "checklists/inspect.yaml", project / "gates/inspect.json"
    before = stamp.read_bytes()
    add_waivers(checklist, ["class_imbalance"])  # a waiver for a check that passes: noted, never blocking
    edits = {
        "a waiver": lambda: None,
        "an answer": lambda: reword(checklist, "it is fine for this task", "it is fine for this work"),
        "a waiver's reason": lambda: reword(checklist, "after reading its evidence", "after reading all its evidence"),
        "a sign-off": lambda: reword(checklist, "\nquestions:",
                                     "\nsigned_off_by:\n  - name: Ada Lovelace\n    date: 2026-12-07\n\nquestions:"),
    }
    for edit, apply in edits.items():
        apply()
        assert stale_stages(project) == {"gate_inspect", "summary"}, edit
        code, output = repro(project)
        assert code == 0 and ran_stages(output) == ["gate_inspect", "summary"], (edit, output)
        assert "GATE CLEARED: step 1" in output and stamp.read_bytes() == before, edit
    assert stale_stages(project) == set()


def test_a_gate_that_closes_removes_its_stamp_and_a_new_decision_re_runs_what_follows(copied: Path):
    """A stamp that persists across runs must not outlive its decision: an answer made empty closes the gate
    and takes the stamp away; answered again, the gate writes a new stamp and step 2 runs on it."""
    project = copied
    checklist, stamp = project / "checklists/inspect.yaml", project / "gates/inspect.json"
    text = checklist.read_text(encoding="utf-8")
    checklist.write_text(re.sub(r'"Looked at the evidence for label_balance, [^"]*"', '""', text, count=1),
                         encoding="utf-8")
    code, output = repro(project)
    assert code != 0 and "GATE CLOSED: step 1" in output and not stamp.exists(), output
    assert "BLOCKED" in next(line for line in run(["clearance", "status"], project).stdout.splitlines()
                             if line.startswith("inspect"))
    checklist.write_text(text, encoding="utf-8")
    code, output = repro(project, "gate_inspect")
    assert code == 0 and stamp.exists() and "GATE CLEARED: step 1" in output, output
    assert "baselines" in stale_stages(project)


def test_your_model_in_plugins_is_probed_again_after_every_edit(journey: Journey, copied: Path):
    """The journey's model is MyNet, from plugins/my_models.py. Plant the article's bug and the probes re-run
    and catch it; fix it and they re-run and pass."""
    project = copied
    assert "every probe passed" in journey.printed["gate 2 answered"][1]
    assert json.loads((project / "reports/model/probes.json").read_text())["parts"]["model"] == "my_models.MyNet"
    plugin = project / "plugins/my_models.py"
    clean = plugin.read_text()
    plugin.write_text(clean.replace("return self.head(self.drop(self.features(input_ids, attention_mask)))",
                                    "return self.head(self.drop(self.features(input_ids, attention_mask))).softmax(-1)"))
    assert {"probe_model", "train_model"} <= stale_stages(project)
    planted = run(["dvc", "repro", "judge_probes"], project)
    assert "Running stage 'probe_model'" in planted.stdout and "probability_outputs" in planted.stdout, planted.stdout
    plugin.write_text(clean)
    fixed = run(["dvc", "repro", "judge_probes"], project)
    assert "Running stage 'probe_model'" in fixed.stdout and "every probe passed" in fixed.stdout, fixed.stdout


def test_attention_pooling_that_ignores_the_mask_fails_the_padding_probe(journey: Journey, copied: Path):
    """The classic silent bug every other probe misses: padding gets attention weight. The journey's clean
    model passed the same probes on the same data."""
    project = copied
    passed = json.loads((journey.root / "reports/model/checks.json").read_text())
    assert {c["id"]: c["status"] for c in passed}["padding_invariance"] == "pass"
    buggy = [s.replace("my_models.MyNet", "my_models.AttentionPoolingOverPadding") for s in SETTINGS]
    run(["clearance", "params", *buggy], project)
    code, output = repro(project, "judge_model")  # the probes fail, training is skipped, the checks are written
    assert "failing probes: padding_invariance" in output, output
    checks = {c["id"]: c for c in json.loads((project / "reports/model/checks.json").read_text())}
    assert checks["padding_invariance"]["status"] == "fail", output
    assert "attention_mask" in checks["padding_invariance"]["fix"] and "padding_invariance" in output
    assert checks["batch_independence"]["status"] == "pass"  # runs at equal padding: blind to this bug


def test_your_model_in_the_project_root_is_refused_before_any_work(copied: Path):
    """DVC does not watch the root: the same file there would be served stale after an edit."""
    project = copied
    (project / "plugins/my_models.py").rename(project / "my_models.py")
    refused = run(["dvc", "repro", "-s", "probe_model"], project, check=False)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "Traceback" not in output
    assert f"{project / 'my_models.py'} is outside plugins/" in output and "git mv my_models.py plugins/" in output


def test_answers_for_one_data_set_do_not_clear_the_gate_for_another(journey: Journey, copied: Path):
    project = copied
    relabel_half(journey, project)
    code, output = repro(project, "gate_inspect")
    assert code != 0
    assert "GATE CLOSED: step 1" in output and "evidence changed" in output.lower()
    assert run(["clearance", "status"], project).stdout.count("stale") >= 1
    # Re-read: the answers written again from the new evidence (the figures they cite moved with it).
    checklist = project / "checklists/inspect.yaml"
    checklist.write_text(re.sub(r'^(\s+answer:) ".*"$', r"\1", checklist.read_text(), flags=re.MULTILINE))
    fill_answers(checklist)
    mark_reviewed(checklist)
    add_waivers(checklist, [c for c in failing_checks(project, "inspect")])
    # Up to gate 1 only: past it, the new data re-runs step 2, which the journey has shown.
    cleared = run(["dvc", "repro", "gate_inspect"], project, check=False)
    assert "GATE CLEARED: step 1" in cleared.stdout, cleared.stdout + cleared.stderr


@pytest.mark.slow  # make test-all; the four-gate path above runs in CI
def test_exp_run_points_the_pipeline_at_other_data_and_plots_compare(project: Path):
    frame = make_texts(n_per_class=50, seed=3).rename(columns={"text": "body", "label": "tag"})
    frame.to_json(project / "data/other.jsonl", orient="records", lines=True)
    common = ["-S", "data.path=data/other.jsonl", "-S", "data.text_column=body", "-S", "data.label_column=tag",
              "-S", "data.keep_columns=[]"]
    first = run(["dvc", "exp", "run", "-n", "even", *common], project, check=False)
    assert "GATE CLOSED" in first.stdout + first.stderr, first.stdout + first.stderr
    summary = json.loads((project / "data/prepared/summary.json").read_text())
    assert summary["source"] == "data/other.jsonl" and summary["label_column"] == "tag"
    assert json.loads((project / "reports/inspect/metrics.json").read_text())["rows"] == len(frame)

    # An experiment that stops at a closed gate is not saved: compare the steps before the gate.
    for name, extra in (("even", []), ("wide_valid", ["-S", "split.valid_size=0.3"])):
        run(["dvc", "exp", "run", "judge_inspect", "-n", name, *common, *extra], project)
    diff = run(["dvc", "plots", "diff", "even", "wide_valid", "--json", "--split"], project)
    shown = json.loads(diff.stdout)
    balance = shown["data"]["reports/inspect/plots/class_balance.csv"][0]
    assert set(balance["revisions"]) == {"even", "wide_valid"}
    rows = balance["anchor_definitions"]["<DVC_METRIC_DATA>"]
    valid_counts = {rev: sum(int(r["count"]) for r in rows if r["rev"] == rev and r["split"] == "valid")
                    for rev in ("even", "wide_valid")}
    assert valid_counts["wide_valid"] > valid_counts["even"], valid_counts


@pytest.mark.slow  # make test-all; the four-gate path above runs in CI
def test_own_split_with_leaked_rows_fails_split_overlap(project: Path):
    data = make_texts(n_per_class=60, seed=5)
    data["part"] = (["train"] * 8 + ["dev"] + ["heldout"]) * (len(data) // 10)
    leaked = data[data["part"] == "train"].head(6).assign(part="heldout")
    pd.concat([data, leaked]).to_csv(project / "data/own.csv", index=False)
    run(["clearance", "params", "data=custom", "data.path=data/own.csv", "data.split_column=part",
         "data.split_values.valid=dev", "data.split_values.test=heldout"], project)
    code, output = repro(project)
    assert code != 0 and "Traceback" not in output
    check = next(c for c in json.loads((project / "reports/inspect/checks.json").read_text())
                 if c["id"] == "split_overlap")
    assert check["status"] == "fail" and "6 of" in check["message"], check
    assert "split_overlap" in output


def test_bad_data_path_is_a_clear_message(project: Path):
    run(["clearance", "params", "data=custom", "data.path=data/missing.csv"], project)
    result = run(["dvc", "repro", "prepare"], project, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "data/missing.csv" in output and "Traceback" not in output
