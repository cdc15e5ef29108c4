"""`clearance diff`: what changed between two git revisions, step by step.

For each step (a question file in checklists/) it compares the evidence
fingerprint, the checks whose status moved, the answers, the waivers, the
sign-offs and the gate's stamp, so a reviewer reads one short text in a pull
request instead of diffing YAML and JSON: as text, as JSON, or as markdown for a
pull-request comment. It reads files with ``git show REV:path`` (or from the
working tree) and runs no stage.

A file that one revision does not hold (reports/ and gates/ are often
git-ignored) is named and left out of the comparison rather than shown as
every check "added".
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

# The command's parts live beside it: reading a revision, comparing a step, writing text or markdown.
from clearance.checklist.diff_changes import StepDiff
from clearance.checklist.diff_compare import compare
from clearance.checklist.diff_markdown import render_markdown
from clearance.checklist.diff_reading import read_step
from clearance.checklist.diff_revisions import WORKING_TREE, side
from clearance.checklist.diff_text import render
from clearance.core.errors import UserError

FORMATS = ("text", "json", "markdown")


def diff_steps(rev_a: str | None, rev_b: str | None, root: Path) -> list[StepDiff]:
    """Each step's differences from ``rev_a`` to ``rev_b`` (None: the working tree), in step order;
    the steps are the question files either revision holds."""
    sides = side(rev_a, root), side(rev_b, root)
    paths = sorted(set(sides[0].question_files()) | set(sides[1].question_files()))
    diffs = [compare(read_step(sides[0], p), read_step(sides[1], p)) for p in paths]
    return sorted(diffs, key=lambda d: (d.order, d.step))


def _json_doc(diffs: list[StepDiff], label_a: str, label_b: str) -> dict:
    steps = [{**asdict(d), "changed": d.changed, "fingerprint_changed": d.fingerprint_changed} for d in diffs]
    return {"a": label_a, "b": label_b, "steps": steps}


def as_json(diffs: list[StepDiff], label_a: str = "HEAD", label_b: str = WORKING_TREE) -> dict:
    """The same comparison as one JSON-ready document (for `clearance diff --json`)."""
    return _json_doc(diffs, label_a, label_b)


def cmd_diff(rev_a: str | None, rev_b: str | None, as_json: bool = False, root: Path = Path("."),
             fmt: str | None = None) -> int:
    """`clearance diff [REV_A [REV_B]] [--format text|json|markdown]`: no revision compares HEAD with the
    working tree, one compares it with the working tree, two compare each other. ``fmt`` names the form
    (default text; ``as_json`` is the older spelling of "json"). Prints and returns 0; UserError propagates."""
    fmt = fmt or ("json" if as_json else "text")
    if fmt not in FORMATS:
        raise UserError(f"--format {fmt}", "not a form clearance diff writes", f"use one of: {', '.join(FORMATS)}")
    rev_a = rev_a or "HEAD"
    diffs = diff_steps(rev_a, rev_b, root)
    label_b = rev_b or WORKING_TREE
    if fmt == "json":
        print(json.dumps(_json_doc(diffs, rev_a, label_b), indent=2, ensure_ascii=False, default=str))
    elif fmt == "markdown":
        print(render_markdown(diffs, rev_a, label_b))
    else:
        print(render(diffs, rev_a, label_b))
    return 0
