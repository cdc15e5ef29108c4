"""User-facing errors: each names where the problem is, what it is, and the fix.

Every entry point (a stage, the CLI, a sweep worker) runs through ``run_main``, so nothing a user can do
with a file or a keystroke ends in a traceback: a ``UserError`` prints its three parts and exits 2, Ctrl-C
prints one line saying what was kept and that `dvc repro` resumes (exit 130), and an unexpected error
prints one line and the file that holds its traceback (exit 1), for a bug report.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

# Exit codes: a problem the user can fix, an interruption (128 + SIGINT, as shells report Ctrl-C), a bug.
USER_ERROR, INTERRUPTED, INTERNAL_ERROR = 2, 130, 1
# Where an unexpected error's traceback is kept (inside the project's own untracked state folder).
TRACEBACK_DIR = Path(".clearance/errors")
# Set to 1 to see the traceback on the terminal instead of in a file.
SHOW_TRACEBACK_ENV = "CLEARANCE_TRACEBACK"


class UserError(Exception):
    """A problem the user can fix; printed without a traceback."""

    def __init__(self, where: str, problem: str, fix: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem
        self.fix = fix

    def render(self) -> str:
        """The message shown to the user."""
        return f"clearance: {self.where}: {self.problem}\n  fix: {self.fix}"


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, caught where something was saved first: ``kept`` says what (e.g. "the checkpoint at step 40")."""

    def __init__(self, kept: str) -> None:
        super().__init__(kept)
        self.kept = kept


def exit_with(error: UserError, code: int = USER_ERROR) -> NoReturn:
    """Print a user error to stderr and exit with ``code``."""
    print(error.render(), file=sys.stderr)
    sys.exit(code)


def interrupted_message(interrupt: KeyboardInterrupt) -> str:
    """One line for Ctrl-C: what was kept, and that the next `dvc repro` goes on from there."""
    if isinstance(interrupt, Interrupted):
        return f"clearance: interrupted; {interrupt.kept} is saved, and the next `dvc repro` resumes from it."
    return ("clearance: interrupted; this stage's outputs were not written, and the next `dvc repro` "
            "runs it again (the stages before it are kept).")


def _keep_traceback(name: str) -> Path | None:
    """Write the current exception's traceback to TRACEBACK_DIR/<name>.txt; None when it cannot be written."""
    path = TRACEBACK_DIR / f"{name}.txt"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(traceback.format_exc(), encoding="utf-8")
    except OSError:
        return None
    return path.resolve()


def internal_error_message(exc: BaseException, kept: Path | None) -> str:
    """One line for an error no check foresaw, with where its traceback is, for a bug report."""
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    where = (f"the traceback is in {kept}" if kept is not None
             else f"set {SHOW_TRACEBACK_ENV}=1 to see the traceback")
    return (f"clearance: unexpected error: {type(exc).__name__}: {first}\n"
            f"  this is a bug, not your input: {where}; please report it with that file.")


def _entry_name(main: Callable[[], None]) -> str:
    """The file name an entry point's traceback is kept under: its script (stages/prepare.py -> prepare)."""
    script = Path(sys.argv[0]).stem if sys.argv and sys.argv[0] else ""
    return script if script and script not in ("-c", "__main__") else getattr(main, "__module__", "clearance")


def run_main(main: Callable[[], object]) -> None:
    """Run an entry point so that it ends in a message, never a traceback (see the module's docstring)."""
    try:
        code = main()
    except UserError as error:
        exit_with(error)
    except KeyboardInterrupt as interrupt:
        print(interrupted_message(interrupt), file=sys.stderr)
        sys.exit(INTERRUPTED)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one message and a file, not a traceback
        if os.environ.get(SHOW_TRACEBACK_ENV) == "1":
            raise
        print(internal_error_message(exc, _keep_traceback(_entry_name(main))), file=sys.stderr)
        sys.exit(INTERNAL_ERROR)
    if isinstance(code, int) and code:
        sys.exit(code)
