"""Overfit-16 probe: `measure_overfit` as the probe stage calls it, against a bare PyTorch loop reaching the same loss.

Goal: the probe takes <= 1.2x the bare loop. Both train a fresh default model (MiniLM cut to
2 layers, dropout 0, weight decay 0) on the same 16 synthetic tweet-like rows (`overfit_rows`),
as one batch, with AdamW at train.lr, until a step's loss is below probes.overfit_stop_loss
(the stop the probe stage passes as ``stop_below``), or the probes.overfit_max_steps cap.
Fairness: the model build is EXCLUDED from both figures (the probe's builds are timed through
a wrapped `parts.build_model` and subtracted from the wall time around `measure_overfit`);
the figures with the build included are printed too, and so are CPU seconds (all threads),
which other users' load sways less than wall time.
Runs alternate; medians are compared. Then one instrumented probe run times train_model's
helpers (train_step, the per-evaluation _record with its gradient and parameter norms, collate)
to show where any overhead goes, and param_norms is timed against a stacked version.

    .venv/bin/python benchmarks/bench_overfit.py [--repeat N] [--no-stop] [--smoke]

`--no-stop` runs the probe without a stop (the whole step cap, as the stage did before
probes.overfit_stop_loss existed) while the bare loop still stops, and prints the step where
the probe's loss first went below the stop loss. `--smoke`: the debug group's tiny model, a 5-step cap,
64 texts, one repeat, one torch thread.
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from _common import DEBUG, add_smoke, exit_now, median, result, verdict  # noqa: E402
from synthetic import CLASSES, SMOKE_VOCABULARY, VOCABULARY, generate  # noqa: E402

GOAL = 1.2
TEXTS = 512  # synthetic training texts the 16 rows are drawn from
# A smoke run: the debug group's model, a few steps, few texts (the 16 rows need only a few of each label),
# and a handful of calls where a figure is a median of many.
SMOKE_OVERRIDES = (DEBUG, "probes.overfit_max_steps=5")
SMOKE_TEXTS = 64
CALLS, SMOKE_CALLS = 20, 3


@dataclass
class Timing:
    """One run: wall seconds with and without the model build, the same in CPU seconds, steps and last loss."""

    seconds: float
    build: float
    steps: int
    final_loss: float
    cpu: float = 0.0
    build_cpu: float = 0.0
    losses: list[float] = field(default_factory=list)

    @property
    def loop(self) -> float:
        return self.seconds - self.build

    @property
    def loop_cpu(self) -> float:
        return self.cpu - self.build_cpu


def setup(hydra_overrides: tuple[str, ...] = (), texts: int = TEXTS, vocabulary: int = VOCABULARY):
    """The config from conf/ (CPU, fp32), its parts, ``texts`` synthetic texts tokenised once, and the threshold."""
    from clearance.core.config.model import ModelStage
    from clearance.core.config.params import from_conf
    from clearance.neural.parts.device import resolve
    from clearance.neural.parts.parts import build_parts
    from clearance.neural.training.batches import encode

    # synthetic texts, no prepared split to read a length from: the built-in corpus's 64 tokens
    cfg = from_conf(ModelStage, hydra_overrides=("train.max_length=64", *hydra_overrides))
    cfg.train = replace(cfg.train, device="cpu", precision="fp32")
    threshold = cfg.probes.overfit_stop_loss  # what the probe stage passes as stop_below
    parts = build_parts(cfg, list(CLASSES))
    texts, labels = generate(texts, seed=0, vocabulary=vocabulary)
    index = {c: i for i, c in enumerate(CLASSES)}
    train = encode(parts.tokenizer, texts, np.array([index[label] for label in labels]), cfg.train.max_length)
    device, autocast = resolve(cfg.train.device, cfg.train.precision)
    return cfg, parts, train, threshold, device, autocast


def timed_builds(parts):
    """``parts`` whose build_model records its (wall, CPU) seconds in the returned list (to subtract them)."""
    spent: list[tuple[float, float]] = []

    def build_model(*args, **kwargs):
        start, cpu = time.perf_counter(), time.process_time()
        model = parts.build_model(*args, **kwargs)
        spent.append((time.perf_counter() - start, time.process_time() - cpu))
        return model

    return replace(parts, build_model=build_model), spent


def probe(cfg, parts, train, stop_below, device, autocast) -> Timing:
    """The overfit probe exactly as clearance/probes/suite.py calls it, timed from outside."""
    from clearance.small_model.measure.probes.fitting import measure_overfit

    wrapped, builds = timed_builds(parts)
    start, cpu = time.perf_counter(), time.process_time()
    measured = measure_overfit(cfg.train, wrapped, train, cfg.probes.overfit_samples, cfg.probes.overfit_max_steps,
                               device, autocast, cfg.seed, stop_below)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return Timing(seconds, sum(b[0] for b in builds), measured["steps"], measured["final_loss"], cpu,
                  sum(b[1] for b in builds), measured["losses"])


def bare_loop(cfg, parts, train, stop_below) -> Timing:
    """The plainest loop: one batch of the same rows, a fresh model, AdamW, cross-entropy, until below the loss."""
    from clearance.neural.training.batches import collate
    from clearance.small_model.measure.probes.fitting import overfit_rows

    start, cpu = time.perf_counter(), time.process_time()
    model = parts.build_model(dropout=0.0)
    build, build_cpu = time.perf_counter() - start, time.process_time() - cpu
    batch = collate(train, overfit_rows(train.labels, cfg.probes.overfit_samples, cfg.seed),
                    parts.tokenizer.pad_token_id)
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.train.lr,
                                  weight_decay=0.0)
    loss_fn = torch.nn.CrossEntropyLoss()
    steps, value = 0, float("nan")
    while steps < cfg.probes.overfit_max_steps:
        optimizer.zero_grad()
        loss = loss_fn(model(input_ids=batch.input_ids, attention_mask=batch.attention_mask), batch.labels)
        loss.backward()
        optimizer.step()
        steps, value = steps + 1, loss.item()
        if stop_below is not None and value < stop_below:
            break
    return Timing(time.perf_counter() - start, build, steps, value, time.process_time() - cpu, build_cpu)


def per_call(fn, calls: int = CALLS) -> float:
    """Median seconds of one call of ``fn``."""
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return median(times)


@contextmanager
def timing_loop_helpers(names: tuple[str, ...]):
    """Time every call of the named functions of clearance.neural.training.loop (train_model looks them up there)."""
    import clearance.neural.training.loop as loop

    spent: dict[str, list[float]] = {name: [] for name in names}
    originals = {name: getattr(loop, name) for name in names}

    def timed(name, fn):
        def call(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name].append(time.perf_counter() - start)
        return call

    for name, fn in originals.items():
        setattr(loop, name, timed(name, fn))
    try:
        yield spent
    finally:
        for name, fn in originals.items():
            setattr(loop, name, fn)


def stacked_param_norms(model: torch.nn.Module) -> dict[str, float]:
    """param_norms with one vector_norm per parameter and one read-back (the change the report proposes)."""
    from clearance.neural.training.norms import layer_group

    named = [(layer_group(name), p) for name, p in model.named_parameters() if p.requires_grad]
    squares = torch.stack([torch.linalg.vector_norm(p.detach().float()) for _, p in named]).pow(2).tolist()
    grouped: dict[str, float] = {}
    for (group, _), value in zip(named, squares):
        grouped[group] = grouped.get(group, 0.0) + value
    return {group: value ** 0.5 for group, value in grouped.items()}


def breakdown(cfg, parts, train, stop_below, device, autocast, calls: int = CALLS) -> None:
    """One instrumented probe run: seconds in train_model's helpers; then param_norms against a stacked version,
    the median of ``calls`` calls each."""
    from clearance.neural.training.norms import param_norms

    helpers = ("train_step", "_record", "grad_norm", "param_norms", "collate", "seed_everything")
    with timing_loop_helpers(helpers) as spent:
        run = probe(cfg, parts, train, stop_below, device, autocast)
    print(f"one instrumented probe run: {run.loop:.2f} s without the build, {run.steps} steps")
    for name in helpers:
        print(f"  {name:16s} {sum(spent[name]):6.2f} s in {len(spent[name]):3d} calls")
    accounted = sum(spent["train_step"]) + sum(spent["_record"]) + sum(spent["collate"]) + sum(spent["seed_everything"])
    print(f"  {'the rest':16s} {run.loop - accounted:6.2f} s (optimizer, model.to, batch.to, callback, loop)")
    # The same run's training steps are the bare loop's work (train_step is its four lines), so this ratio
    # holds the probe's extras against that work under the same load: steadier than two runs' wall times.
    print(f"  within-run estimate of probe / bare: {run.loop / sum(spent['train_step']):.3f} "
          f"(the run over its train_step seconds)")
    model = parts.build_model(dropout=0.0)
    now, stacked = per_call(lambda: param_norms(model), calls), per_call(lambda: stacked_param_norms(model), calls)
    print(f"param_norms a call: {now * 1000:.1f} ms now, {stacked * 1000:.1f} ms with one vector_norm per parameter "
          f"and one read-back (x {run.steps} evaluations: {now * run.steps:.2f} s -> {stacked * run.steps:.2f} s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-stop", action="store_true",
                        help="run the probe without a stop (the whole step cap); the bare loop still stops")
    add_smoke(parser)
    args = parser.parse_args()
    if args.smoke:
        args.repeat = 1
        # one thread: the tests run smoke benchmarks side by side, where two threads a process spin against
        # each other on busy cores
        torch.set_num_threads(1)
    cfg, parts, train, threshold, device, autocast = (setup(SMOKE_OVERRIDES, SMOKE_TEXTS, SMOKE_VOCABULARY)
                                                      if args.smoke else setup())
    stop_below = None if args.no_stop else threshold
    print(f"model {cfg.model['_target_']} ({cfg.model.get('num_layers')} layers), {cfg.probes.overfit_samples} "
          f"samples in one batch, lr {cfg.train.lr}, bare loop stops below {threshold}, probe stop_below "
          f"{stop_below}, cap {cfg.probes.overfit_max_steps} steps, torch threads {torch.get_num_threads()}")
    # warm-up: first-call allocations and lazy imports count for neither
    bare_loop(cfg, parts, train, threshold)
    probe(cfg, parts, train, stop_below, device, autocast)
    bare, probed = [], []
    for _ in range(args.repeat):
        bare.append(bare_loop(cfg, parts, train, threshold))
        probed.append(probe(cfg, parts, train, stop_below, device, autocast))
    for name, runs in (("bare PyTorch loop", bare), ("measure_overfit  ", probed)):
        print(f"{name}: median {median([r.loop for r in runs]):.2f} s without the build, "
              f"{median([r.seconds for r in runs]):.2f} s with it (build {median([r.build for r in runs]):.2f} s); "
              f"runs {[round(r.loop, 2) for r in runs]}, steps {[r.steps for r in runs]}, "
              f"final loss {[round(r.final_loss, 4) for r in runs]}")
    if {r.steps for r in bare} != {r.steps for r in probed}:
        print(f"WARNING: the two took different steps (bare {sorted({r.steps for r in bare})}, probe "
              f"{sorted({r.steps for r in probed})}): the ratio compares unequal work")
    below = [next((i + 1 for i, loss in enumerate(r.losses) if loss < threshold), None) for r in probed]
    print(f"the probe's loss first went below {threshold} at step {below}")
    with_build = median([r.seconds for r in probed]) / median([r.seconds for r in bare])
    paired = median([p.loop / b.loop for p, b in zip(probed, bare)])
    cpu = median([r.loop_cpu for r in probed]) / median([r.loop_cpu for r in bare])
    print(f"ratio probe / bare with the build: {with_build:.3f}; median of the paired ratios (no build): {paired:.3f}")
    print(f"CPU seconds (no build, all threads; less sensitive to other users' load): bare "
          f"{[round(r.loop_cpu, 2) for r in bare]}, probe {[round(r.loop_cpu, 2) for r in probed]}, ratio {cpu:.3f}")
    if stop_below is not None:  # without it there is one evaluation a run: nothing per step to break down
        breakdown(cfg, parts, train, stop_below, device, autocast, SMOKE_CALLS if args.smoke else CALLS)
    ratio = median([r.loop for r in probed]) / median([r.loop for r in bare])
    met = ratio <= GOAL
    print(f"ratio probe / bare without the build: {ratio:.3f} (goal <= {GOAL}: {'MET' if met else 'NOT MET'})")
    tag = f" (smoke: {DEBUG})" if args.smoke else ""
    result(f"overfit-16 probe / bare PyTorch loop, seconds without the build{tag}", f"<= {GOAL}x",
           f"{ratio:.3f}x ({median([r.loop for r in probed]):.2f} / {median([r.loop for r in bare]):.2f} s)",
           verdict(met, args.smoke))
    return 0


if __name__ == "__main__":
    exit_now(main())  # torch's teardown would add a second
