"""Git, asked quietly: one command in one folder, its output or None.

Every caller treats "no git", "not a repository" and "git said no" alike (there is no copy, no commit,
no user), so nothing here raises for them. Only the standard library is imported: the gate and the CLI
call it and must start fast.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

# Seconds before a git command counts as failed: a hung git (a lock, a slow network mount) must not hang us.
TIMEOUT = 30


def git_bytes(args: list[str], cwd: Path | None = None, timeout: float = TIMEOUT) -> bytes | None:
    """The raw stdout of ``git <args>`` run in ``cwd``; None when git is missing, times out or fails."""
    try:
        found = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout if found.returncode == 0 else None


def git_text(args: list[str], cwd: Path | None = None, timeout: float = TIMEOUT) -> str | None:
    """The stdout of ``git <args>`` run in ``cwd`` as text; None when git is missing, times out or fails."""
    found = git_bytes(args, cwd, timeout)
    # git writes paths and names as UTF-8; a stray byte must not turn "no answer" into a traceback.
    return None if found is None else found.decode("utf-8", errors="replace")


def git_succeeds(args: list[str], cwd: Path | None = None, timeout: float = TIMEOUT) -> bool:
    """Whether ``git <args>`` ran in ``cwd`` and exited 0."""
    return git_bytes(args, cwd, timeout) is not None


def has_git() -> bool:
    """Whether a git executable is on the PATH (to tell "install git" from "not a repository")."""
    return shutil.which("git") is not None
