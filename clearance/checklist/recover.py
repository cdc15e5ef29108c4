"""How to get a question file back: the git command when git holds a copy, else where a fresh one comes from.

Used only on the error path (a deleted or damaged question file), so the git calls cost nothing otherwise.
Nothing here writes a file: the user runs the command the message gives.
"""

from __future__ import annotations

import re
from pathlib import Path

from clearance.checklist.schema import modeline
from clearance.core.git import git_succeeds, git_text

# Each step's judging package ships the questions it requires: clearance/<package>/judge/questions.yaml.
PACKAGE_ROOT = Path(__file__).resolve().parents[1]
_STEP_LINE = re.compile(r"^step:\s*(?P<step>\S+)\s*$", re.MULTILINE)
# Seconds each git question may take; without git or a repository git holds no copy.
GIT_TIMEOUT = 20


def git_restore_command(path: Path) -> str | None:
    """The command that brings ``path`` back as git last held it, or None when git never held it."""
    cwd, name = Path.cwd(), Path(path).as_posix()
    if git_succeeds(["ls-files", "--error-unmatch", "--", name], cwd, GIT_TIMEOUT):
        return f"git checkout -- {name}"  # in the index: also `git restore <path>`
    if git_succeeds(["cat-file", "-e", f"HEAD:./{name}"], cwd, GIT_TIMEOUT):
        return f"git checkout HEAD -- {name}"  # removed from the index (git rm) but in the last commit
    deleted = (git_text(["log", "-1", "--format=%h", "--diff-filter=D", "--", name], cwd, GIT_TIMEOUT) or "").strip()
    if deleted:
        return f"git checkout {deleted}~1 -- {name}"  # deleted by a commit
    return None


def packaged_questions(step: str) -> Path | None:
    """The file of the questions ``step`` requires, as the installed clearance ships it; None for no such step."""
    for path in sorted(PACKAGE_ROOT.glob("*/judge/questions.yaml")):
        found = _STEP_LINE.search(path.read_text(encoding="utf-8"))
        if found and found["step"] == step:
            return path
    return None


def fresh_copy_fix(path: Path, step: str) -> str:
    """Where a question file git never held comes from: the project template, or the packaged questions."""
    source = packaged_questions(step)
    template = f"copy {Path(path).as_posix()} from the clearance project you started from (its checklists/ folder)"
    if source is None:
        return template
    return (f"{template}, or start one from the questions step {step!r} requires, shipped in {source} "
            "(add `answer:` under each question and delete its `tasks:` line, add `order:`, `checks:` and "
            f"`waivers: []` as in the other question files, and make `{modeline(step)}` its first line)")


def missing_fix(path: Path, step: str) -> str:
    """The fix for a question file that is gone: the git command, else where a fresh copy comes from."""
    command = git_restore_command(path)
    if command is None:
        return "git holds no copy of it: " + fresh_copy_fix(path, step)
    restore = f" (or `git restore {Path(path).as_posix()}`)" if command.startswith("git checkout --") else ""
    return f"restore it from git: `{command}`{restore}"


def damaged_fix(path: Path) -> str:
    """The fix for a question file that is there but unusable as a whole (empty, a list, a scalar)."""
    name = Path(path).as_posix()
    command = git_restore_command(path)
    if command is None:
        return "write it as a mapping with `step:` and `questions:`, or " + fresh_copy_fix(path, Path(path).stem)
    return (f"see what changed with `git diff -- {name}` and fix it, or go back to git's copy with `{command}` "
            "(this drops your edits since)")
