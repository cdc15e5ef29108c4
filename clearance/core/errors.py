"""User-facing errors: each names where the problem is, what it is, and the fix."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn


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


def exit_with(error: UserError, code: int = 2) -> NoReturn:
    """Print a user error to stderr and exit with ``code``."""
    print(error.render(), file=sys.stderr)
    sys.exit(code)


def run_main(main: Callable[[], None]) -> None:
    """Run a stage's main function, turning user errors into clear messages."""
    try:
        main()
    except UserError as error:
        exit_with(error)
