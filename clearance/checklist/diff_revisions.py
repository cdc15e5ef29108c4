"""The files `clearance diff` compares, read at a git revision (``git show REV:path``) or from the
working tree."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clearance.core.errors import UserError
from clearance.core.git import git_bytes, git_text, has_git
from clearance.core.paths import CHECKLIST_DIR
from clearance.core.user_files import decode_utf8

WORKING_TREE = "working tree"
REV_FIX = "use a commit, branch or tag: git log --oneline"


def _require_repo(root: Path) -> None:
    """A machine without git, or a folder outside a repository, is a user error, not a traceback."""
    if not has_git():
        raise UserError("git", "not found on this machine", "install git, then run clearance diff again")
    if git_text(["rev-parse", "--show-toplevel"], root) is None:
        raise UserError(str(Path(root).resolve()), "not inside a git repository",
                        "run clearance diff inside the project's git repository")


def resolve(rev: str, root: Path) -> str:
    """The commit a revision names; UserError naming it when git does not know it."""
    _require_repo(root)
    # `--end-of-options` keeps a revision such as "--help" from being read as an option.
    found = git_text(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], root)
    commit = (found or "").strip()
    if not commit:
        raise UserError(f"revision {rev!r}", "not a commit in this git repository", REV_FIX)
    return commit


def _show(commit: str, path: str, root: Path, label: str | None = None) -> str | None:
    """A file's text at a resolved commit, None when the commit does not hold it; bytes that are not UTF-8
    are a UserError naming ``label:path`` (``label`` defaults to the commit) and the line."""
    # `./` makes the path relative to root, which may be a folder inside the repository.
    found = git_bytes(["show", f"{commit}:./{path}"], root)
    if found is None:
        return None
    return decode_utf8(found, f"{label or commit}:{path}",
                       f"save {path} as UTF-8 and commit it; until then compare revisions that hold it as UTF-8")


def read_at(rev: str | None, path: str, root: Path) -> str | None:
    """The text of ``path`` (relative to ``root``) at git revision ``rev``, or in the working tree when
    ``rev`` is None; None when the file does not exist there."""
    if rev is None:
        file = Path(root) / path
        return decode_utf8(file.read_bytes(), path) if file.is_file() else None
    return _show(resolve(rev, root), path, root, rev)


@dataclass
class Side:
    """One side of the comparison: a resolved commit, or the working tree (commit None)."""

    label: str
    commit: str | None
    root: Path

    def read(self, path: str) -> str | None:
        if self.commit is None:
            return read_at(None, path, self.root)
        return _show(self.commit, path, self.root, self.label)

    def where(self, path: str) -> str:
        """How messages name a file on this side: ``REV:path`` or the working-tree path."""
        return path if self.commit is None else f"{self.label}:{path}"

    def question_files(self) -> list[str]:
        """checklists/*.yaml on this side, as paths relative to root."""
        if self.commit is None:
            folder = Path(self.root) / CHECKLIST_DIR
            return sorted(f"{CHECKLIST_DIR.as_posix()}/{p.name}" for p in folder.glob("*.yaml") if p.is_file())
        listed = git_text(["ls-tree", "--name-only", self.commit, "--", f"{CHECKLIST_DIR.as_posix()}/"], self.root)
        return sorted(p for p in (listed or "").splitlines() if p.endswith(".yaml"))


def side(rev: str | None, root: Path) -> Side:
    """The side a revision names (None: the working tree), its commit resolved once."""
    return Side(WORKING_TREE, None, root) if rev is None else Side(rev, resolve(rev, root), root)
