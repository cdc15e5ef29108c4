"""Which files of the clearance package a script imports, directly or not (read statically).

Imports inside functions count too: a stage runs them. Used to check that each DVC
stage lists every file it runs in its `deps`, so DVC never serves stale results.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "clearance"


def _module_file(root: Path, dotted: str) -> Path | None:
    """The file of a dotted module inside the repository, or None outside it."""
    base = root.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _parents(root: Path, dotted: str) -> list[Path]:
    """The package __init__ files Python runs before a module."""
    parts = dotted.split(".")
    found = [_module_file(root, ".".join(parts[:i])) for i in range(1, len(parts))]
    return [f for f in found if f is not None and f.name == "__init__.py"]


def imported_modules(path: Path) -> set[str]:
    """Dotted names of the clearance modules a file imports (``from a import b`` may name module a.b)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {n for n in names if n == PACKAGE or n.startswith(PACKAGE + ".")}


def closure(script: Path, root: Path) -> set[Path]:
    """Every repository file the script runs: itself, and clearance modules reached by imports."""
    seen: set[Path] = set()
    todo = [script if script.is_absolute() else root / script]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for dotted in imported_modules(path):
            target = _module_file(root, dotted)
            todo.extend(p for p in ([target] if target else []) + _parents(root, dotted) if p not in seen)
    return {p.relative_to(root) for p in seen}


def covered(path: Path, deps: list[str]) -> bool:
    """A file is covered when a dep names it or a folder above it."""
    text = path.as_posix()
    return any(text == d.rstrip("/") or text.startswith(d.rstrip("/") + "/") for d in deps)


def package_of(module: str, root: Path) -> str:
    """The package a module belongs to, as the layout rules count them: a top-level package of clearance
    (core, checklist, journey, cli), or a step's part (model.measure, sweep.judge, ...)."""
    parts = module.split(".")[1:]
    if len(parts) >= 2 and not (root / PACKAGE / parts[0] / "__init__.py").exists() \
            and (root / PACKAGE / parts[0]).is_dir():  # a step: a namespace of parts
        return f"{parts[0]}.{parts[1]}"
    return parts[0]


def package_imports(root: Path) -> list[tuple[str, str, str]]:
    """(importing package, imported package, "file:line") for every import that crosses packages."""
    found = []
    for path in sorted((root / PACKAGE).rglob("*.py")):
        module = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        src = package_of(module, root)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                     else [])
            for name in names:
                if not name.startswith(PACKAGE + "."):
                    continue
                dst = package_of(name, root)
                if dst != src:
                    found.append((src, dst, f"{path.relative_to(root)}:{node.lineno}"))
    return found
