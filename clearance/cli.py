"""The `clearance` command: status, check, show, gate, params, ui, report, diff.

It starts fast: nothing here imports torch, and heavy modules (Hydra, MLflow)
are imported only by the subcommands that need them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from clearance.checklist.run import (
    evidence_ready,
    judge_checklist,
    load_step_checklist,
)
from clearance.core.errors import UserError, run_main
from clearance.core.paths import CHECKLIST_DIR, CONF_DIR, GATE_DIR, PARAMS_FILE


def cmd_gate(args: argparse.Namespace) -> int:
    """The gate DVC runs between two steps (stages/gate.py): exit 1 with instructions, or write the stamp."""
    from clearance.checklist.run import run_gate

    return run_gate(args.step, args.checklists, args.gates, track=not args.no_track)


def cmd_status(args: argparse.Namespace) -> int:
    """One line per step: answered questions, failing checks, stale or cleared (``--json``: one document);
    each step's state is clearance.checklist.status's."""
    from clearance.checklist.status import HEADER, document, project_status, status_line

    steps = project_status(args.checklists, args.gates)  # before the header: a damaged file's message stands alone
    if args.json:
        import json

        print(json.dumps(document(steps), indent=2))
        return 0
    print(HEADER)
    for step in steps:
        print(status_line(step))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """For CI and pre-commit hooks: exit 0 when every step that has run is cleared against its current
    evidence, 1 when one is blocked or stale (``--strict``: or warns), with the gate's instructions."""
    from clearance.checklist.status import check_exit, project_status

    steps = project_status(args.checklists, args.gates)
    if args.step:
        known = [s.step for s in steps]
        steps = [s for s in steps if s.step == args.step]
        if not steps:
            raise UserError(f"--step {args.step}", "no such step", f"use one of: {', '.join(known) or 'none'}")
    code, lines = check_exit(steps, args.strict)
    print("\n".join(lines), file=sys.stderr if code else sys.stdout)
    return code


def cmd_diff_revisions(args: argparse.Namespace) -> int:
    """What changed between two git revisions, step by step (evidence, checks, answers, waivers, sign-offs)."""
    from clearance.checklist.diff import cmd_diff

    return cmd_diff(args.rev_a, args.rev_b, root=Path.cwd(), fmt=args.format)


def cmd_show(args: argparse.Namespace) -> int:
    """Each question beside its answer and the evidence values it points to."""
    import textwrap

    from clearance.checklist.citations import could_cite
    from clearance.checklist.evidence import resolve
    from clearance.checklist.messages import notes, question_snippet
    from clearance.checklist.results import describe

    from clearance.check_catalogue import questions_of

    checklist = load_step_checklist(args.step, args.checklists)
    verdict = judge_checklist(checklist) if evidence_ready(checklist) else None
    paired = questions_of(args.step)
    print(f"Step {checklist.order}: {checklist.title}  ({checklist.path})")
    print(_review_line(verdict) + "\n")
    for q in checklist.questions:
        print(f"[{', '.join(_marks(q, verdict))}] {q.id} (line {q.line})")
        print(textwrap.fill(q.question, 96, initial_indent="  ", subsequent_indent="  "))
        for pointer in q.evidence:
            print(f"    ↳ {pointer}: {resolve(pointer)}")
        for line in _declared_lines(q, paired.get(q.id, []), verdict):
            print(line)
        if q.answered:
            print(textwrap.indent(q.answer.strip(), "  > "))
        for _, found in (u for u in (verdict.uncited if verdict else []) if u[0] is q):
            print(textwrap.fill("  ! cites none of its evidence; could cite: " + ", ".join(could_cite(found)), 96,
                                subsequent_indent="    "))
        print()
    if verdict is None:
        return 0
    for required in verdict.missing:
        print(f"[MISSING] {required.id}: required by this step; paste it back under `questions:`")
        print("\n".join(question_snippet(required)) + "\n")
    for check in verdict.checks:
        flag = "waived" if any(c.id == check.id for c, _ in verdict.waived) else check.status
        print(f"  check {check.id:<24} {flag:<6} {describe(check)}")
    for line in notes(verdict):
        print(line)
    return 0


def _declared_lines(question, declared: list, verdict) -> list[str]:
    """The checks declared to inform ``question`` that its evidence list does not already point at."""
    from clearance.checklist.results import describe

    pointed = " ".join(question.evidence)
    graded = {c.id: c for c in verdict.checks} if verdict is not None else {}
    lines = []
    for d in declared:
        if f"checks.json#{d.id}" in pointed:
            continue
        found = graded.get(d.id)
        said = f"{found.status}: {describe(found)}" if found else "not graded yet (run `dvc repro`)"
        lines.append(f"    ↳ check {d.id}: {said}")
    return lines


def _review_line(verdict) -> str:
    """Whether the answers were reviewed against the evidence the step wrote last."""
    from clearance.checklist.gate import CHANGED, REVIEWED
    from clearance.checklist.messages import reviewed_line

    if verdict is None:
        return "evidence: not written yet (run `dvc repro`)"
    if verdict.review == REVIEWED:
        return f"evidence: reviewed ({verdict.manifest.fingerprint})"
    if verdict.review == CHANGED:
        return (f"evidence: STALE — it changed since `reviewed: {verdict.checklist.reviewed}`; "
                f"after re-reading, set `{reviewed_line(verdict)}`")
    return f"evidence: not reviewed yet — after reading and answering, set `{reviewed_line(verdict)}`"


def _marks(question, verdict) -> list[str]:
    """A question's state for `clearance show`: answered or what is wrong, and whether reworded."""
    if verdict is None:
        return ["answered" if question.answered else "UNANSWERED"]
    shared = [q.id for group in verdict.duplicates if question in group for q in group if q is not question]
    if question in verdict.unanswered:
        marks = ["UNANSWERED"]
    elif question in verdict.short:
        marks = [f"TOO SHORT: under {verdict.min_words} words"]
    elif shared:
        marks = [f"SAME ANSWER AS {', '.join(shared)}"]
    elif any(q is question for q, _ in verdict.uncited):
        marks = ["CITES NOTHING"]
    else:
        marks = ["answered"]
    return marks + (["edited"] if question in verdict.edited else [])


def cmd_params(args: argparse.Namespace) -> int:
    """Compose params.yaml from conf/ (with Hydra overrides), or check that it is current."""
    from clearance.core.compose import compose, diff, write_params
    from clearance.core.config.params import read_params

    from clearance.check_catalogue import DECLARED_CONF, declared_conf_text, described_checks, write_declared_conf
    from clearance.checklist.schema import stale_schemas, write_schemas

    if args.check:
        declared = CONF_DIR / DECLARED_CONF
        if not declared.exists() or declared.read_text(encoding="utf-8") != declared_conf_text():
            print(f"{declared} does not match the checks' declarations", file=sys.stderr)
            print("fix: run `clearance params` (add your overrides) to rewrite it and recompose", file=sys.stderr)
            return 1
    elif written := write_declared_conf(CONF_DIR):
        print(f"wrote {written} (the thresholds the checks declare)")
    # The question files' schemas for editors, from their keys and the checks (in a project: checklists/ is there).
    if args.check and CHECKLIST_DIR.is_dir() and (stale := stale_schemas(described_checks())):
        print(f"{', '.join(map(str, stale))}: not the question files' schema (keys and checks) of now", file=sys.stderr)
        print("fix: run `clearance params` (add your overrides) to rewrite it", file=sys.stderr)
        return 1
    for path in write_schemas(described_checks()) if not args.check and CHECKLIST_DIR.is_dir() else []:
        print(f"wrote {path} (the question files' schema, for editors)")
    params = compose(args.overrides)
    if args.check:
        changes = diff(read_params(), params) if PARAMS_FILE.exists() else ["params.yaml is missing"]
        if changes:
            print("params.yaml does not match conf/:\n" + "\n".join(changes), file=sys.stderr)
            print("fix: run `clearance params` (add your overrides) to recompose it", file=sys.stderr)
            return 1
        print("params.yaml matches conf/")
        return 0
    changes = _changes_from_previous(params)
    backup = write_params(params)
    print(f"wrote {PARAMS_FILE}" + (f" (overrides: {' '.join(args.overrides)})" if args.overrides else ""))
    if changes:
        print("\n".join(changes))
    if backup:
        print(f"the previous version is kept in {backup}")
    return 0


def _changes_from_previous(params: dict) -> list[str]:
    """What recomposing changes in params.yaml; a damaged one is said, not an error: composing replaces it
    (and write_params keeps its bytes in params.yaml.bak)."""
    from clearance.core.compose import diff
    from clearance.core.config.params import read_params

    if not PARAMS_FILE.exists():
        return []
    try:
        return diff(read_params(), params)
    except UserError as error:
        return [f"the previous {PARAMS_FILE} could not be read ({error.where}: {error.problem}); it is replaced"]


def cmd_ui(args: argparse.Namespace) -> int:
    """Serve the MLflow UI for this project's store on 127.0.0.1, printing the runs page's URL."""
    from clearance.core.config.params import from_conf, load_stage_config
    from clearance.core.config.tracking import TrackingConfig, TrackingOnly
    from clearance.core.tracking import (
        artifact_location,
        find_experiment_id,
        tracking_uri,
        ui_url,
    )

    from clearance.core.ui_server import check_port, serve

    cfg = load_stage_config(TrackingOnly).tracking if PARAMS_FILE.exists() else from_conf(TrackingConfig, "tracking")
    check_port(args.host, args.port)  # before the URL is printed: a busy port gets no URL, and exit 2
    command = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", tracking_uri(cfg),
               "--default-artifact-root", artifact_location(cfg), "--host", args.host,
               "--port", str(args.port), "--workers", "1"]
    # Looked up before the server starts, so the URL is printed at once.
    experiment_id = find_experiment_id(cfg)
    url = ui_url(args.host, args.port, experiment_id)
    if experiment_id is None:
        print(f"MLflow UI on {url} (store {tracking_uri(cfg)}): no runs yet in experiment "
              f"{cfg.experiment!r}; `dvc repro` logs them. Ctrl-C stops it", flush=True)
    else:
        print(f"MLflow UI on {url} (the runs of experiment {cfg.experiment!r}, store {tracking_uri(cfg)}); "
              "Ctrl-C stops it", flush=True)
    # The server's job workers (seven processes) run GenAI features: scorers, trace rollups.
    os.environ.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
    return serve(command)


def cmd_report(args: argparse.Namespace) -> int:
    """Write the journey report (every step reached so far) and print its path."""
    from clearance.journey.report import write_journey

    root = Path.cwd()
    path = write_journey(root, args.out, checklists=args.checklists, gates=args.gates)
    print(path.relative_to(root) if path.is_relative_to(root) else path)
    return 0


def cmd_sweep_worker(args: argparse.Namespace) -> int:
    """Join the running sweep's study (a database storage shared with the DVC stage) and run trials."""
    from clearance.sweep.search.worker import work

    ran = work(args.study, args.seed)
    print(f"this worker ran {ran} trial(s); the study's budget is spent")
    return 0


def cmd_sweep_status(args: argparse.Namespace) -> int:
    """The sweep's study: its trials by state, and the best so far."""
    from clearance.sweep.search.worker import study_status

    print(study_status())
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="clearance", description=__doc__.splitlines()[0])
    parser.add_argument("--checklists", type=Path, default=CHECKLIST_DIR, help="question files folder")
    parser.add_argument("--gates", type=Path, default=GATE_DIR, help="gate stamps folder")
    sub = parser.add_subparsers(dest="command", required=True)
    status = sub.add_parser("status", help="every step: questions answered, checks failing, cleared or not")
    status.add_argument("--json", action="store_true", help="one JSON document (schema 1; see docs/commands.md)")
    status.set_defaults(func=cmd_status)
    check = sub.add_parser("check", help="for CI: exit 0 when every step that ran is cleared, 1 when one is "
                           "blocked or stale, 2 on a usage or file error")
    check.add_argument("--strict", action="store_true", help="also fail when a cleared step warns")
    check.add_argument("--step", default=None, help="check one step (e.g. inspect)")
    check.set_defaults(func=cmd_check)
    diff = sub.add_parser("diff", help="what changed between two git revisions (default: HEAD vs the working tree)")
    diff.add_argument("rev_a", nargs="?", default=None, help="a commit, branch or tag (default HEAD)")
    diff.add_argument("rev_b", nargs="?", default=None, help="a second revision (default: the working tree)")
    diff.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                      help="text for a terminal (default), one JSON document, or markdown for a pull-request comment")
    diff.add_argument("--json", dest="format", action="store_const", const="json", help="same as --format json")
    diff.set_defaults(func=cmd_diff_revisions)
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
    report = sub.add_parser("report", help="write the whole journey in one self-contained HTML file")
    report.add_argument("--out", type=Path, default=None, help="where to write it (default reports/summary.html)")
    report.set_defaults(func=cmd_report)
    sweep = sub.add_parser("sweep", help="step 4's study: join it from another machine, or see its trials")
    sweep_sub = sweep.add_subparsers(dest="sweep_command", required=True)
    worker = sweep_sub.add_parser("worker", help="run trials of the study the DVC stage opened (sweep.storage)")
    worker.add_argument("--study", default=None, help="the study to join (default: the one the settings name)")
    worker.add_argument("--seed", type=int, default=None, help="this worker's sampler seed (default: from its pid)")
    worker.set_defaults(func=cmd_sweep_worker)
    sweep_sub.add_parser("status", help="the study's trials by state and the best so far"
                         ).set_defaults(func=cmd_sweep_status)
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    """Run the chosen subcommand; a closed pipe (`clearance show … | head`) is not an error."""
    try:
        return args.func(args)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `clearance` console script: a message and an exit code, never a traceback."""
    args = build_parser().parse_args(argv)
    run_main(lambda: _dispatch(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
