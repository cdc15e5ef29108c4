"""The pipeline through its gates, answers given: seconds per step and stage, a no-op repro, a threshold change.

In a temporary git copy of the repository, on the built-in corpus (or `--rows N` synthetic rows),
`dvc repro` runs until a gate closes; the benchmark answers it (answers every question, waives the
failing checks with a reason and marks the evidence reviewed, as a user who read the report would)
and runs `dvc repro` again, until the gate of the `--through` step clears (default: sweep, the
whole pipeline with register and summary; an earlier step: `dvc repro gate_<step>`). Time spent
answering is not counted. Then, on that finished state:

- each step's and each stage's seconds, and the peak resident memory of the biggest process; through
  the sweep, the whole pipeline (goal <= 15 min on 2 CPU cores);
- when step 3 ran: the `dvc repro` from the cleared step-2 gate to the step-3 gate (goal <= 10 min on
  2 cores), the training throughput, the epochs seen, and valid macro-F1 against the best baseline's;
- when step 4 ran: the sweep's trials, the share of a trial spent outside the training function
  (goal <= 5%), the sweep plus the seed re-runs and the final choice;
- a no-op `dvc repro` (every stage up to date), `--repeat` calls, median: it must run no stage;
- a threshold change (`clearance params ... checks.inspect.duplicate_warn=0.2`, then `dvc repro`): it
  must re-run only the judging (judge_inspect, gate_inspect), never a measuring stage (builtin_data,
  prepare, inspect, baselines); timed against the same change as it was when thresholds fed the
  measuring stage (`dvc repro --force --downstream inspect`: inspect re-measured too), alternating,
  `--repeat` times, medians and the ratio. The changed evidence closes gate 1 again, so this comes last.

`--smoke`: the debug group on 100 rows, through step 1 only, one repeat, without the `--force`
comparison (~20 s on 2 cores).

    .venv/bin/python benchmarks/bench_pipeline.py [--through {inspect,baselines,model,sweep}] [--rows N]
        [--csv FILE] [--set key=value ...] [--repeat N] [--keep] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    add_smoke,
    compose_params,
    median,
    result,
    smoke_settings,
    venv_env,
    verdict,
)
from _pipeline import (  # noqa: E402
    MEASURING,
    STEP_OF,
    STEPS,
    Leg,
    changed_repro,
    git_copy,
    noop_repros,
    repro_command,
    synthetic_settings,
    walk,
)

GOALS = {"pipeline": 15 * 60, "step3": 10 * 60, "overhead": 0.05}  # the default journey on 2 CPU cores
THRESHOLD = "checks.inspect.duplicate_warn"
NOOP_GOAL = 3.0  # seconds: a `dvc repro` with nothing to do
REWORD_MAY_RUN = {"gate_inspect", "summary"}  # the journey page quotes the answers
WARNS = (0.2, 0.3)  # alternated, so that every threshold-change run is a change


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--through", choices=STEPS, default=STEPS[-1], help="the last step whose gate is cleared")
    parser.add_argument("--rows", type=int, default=0, help="N synthetic rows instead of the built-in corpus")
    parser.add_argument("--csv", type=Path, help="a corpus of your own: copied to data/raw/ and read with data=custom "
                        "(name its columns with --set data.label_column=...)")
    parser.add_argument("--set", action="append", default=[], help="a `clearance params` override (repeatable)")
    parser.add_argument("--repeat", type=int, default=5, help="no-op and threshold-change runs (medians)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy and print its path")
    add_smoke(parser)
    args = parser.parse_args(argv)
    if args.smoke:
        args.through, args.repeat = STEPS[0], 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    work = Path(tempfile.mkdtemp(prefix="clearance-bench-pipeline-"))
    try:
        env = venv_env(DVC_NO_ANALYTICS="1")
        repo = git_copy(work / "repo", env, [])
        settings = [*(synthetic_settings(repo, args.rows) if args.rows else []), *own_csv(repo, args.csv), *args.set]
        if args.smoke:
            settings = smoke_settings(*settings)
        compose_params(repo, settings, env)
        print(f"settings: {' '.join(settings) or 'defaults'}; through {args.through}", flush=True)
        legs = walk(repo, env, args.through)
        report_journey(repo, legs, args.through, args.smoke)
        command = repro_command(args.through)
        report_noop(command, noop_repros(repo, env, command, args.repeat))
        reworded_answer(repo, env, command, args.repeat)
        threshold_change(repo, env, settings, command, args.repeat, compare=not args.smoke)
        if args.keep:
            print(f"kept: {repo}")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def own_csv(repo: Path, csv: Path | None) -> list[str]:
    """Copy ``csv`` into ``repo``'s data/raw/ (uncommitted, as synthetic rows are); the settings that read it."""
    if csv is None:
        return []
    target = repo / "data" / "raw" / csv.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(csv, target)
    return ["data=custom", f"data.path=data/raw/{csv.name}"]


# -- the journey's figures ----------------------------------------------------------------------------------------

def report_journey(repo: Path, legs: list[Leg], through: str, smoke: bool) -> None:
    """Per step and stage seconds, then step 3's and step 4's own figures when those steps ran."""
    stages = [stage for leg in legs for stage in leg.repro.stages]
    peak = max(leg.repro.peak_mb for leg in legs)
    report_steps(stages, through, peak, smoke)
    step3 = next((leg.repro for leg in legs if leg.gate == "model"), None)
    if step3 is not None:
        report_step3(repo, step3.seconds, step3.stages, step3.peak_mb, smoke)
    if through == STEPS[-1]:
        report_sweep(repo, stages, smoke)


def report_steps(stages: list[tuple[str, float]], through: str, peak: float, smoke: bool = False) -> None:
    """Each step's seconds (its stages summed) and each stage's; the whole pipeline's goal when all four ran."""
    ran = STEPS[:STEPS.index(through) + 1]
    per_step = dict.fromkeys(ran, 0.0)
    for name, seconds in stages:
        step = STEP_OF.get(name, STEPS[-1])
        per_step[step] = per_step.get(step, 0.0) + seconds
    whole = sum(per_step.values())
    print(f"steps 1-{len(ran)} ({through}): {whole:.0f} s ({whole / 60:.1f} min)")
    for step, seconds in per_step.items():
        print(f"  step {STEPS.index(step) + 1} {step:<10} {seconds:7.1f} s")
    for name, seconds in stages:
        print(f"    {name:<16} {seconds:7.1f} s")
    if through == STEPS[-1]:
        met = whole <= GOALS["pipeline"]
        print(f"whole pipeline: goal <= {GOALS['pipeline'] // 60} min: {'MET' if met else 'NOT MET'}")
        result("whole pipeline, four gates", f"<= {GOALS['pipeline'] // 60} min", f"{whole:.0f} s ({whole / 60:.1f} min)",
               verdict(met, smoke))
    else:
        result(f"steps 1-{len(ran)}, through gate {len(ran)} ({through})", "-",
               f"{whole:.0f} s ({whole / 60:.1f} min)", None)
    print(f"peak resident memory (biggest process): {peak:.0f} MB")
    result(f"steps 1-{len(ran)}, peak resident memory (biggest process)", "-", f"{peak:.0f} MB", None)


def report_step3(repo: Path, seconds: float, stages: list[tuple[str, float]], peak_mb: float,
                 smoke: bool = False) -> None:
    """Step 3: the `dvc repro` from gate 2 cleared to gate 3, its stages, the training figures from
    reports/model/metrics.json and the model against the best baseline."""
    metrics = json.loads((repo / "reports/model/metrics.json").read_text(encoding="utf-8"))
    bar = metrics.get("bar") or {}
    met = seconds <= GOALS["step3"]
    print(f"step 3, gate 2 cleared -> gate 3: {seconds:.0f} s ({seconds / 60:.1f} min; goal <= "
          f"{GOALS['step3'] // 60} min: {'MET' if met else 'NOT MET'})")
    for name, stage_seconds in stages:
        print(f"  {name:<16} {stage_seconds:6.1f} s")
    print(f"training: {metrics['steps']} steps at {metrics['samples_per_second']} samples/s")
    epochs = epochs_seen(repo, metrics)
    if epochs is not None:
        print(f"epochs seen: {epochs:.2f}")
    print(f"valid: {json.dumps(metrics['valid'])}")
    print(f"bar: {json.dumps(bar)}")
    print(f"step 3 peak resident memory (biggest process): {peak_mb:.0f} MB")
    result("step 3, gate 2 cleared -> gate 3", f"<= {GOALS['step3'] // 60} min",
           f"{seconds:.0f} s ({seconds / 60:.1f} min)", verdict(met, smoke))
    if bar.get("model") is not None and bar.get("baseline") is not None:
        result(f"step 3 valid {bar.get('metric', 'score')}, model against the best baseline", "-",
               f"{bar['model']:.4f} vs {bar['baseline']:.4f} ({bar.get('best_baseline')})", None)
    result("step 3, training throughput", "-", f"{metrics['samples_per_second']} samples/s", None)
    if epochs is not None:
        result("step 3, epochs seen", "-", f"{epochs:.2f}", None)
    result("step 3, peak resident memory (biggest process)", "-", f"{peak_mb:.0f} MB", None)


def epochs_seen(repo: Path, metrics: dict) -> float | None:
    """Epochs the step-3 run saw: metrics.json's key, else the training record's (where train_model writes it)."""
    if metrics.get("epochs_seen") is not None:
        return float(metrics["epochs_seen"])
    training = repo / "reports/model/training.json"
    if training.is_file():
        value = json.loads(training.read_text(encoding="utf-8")).get("epochs_seen")
        return float(value) if value is not None else None
    return None


def report_sweep(repo: Path, stages: list[tuple[str, float]], smoke: bool = False) -> None:
    """Step 4: the sweep plus seed re-runs against their goal, the trials and their overhead, the final choice."""
    sweep_seconds = sum(s for n, s in stages if n in ("sweep", "seed_runs"))
    print(f"sweep + seed re-runs: {sweep_seconds:.0f} s ({sweep_seconds / 60:.1f} min; within the whole pipeline's "
          f"goal)")
    result("sweep + seed re-runs", "-", f"{sweep_seconds:.0f} s ({sweep_seconds / 60:.1f} min)", None)
    measured = json.loads((repo / "reports/sweep/measurements.json").read_text(encoding="utf-8"))
    complete = [t for t in measured["trials"] if t["state"] == "COMPLETE"]
    print(f"trials: {len(measured['trials'])} ({len(complete)} complete), mean "
          f"{_mean([t['seconds'] for t in complete]):.1f} s each, of which training "
          f"{_mean([t['train_seconds'] for t in complete]):.1f} s")
    result("sweep trials (complete)", "-", f"{len(measured['trials'])} ({len(complete)})", None)
    share = measured["overhead"]["share"]
    if share is not None:
        met = share <= GOALS["overhead"]
        print(f"overhead outside training per trial: {measured['overhead']['seconds']:.2f} s = {share:.1%} of "
              f"its training (goal <= 5%: {'MET' if met else 'NOT MET'})")
        result("sweep trial, overhead outside training", "<= 5% of its training",
               f"{share:.1%} ({measured['overhead']['seconds']:.2f} s)", verdict(met, smoke))
    best = measured["best"]
    print(f"best trial {best['number']}: valid {measured['metric']} {best['value']:.4f} {best['params']}")
    seeds = json.loads((repo / "reports/sweep/seeds.json").read_text(encoding="utf-8"))
    boot = seeds["bootstrap"]
    reused = sum(t is not None for name in ("best", "reference") for t in seeds[name].get("trials", []))
    result("seed re-runs reused from trials", "-", f"{reused} of {2 * len(seeds['seeds'])}", None)
    print(f"seed re-runs {seeds['seeds']} ({reused} reused from trials): best {seeds['best']['values']}, "
          f"step 3's {seeds['reference']['values']}; "
          f"mean gain {boot['mean_gain']:.4f} [{boot['low']:.4f}, {boot['high']:.4f}]")
    final = json.loads((repo / "reports/sweep/final.json").read_text(encoding="utf-8"))
    metric = final["metric"]
    print(final["why"])
    if final["chosen"] is not None:
        test = final["test"][f"test_{metric}"]
        print(f"final ({final['chosen']}): valid {final['valid'][f'valid_{metric}']:.4f}, test {test:.4f}; "
              f"test split scored {final['ledger']['seen']} time(s)")
        result("final choice, test " + metric, "-", f"{final['chosen']}: {test:.4f}", None)
    else:
        result("final choice", "-", "none", None)


def _mean(values: list[float | None]) -> float:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else float("nan")


# -- on the finished state: a no-op repro, then a threshold change ------------------------------------------------

def report_noop(command: list[str], times: list[float]) -> None:
    """The no-op `dvc repro` seconds (every stage up to date: none ran)."""
    shown = " ".join(command)
    print(f"no-op {shown}: {len(times)} run(s), median {median(times):.2f} s, max {max(times):.2f} s, "
          f"min {min(times):.2f} s ({', '.join(f'{t:.2f}' for t in times)})")
    result(f"no-op {shown}, median seconds", f"< {NOOP_GOAL:.0f} s", f"{median(times):.2f} s (max {max(times):.2f} s)",
           median(times) < NOOP_GOAL)


def reworded_answer(repo: Path, env: dict, command: list[str], repeat: int) -> None:
    """Reword one answer of step 1 and `dvc repro`: only gate 1 (and the journey page) may re-run, and the
    stamp must keep its bytes. Exits when anything else ran."""
    checklist, stamp = repo / "checklists/inspect.yaml", repo / "gates/inspect.json"
    before, times, ran = stamp.read_bytes(), [], []
    for i in range(repeat):
        text = checklist.read_text(encoding="utf-8")
        words = ("after reading", "after studying") if i % 2 == 0 else ("after studying", "after reading")
        if words[0] not in text:
            sys.exit(f"no answer in {checklist} holds the word {words[0]!r} to reword")
        checklist.write_text(text.replace(words[0], words[1], 1), encoding="utf-8")
        repro = changed_repro(repo, env, command)
        if set(repro.ran) - REWORD_MAY_RUN or stamp.read_bytes() != before:
            sys.exit(f"a reworded answer re-ran {repro.ran} (stamp kept: {stamp.read_bytes() == before})")
        times.append(repro.seconds)
        ran = repro.ran
    print(f"reworded answer (ran {', '.join(ran)}): median {median(times):.2f} s over {len(times)} run(s)")
    result("reworded answer, stages dvc repro re-runs", "its gate only", ", ".join(ran), True)
    result("reworded answer, median seconds", "-", f"{median(times):.2f} s", None)


def threshold_change(repo: Path, env: dict, settings: list[str], command: list[str], repeat: int,
                     compare: bool) -> None:
    """Move a step-1 threshold and `dvc repro`: only the judging may re-run; against `--force --downstream
    inspect` (the same change when thresholds fed the measuring stage), alternating, when ``compare``."""
    forced = ["dvc", "repro", "--force", "--downstream", "inspect"]
    now, before, rerun = [], [], []
    for i in range(repeat):
        compose_params(repo, [*settings, f"{THRESHOLD}={WARNS[i % 2]}"], env)
        repro = changed_repro(repo, env, command)
        if set(repro.ran) & set(MEASURING):
            sys.exit(f"a threshold change re-ran a measuring stage: {repro.ran}")
        now.append(repro.seconds)
        rerun = repro.ran
        if compare:
            if "GATE CLOSED: step 1" not in repro.output:
                # a cleared gate 1 would let --downstream re-run every later step: not the same change
                sys.exit(f"gate 1 stayed cleared after the threshold change:\n{repro.output[-4000:]}")
            before.append(changed_repro(repo, env, forced).seconds)
    report_threshold(rerun, now, before)


def report_threshold(rerun: list[str], now: list[float], before: list[float]) -> None:
    """The stages a threshold change re-ran (goal: no measuring stage) and its seconds, now and as it was."""
    print(f"threshold change, now (ran {', '.join(rerun)}): median {median(now):.2f} s over {len(now)} run(s)")
    # a measuring stage re-run exits before this, so reaching this row means the goal is met
    result("threshold change, stages dvc repro re-runs", "no measuring stage", ", ".join(rerun), True)
    if not before:
        print("threshold change, as it was (--force --downstream inspect): skipped (--smoke)")
        result("threshold change, seconds now", "-", f"{median(now):.2f} s (as it was: skipped in --smoke)", None)
        return
    ratio = median(now) / median(before)
    print(f"threshold change, as it was (inspect re-measured too): median {median(before):.2f} s "
          f"over {len(before)} run(s)")
    print(f"ratio now / as it was: {ratio:.3f}")
    result("threshold change, seconds now / as it was", "-",
           f"{median(now):.2f} / {median(before):.2f} s = {ratio:.3f}", None)


if __name__ == "__main__":
    sys.exit(main())
