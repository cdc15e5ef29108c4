"""Step 4's judging: measurements.json, seeds.json and final.json graded into checks.json, the report and
the evidence manifest; missing re-runs or a missing final test warn "not measured" instead of passing."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from clearance.core.config.params import from_conf
from clearance.core.errors import UserError
from clearance.sweep.judge import plots as sweep_plots
from clearance.sweep.judge import run as J
from clearance.sweep.judge.decision import decide
from clearance.sweep.judge.run import SweepJudge
from clearance.sweep.search import analysis
from clearance.sweep.search.space import parse_space
from tests.steps import step_questions

CHECK_IDS = ["trials_completed", "edge_of_grid", "lr_plausible", "gain_vs_noise", "final_choice", "test_consistent",
             "test_split_reuse"]
LR_BAND = {"AdamW": [1e-6, 1e-2], "Adam": [1e-6, 1e-2], "SGD": [1e-4, 1.0], "default": [1e-6, 1.0]}
SECTIONS = ("checks", "comparison", "best", "importance", "scatter", "budget", "overhead", "noise", "final", "trials")
SPACE = {"train.lr": "loguniform(3e-05, 0.003)", "train.weight_decay": "choice(0.0, 0.01, 0.1)",
         "model.num_layers": "choice(1, 2, 3)", "model.pooling": "choice(mean, cls)"}
NAN_ERROR = "RuntimeError: the loss is NaN at step 12 <b>"
# (lr, weight decay, layers, pooling, valid macro F1); the best (#3) sits inside every range
TRIALS = [(1e-4, 0.0, 1, "cls", 0.6612), (2e-3, 0.1, 3, "mean", 0.7020), (None, None, None, None, None),
          (3e-4, 0.01, 2, "mean", 0.8123), (6e-5, 0.01, 1, "cls", 0.7433), (1e-3, 0.0, 2, "mean", 0.7901)]
BAR = {"metric": "macro_f1", "best_baseline": "tfidf_logreg", "valid": 0.7551, "valid_log_loss": 0.6,
       "prior_expected": 0.3333, "uniform_log_loss": 1.0986, "prior_log_loss": 1.09}
MODEL_METRICS = {"trained": True, "steps": 900, "samples_per_second": 120.5, "valid": {"valid_macro_f1": 0.7712},
                 "bar": {"metric": "macro_f1", "model": 0.7712, "best_baseline": "tfidf_logreg", "baseline": 0.7551,
                         "prior": 0.3333}}


def trial(number: int, lr: Any, wd: Any, layers: Any, pooling: Any, value: float | None) -> dict[str, Any]:
    failed = value is None
    params = {} if failed else {"train.lr": lr, "train.weight_decay": wd, "model.num_layers": layers,
                                "model.pooling": pooling}
    return {"number": number, "state": "FAIL" if failed else "COMPLETE", "value": value, "params": params,
            "error": NAN_ERROR if failed else "", "seconds": 31.5 + number, "train_seconds": 30.0 + number,
            "run_id": f"run{number:04d}", "worker": "host:1"}


def measurements_doc(trials: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """measurements.json as the sweep stage writes it, built with the analysis functions it uses."""
    trials = [trial(i, *row) for i, row in enumerate(TRIALS)] if trials is None else trials
    dims = parse_space(SPACE)
    done = [t for t in trials if t["state"] == "COMPLETE"]
    best = max(done, key=lambda t: t["value"]) if done else None
    return {
        "metric": "macro_f1", "direction": "maximize", "data_digest": "d" * 64, "study": "clearance-0123456789ab",
        "storage": "journal", "sampler": "random", "trials_budget": 6, "fixed": {"train.max_steps": 200},
        "space": SPACE, "trials": trials, "best": best,
        "importances": {"values": {"train.lr": 0.6418, "model.num_layers": 0.2211, "train.weight_decay": 0.1003,
                                   "model.pooling": 0.0368},
                        "evaluator": "fanova", "note": ""},
        "spearman": analysis.spearman(trials, dims), "scatter": analysis.scatter(trials, dims),
        "budget_curve": analysis.budget_curve(trials),
        "positions": analysis.edges(dims, best["params"]) if best else {},
        "overhead": {"share": 0.0437, "seconds": 1.5}, "bar": BAR,
    }


def seeds_doc(best: list[float] | None = None, reference: list[float] | None = None,
              optimizer: str = "AdamW") -> dict[str, Any]:
    best = best or [0.8011, 0.8156, 0.8087]
    reference = reference or [0.7512, 0.7634, 0.7455]
    boot = analysis.paired_bootstrap(best, reference, 500, seed=42)
    return {"metric": "macro_f1", "direction": "maximize", "seeds": [42, 43, 44], "optimizer": optimizer,
            "best_trial": 3, "fixed": {"train.max_steps": 200},
            "best": {"params": {"train.lr": 3e-4}, "values": best, "mean": boot["best_mean"], "std": boot["best_std"],
                     "run_ids": ["b1", "b2", "b3"]},
            "reference": {"params": {}, "values": reference, "mean": boot["reference_mean"],
                          "std": boot["reference_std"], "run_ids": ["r1", "r2", "r3"]},
            "bootstrap": boot}


def final_doc(valid: float = 0.8123, test: float = 0.7968, seeds: dict | None = None, rule: str = "best_if_better",
              seen: int = 1) -> dict[str, Any]:
    """final.json as the final test writes it, its choice decided on the same files the judge reads."""
    choice = decide(rule, measurements_doc(), seeds or seeds_doc(), LR_BAND)
    ledger = {"path": "ledger/test_split.jsonl", "digest": "f" * 64, "seen": seen}
    if choice.chosen is None:
        return {"choice": choice.as_dict(), "chosen": None, "why": choice.reason, "metric": "macro_f1",
                "direction": "maximize", "ledger": {**ledger, "seen": seen - 1}, "run_id": "final01"}
    return {"choice": choice.as_dict(), "chosen": choice.chosen, "why": choice.reason,
            "params": {"train.lr": 3e-4}, "metric": "macro_f1", "direction": "maximize", "seed": 42,
            "valid": {"valid_macro_f1": valid, "valid_accuracy": 0.8301},
            "test": {"test_macro_f1": test, "test_accuracy": 0.8122}, "model_dir": "models/sweep/best",
            "model_digest": "e" * 64, "test_rows": 120, "ledger": ledger, "run_id": "final01"}


def cfg(**checks: Any) -> SweepJudge:
    judge = from_conf(SweepJudge)
    for key, value in checks.items():
        setattr(judge.checks, key, value)
    return judge


def write_json(path: Path, doc: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def project(root: Path, measured: dict | None = None, seeds: dict | None = None, final: dict | None = None,
            earlier: bool = True) -> dict[str, Path]:
    """The inputs under ``root``: reports/sweep/ (what is given) and step 3's metrics (step 2's bar is in
    measurements.json, as the sweep stage records it)."""
    folder = root / "reports" / "sweep"
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, doc in ((J.MEASUREMENTS_FILE, measured), (J.SEEDS_FILE, seeds), (J.FINAL_FILE, final)):
        if doc is not None:
            files[name] = write_json(folder / name, doc)
    if earlier:
        files["model"] = write_json(root / "reports" / "model" / "metrics.json", MODEL_METRICS)
    return files


def judge(root: Path, judge_cfg: SweepJudge | None = None):
    return J.judge_sweep(judge_cfg or cfg(), root / "reports" / "sweep", model_folder=root / "reports" / "model")


def complete(root: Path) -> dict[str, Path]:
    return project(root, measurements_doc(), seeds_doc(), final_doc())


def statuses(judgement) -> dict[str, str]:
    return {c.id: c.status for c in judgement.checks}


def by_id(judgement) -> dict[str, Any]:
    return {c.id: c for c in judgement.checks}


def report(root: Path) -> str:
    return (root / "reports" / "sweep" / "report.html").read_text(encoding="utf-8")


def section(html: str, section_id: str) -> str:
    """The report's text from a section's heading to the next h2."""
    start = html.index(f'id="{section_id}"')
    end = html.find("<h2", start)
    return html[start:end if end > 0 else None]


def written(root: Path, name: str) -> Any:
    return json.loads((root / "reports" / "sweep" / name).read_text(encoding="utf-8"))


# -- complete inputs ----------------------------------------------------------------------------------------------

def test_complete_inputs_write_every_check_the_report_and_the_manifest(tmp_path: Path):
    complete(tmp_path)
    judgement = judge(tmp_path)
    assert [c.id for c in judgement.checks] == CHECK_IDS
    assert statuses(judgement) == dict.fromkeys(CHECK_IDS, "pass")
    assert [c["id"] for c in written(tmp_path, "checks.json")] == CHECK_IDS
    assert all("direction" in c for c in written(tmp_path, "checks.json"))
    manifest = written(tmp_path, "evidence.json")
    assert manifest["step"] == "sweep" and manifest["basis"]["data"] == "d" * 64
    assert [q["id"] for q in manifest["questions"]] == [q["id"] for q in step_questions("sweep")]
    assert manifest["basis"]["checks"] == dict.fromkeys(sorted(CHECK_IDS), "pass")
    assert set(judgement.files) == {"checks", "report", "manifest"}


def test_the_report_has_each_section_the_questions_point_at(tmp_path: Path):
    complete(tmp_path)
    judge(tmp_path)
    html = report(tmp_path)
    for section_id in SECTIONS:
        assert f'id="{section_id}"' in html, section_id
    anchors = {e.split("#", 1)[1] for q in step_questions("sweep") for e in q["evidence"]
               if e.startswith("reports/sweep/report.html#")}
    assert anchors and all(f'id="{a}"' in html for a in anchors)


def test_the_report_shows_the_key_numbers_in_their_sections(tmp_path: Path):
    complete(tmp_path)
    judge(tmp_path)
    html = report(tmp_path)
    best = section(html, "best")
    assert "Trial #3 scored 0.8123" in best and "run0003" in best
    assert "0.0003" in best and "loguniform(3e-05, 0.003)" in best and "on the edge" not in best
    importance = section(html, "importance")
    assert "fanova" in importance and "rough" in importance and "64.18%" in importance
    assert importance.index("train.lr") < importance.index("model.num_layers") < importance.index("model.pooling")
    noise = section(html, "noise")
    boot = seeds_doc()["bootstrap"]
    for number in (boot["mean_gain"], boot["low"], boot["high"], 0.8011, 0.7455):
        assert J.show(number) in noise, number
    final = section(html, "final")
    assert "0.7968" in final and "0.8301" in final and "0.8122" in final
    assert "The sweep&#39;s best configuration met the test split, not step 3&#39;s model" in final
    assert "models/sweep/best" in final and "only once gate 4 clears" in final
    assert "scored <b>1</b> time(s)" in final and "no longer an unbiased" not in final
    comparison = section(html, "comparison")
    for number in ("0.8123", "0.7534", "0.7712", "0.7551", "0.3333", "0.7968"):
        assert number in comparison, number
    assert "test (this split scored 1 time(s) in all)" in comparison and "+0.0572" in comparison  # best trial over the baseline
    assert "4.37%" in html  # the overhead share
    assert "Every selection used the valid split only" in html


def test_a_failed_trial_shows_its_error_escaped(tmp_path: Path):
    complete(tmp_path)
    judge(tmp_path)
    trials = section(report(tmp_path), "trials")
    assert "the loss is NaN at step 12 &lt;b&gt;" in trials and "<b>" not in trials.split("</tr>", 1)[1]
    assert trials.count("<tr>") == len(TRIALS) + 1


def test_a_diverged_trial_is_counted_and_shows_where_it_diverged(tmp_path: Path):
    from clearance.neural.training.divergence import Divergence

    measured = measurements_doc()
    diverged = Divergence(4, float("inf"), 1.18, "train").to_dict()
    measured["trials"][-1] = {**measured["trials"][-1], "state": "PRUNED", "value": None, "diverged": diverged}
    project(tmp_path, measured, seeds_doc(), final_doc())
    judge(tmp_path)
    html = report(tmp_path)
    assert "0 pruned,\n 1 diverged of" in html
    row = section(html, "trials").split("</tr>")[-2]
    assert ">DIVERGED<" in row and "training diverged at step 4: the training loss became inf at learning rate 1.18" in row


def test_every_plot_is_a_png_embedded_in_the_report(tmp_path: Path):
    complete(tmp_path)
    judgement = judge(tmp_path)
    plots = tmp_path / "reports" / "sweep" / J.PLOTS_DIR
    names = {sweep_plots.BUDGET_FILE, *(sweep_plots.scatter_file(k) for k in SPACE)}
    assert {p.name for p in plots.iterdir()} == names
    for name in names:
        data = (plots / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[-8:-4] == b"IEND", name
    html = report(tmp_path)
    assert html.count("data:image/png;base64,") == len(names)
    assert judgement.files["report"].exists()


def test_a_scatter_of_a_log_range_uses_a_log_axis_and_stale_scatters_go(tmp_path: Path):
    plt = sweep_plots._plt()
    folder = tmp_path / "plots"
    folder.mkdir()
    (folder / sweep_plots.scatter_file("train.gone")).write_bytes(b"old")
    seen: list[str] = []
    original = plt.Figure.savefig

    stars: list[list[float]] = []

    def spy(fig, *args, **kwargs):
        seen.extend(ax.get_xscale() for ax in fig.axes if ax.get_title())
        stars.extend(ax.collections[1].get_offsets().tolist() for ax in fig.axes
                     if ax.get_title() in SPACE and len(ax.collections) == 2)
        return original(fig, *args, **kwargs)

    measured = measurements_doc()
    try:
        plt.Figure.savefig = spy
        paths = sweep_plots.draw_all(measured, {"train.lr": True}, folder)
    finally:
        plt.Figure.savefig = original
    assert not (folder / sweep_plots.scatter_file("train.gone")).exists()
    assert list(paths) == ["budget", *(sweep_plots.SCATTER_KEY + k for k in SPACE)]
    # budget, then lr (log), weight decay, layers, pooling (linear or categorical)
    assert seen == ["linear", "log", "linear", "linear", "linear"]
    # the star is the best trial's own point, even where other trials share its value (pooling "mean")
    assert stars == [[[3e-4, 0.8123]], [[0.01, 0.8123]], [[2.0, 0.8123]], [[1.0, 0.8123]]]


def test_the_log_dimensions_come_from_the_space_expressions():
    kinds = J.dimension_kinds({**SPACE, "train.other": "sometime(1, 2)"})
    assert kinds == {"train.lr": "loguniform", "train.weight_decay": "choice", "model.num_layers": "choice",
                     "model.pooling": "choice", "train.other": "sometime"}


# -- partial inputs -----------------------------------------------------------------------------------------------

def test_without_seed_reruns_and_final_test_the_report_still_renders_and_their_checks_warn(tmp_path: Path):
    project(tmp_path, measurements_doc())
    judgement = judge(tmp_path)
    checks = by_id(judgement)
    assert statuses(judgement) == {"trials_completed": "pass", "edge_of_grid": "pass", "lr_plausible": "pass",
                                   "gain_vs_noise": "warn", "final_choice": "warn", "test_consistent": "warn",
                                   "test_split_reuse": "warn"}
    for check_id, file in (("gain_vs_noise", J.SEEDS_FILE), ("test_consistent", J.FINAL_FILE),
                           ("test_split_reuse", J.FINAL_FILE)):
        message = checks[check_id].message
        assert message.startswith("not measured:") and file in message, message
    html = report(tmp_path)
    for section_id in SECTIONS:
        assert f'id="{section_id}"' in html, section_id
    assert "Not measured" in section(html, "noise") and "Not measured" in section(html, "final")
    assert "0.8123" in section(html, "best")
    comparison = section(html, "comparison")
    assert "0.7712" in comparison and "0.7534" not in comparison
    assert (tmp_path / "reports" / "sweep" / "evidence.json").exists()


def test_without_step_3s_metrics_its_row_shows_a_dash_and_the_bar_comes_from_the_sweep(tmp_path: Path):
    project(tmp_path, measurements_doc(), seeds_doc(), final_doc(), earlier=False)
    judge(tmp_path)
    comparison = section(report(tmp_path), "comparison")
    assert "0.8123" in comparison and "0.7712" not in comparison and "0.3333" in comparison
    assert comparison.count("–") >= 1


def test_a_sweep_whose_every_trial_failed_fails_and_says_so(tmp_path: Path):
    trials = [trial(i, *(None,) * 5) for i in range(3)]
    project(tmp_path, measurements_doc(trials))
    judgement = judge(tmp_path)
    checks = by_id(judgement)
    assert checks["trials_completed"].status == "fail" and "NaN" in checks["trials_completed"].message
    assert checks["edge_of_grid"].status == "warn" and checks["edge_of_grid"].message.startswith("not measured")
    assert checks["lr_plausible"].status == "warn" and checks["lr_plausible"].message.startswith("not measured")
    html = report(tmp_path)
    assert "No trial completed" in section(html, "best") and "No trial completed" in section(html, "budget")


def test_missing_measurements_name_the_file(tmp_path: Path):
    project(tmp_path, None, seeds_doc(), final_doc())
    with pytest.raises(UserError) as error:
        judge(tmp_path)
    assert error.value.where.endswith(J.MEASUREMENTS_FILE) and "dvc repro" in error.value.fix


def test_broken_seed_file_names_its_line(tmp_path: Path):
    files = complete(tmp_path)
    files[J.SEEDS_FILE].write_text('{"seeds": [42,\n', encoding="utf-8")
    with pytest.raises(UserError) as error:
        judge(tmp_path)
    assert J.SEEDS_FILE in error.value.where and "line" in error.value.where


# -- what the checks are given ------------------------------------------------------------------------------------

def test_a_gain_within_noise_warns_and_step_3s_model_meets_the_test_split(tmp_path: Path):
    noisy = seeds_doc([0.80, 0.75, 0.78], [0.78, 0.77, 0.77])
    project(tmp_path, measurements_doc(), noisy, final_doc(seeds=noisy))
    checks = by_id(judge(tmp_path))
    assert checks["gain_vs_noise"].status == "warn" and "within seed noise" in checks["gain_vs_noise"].message
    assert checks["final_choice"].status == "pass" and checks["final_choice"].value == "reference"
    assert "Step 3&#39;s model met the test split" in section(report(tmp_path), "final")


def test_a_worse_best_under_sweep_final_best_fails_and_nothing_was_tested(tmp_path: Path):
    worse = seeds_doc([0.60, 0.61, 0.62], [0.75, 0.76, 0.77])
    project(tmp_path, measurements_doc(), worse, final_doc(seeds=worse, rule="best"))
    checks = by_id(judge(tmp_path))
    assert checks["final_choice"].status == "fail"
    assert checks["final_choice"].message.startswith("No model met the test split, and it was not scored")
    assert checks["test_consistent"].status == "warn" and "not scored" in checks["test_consistent"].message
    final = section(report(tmp_path), "final")
    assert "No model met the test split" in final and "<table>" not in final


def test_a_final_json_that_contradicts_the_evidence_fails(tmp_path: Path):
    stale = {**final_doc(), "choice": {**final_doc()["choice"], "chosen": "reference"}, "chosen": "reference"}
    project(tmp_path, measurements_doc(), seeds_doc(), stale)
    check = by_id(judge(tmp_path))["final_choice"]
    assert check.status == "fail" and "the current evidence picks best" in check.message


def test_a_test_split_seen_twice_warns_and_the_report_says_so(tmp_path: Path):
    project(tmp_path, measurements_doc(), seeds_doc(), final_doc(seen=2))
    check = by_id(judge(tmp_path))["test_split_reuse"]
    assert check.status == "warn" and "seen 2 times" in check.message
    assert "no longer an unbiased estimate" in section(report(tmp_path), "final")


def test_a_ledger_that_lost_scorings_the_store_holds_fails_and_an_unreadable_store_is_said(tmp_path: Path):
    from clearance.sweep.final.ledger import DIGEST_TAG, SCORING_TAG, record_scoring

    project(tmp_path, measurements_doc(), seeds_doc(), final_doc(seen=1))
    ledger = tmp_path / "ledger/test_split.jsonl"
    record_scoring({"test_digest": "f" * 64, "chosen": "best"}, ledger)

    def two_scorings(digest: str) -> list[dict]:
        return [{"tags": {DIGEST_TAG: digest, SCORING_TAG: str(n)}} for n in (1, 2)]

    def unreadable(digest: str) -> list[dict]:
        raise UserError("MLflow store mlflow.db", "is not an SQLite database (file is not a database)", "move it")

    def judged(store_runs) -> Any:
        return J.judge_sweep(cfg(), tmp_path / "reports" / "sweep", tmp_path / "reports" / "model", ledger, store_runs)

    lost = by_id(judged(two_scorings))["test_split_reuse"]
    assert lost.status == "fail" and "holds 1 scoring(s)" in lost.message and "store records 2" in lost.message
    said = by_id(judged(unreadable))["test_split_reuse"]
    assert said.status == "pass" and "the MLflow store could not be read" in said.message
    assert "file is not a database" in said.message
    record_scoring({"test_digest": "f" * 64, "chosen": "best"}, ledger)
    whole = by_id(judged(two_scorings))["test_split_reuse"]
    assert whole.status == "warn" and "seen 2 times" in whole.message


def test_a_test_score_far_from_valid_warns_on_the_sweep_s_metric(tmp_path: Path):
    project(tmp_path, measurements_doc(), seeds_doc(), final_doc(valid=0.8123, test=0.70))
    checks = by_id(judge(tmp_path))
    assert checks["test_consistent"].status == "warn" and "macro_f1" in checks["test_consistent"].message
    assert checks["test_consistent"].value == pytest.approx(0.1123)


def test_the_optimizer_of_the_seed_reruns_picks_the_learning_rate_band(tmp_path: Path):
    strict = cfg()
    strict.lr_band = {"AdamW": [1e-3, 1e-2], "default": [1e-6, 1.0]}
    project(tmp_path, measurements_doc(), seeds_doc(optimizer="AdamW"), final_doc())
    checks = by_id(judge(tmp_path, strict))
    assert checks["lr_plausible"].status == "warn" and "AdamW" in checks["lr_plausible"].message
    project(tmp_path, measurements_doc(), seeds_doc(optimizer="SGD"), final_doc())
    assert by_id(judge(tmp_path, strict))["lr_plausible"].status == "pass"


def test_a_best_value_at_a_choice_list_s_end_warns_only_when_it_mattered(tmp_path: Path):
    trials = [trial(i, *row) for i, row in enumerate(TRIALS)]
    trials[3]["params"]["model.num_layers"] = 3
    quiet = measurements_doc(trials)  # num_layers: importance 0.22, below edge_importance_min
    project(tmp_path, quiet, seeds_doc(), final_doc())
    check = by_id(judge(tmp_path))["edge_of_grid"]
    assert check.status == "pass" and "model.num_layers=3 (high end)" in check.message
    assert "information, not a warning" in check.message
    assert "high end: on an edge, with no sign that it mattered" in section(report(tmp_path), "best")
    mattered = {**quiet, "importances": {**quiet["importances"], "values": {"model.num_layers": 0.6, "train.lr": 0.4}}}
    project(tmp_path, mattered, seeds_doc(), final_doc())
    check = by_id(judge(tmp_path))["edge_of_grid"]
    assert check.status == "warn" and "model.num_layers=3 (high end; importance 0.60 >= 0.3)" in check.message
    best = section(report(tmp_path), "best")
    assert "high end: on the edge of the grid where it mattered (importance 0.60 &gt;= 0.3): widen it" in best


def test_the_comparison_gain_follows_the_metric_s_direction():
    measured = {**measurements_doc(), "metric": "log_loss", "direction": "minimize",
                "best": {"number": 1, "value": 0.5, "params": {}}}
    bar = {**BAR, "metric": "log_loss", "valid": 0.6, "prior_expected": 1.09}
    view = J.comparison(measured, None, None, {}, bar)
    gains = {r["name"].split(" (")[0]: r["gain"] for r in view["rows"]}
    assert gains["best baseline"] == pytest.approx(0.1) and view["test"]["value"] is None


# -- thresholds only re-grade -------------------------------------------------------------------------------------

def test_a_threshold_change_regrades_without_reading_other_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    inputs = complete(tmp_path)
    before = {p: p.read_bytes() for p in inputs.values()}
    first = judge(tmp_path)
    fingerprint = written(tmp_path, "evidence.json")["fingerprint"]
    regraded = cfg(edge_share=0.6, edge_importance_min=0.05)  # composed before the working directory moves
    elsewhere = tmp_path / "elsewhere"  # a working directory with no reports/: nothing may be read from it
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    read: list[Path] = []
    for method in ("read_text", "read_bytes"):
        original = getattr(Path, method)

        def recording(self, *args, _original=original, **kwargs):
            read.append(Path(self).resolve())
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Path, method, recording)
    second = judge(tmp_path, regraded)
    monkeypatch.undo()
    assert statuses(first)["edge_of_grid"] == "pass"
    changed = {k: v for k, v in statuses(second).items() if statuses(first)[k] != v}
    assert changed == {"edge_of_grid": "warn"}
    assert "train.weight_decay=0.01" in by_id(second)["edge_of_grid"].message
    plots = (tmp_path / "reports" / "sweep" / J.PLOTS_DIR).resolve()
    ours = [p for p in read if tmp_path.resolve() in p.parents]
    assert ours and all(p in {i.resolve() for i in inputs.values()} or p.parent == plots for p in ours), ours
    assert all(p.read_bytes() == data for p, data in before.items())
    assert written(tmp_path, "evidence.json")["fingerprint"] != fingerprint


def test_the_fingerprint_ignores_model_thresholds_the_sweep_does_not_use(tmp_path: Path):
    complete(tmp_path)
    judge(tmp_path)
    first = written(tmp_path, "evidence.json")["fingerprint"]
    # The judge reads only the band of checks.model: another model threshold does not even reach it.
    assert from_conf(SweepJudge, hydra_overrides=("checks.model.overfit_loss_max=0.5",)) == cfg()
    other = cfg()
    other.lr_band = {**other.lr_band, "AdamW": [1e-6, 5e-2]}
    judge(tmp_path, other)
    assert written(tmp_path, "evidence.json")["fingerprint"] != first


def test_the_manifest_carries_the_data_the_sweep_ran_on(tmp_path: Path):
    project(tmp_path, {**measurements_doc(), "data_digest": "e" * 64}, seeds_doc(), final_doc())
    judge(tmp_path)
    assert written(tmp_path, "evidence.json")["basis"]["data"] == "e" * 64


def test_changed_settings_change_the_fingerprint(tmp_path: Path):
    complete(tmp_path)
    judge(tmp_path)
    first = written(tmp_path, "evidence.json")["fingerprint"]
    changed = copy.deepcopy(measurements_doc())
    changed["fixed"] = {"train.max_steps": 400}
    project(tmp_path, changed)
    judge(tmp_path)
    assert written(tmp_path, "evidence.json")["fingerprint"] != first
    assert re.fullmatch(r"[0-9a-f]{12}", first)
