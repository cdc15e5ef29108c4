"""The baselines stage: wall time and peak memory on the default data, and its overhead over bare scikit-learn.

Goals: the baselines stage (all configured baselines, MLflow logging included)
under 60 s on the default data on 2 cores, and clearance's TF-IDF + logistic
regression baseline (run_baselines with baselines.run=[tfidf_logreg]) within
1.2x of a bare scikit-learn script fitting and scoring the same model.

    .venv/bin/python benchmarks/bench_baselines.py [--repeat N] [--skip-stage] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    PREPARE_CODE,
    VENV_BIN,
    Measured,
    copy_repo,
    export_default,
    median,
    run_measured,
    step_timings,
    venv_env,
)

STAGE_GOAL_S = 60.0
RATIO_GOAL = 1.2
CORES = 2

# The bare side: the same model as clearance.baselines.measure.models.TfidfLogReg.make() with the
# config defaults (conf/baselines/default.yaml), its parameters copied here on purpose:
# nothing of clearance but the preprocessing function is imported.
BARE_CODE = textwrap.dedent("""
    import sys, time, warnings
    start_imports = time.perf_counter()
    from pathlib import Path
    import numpy as np
    import pandas as pd
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score, log_loss
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from clearance.core.text.preprocess import clean_text
    print(f"BENCH imports_s {time.perf_counter() - start_imports:.3f}")

    prepared = Path(sys.argv[1])
    start, start_cpu = time.perf_counter(), time.process_time()
    frames = {s: pd.read_parquet(prepared / f"{s}.parquet") for s in ("train", "valid", "test")}
    t_read = time.perf_counter()
    texts = {s: clean_text(f["text"]) for s, f in frames.items()}
    t_pre = time.perf_counter()
    common = dict(min_df=2, sublinear_tf=True, max_features=100_000, dtype=np.float32)
    model = make_pipeline(
        FeatureUnion([
            ("words", TfidfVectorizer(ngram_range=(1, 2), **common)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), **common)),
        ]),
        LogisticRegression(solver="saga", C=4.0, max_iter=200, tol=3e-3, class_weight=None, random_state=42),
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
# error analysis, report), only the TF-IDF + logistic regression baseline.
CLEARANCE_CODE = textwrap.dedent("""
    import sys, time
    start_imports = time.perf_counter()
    from pathlib import Path
    from clearance.baselines.measure.run import run_baselines
    from clearance.core.config.baselines import BaselinesStage
    from clearance.core.config.params import from_conf
    print(f"BENCH imports_s {time.perf_counter() - start_imports:.3f}")

    prepared, out = sys.argv[1:3]
    cfg = from_conf(BaselinesStage)
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


def prepare_default(work: Path, env: dict) -> tuple[Path, Path]:
    """Export the built-in corpus and prepare it (not timed)."""
    csv_path = export_default(work)
    prepared = work / "prepared"
    prep = must(run_measured([str(VENV_BIN / "python"), "-c", PREPARE_CODE, str(csv_path), "text", "sentiment",
                              "confidence", str(prepared)], cwd=work, env=env), "prepare")
    print(f"[setup] default data exported and prepared in {prep.seconds:.1f} s (not counted); "
          f"split sizes {_bench_line(prep.output, 'sizes')}")
    return csv_path, prepared


def _bench_line(output: str, key: str) -> str:
    for line in output.splitlines():
        if line.startswith(f"BENCH {key} "):
            return line.split(" ", 2)[2]
    return "?"


def bench_stage(work: Path, csv_path: Path, prepared: Path, env: dict) -> None:
    """`python stages/baselines.py` in a copy of the repository, the way DVC runs it."""
    repo = copy_repo(work / "repo")
    done = subprocess.run([str(VENV_BIN / "clearance"), "params", f"data.path={csv_path}"], cwd=repo, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"clearance params failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    shutil.copytree(prepared, repo / "data" / "prepared")
    stage = must(run_measured([str(VENV_BIN / "python"), "stages/baselines.py"], cwd=repo, env=env),
                 "the baselines stage")
    steps = step_timings(stage.output)
    print(f"[stage] python stages/baselines.py: {stage.seconds:.1f} s wall, peak {stage.peak_mb:.0f} MB")
    for title, seconds in steps:
        print(f"[stage]    step {seconds:7.1f} s  {title}")
    rest = stage.seconds - sum(s for _, s in steps)
    print(f"[stage]    rest {rest:7.1f} s  (start-up, imports, loading, checks, report, MLflow logging)")
    for line in stage.output.splitlines():
        if line.startswith(("best baseline:", "checks:")):
            print(f"[stage] {line.strip()}")
    if not (repo / "mlflow.db").exists():
        sys.exit("the stage did not log into the copy's mlflow.db")
    print(f"[stage] baselines stage {stage.seconds:.1f} s (goal < {STAGE_GOAL_S:.0f} s on {CORES} cores: "
          f"{'MET' if stage.seconds < STAGE_GOAL_S else 'NOT MET'})")


def bench_overhead(work: Path, prepared: Path, env: dict, repeat: int) -> None:
    """Bare scikit-learn vs run_baselines(tfidf_logreg), alternating, ``repeat`` times each."""
    python = str(VENV_BIN / "python")
    bare_script, clearance_script = work / "bare_tfidf_logreg.py", work / "clearance_tfidf_logreg.py"
    bare_script.write_text(BARE_CODE, encoding="utf-8")
    clearance_script.write_text(CLEARANCE_CODE, encoding="utf-8")
    bare_runs, clearance_runs = [], []
    for i in range(repeat):
        bare = must(run_measured([python, str(bare_script), str(prepared)], cwd=work, env=env), "the bare script")
        bare_runs.append(bare)
        print(f"[overhead] run {i + 1}/{repeat} bare      {bench_value(bare.output, 'total_s'):6.1f} s "
              f"({bare.seconds:.1f} s wall, peak {bare.peak_mb:.0f} MB)")
        ours = must(run_measured([python, str(clearance_script), str(prepared), str(work / f"out-{i + 1}")],
                                 cwd=work, env=env), "run_baselines")
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side of the comparison (default 3)")
    parser.add_argument("--skip-stage", action="store_true", help="skip the timing of the whole stage")
    parser.add_argument("--keep", action="store_true", help="keep the temp work directory")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    print(f"[setup] {pin_cores()}")
    env = venv_env(PYTHONUNBUFFERED="1", COLUMNS="120")
    work = Path(tempfile.mkdtemp(prefix="clearance-bench-baselines-"))
    try:
        csv_path, prepared = prepare_default(work, env)
        if not args.skip_stage:
            bench_stage(work, csv_path, prepared, env)
        bench_overhead(work, prepared, env, args.repeat)
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
