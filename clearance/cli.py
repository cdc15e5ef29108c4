"""The `clearance` command: status, show, gate, params, ui.

It starts fast: nothing here imports torch, and heavy modules (Hydra, MLflow)
are imported only by the subcommands that need them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from clearance.errors import UserError, exit_with
from clearance.paths import CHECKLIST_DIR, GATE_DIR, PARAMS_FILE


def _checklist(step: str, folder: Path):
    from clearance.checklist.questions import load_checklist

    path = folder / f"{step}.yaml"
    if not path.exists():
        steps = ", ".join(sorted(p.stem for p in folder.glob("*.yaml"))) or "none"
        raise UserError(str(path), f"no question file for step {step!r}", f"use one of: {steps}")
    return load_checklist(path)


def _verdict(step: str, folder: Path):
    from clearance.checklist.gate import evaluate
    from clearance.checklist.results import read_checks

    checklist = _checklist(step, folder)
    return evaluate(checklist, read_checks(checklist.checks))


def cmd_gate(args: argparse.Namespace) -> int:
    """The gate DVC runs between two steps: exit 1 with instructions, or write the stamp."""
    from clearance.checklist.gate import write_stamp
    from clearance.checklist.messages import blocked_message, cleared_message

    verdict = _verdict(args.step, args.checklists)
    if not verdict.cleared:
        print(blocked_message(verdict), file=sys.stderr)
        return 1
    path = write_stamp(verdict, args.gates)
    print(cleared_message(verdict, str(path)))
    if not args.no_track:
        from clearance.checklist.record import log_cleared_gate

        print(f"answers and waivers logged to MLflow (run {log_cleared_gate(verdict)})")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """One line per step: answered questions, failing checks, cleared or not."""
    from clearance.checklist.gate import evaluate, stamp, stamp_path
    from clearance.checklist.questions import find_checklists
    from clearance.checklist.results import read_checks

    print(f"{'step':<12}{'questions':<12}{'checks':<28}state")
    for checklist in find_checklists(args.checklists):
        answered = sum(q.answered for q in checklist.questions)
        questions = f"{answered}/{len(checklist.questions)}"
        if not checklist.checks.exists():
            print(f"{checklist.step:<12}{questions:<12}{'not run yet':<28}waiting for `dvc repro`")
            continue
        verdict = evaluate(checklist, read_checks(checklist.checks))
        checks = f"{len(verdict.failing)} failing, {len(verdict.waived)} waived, {len(verdict.warnings)} warn"
        stamp_file = stamp_path(checklist.step, args.gates)
        if not verdict.cleared:
            state = "BLOCKED: " + ", ".join(
                ([f"{len(verdict.unanswered)} to answer"] if verdict.unanswered else [])
                + ([f"{len(verdict.failing)} checks to fix or waive"] if verdict.failing else []))
        elif stamp_file.exists() and _stamp_matches(stamp_file, stamp(verdict)):
            state = "cleared"
        else:
            state = "ready: run `dvc repro` to clear"
        print(f"{checklist.step:<12}{questions:<12}{checks:<28}{state}")
    return 0


def _stamp_matches(path: Path, expected: dict) -> bool:
    import json

    try:
        return json.loads(path.read_text(encoding="utf-8")) == expected
    except (OSError, ValueError):
        return False


def cmd_show(args: argparse.Namespace) -> int:
    """Each question beside its answer and the evidence values it points to."""
    import textwrap

    from clearance.checklist.evidence import resolve

    verdict = _verdict(args.step, args.checklists) if _checks_exist(args) else None
    checklist = verdict.checklist if verdict else _checklist(args.step, args.checklists)
    print(f"Step {checklist.order}: {checklist.title}  ({checklist.path})\n")
    for q in checklist.questions:
        mark = "answered" if q.answered else "UNANSWERED"
        print(f"[{mark}] {q.id} (line {q.line})")
        print(textwrap.fill(q.question, 96, initial_indent="  ", subsequent_indent="  "))
        for pointer in q.evidence:
            print(f"    ↳ {pointer}: {resolve(pointer)}")
        if q.answered:
            print(textwrap.indent(q.answer.strip(), "  > "))
        print()
    if verdict:
        for check in verdict.checks:
            flag = "waived" if any(c.id == check.id for c, _ in verdict.waived) else check.status
            print(f"  check {check.id:<24} {flag:<6} value {check.value} (threshold {check.threshold})")
    return 0


def _checks_exist(args: argparse.Namespace) -> bool:
    return _checklist(args.step, args.checklists).checks.exists()


def cmd_params(args: argparse.Namespace) -> int:
    """Compose params.yaml from conf/ (with Hydra overrides), or check that it is current."""
    from clearance.compose import compose, diff, write_params
    from clearance.config import read_params

    params = compose(args.overrides)
    if args.check:
        changes = diff(read_params(), params) if PARAMS_FILE.exists() else ["params.yaml is missing"]
        if changes:
            print("params.yaml does not match conf/:\n" + "\n".join(changes), file=sys.stderr)
            print("fix: run `clearance params` (add your overrides) to recompose it", file=sys.stderr)
            return 1
        print("params.yaml matches conf/")
        return 0
    changes = diff(read_params(), params) if PARAMS_FILE.exists() else []
    backup = write_params(params)
    print(f"wrote {PARAMS_FILE}" + (f" (overrides: {' '.join(args.overrides)})" if args.overrides else ""))
    if changes:
        print("\n".join(changes))
    if backup:
        print(f"the previous version is kept in {backup}")
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    """Serve the MLflow UI for this project's store on 127.0.0.1."""
    from clearance.config import TrackingConfig, load_stage_config
    from clearance.checklist.record import GateStage
    from clearance.tracking import artifact_location, tracking_uri

    cfg = load_stage_config(GateStage).tracking if PARAMS_FILE.exists() else TrackingConfig()
    command = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", tracking_uri(cfg),
               "--default-artifact-root", artifact_location(cfg), "--host", args.host,
               "--port", str(args.port), "--workers", "1"]
    print(f"MLflow UI on http://{args.host}:{args.port} (store {tracking_uri(cfg)}); Ctrl-C stops it", flush=True)
    os.execv(command[0], command)
    return 0  # not reached: the server replaces this process


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="clearance", description=__doc__.splitlines()[0])
    parser.add_argument("--checklists", type=Path, default=CHECKLIST_DIR, help="question files folder")
    parser.add_argument("--gates", type=Path, default=GATE_DIR, help="gate stamps folder")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("status", help="every step: questions answered, checks failing, cleared or not"
                   ).set_defaults(func=cmd_status)
    show = sub.add_parser("show", help="a step's questions beside their evidence")
    show.add_argument("step")
    show.set_defaults(func=cmd_show)
    gate = sub.add_parser("gate", help="the gate DVC runs: exit 1 until the step is cleared")
    gate.add_argument("step")
    gate.add_argument("--no-track", action="store_true", help="do not log the cleared gate to MLflow")
    gate.set_defaults(func=cmd_gate)
    params = sub.add_parser("params", help="compose params.yaml from conf/")
    params.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. data.path=my.csv")
    params.add_argument("--check", action="store_true", help="exit 1 if params.yaml differs from conf/")
    params.set_defaults(func=cmd_params)
    ui = sub.add_parser("ui", help="serve the MLflow UI on 127.0.0.1")
    ui.add_argument("--port", type=int, default=5000)
    ui.add_argument("--host", default="127.0.0.1")
    ui.set_defaults(func=cmd_ui)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `clearance` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UserError as error:
        exit_with(error)
    except BrokenPipeError:
        # `clearance show … | head` closed the pipe: not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
