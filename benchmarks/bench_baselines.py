"""The baselines stage: wall time and peak memory on the default data, and its overhead over bare scikit-learn.

Everything runs in a temporary copy of the repository whose params.yaml is composed from conf/
(`clearance params`; `--smoke` adds `debug=tiny`), each stage as DVC runs it (`python stages/<name>.py`).
`--smoke` runs the comparison once and skips the whole stage's timing (as `--skip-stage`): the comparison's
run_baselines is the stage's work, and the stage's seconds on the debug group's sample are start-up.

Goals: the baselines stage (all configured baselines, MLflow logging included)
under 60 s on the default data on 2 cores, and clearance's TF-IDF + logistic
regression baseline (run_baselines with baselines.run=[tfidf_logreg]) within
1.2x of a bare scikit-learn script fitting and scoring the same model. With
`--rows N`: steps 1 and 2 (prepare, inspect, judge_inspect, baselines,
judge_baselines) on N synthetic rows in at most 10 minutes on 2 cores, peak
memory at most 6 GB, and the baselines stage's time per row within 2x of the
default data's.

    .venv/bin/python benchmarks/bench_baselines.py [--repeat N] [--skip-stage] [--rows N] [--keep] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    VENV_BIN,
    Measured,
    add_builtin_corpus,
    add_smoke,
    in_steps,
    median,
    project_copy,
    result,
    run_measured,
    run_stage,
    step_timings,
    venv_env,
    verdict,
)
from synthetic import write_csv  # noqa: E402

STAGE_GOAL_S = 60.0
RATIO_GOAL = 1.2
CORES = 2
STEPS_GOAL_S = 600.0
PEAK_GOAL_MB = 6000.0
PER_ROW_GOAL = 2.0
STEP1 = ("prepare", "inspect_data", "judge_inspect")
STEP2 = ("baselines", "judge_baselines")
SMOKE_ROWS = 2000

# The bare side: the same model as clearance.baselines.measure.models.TfidfLogReg.make(), its settings
# read from the project's params.yaml (composed from conf/baselines/) with plain YAML, the solver's fixed
# settings copied here on purpose: nothing of clearance but the preprocessing function is imported.
BARE_CODE = textwrap.dedent("""
    import sys, time, warnings
    start_imports = time.perf_counter()
    from pathlib import Path
    import numpy as np
    import pandas as pd
    import yaml
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score, log_loss
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from clearance.core.text.preprocess import clean_text
    print(f"BENCH imports_s {time.perf_counter() - start_imports:.3f}")

    prepared = Path(sys.argv[1])
    params = yaml.safe_load(Path(sys.argv[2]).read_text(encoding="utf-8"))
    p, seed = params["baselines"]["tfidf"], params["seed"]
    start, start_cpu = time.perf_counter(), time.process_time()
    frames = {s: pd.read_parquet(prepared / f"{s}.parquet") for s in ("train", "valid", "test")}
    t_read = time.perf_counter()
    texts = {s: clean_text(f["text"]) for s, f in frames.items()}
    t_pre = time.perf_counter()
    common = dict(min_df=p["min_df"], sublinear_tf=True, max_features=p["max_features"], dtype=np.float32)
    model = make_pipeline(
        FeatureUnion([
            ("words", TfidfVectorizer(ngram_range=(1, p["word_ngram_max"]), **common)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(p["char_ngram_min"], p["char_ngram_max"]),
                                      **common)),
        ]),
        LogisticRegression(solver="saga", C=p["C"], max_iter=200, tol=3e-3, class_weight=p["class_weight"],
                           random_state=seed),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(texts["train"], frames["train"]["label"])
    t_fit = time.perf_counter()
    scores = {}
    for split in ("valid", "test"):
        truth = frames[split]["label"]
        probs = model.predict_proba(texts[split])
        predicted = model.classes_[probs.argmax(axis=1)]
        scores[split] = (accuracy_score(truth, predicted), f1_score(truth, predicted, average="macro"),
                         log_loss(truth, probs, labels=model.classes_))
    end = time.perf_counter()
    print(f"BENCH total_s {end - start:.3f}")
    print(f"BENCH cpu_s {time.process_time() - start_cpu:.3f}")
    print(f"BENCH read_s {t_read - start:.3f}")
    print(f"BENCH preprocess_s {t_pre - t_read:.3f}")
    print(f"BENCH fit_s {t_fit - t_pre:.3f}")
    print(f"BENCH predict_score_s {end - t_fit:.3f}")
    for split, (acc, f1, loss) in scores.items():
        print(f"BENCH {split}_accuracy {acc:.6f}")
        print(f"BENCH {split}_macro_f1 {f1:.6f}")
        print(f"BENCH {split}_log_loss {loss:.6f}")
""")

# The clearance side: run_baselines end to end (load, preprocess, fit, score, checks,
# error analysis, report), the stage's own settings (the project's params.yaml), only the
# TF-IDF + logistic regression baseline.
CLEARANCE_CODE = textwrap.dedent("""
    import sys, time
    start_imports = time.perf_counter()
    from pathlib import Path
    from clearance.baselines.measure.run import run_baselines
    from clearance.core.config.baselines import BaselinesStage
    from clearance.core.config.params import load_stage_config, read_params
    print(f"BENCH imports_s {time.perf_counter() - start_imports:.3f}")

    prepared, out, params = sys.argv[1:4]
    cfg = load_stage_config(BaselinesStage, read_params(Path(params)), source=params)
    cfg.baselines.run = ["tfidf_logreg"]
    start, start_cpu = time.perf_counter(), time.process_time()
    outcome = run_baselines(cfg, prepared=Path(prepared), out=Path(out))
    print(f"BENCH total_s {time.perf_counter() - start:.3f}")
    print(f"BENCH cpu_s {time.process_time() - start_cpu:.3f}")
    result = outcome.results[0]
    if result.error:
        sys.exit(f"tfidf_logreg failed: {result.error}")
    print(f"BENCH fit_s {result.fit_seconds:.3f}")
    for split in ("valid", "test"):
        for metric in ("accuracy", "macro_f1", "log_loss"):
            print(f"BENCH {split}_{metric} {result.metrics[f'{split}_{metric}']:.6f}")
""")


def bench_value(output: str, key: str) -> float:
    for line in output.splitlines():
        if line.startswith(f"BENCH {key} "):
            return float(line.split()[2])
    return float("nan")


def must(measured: Measured, what: str) -> Measured:
    if measured.returncode != 0:
        sys.exit(f"{what} failed (exit {measured.returncode}):\n{measured.output}")
    return measured


def pin_cores() -> str:
    """Run everything (children inherit it) on at most CORES cores, as the goal says."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) > CORES:
        os.sched_setaffinity(0, cores[:CORES])
        return f"pinned to cores {cores[:CORES]} of {len(cores)}"
    return f"{len(cores)} cores available"


def prepare_default(work: Path, overrides: list[str], env: dict) -> Path:
    """A project copy with the built-in corpus, prepared by its stage (not timed)."""
    repo = project_copy(work / "repo", overrides, env)
    add_builtin_corpus(repo)
    prep = run_stage(repo, "prepare", env)
    split = next((line.strip() for line in prep.output.splitlines() if line.startswith("split:")), "?")
    print(f"[setup] default data exported and prepared in {prep.seconds:.1f} s (not counted); {split}")
    return repo


def print_stage(tag: str, name: str, stage: Measured) -> None:
    """A stage's wall time, peak memory and progress steps."""
    steps = step_timings(stage.output)
    print(f"[{tag}] python stages/{name}.py: {stage.seconds:.1f} s wall, peak {stage.peak_mb:.0f} MB")
    for title, seconds in steps:
        print(f"[{tag}]    step {seconds:7.1f} s  {title}")
    if steps:
        print(f"[{tag}]    rest {stage.seconds - in_steps(stage.output):7.1f} s  "
              f"(start-up, imports, loading, checks, report, MLflow logging)")
    for line in stage.output.splitlines():
        if line.startswith(("best baseline:", "checks:")):
            print(f"[{tag}] {line.strip()}")


def bench_stage(repo: Path, env: dict, smoke: bool) -> Measured:
    """`python stages/baselines.py` in the project copy, the way DVC runs it."""
    stage = run_stage(repo, "baselines", env)
    print_stage("stage", "baselines", stage)
    if not (repo / "mlflow.db").exists():
        sys.exit("the stage did not log into the copy's mlflow.db")
    met = stage.seconds < STAGE_GOAL_S
    print(f"[stage] baselines stage {stage.seconds:.1f} s (goal < {STAGE_GOAL_S:.0f} s on {CORES} cores: "
          f"{'MET' if met else 'NOT MET'})")
    result("baselines stage on the built-in corpus, seconds" + (" (smoke: debug=tiny)" if smoke else ""),
           f"< {STAGE_GOAL_S:.0f} s on {CORES} cores", f"{stage.seconds:.1f} s", verdict(met, smoke))
    return stage


def bench_overhead(work: Path, repo: Path, env: dict, repeat: int, smoke: bool) -> None:
    """Bare scikit-learn vs run_baselines(tfidf_logreg) on ``repo``'s prepared data and settings, alternating,
    ``repeat`` times each."""
    python = str(VENV_BIN / "python")
    prepared, params = repo / "data" / "prepared", repo / "params.yaml"
    bare_script, clearance_script = work / "bare_tfidf_logreg.py", work / "clearance_tfidf_logreg.py"
    bare_script.write_text(BARE_CODE, encoding="utf-8")
    clearance_script.write_text(CLEARANCE_CODE, encoding="utf-8")
    bare_runs, clearance_runs = [], []
    for i in range(repeat):
        bare = must(run_measured([python, str(bare_script), str(prepared), str(params)], cwd=work, env=env),
                    "the bare script")
        bare_runs.append(bare)
        print(f"[overhead] run {i + 1}/{repeat} bare      {bench_value(bare.output, 'total_s'):6.1f} s "
              f"({bare.seconds:.1f} s wall, peak {bare.peak_mb:.0f} MB)")
        ours = must(run_measured([python, str(clearance_script), str(prepared), str(work / f"out-{i + 1}"),
                                  str(params)], cwd=work, env=env), "run_baselines")
        clearance_runs.append(ours)
        print(f"[overhead] run {i + 1}/{repeat} clearance {bench_value(ours.output, 'total_s'):6.1f} s "
              f"({ours.seconds:.1f} s wall, peak {ours.peak_mb:.0f} MB)")

    def med(runs: list[Measured], key: str) -> float:
        return median([bench_value(r.output, key) for r in runs])

    print("[overhead] bare scikit-learn, medians:")
    for key, label in (("read_s", "read parquet"), ("preprocess_s", "clean_text"), ("fit_s", "fit"),
                       ("predict_score_s", "predict_proba + metrics (valid, test)")):
        print(f"[overhead]    {med(bare_runs, key):7.2f} s  {label}")
    print("[overhead] clearance run_baselines, medians:")
    titles = [title for title, _ in step_timings(clearance_runs[0].output)]
    per_step = [median([dict(step_timings(r.output)).get(t, float("nan")) for r in clearance_runs]) for t in titles]
    for title, seconds in zip(titles, per_step):
        print(f"[overhead]    {seconds:7.2f} s  step: {title}")
    print(f"[overhead]    {med(clearance_runs, 'fit_s'):7.2f} s  (of which fit, as BaselineResult.fit_seconds)")
    bare_s, ours_s = med(bare_runs, "total_s"), med(clearance_runs, "total_s")
    bare_wall, ours_wall = median([r.seconds for r in bare_runs]), median([r.seconds for r in clearance_runs])
    print(f"[overhead]    {ours_s - sum(per_step):7.2f} s  rest (loading, checks, report writing)")
    print(f"[overhead] bare:      median {bare_s:.2f} s in-script ({bare_wall:.2f} s wall with start-up), "
          f"peak {max(r.peak_mb for r in bare_runs):.0f} MB")
    print(f"[overhead] clearance: median {ours_s:.2f} s in run_baselines ({ours_wall:.2f} s wall with start-up), "
          f"peak {max(r.peak_mb for r in clearance_runs):.0f} MB")
    for split in ("valid", "test"):
        print(f"[overhead] {split} macro-F1: bare {med(bare_runs, f'{split}_macro_f1'):.4f}, "
              f"clearance {med(clearance_runs, f'{split}_macro_f1'):.4f}; accuracy: bare "
              f"{med(bare_runs, f'{split}_accuracy'):.4f}, clearance {med(clearance_runs, f'{split}_accuracy'):.4f}; "
              f"log loss: bare {med(bare_runs, f'{split}_log_loss'):.4f}, "
              f"clearance {med(clearance_runs, f'{split}_log_loss'):.4f}")
    same = abs(med(bare_runs, "valid_macro_f1") - med(clearance_runs, "valid_macro_f1")) < 5e-4
    print(f"[overhead] same valid macro-F1: {'yes' if same else 'NO'}")
    ratio, wall_ratio = ours_s / bare_s, ours_wall / bare_wall
    cpu_ratio = med(clearance_runs, "cpu_s") / med(bare_runs, "cpu_s")
    print(f"[overhead] ratio clearance/bare (wall, with start-up and imports): {wall_ratio:.2f}x")
    print(f"[overhead] ratio clearance/bare (CPU seconds in the timed part, less sensitive to other load): "
          f"{cpu_ratio:.2f}x (bare {med(bare_runs, 'cpu_s'):.2f} s, clearance {med(clearance_runs, 'cpu_s'):.2f} s)")
    print(f"[overhead] ratio clearance/bare: {ratio:.2f}x (goal < {RATIO_GOAL}x: "
          f"{'MET' if ratio < RATIO_GOAL else 'NOT MET'})")
    tag = " (smoke: debug=tiny)" if smoke else ""
    result(f"run_baselines(tfidf_logreg) / bare scikit-learn, median seconds{tag}", f"< {RATIO_GOAL}x",
           f"{ratio:.2f}x ({ours_s:.2f} s vs {bare_s:.2f} s; same valid macro-F1: {'yes' if same else 'NO'})",
           verdict(ratio < RATIO_GOAL, smoke))


def bench_rows(work: Path, rows: int, overrides: list[str], env: dict, default_stage: Measured | None,
               default_rows: int, smoke: bool) -> None:
    """Steps 1 and 2, stage by stage, on ``rows`` synthetic rows (data=custom)."""
    repo = project_copy(work / "synthetic", ["data=custom", "data.path=data/raw/synthetic.csv", *overrides], env)
    csv_path = write_csv(repo / "data" / "raw" / "synthetic.csv", rows)
    print(f"[rows] {rows} synthetic rows ({csv_path.stat().st_size / 1e6:.0f} MB CSV; generating not counted)")
    stages = {}
    for name in STEP1 + STEP2:
        stages[name] = run_stage(repo, name, env)
        print_stage("rows", name, stages[name])
    step1, step2 = (sum(stages[n].seconds for n in names) for names in (STEP1, STEP2))
    total, peak = step1 + step2, max(m.peak_mb for m in stages.values())
    print(f"[rows] step 1 {step1:.1f} s + step 2 {step2:.1f} s = {total:.1f} s wall (goal <= {STEPS_GOAL_S:.0f} s on "
          f"{CORES} cores: {'MET' if total <= STEPS_GOAL_S else 'NOT MET'}); peak {peak:.0f} MB "
          f"(goal <= {PEAK_GOAL_MB / 1000:.0f} GB: {'MET' if peak <= PEAK_GOAL_MB else 'NOT MET'})")
    tag = f"{rows} synthetic rows" + (" (smoke: debug=tiny)" if smoke else "")
    result(f"steps 1+2 wall time, {tag}", f"<= {STEPS_GOAL_S / 60:.0f} min on {CORES} cores", f"{total:.0f} s "
           f"(step 1 {step1:.0f} s, step 2 {step2:.0f} s)", verdict(total <= STEPS_GOAL_S, smoke))
    result(f"steps 1+2 peak memory, {tag}", f"<= {PEAK_GOAL_MB / 1000:.0f} GB", f"{peak:.0f} MB",
           verdict(peak <= PEAK_GOAL_MB, smoke))
    if default_stage is not None:
        ratio = (stages["baselines"].seconds / rows) / (default_stage.seconds / default_rows)
        print(f"[rows] baselines stage per row: {stages['baselines'].seconds / rows * 1e6:.1f} us vs "
              f"{default_stage.seconds / default_rows * 1e6:.1f} us on the default data: {ratio:.2f}x")
        result(f"baselines stage time per row, {tag} / built-in corpus", f"<= {PER_ROW_GOAL:.0f}x", f"{ratio:.2f}x",
               verdict(ratio <= PER_ROW_GOAL, smoke))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side of the comparison (default 3)")
    parser.add_argument("--skip-stage", action="store_true", help="skip the timing of the whole stage")
    parser.add_argument("--rows", type=int, default=0,
                        help="also run steps 1 and 2 on N synthetic rows (e.g. 1000000)")
    parser.add_argument("--keep", action="store_true", help="keep the temp work directory")
    add_smoke(parser)
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    repeat = 1 if args.smoke else args.repeat
    rows = min(args.rows, SMOKE_ROWS) if args.smoke else args.rows
    skip_stage = args.skip_stage or args.smoke
    overrides = ["debug=tiny"] if args.smoke else []

    print(f"[setup] {pin_cores()}")
    env = venv_env(PYTHONUNBUFFERED="1", COLUMNS="120")
    work = Path(tempfile.mkdtemp(prefix="clearance-bench-baselines-"))
    try:
        repo = prepare_default(work, overrides, env)
        if skip_stage:
            print("[stage] the whole stage's timing skipped" + (" (--smoke)" if args.smoke else " (--skip-stage)"))
        stage = None if skip_stage else bench_stage(repo, env, args.smoke)
        bench_overhead(work, repo, env, repeat, args.smoke)
        if rows:
            default_rows = sum(json.loads((repo / "data" / "prepared" / "summary.json")
                                          .read_text(encoding="utf-8"))["sizes"].values())
            bench_rows(work, rows, overrides, env, stage, default_rows, args.smoke)
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
