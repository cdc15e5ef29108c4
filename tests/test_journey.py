"""The journey report: built from small hand-written projects, read as data and as HTML."""

from __future__ import annotations

import base64
import json
import re
import sys
from pathlib import Path

import pytest

from clearance.core.errors import UserError
from clearance.journey.overview import NOT_REACHED
from clearance.journey.report import build_journey, write_journey
from clearance.journey.steps import MAX_PLOT_BYTES
from clearance.journey.sweep_tables import budget_curve, curve_svg
from tests.conftest import run

CLI = [sys.executable, "-m", "clearance"]
# A 1x1 PNG: enough to see that plots are inlined.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
                       "AAAABJRU5ErkJggg==")

STEPS = {  # step: (order, title, reviewed fingerprint)
    "inspect": (1, "Look at the data", "aaaa11112222"),
    "baselines": (2, "Simple baselines first", "bbbb11112222"),
    "model": (3, "A small model", "cccc11112222"),
    "sweep": (4, "A small random search", "dddd11112222"),
}
CHECKS = {
    # Written passing first: the report must put failing and warned checks on top.
    "inspect": [("empty_texts", "pass", 0.0, 0.05, "max"), ("duplicates", "warn", 0.06, 0.05, "max"),
                ("mojibake", "fail", 0.08, 0.05, "max")],
    "baselines": [("beats_prior", "pass", 0.42, 0.0, "min")],
    "model": [("lr_band", "pass", 0.001, "[1e-5, 1e-2]", ""), ("overfitting", "warn", 0.12, 0.1, "max")],
    "sweep": [("trials_completed", "pass", 7, 3, "min"), ("gain_vs_noise", "warn", -0.003, 0.0, "min")],
}
INSPECT_METRICS = {
    "rows": 1234, "classes": 3, "imbalance_ratio": 2.5, "class_share": {"neg": 0.5, "neu": 0.3, "pos": 0.2},
    "dropped_share": 0.0, "duplicates": {"exact_duplicate_share": 0.024, "conflicting_share": 0.0368},
    "overlap": {"held_out": 0.0}, "patterns": {"mojibake": 0.08}, "vocab": {"types": 900}, "length": {"words_p50": 12},
    "keyword_rule": {"macro_f1": 0.51}, "label_issue_share": 0.1426}
METRICS = {
    "inspect": INSPECT_METRICS,
    "baselines": {"primary_metric": "macro_f1",
                  "bar": {"metric": "macro_f1", "best_baseline": "tfidf_logreg", "valid": 0.7553,
                          "prior_expected": 0.3332, "valid_log_loss": 0.57, "uniform_log_loss": 1.0986,
                          "prior_log_loss": 1.05},
                  "baselines": {"tfidf_logreg": {"valid_macro_f1": 0.7553}}},
    "model": {"trained": True, "steps": 956, "samples_per_second": 117.33,
              "valid": {"valid_loss": 0.5367, "valid_macro_f1": 0.7602},
              "bar": {"metric": "macro_f1", "model": 0.7602, "best_baseline": "tfidf_logreg",
                      "baseline": 0.7553, "prior": 0.3332}},
}
TRIALS = [  # number, state, value
    (0, "COMPLETE", 0.741), (1, "COMPLETE", 0.7655), (2, "FAIL", None), (3, "COMPLETE", 0.752),
    (4, "COMPLETE", 0.7711),
]


def trial(number: int, state: str, value: float | None, **params) -> dict:
    return {"number": number, "state": state, "value": value, "params": params or {"train.lr": 1e-4 * (number + 1)},
            "error": "", "seconds": 3.0, "train_seconds": 2.9, "run_id": f"trial{number}", "worker": "host:1"}


MEASUREMENTS = {
    "metric": "macro_f1", "direction": "maximize", "data_digest": "d" * 64, "study": "clearance-abc",
    "storage": "journal", "sampler": "random", "trials_budget": 5, "fixed": {"train.max_steps": 200},
    "space": {"train.lr": "loguniform(1e-05, 0.001)", "model.num_layers": "choice(1, 2)"},
    "trials": [trial(n, s, v) for n, s, v in TRIALS],
    "best": trial(4, "COMPLETE", 0.7711, **{"train.lr": 0.0005, "model.num_layers": 2}),
    "importances": {"values": {"model.num_layers": 0.25, "train.lr": 0.75}, "evaluator": "FanovaImportanceEvaluator",
                    "note": ""},
    "spearman": {"train.lr": 0.8, "model.num_layers": -0.1}, "scatter": {}, "budget_curve": [0.741, 0.7655, 0.7655,
                                                                                           0.7655, 0.7711],
    "positions": {"train.lr": 0.5, "model.num_layers": 1.0}, "overhead": {"share": 0.02, "seconds": 0.1},
    "bar": METRICS["baselines"]["bar"],
}
SEEDS = {  # the paired re-runs, written by their own stage
    "metric": "macro_f1", "direction": "maximize", "seeds": [42, 43, 44], "optimizer": "AdamW", "best_trial": 4,
    "best": {"params": {"train.lr": 0.0005}, "values": [0.77, 0.765, 0.772], "mean": 0.769, "std": 0.0036,
             "run_ids": ["b1", "b2", "b3"]},
    "reference": {"params": {}, "values": [0.76, 0.757, 0.758], "mean": 0.7583, "std": 0.0015,
                  "run_ids": ["r1", "r2", "r3"]},
    "bootstrap": {"mean_gain": 0.0107, "low": -0.003, "high": 0.024, "seeds": 3, "resamples": 200,
                  "direction": "maximize", "best_mean": 0.769, "best_std": 0.0036, "reference_mean": 0.7583,
                  "reference_std": 0.0015, "differences": [0.01, 0.008, 0.014], "note": ""},
    "fixed": {"train.max_steps": 200},
}
WHY = ("The sweep's best configuration met the test split, not step 3's model, because sweep.final=best takes "
       "it unless it is worse: ...")
FINAL = {"chosen": "best", "why": WHY, "params": {"train.lr": 0.0005}, "metric": "macro_f1", "direction": "maximize",
         "choice": {"rule": "best", "chosen": "best", "verdict": "within_noise", "reason": WHY},
         "valid": {"valid_macro_f1": 0.7711, "valid_accuracy": 0.79}, "test": {"test_macro_f1": 0.7489},
         "ledger": {"path": "ledger/test_split.jsonl", "digest": "f" * 64, "seen": 2}, "run_id": "final-run-77",
         "seed": 42, "model_dir": "models/sweep/best", "model_digest": "e" * 64, "test_rows": 120}
REGISTERED = {"name": "clearance-text", "version": 2, "model_uri": "models:/m-0123", "run_id": "register-run-5",
              "fingerprint": "fp-sweep", "why": WHY}


def checklist_text(step: str, answered: bool = True) -> str:
    """A question file as a user leaves it: two questions, answers, a waiver where a check fails."""
    order, title, reviewed = STEPS[step]
    answer = (lambda n: f"Answer {n} for {step}: we read the {step} evidence closely.") if answered else (lambda n: "")
    waivers = ("waivers:\n  - check: mojibake\n    reason: Mis-decoded tweets come from the source; repairing"
               " them is step 3's preprocessing.\n" if step == "inspect" else "waivers: []\n")
    return (f"step: {step}\norder: {order}\ntitle: {title}\nchecks: reports/{step}/checks.json\n"
            f"report: reports/{step}/report.html\nreviewed: {reviewed if answered else ''}\nquestions:\n"
            f"  - id: {step}_first\n    question: What does the {step} evidence show first?\n"
            f"    answer: \"{answer(1)}\"\n"
            f"  - id: {step}_second\n    question: What else in {step} matters?\n    answer: \"{answer(2)}\"\n"
            + waivers)


def write_json(path: Path, doc) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")


def reach(root: Path, step: str, cleared: bool = True) -> None:
    """Write what a step's stages and gate write: checks, evidence, metrics, run ids, the stamp."""
    folder = root / "reports" / step
    write_json(folder / "checks.json", [{"id": i, "status": s, "value": v, "threshold": t, "message": f"{i} measured",
                                          "fix": "", "direction": d} for i, s, v, t, d in CHECKS[step]])
    write_json(folder / "evidence.json", {"step": step, "fingerprint": STEPS[step][2], "basis": {}, "questions": []})
    write_json(folder / "run.json", {"run_id": f"run-{step}-0123abcd", "experiment_id": "7", "stage": f"{step}_stage"})
    if step == "sweep":
        write_json(folder / "measurements.json", MEASUREMENTS)
        write_json(folder / "seeds.json", SEEDS)
        write_json(folder / "final.json", FINAL)
        if cleared:
            write_json(folder / "registered.json", REGISTERED)
    else:
        write_json(folder / "metrics.json", METRICS[step])
    if cleared:
        waived = ["mojibake"] if step == "inspect" else []
        write_json(root / "gates" / f"{step}.json",
                   {"step": step, "cleared": True, "reviewed": STEPS[step][2], "waived": waived,
                    "checks": {i: s for i, s, *_ in CHECKS[step]}})


def make_project(root: Path, reached: tuple[str, ...] = tuple(STEPS)) -> Path:
    """Every step's question file; files of the reached steps only (the others answered nothing yet)."""
    (root / "checklists").mkdir(parents=True)
    for step in STEPS:
        (root / "checklists" / f"{step}.yaml").write_text(checklist_text(step, step in reached), encoding="utf-8")
        if step in reached:
            reach(root, step)
    return root


@pytest.fixture(autouse=True)
def outside_git(tmp_path: Path, monkeypatch):
    """git must not find a repository above the test's folder."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")


def by_step(journey: dict) -> dict:
    return {s["step"]: s for s in journey["steps"]}


def external_refs(html: str) -> list[str]:
    """Every resource reference a browser would fetch from the network: src/href/srcset, CSS url() and @import."""
    attrs = re.findall(r"""\b(?:src|href|srcset|data|poster|action)\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]+)""",
                       html, re.I)
    css = re.findall(r"""url\(\s*["']?\s*((?:https?:)?//[^"')\s]+)""", html, re.I)
    imports = re.findall(r"""@import\s+["']((?:https?:)?//[^"']+)""", html, re.I)
    return attrs + css + imports


# ---------------------------------------------------------------- data

def test_steps_follow_their_order_field_with_answers_and_waivers(project):
    journey = build_journey(project)
    assert [s["step"] for s in journey["steps"]] == ["inspect", "baselines", "model", "sweep"]
    inspect = by_step(journey)["inspect"]
    assert inspect["title"] == "Look at the data" and inspect["reached"]
    assert [(a["id"], a["answered"]) for a in inspect["answers"]] == [("inspect_first", True), ("inspect_second", True)]
    assert inspect["answers"][0]["question"] == "What does the inspect evidence show first?"
    assert inspect["answers"][0]["answer"] == "Answer 1 for inspect: we read the inspect evidence closely."
    assert inspect["waivers"] == [{"check": "mojibake", "now": "fail", "reason": "Mis-decoded tweets come from "
                                   "the source; repairing them is step 3's preprocessing."}]
    assert journey["complete"] and journey["reached"] == 4


def test_checks_fail_and_warn_first_with_waived_marked(project):
    checks = by_step(build_journey(project))["inspect"]["checks"]
    assert [(c["id"], c["status"], c["waived"]) for c in checks] == [
        ("mojibake", "fail", True), ("duplicates", "warn", False), ("empty_texts", "pass", False)]
    assert checks[0]["value"] == 0.08 and checks[0]["threshold"] == 0.05 and checks[0]["message"] == "mojibake measured"
    model = by_step(build_journey(project))["model"]
    assert [c["id"] for c in model["checks"]] == ["overfitting", "lr_band"]
    assert model["counts"] == {"fail": 0, "warn": 1, "pass": 1}


def test_gate_names_the_reviewed_fingerprint_and_spots_stale_evidence(project):
    assert by_step(build_journey(project))["model"]["gate"]["state"] == "cleared"
    assert by_step(build_journey(project))["model"]["gate"]["reviewed"] == "cccc11112222"
    write_json(project / "reports/model/evidence.json", {"step": "model", "fingerprint": "eeee99990000"})
    gate = by_step(build_journey(project))["model"]["gate"]
    assert gate["state"] == "stale" and gate["reviewed"] == "cccc11112222" and gate["current"] == "eeee99990000"
    (project / "gates/model.json").unlink()
    assert by_step(build_journey(project))["model"]["gate"]["state"] == "not cleared"
    assert not build_journey(project)["complete"]


def test_key_figures_of_every_step(project):
    steps = by_step(build_journey(project))
    figures = {name: {f["label"]: f for f in s["figures"]} for name, s in steps.items()}
    assert figures["inspect"]["rows"]["text"] == "1,234"
    assert figures["inspect"]["duplicates with conflicting labels"]["text"] == "3.68%"
    assert figures["baselines"]["best baseline"]["value"] == "tfidf_logreg"
    assert figures["baselines"]["best baseline, valid macro_f1"]["text"] == "0.7553"
    assert figures["model"]["samples per second"]["value"] == 117.33
    assert figures["model"]["gain over the best baseline (tfidf_logreg)"]["text"] == "+0.0049"
    sweep = figures["sweep"]
    assert sweep["trials (complete / all)"]["value"] == "4 / 5"
    assert sweep["best configuration re-run, valid macro_f1"]["value"] == "0.7690 ± 0.0036 (3 seeds)"
    assert sweep["mean gain over step 3's configuration (paired seeds)"]["text"] == "+0.0107"
    assert sweep["final model, valid macro_f1"]["value"] == 0.7711
    assert sweep["final model, test macro_f1"]["value"] == 0.7489
    assert sweep["registered model"]["value"] == ("clearance-text version 2, registered after gate 4 "
                                                  "(fingerprint fp-sweep)")
    assert sweep["which model met the test split, and why"]["value"] == WHY
    assert sweep["times this test split has been scored (ledger)"]["text"] == "2"
    assert sweep["model URI"]["value"] == "models:/m-0123"


def test_before_gate_4_the_model_is_not_registered_yet(project):
    (project / "reports/sweep/registered.json").unlink()
    sweep = {f["label"]: f for f in by_step(build_journey(project))["sweep"]["figures"]}
    assert sweep["registered model"]["value"] == "not yet: the model is registered only once gate 4 clears"
    write_json(project / "reports/sweep/registered.json",
               {**REGISTERED, "name": "", "version": None, "why": "no model met the test split: ..."})
    sweep = {f["label"]: f for f in by_step(build_journey(project))["sweep"]["figures"]}
    assert sweep["registered model"]["value"] == "none: no model met the test split: ..."
    assert "within seed noise" in sweep["95% bootstrap interval of the gain"]["text"]


def test_an_interval_above_zero_is_not_called_noise(project):
    write_json(project / "reports/sweep/seeds.json",
               {**SEEDS, "bootstrap": {**SEEDS["bootstrap"], "mean_gain": 0.02, "low": 0.004, "high": 0.031}})
    sweep = {f["label"]: f for f in by_step(build_journey(project))["sweep"]["figures"]}
    assert sweep["95% bootstrap interval of the gain"]["text"] == "[+0.0040, +0.0310]"


def test_sweep_importances_and_budget_curve(project):
    sweep = by_step(build_journey(project))["sweep"]["sweep"]
    assert [r["key"] for r in sweep["importances"]["rows"]] == ["train.lr", "model.num_layers"]
    assert sweep["importances"]["evaluator"] == "FanovaImportanceEvaluator"
    assert [r["rho"] for r in sweep["importances"]["rows"]] == ["+0.8000", "-0.1000"]
    assert sweep["curve"] == [(0, 0.741), (1, 0.7655), (3, 0.7655), (4, 0.7711)]  # the failed trial 2 is left out
    assert sweep["curve_svg"].startswith("<svg") and sweep["curve_svg"].count("<circle") == 4


def test_budget_curve_follows_the_direction():
    trials = [{"number": n, "state": "COMPLETE", "value": v} for n, v in enumerate([0.6, 0.4, 0.5])]
    assert budget_curve({"trials": trials}) == [(0, 0.6), (1, 0.6), (2, 0.6)]
    assert budget_curve({"trials": trials, "direction": "minimize"}) == [(0, 0.6), (1, 0.4), (2, 0.4)]


def test_budget_curve_needs_two_complete_trials():
    one = {"trials": [{"number": 0, "state": "COMPLETE", "value": 0.5}, {"number": 1, "state": "FAIL", "value": None}]}
    assert budget_curve(one) == [(0, 0.5)]
    assert curve_svg([(0, 0.5)], budget_curve(one)) == ""


def test_overview_from_prior_guess_to_final_test(project):
    overview = build_journey(project)["overview"]
    assert overview["metric"] == "macro_f1"
    rows = [(r["name"], r["split"], r["value"]) for r in overview["rows"]]
    assert rows == [("prior guess (class proportions)", "valid (expected)", 0.3332),
                    ("best baseline (tfidf_logreg)", "valid", 0.7553), ("step 3's model", "valid", 0.7602),
                    ("step 3's configuration re-run at the sweep's budget (mean over seeds)", "valid", 0.7583),
                    ("best trial (#4)", "valid", 0.7711), ("final model (the sweep's best configuration)", "valid", 0.7711),
                    ("final model (the sweep's best configuration)", "test", 0.7489)]
    assert "valid split only" in overview["note"]
    assert "this test split has been scored 2 time(s), so its score is no longer an unbiased" in overview["note"]
    assert "baselines' test scores" not in overview["note"]  # step 2 scored no baseline on test here


def test_the_note_owns_up_to_baselines_scored_on_test(project):
    metrics = json.loads((project / "reports/baselines/metrics.json").read_text())
    metrics["baselines"]["tfidf_logreg"]["test_macro_f1"] = 0.74
    write_json(project / "reports/baselines/metrics.json", metrics)
    assert "baselines' test scores" in build_journey(project)["overview"]["note"]


def test_steps_not_reached(tmp_path):
    root = make_project(tmp_path / "early", reached=("inspect",))
    journey = build_journey(root)
    steps = by_step(journey)
    assert steps["inspect"]["reached"] and not any(steps[s]["reached"] for s in ("baselines", "model", "sweep"))
    assert steps["sweep"]["figures"] == [] and steps["sweep"]["checks"] == []
    assert [r["text"] for r in journey["overview"]["rows"]] == [NOT_REACHED] * 7
    assert journey["reached"] == 1 and not journey["complete"] and journey["runs"][0]["step"] == "inspect"
    html = write_journey(root).read_text(encoding="utf-8")
    sweep_section = html[html.index('id="step-sweep"'):]
    assert "not reached" in sweep_section and "Answer 1 for sweep" not in html
    assert html.count("not reached: its stage has not written") == 3


def test_commit_and_run_ids(project):
    run(["git", "init", "-q"], project)
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-q", "-m", "journey"], project)
    head = run(["git", "rev-parse", "HEAD"], project).stdout.strip()
    journey = build_journey(project)
    assert journey["git"] == {"commit": head, "dirty": False, "changed": 0}
    assert [(r["step"], r["run_id"]) for r in journey["runs"]] == [(s, f"run-{s}-0123abcd") for s in STEPS] + [
        ("sweep", "trial4"), ("sweep", "final-run-77"), ("sweep", "register-run-5")]
    assert journey["runs"][-2] == {"step": "sweep", "run_id": "final-run-77", "experiment_id": "7",
                                   "stage": "final test"}
    html = write_journey(project).read_text(encoding="utf-8")
    assert head in html and "run-sweep-0123abcd" in html and "final-run-77" in html and "working tree clean" in html
    (project / "checklists/model.yaml").write_text(checklist_text("model") + "# edited\n", encoding="utf-8")
    dirty = build_journey(project)["git"]
    assert dirty["commit"] == head and dirty["dirty"] and dirty["changed"] >= 1


def test_outside_git_the_commit_is_empty(project):
    assert build_journey(project)["git"] == {"commit": "", "dirty": False, "changed": 0}
    assert "not in a git repository" in write_journey(project).read_text(encoding="utf-8")


# ---------------------------------------------------------------- HTML

def test_html_holds_answers_waivers_checks_and_numbers(project):
    path = write_journey(project)
    assert path == project.resolve() / "reports/summary.html"
    html = path.read_text(encoding="utf-8")
    for text in ("Answer 2 for baselines: we read the baselines evidence closely.",
                 "repairing them is step 3&#39;s preprocessing.", "What else in sweep matters?",
                 "<code>mojibake</code>", "<code>gain_vs_noise</code>", "fail (waived)",
                 "0.3332", "0.7553", "0.7602", "0.7583", "0.7711", "0.7489", "aaaa11112222",
                 "FanovaImportanceEvaluator", "within seed noise"):
        assert text in html, text
    assert html.index("Step 1: Look at the data") < html.index("Step 2: Simple baselines") \
        < html.index("Step 3: A small model") < html.index("Step 4: A small random search")


def test_answers_are_escaped(project):
    path = project / "checklists/model.yaml"
    path.write_text(path.read_text().replace("Answer 1 for model", "Answer <script>alert(1)</script> for model"))
    html = write_journey(project).read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_html_is_self_contained(project):
    (project / "reports/model/plots").mkdir()
    (project / "reports/model/plots/loss.png").write_bytes(PNG)
    html = write_journey(project).read_text(encoding="utf-8")
    assert external_refs(html) == []
    assert '<img src="data:image/png;base64,' in html and "<link" not in html


def test_the_external_reference_check_catches_them():
    assert external_refs('<img src="https://cdn.example.org/a.png">') == ["https://cdn.example.org/a.png"]
    assert external_refs("<link rel=stylesheet href=http://x.org/s.css>") == ["http://x.org/s.css"]
    assert external_refs("<style>body { background: url('//x.org/b.png') }</style>") == ["//x.org/b.png"]
    assert external_refs('<style>@import "https://x.org/f.css";</style>') == ["https://x.org/f.css"]
    assert external_refs('<img src="data:image/png;base64,AAAA"> <a href="#overview">') == []


def test_a_large_plot_is_left_out(project):
    (project / "reports/inspect/plots").mkdir()
    (project / "reports/inspect/plots/class_balance.png").write_bytes(PNG + b"\0" * MAX_PLOT_BYTES)
    assert by_step(build_journey(project))["inspect"]["plots"] == []
    (project / "reports/inspect/plots/class_balance.png").write_bytes(PNG)
    assert [p["name"] for p in by_step(build_journey(project))["inspect"]["plots"]] == ["class_balance.png"]


def test_broken_files_are_named(project):
    (project / "reports/model/metrics.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError) as error:
        build_journey(project)
    assert "reports/model/metrics.json" in error.value.where


def test_no_question_files_is_a_clear_error(tmp_path):
    with pytest.raises(UserError) as error:
        build_journey(tmp_path)
    assert "checklists" in error.value.where and "question files" in error.value.problem


# ---------------------------------------------------------------- the command

def test_report_command_writes_and_prints_the_path(project):
    result = run(CLI + ["report"], project)
    assert result.stdout.strip() == "reports/summary.html"
    assert "Answer 1 for model" in (project / "reports/summary.html").read_text(encoding="utf-8")
    other = run(CLI + ["report", "--out", "out/journey.html"], project)
    assert other.stdout.strip() == "out/journey.html" and (project / "out/journey.html").is_file()


def test_report_command_without_question_files_says_where(tmp_path):
    result = run(CLI + ["report"], tmp_path, check=False)
    assert result.returncode == 2 and "checklists" in result.stderr and "Traceback" not in result.stderr


def test_report_command_does_not_import_heavy_modules(project):
    code = ("import sys; from clearance.cli import main\n"
            "assert main(['report']) == 0\n"
            "print(sorted(m for m in ('torch', 'mlflow', 'sklearn', 'pandas', 'hydra', 'transformers', 'optuna')"
            " if m in sys.modules))")
    result = run([sys.executable, "-c", code], project)
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert (project / "reports/summary.html").is_file()
