"""Random search against the full grid: does the best of a random budget of 1/4 of a small grid land
within 1 point (0.01 macro-F1) of the grid's best?

Every point of a small grid (written as the sweep writes it: `choice(...)` dimensions) is trained
once through the sweep's own path (`clearance.sweep.search.trial.configuration` + `train_and_score`, the
function every trial calls) on synthetic tweet-like texts, with the tiny model shrunk so a point
trains in seconds on one CPU thread (`--threads`). Then the random search runs many times with no
retraining: an Optuna study with `RandomSampler(seed=s)` draws values over the same dimensions
(`clearance.sweep.search.space.suggest`), and each trial's value is the grid score of the point it drew.

The sampler draws each choice independently, so a trial may repeat a point an earlier trial drew
(draws with replacement): a budget of 8 over 32 points sees ~7.2 distinct points on average. The
benchmark keeps that, because it is what the sweep does.

Printed: seconds to train the grid and per point, the grid's scores, the budget curve (mean, 10th
percentile and median of the best-so-far over the seeds, for budgets 1 to the grid's size), and at
the 1/4 budget the mean and median gap to the grid's best and the share of seeds within 1 point.
The goal is judged on the mean gap (the expected shortfall of one sweep). The curve is drawn as a
PNG (default: a new temporary folder; `--out PATH.png`), with the figures beside it as JSON.

    .venv/bin/python benchmarks/bench_random_grid.py [--rows N] [--steps N] [--seeds N] [--out PATH.png]
                                                     [--threads N] [--space KEY=EXPR ...] [--smoke]

`--smoke`: a 2-point grid (train.lr), 300 rows, 5 steps a point, 5 seeds: seconds, proving the code runs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from _common import DEBUG, REPO, add_smoke, exit_now, result, verdict  # noqa: E402
from synthetic import SMOKE_VOCABULARY, VOCABULARY, write_csv  # noqa: E402

GOAL_POINTS = 0.01  # "1 point" of macro-F1
GRID = {  # 4 x 2 x 2 x 2 = 32 points
    "train.lr": "choice(1e-3, 3e-3, 1e-2, 3e-2)",
    "train.weight_decay": "choice(0.0, 0.1)",
    "model.layers": "choice(1, 2)",
    "train.dropout": "choice(0.0, 0.2)",
}
# The debug group's settings (its tiny model, conf/debug/tiny.yaml), inputs shortened so one point trains in
# a few seconds on one CPU thread; the grid and the fixed budget below replace its lr, steps and evaluations.
MODEL = [DEBUG, "train.max_length=32", "train.batch_size=32"]
SMOKE = {"rows": 300, "steps": 5, "seeds": 5, "space": ["train.lr=choice(1e-3, 1e-2)"]}
METRIC = "macro_f1"


def prepared_data(work: Path, rows: int, vocabulary: int = VOCABULARY) -> Path:
    """Synthetic texts written as a CSV and prepared by clearance's own prepare step."""
    from clearance.core.config.data import DataConfig, PrepareStage
    from clearance.core.config.params import from_conf
    from clearance.core.data.prepare import prepare

    csv = write_csv(work / "data/bench.csv", rows, vocabulary=vocabulary)
    conf = REPO / "conf"
    data = from_conf(DataConfig, "data", ("data=custom",), conf_dir=conf, path=str(csv))
    prepare(from_conf(PrepareStage, None, ("data=custom",), conf_dir=conf, data=data), work / "data/prepared")
    return work / "data/prepared"


def make_setup(prepared: Path, steps: int):
    """The sweep's shared setup: the composed params with the small model, and the fixed budget."""
    from clearance.core.compose import compose
    from clearance.sweep.search.trial import Setup

    params = compose(["data=custom", f"data.path={prepared.parent / 'bench.csv'}", *MODEL], conf_dir=REPO / "conf")
    # epochs high enough that max_steps alone decides the budget; one evaluation, at the end
    fixed = {"train.max_steps": steps, "train.eval_every": steps, "train.epochs": 1000}
    return Setup(params, fixed, METRIC, prepared)


def grid_points(dims) -> list[dict[str, Any]]:
    """Every combination of the dimensions' choices (all dimensions must be `choice(...)`)."""
    ranged = [d.key for d in dims if d.kind != "choice"]
    if ranged:
        raise SystemExit(f"--space {ranged[0]}: a full grid needs choice(...) dimensions, e.g. choice(1, 2)")
    return [dict(zip([d.key for d in dims], values)) for values in itertools.product(*(d.choices for d in dims))]


def point_key(values: dict[str, Any]) -> str:
    """One grid point as a lookup key (the values keep their YAML types: 1 and 1.0 differ)."""
    return json.dumps({k: [type(v).__name__, v] for k, v in values.items()}, sort_keys=True)


def train_grid(setup, points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each point trained once by the trials' own function; its valid score and seconds."""
    from clearance.sweep.search.trial import configuration, train_and_score

    rows = []
    for index, values in enumerate(points, 1):
        started = time.perf_counter()
        scored = train_and_score(setup, configuration(setup, values))
        wall = time.perf_counter() - started
        rows.append({"params": values, "value": scored.value, "train_seconds": scored.seconds, "seconds": wall})
        print(f"  {index:>3}/{len(points)} {fmt(values)}: valid {METRIC} {scored.value:.4f} "
              f"({scored.seconds:.1f} s training, {wall:.1f} s in all)", flush=True)
    return rows


def fmt(values: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in values.items())


def random_searches(dims, scores: dict[str, float], budget: int, seeds: int) -> tuple[np.ndarray, list[list[str]]]:
    """Best-so-far after each of ``budget`` trials, one row per sampler seed ([seeds, budget]), and
    the points each search drew, in order.

    The study is Optuna's, as in the sweep, but a trial's value is the grid score of its point.
    """
    import optuna

    from clearance.sweep.search.analysis import budget_curve
    from clearance.sweep.search.space import suggest

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    curves, drawn = np.empty((seeds, budget)), []
    for seed in range(seeds):
        study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=seed))
        trials, keys = [], []
        for number in range(budget):
            trial = study.ask()
            keys.append(point_key(suggest(trial, dims)))
            study.tell(trial, scores[keys[-1]])
            trials.append({"number": number, "state": "COMPLETE", "value": scores[keys[-1]]})
        curves[seed] = budget_curve(trials, "maximize")
        drawn.append(keys)
    return curves, drawn


def curve_table(curves: np.ndarray, best: float) -> list[dict[str, float]]:
    """Per budget: mean, 10th percentile and median best-so-far, and the share within 1 point."""
    table = []
    for budget in range(1, curves.shape[1] + 1):
        column = curves[:, budget - 1]
        table.append({"budget": budget, "mean": float(column.mean()), "p10": float(np.percentile(column, 10)),
                      "median": float(np.median(column)),
                      "within": float(np.mean(best - column <= GOAL_POINTS + 1e-12))})
    return table


def plot(table: list[dict[str, float]], best: float, quarter: int, path: Path) -> None:
    """The budget curve: mean and 10th percentile of the best-so-far, the grid's best and the goal line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    budgets = [row["budget"] for row in table]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(budgets, [row["mean"] for row in table], marker="o", ms=3, label="mean best-so-far")
    ax.plot(budgets, [row["p10"] for row in table], ls="--", label="10th percentile")
    ax.axhline(best, color="black", lw=1, label=f"grid best {best:.4f}")
    ax.axhline(best - GOAL_POINTS, color="grey", lw=1, ls=":", label="grid best - 1 point")
    trials = f"{quarter} trial{'s' if quarter > 1 else ''}"
    ax.axvline(quarter, color="tab:red", lw=1, ls="-.", label=f"1/4 of the grid ({trials})")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("random-search trials (budget)")
    ax.set_ylabel(f"best valid {METRIC} so far")
    ax.set_title(f"Random search over a {len(table)}-point grid")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # ~2,000 valid texts, so one point of macro-F1 is ~20 texts rather than the noise of a few; 400 steps
    # (0.8 epoch) so the scores say how well a setting trains, not only how fast (at 80 steps on 3,000
    # rows the grid's best was an isolated lucky point and the mean gap at 1/4 of the grid was 0.037)
    parser.add_argument("--rows", type=int, default=20000, help="synthetic rows before the split (default 20000)")
    parser.add_argument("--steps", type=int, default=400, help="optimizer steps per grid point (default 400)")
    parser.add_argument("--seeds", type=int, default=200, help="random searches, one per sampler seed (default 200)")
    parser.add_argument("--out", type=Path, default=None, help="the curve's PNG (default: in a new temporary folder)")
    # One thread: a model this small gains nothing from a second one, and two threads ran ~6x slower
    # while another process held the other core (thread oversubscription); 0 keeps torch's own choice.
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1; 0: torch's choice)")
    parser.add_argument("--space", action="append", default=[], metavar="KEY=EXPR",
                        help="replace the default 32-point grid, e.g. --space 'train.lr=choice(1e-3, 1e-2)'")
    add_smoke(parser)
    args = parser.parse_args()
    if args.smoke:
        for key, value in SMOKE.items():
            setattr(args, key, value)
    return args


def space_of(entries: list[str]) -> dict[str, str]:
    if not entries:
        return dict(GRID)
    space = {}
    for entry in entries:
        key, sep, expr = entry.partition("=")
        if not sep:
            raise SystemExit(f"--space {entry}: write KEY=EXPR, e.g. 'train.lr=choice(1e-3, 1e-2)'")
        space[key.strip()] = expr.strip()
    return space


def measure_grid(args: argparse.Namespace, dims, points: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], float]:
    """Prepare the data in a temporary folder and train every grid point; the points and their seconds."""
    import torch

    from clearance.core.data.prepare import load_summary
    from clearance.sweep.search.space import check_keys

    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="bench_random_grid-") as tmp:
        started = time.perf_counter()
        prepared = prepared_data(Path(tmp), args.rows, SMOKE_VOCABULARY if args.smoke else VOCABULARY)
        setup = make_setup(prepared, args.steps)
        check_keys(dims, setup.params)
        sizes = load_summary(prepared).get("sizes", {})
        print(f"data: {args.rows} synthetic rows, splits {sizes}, prepared in {time.perf_counter() - started:.1f} s")
        print(f"model: {' '.join(MODEL)}; {args.steps} steps a point; torch threads {torch.get_num_threads()}")
        print(f"grid: {len(points)} points = " + " x ".join(f"{d.key} {list(d.choices)}" for d in dims))
        started = time.perf_counter()
        grid = train_grid(setup, points)
        seconds = time.perf_counter() - started
    print(f"grid trained in {seconds:.1f} s: {seconds / len(points):.2f} s a point "
          f"({np.mean([g['train_seconds'] for g in grid]):.2f} s of it in the training function; "
          "the first point also tokenises the data, once)")
    return grid, seconds


def print_grid(grid: list[dict[str, Any]], best: float, near: int) -> None:
    print(f"\ngrid scores (valid {METRIC}), best first:")
    for g in sorted(grid, key=lambda g: -g["value"]):
        print(f"  {g['value']:.4f}  {fmt(g['params'])}")
    print(f"grid best {best:.4f}; worst {min(g['value'] for g in grid):.4f}; "
          f"{near} of {len(grid)} points within 1 point of the best")


def print_curve(table: list[dict[str, float]], quarter: int) -> None:
    print(f"{'budget':>6} {'mean':>7} {'p10':>7} {'median':>7} {'within 1 pt':>11}")
    for row in table:
        mark = "  <- 1/4 of the grid" if row["budget"] == quarter else ""
        print(f"{row['budget']:>6} {row['mean']:>7.4f} {row['p10']:>7.4f} {row['median']:>7.4f} "
              f"{row['within']:>10.0%}{mark}")


def at_quarter(curves: np.ndarray, drawn: list[list[str]], best: float, near: int, quarter: int) -> dict[str, Any]:
    """The figures at a budget of 1/4 of the grid, and the goal judged on the mean gap."""
    size = curves.shape[1]
    gaps = best - curves[:, quarter - 1]
    mean_gap, median_gap = float(gaps.mean()), float(np.median(gaps))
    return {"quarter": quarter, "distinct_at_quarter": float(np.mean([len(set(k[:quarter])) for k in drawn])),
            "mean_gap": mean_gap, "median_gap": median_gap, "max_gap": float(gaps.max()),
            "share": float(np.mean(gaps <= GOAL_POINTS + 1e-12)),
            # the exact share for independent uniform draws, to check the simulated one against
            "expected_share": 1 - (1 - near / size) ** quarter, "met": mean_gap <= GOAL_POINTS}


def print_quarter(q: dict[str, Any], size: int) -> None:
    print(f"\nat a budget of {q['quarter']} (1/4 of {size}): {q['distinct_at_quarter']:.1f} distinct points on "
          f"average; mean gap {q['mean_gap']:.4f}, median gap {q['median_gap']:.4f}, max gap {q['max_gap']:.4f}; "
          f"{q['share']:.0%} of seeds within 1 point (exact for uniform draws: {q['expected_share']:.0%})")
    print(f"best of a random 1/4 budget within 1 point of the grid's best: {'MET' if q['met'] else 'NOT MET'} "
          f"(judged on the mean gap: {q['mean_gap']:.4f} {'<=' if q['met'] else '>'} {GOAL_POINTS}; "
          f"median gap {q['median_gap']:.4f})")


def main() -> int:
    from clearance.sweep.search.space import parse_space

    args = parse_args()
    dims = parse_space(space_of(args.space))
    points = grid_points(dims)
    quarter = max(1, math.ceil(len(points) / 4))
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_random_grid-")) / "random_grid.png"
    grid, grid_seconds = measure_grid(args, dims, points)
    best = max(g["value"] for g in grid)
    near = sum(best - g["value"] <= GOAL_POINTS + 1e-12 for g in grid)
    print_grid(grid, best, near)

    started = time.perf_counter()
    curves, drawn = random_searches(dims, {point_key(g["params"]): g["value"] for g in grid}, len(points), args.seeds)
    print(f"\nrandom search: {args.seeds} seeds x {len(points)} trials (RandomSampler, draws with replacement) "
          f"in {time.perf_counter() - started:.1f} s")
    table = curve_table(curves, best)
    print_curve(table, quarter)
    figures = at_quarter(curves, drawn, best, near, quarter)
    print_quarter(figures, len(points))

    plot(table, best, quarter, out)
    figures.update(rows=args.rows, steps=args.steps, seeds=args.seeds, threads=args.threads, grid_seconds=grid_seconds,
                   seconds_per_point=grid_seconds / len(points), best=best, near=near, grid=grid, curve=table)
    out.with_suffix(".json").write_text(json.dumps(figures, indent=2))
    result(f"random search at 1/4 of a {len(points)}-point grid, mean gap to the grid's best",
           f"<= {GOAL_POINTS} macro-F1", f"{figures['mean_gap']:.4f} ({figures['share']:.0%} of {args.seeds} seeds "
           "within 1 point)", verdict(figures["met"], args.smoke))
    result("grid training, seconds a point", "-", f"{grid_seconds / len(points):.2f} s", None)
    print(f"curve: {out} (figures: {out.with_suffix('.json')})")
    if args.smoke and args.out is None:  # the tests run this on every `make test`: leave nothing behind
        shutil.rmtree(out.parent, ignore_errors=True)
        print(f"(smoke run: {out.parent} removed)")
    return 0


if __name__ == "__main__":
    exit_now(main())  # torch's teardown would add a second
