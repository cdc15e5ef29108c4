"""The user's own parts live in plugins/: on the import path, a declared dep of every stage that uses them.

`model._target_: my_models.MyNet` finds plugins/my_models.py (a package inside plugins/ imports by its
dotted path). Every stage resolves a `_target_` here, the same way, and refuses a module that lives
anywhere DVC does not watch: editing it would not re-run the stages that use it, the silent cache bug
this module exists to prevent. The same holds for a file a part reads because of a setting (a local
checkpoint in `model.path`): it must lie in plugins/ (or ship in an installed package).
"""

from __future__ import annotations

import contextvars
import hashlib
import importlib
import importlib.util
import site
import sys
import sysconfig
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from clearance.core.errors import UserError

PLUGINS_DIR = Path("plugins")
MOVE_FIX = ("move it into plugins/ (e.g. `git mv {name} plugins/`): a `_target_` keeps its name, and DVC "
            "re-runs every stage that uses it when it changes")
# Settings that name a file or folder a part reads (a checkpoint, a vocabulary).
PATH_KEYS = ("path", "_path", "_dir", "_file")
# Set while a logged model is rebuilt for scoring, away from any pipeline: its code travels with it
# (MLflow code paths), and there is no DVC cache to keep honest.
_SERVING = contextvars.ContextVar("clearance_serving", default=False)


@contextmanager
def serving_anywhere() -> Iterator[None]:
    """Rebuild parts from wherever their modules are (a logged model's own code), without the plugins/ rule."""
    token = _SERVING.set(True)
    try:
        yield
    finally:
        _SERVING.reset(token)


def plugins_dir(root: Path | None = None) -> Path:
    """The project's plugins/ folder (the working directory is the project root, as under DVC)."""
    return ((root or Path.cwd()) / PLUGINS_DIR).resolve()


def ensure_plugins_importable(root: Path | None = None) -> None:
    """Put plugins/ first on sys.path. Stages run as `python stages/x.py`, so only stages/ is there."""
    path = str(plugins_dir(root))
    if path not in sys.path:
        sys.path.insert(0, path)


def _installed_roots() -> list[Path]:
    """Where installed code lives: site-packages, the standard library, the interpreter's prefix."""
    paths = {*site.getsitepackages(), site.getusersitepackages(), sys.prefix, sys.base_prefix,
             *(sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib"))}
    return [Path(p).resolve() for p in paths if p]


def _clearance_root() -> Path:
    return Path(__file__).resolve().parents[2]


def watched(path: Path, root: Path | None = None) -> bool:
    """Whether DVC sees a change to ``path``: it lies in plugins/, in clearance/, or in installed code."""
    path = path.resolve()
    return (path.is_relative_to(plugins_dir(root)) or path.is_relative_to(_clearance_root())
            or any(path.is_relative_to(p) for p in _installed_roots()))


def module_origin(dotted: str) -> tuple[str, Path | None]:
    """The longest importable module prefix of a dotted `_target_` and its file (None: built in)."""
    parts = dotted.split(".")
    for end in range(len(parts) - 1, 0, -1):
        name = ".".join(parts[:end])
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        except Exception:  # noqa: BLE001 - a parent package of the user's failed to import: report it on import
            return name, None
        if spec is not None:
            origin = spec.origin if spec.origin not in (None, "built-in", "frozen") else None
            return name, Path(origin).resolve() if origin else None
    return "", None


def _outside_project_hint(dotted: str, root: Path | None) -> Path | None:
    """A file or package in the project root that the first name of ``dotted`` would be."""
    top = dotted.split(".")[0]
    base = (root or Path.cwd()).resolve()
    for candidate in (base / f"{top}.py", base / top):
        if candidate.exists():
            return candidate
    return None


def _failing_line(error: BaseException, file: Path | None) -> str:
    """`file, line N` of where importing the user's module failed (the deepest frame in that file)."""
    if isinstance(error, SyntaxError) and error.filename:
        return f"{error.filename}, line {error.lineno}"
    frames = traceback.extract_tb(error.__traceback__)
    mine = [f for f in frames if file is not None and Path(f.filename).resolve() == file] or frames[-1:]
    return f"{mine[-1].filename}, line {mine[-1].lineno}" if mine else str(file or "?")


def locate(target: str, key: str, what: str, fix: str, root: Path | None = None) -> Any:
    """The object a `_target_` names, imported from a watched place; every failure a UserError naming ``key``."""
    ensure_plugins_importable(root)
    where = f"{key}._target_={target}"
    module_name, origin = module_origin(target)
    if not module_name:
        stray = _outside_project_hint(target, root)
        if stray is not None:
            raise UserError(where, f"{stray} is outside plugins/, where DVC does not watch it",
                            MOVE_FIX.format(name=stray.name))
        raise UserError(where, f"cannot import the {what}: no module named {target.split('.')[0]!r}",
                        f"{fix} (your own parts go in plugins/: my_models.MyNet is plugins/my_models.py)")
    if origin is not None and not _SERVING.get() and not watched(origin, root):
        raise UserError(where, f"{origin} is outside plugins/, where DVC does not watch it",
                        MOVE_FIX.format(name=origin.name if origin.name != "__init__.py" else origin.parent.name))
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as error:  # noqa: BLE001 - the user's module can raise anything while it imports
        raise UserError(where, f"importing {module_name} failed at {_failing_line(error, origin)}: "
                        f"{type(error).__name__}: {error}", f"fix that line; {fix}") from None
    for attribute in target[len(module_name) + 1:].split("."):
        if not hasattr(obj, attribute):
            raise UserError(where, f"{module_name} has no {attribute!r}", fix)
        obj = getattr(obj, attribute)
    return obj


def check_path_settings(spec: Any, key: str, root: Path | None = None) -> None:
    """Every file or folder a part's settings name lies where DVC watches it (plugins/ or installed code)."""
    if _SERVING.get():
        return
    if isinstance(spec, dict):
        for name, value in spec.items():
            dotted = f"{key}.{name}"
            if isinstance(value, (dict, list)):
                check_path_settings(value, dotted, root)
            elif isinstance(value, str) and value and name.endswith(PATH_KEYS) and not name.startswith("_"):
                path = Path(value) if Path(value).is_absolute() else (root or Path.cwd()) / value
                if path.exists() and not watched(path, root):
                    raise UserError(f"{dotted}={value}", "is outside plugins/, so DVC would not see it change "
                                    "and would serve results made with the old one",
                                    "move or copy it into plugins/ (a large file: `dvc add` it there) and point "
                                    f"{dotted} at it")
    elif isinstance(spec, list):
        for i, value in enumerate(spec):
            check_path_settings(value, f"{key}.{i}", root)


def plugins_digest(root: Path | None = None) -> str:
    """sha256 over plugins/' file names and bytes: a checkpoint or a study made with other code is not reused."""
    folder = plugins_dir(root)
    digest = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def plugin_sources(targets: list[str], root: Path | None = None) -> list[Path]:
    """The files and packages of plugins/ that ``targets`` come from (a logged model carries them as code)."""
    folder = plugins_dir(root)
    ensure_plugins_importable(root)
    found: list[Path] = []
    for target in targets:
        _, origin = module_origin(target)
        if origin is None or not origin.is_relative_to(folder):
            continue
        top = folder / origin.relative_to(folder).parts[0]
        if top not in found:
            found.append(top)
    return found
