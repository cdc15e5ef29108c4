"""Run stage scripts in project folders, paying the imports once: `python tests/stage_runner.py STAGES_DIR`.

It imports what the stages import, then reads one JSON line per job from stdin, ``[folder, stage, ...]``,
and forks a child that runs those stage scripts in that folder, in order, as `python stages/<stage>.py`
would (through their own ``run_main``), stopping at the first that exits non-zero. The child's output goes
to ``stages.out`` and ``stages.err`` in the folder; the runner answers each job with one JSON line,
``{"code": exit code, "stopped_at": stage or null}``. A forked child starts with the parent's modules but
nothing else of another job's: each job is as isolated as its own process, without a start-up each.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import traceback


# What the stages import, their lazy imports included (the libraries' start-up is most of a small case).
PRELOAD = ("torch", "torch.optim", "torch._dynamo", "transformers", "mlflow", "mlflow.store.tracking.sqlalchemy_store",
           "matplotlib.pyplot", "cleanlab.filter", "hydra.utils",
           "clearance.core.tracking", "clearance.core.tracking_store", "clearance.core.config.params",
           "clearance.inspection.measure.run", "clearance.baselines.measure.run",
           "clearance.baselines.measure.embeddings", "clearance.small_model.measure.probing",
           "clearance.neural.parts.tiny", "clearance.neural.parts.tokenizer", "clearance.neural.parts.pretrained")


def preload() -> None:
    """Import what the stages import (a forked child then starts with them loaded)."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    from transformers import AutoModel, AutoTokenizer  # noqa: F401 - transformers loads these on first use


def run_stages(stages_dir: str, names: list[str]) -> tuple[int, str | None]:
    """Run each stage script in this process; (exit code, the stage that stopped) at the first failure."""
    for name in names:
        script = os.path.join(stages_dir, f"{name}.py")
        sys.argv = [script]  # as `python stages/<name>.py`: run_main names a kept traceback after it
        print(f"@@ stage {name}", file=sys.stderr, flush=True)
        try:
            runpy.run_path(script, run_name="__main__")
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
            if code:
                return code, name
    return 0, None


def child(folder: str, stages_dir: str, names: list[str], answer: int) -> None:
    """In the forked child: output to the folder's files, run the stages, write the answer, exit."""
    os.chdir(folder)
    for fd, name in ((1, "stages.out"), (2, "stages.err")):
        os.dup2(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
    code, stopped = 1, None
    try:
        code, stopped = run_stages(stages_dir, names)
    except BaseException:  # noqa: BLE001 - outside the stages' own run_main: shown, as Python would
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.write(answer, json.dumps({"code": code, "stopped_at": stopped}).encode() + b"\n")
        os._exit(0)


def serve(stages_dir: str) -> None:
    """Answer each job line on stdin, one forked child at a time."""
    for line in sys.stdin:
        folder, *names = json.loads(line)
        read, write = os.pipe()
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            child(folder, stages_dir, names, write)
        os.close(write)
        with os.fdopen(read) as answer:
            said = answer.read().strip()
        _, status = os.waitpid(pid, 0)
        print(said or json.dumps({"code": os.waitstatus_to_exitcode(status), "stopped_at": "(died)"}), flush=True)


if __name__ == "__main__":
    sys.path.remove(os.path.dirname(os.path.abspath(__file__)))  # as for a stage: tests/ is not importable
    preload()
    serve(sys.argv[1])
