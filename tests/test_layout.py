"""The clearance package's modules import one another without a cycle: every import counts, at the top of a
file or inside a function (a function-level import only postpones the cycle to the call that runs it)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGE = "clearance"


def module_name(path: Path, root: Path) -> str:
    """clearance/core/paths.py -> clearance.core.paths; a package's __init__.py is the package."""
    return ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")


def modules(root: Path) -> dict[str, Path]:
    """Every module of the package under ``root``, by dotted name."""
    return {module_name(path, root): path for path in sorted((root / PACKAGE).rglob("*.py"))}


def resolve(name: str, package: str, level: int) -> str:
    """The absolute name of ``from <level dots><name> import ...`` written in ``package``."""
    if not level:
        return name
    base = package.split(".")[: len(package.split(".")) - level + 1]
    return ".".join(base + ([name] if name else []))


def imports(path: Path, name: str, known: dict[str, Path]) -> dict[str, int]:
    """The package's modules a file imports, anywhere in it, with the line of the first import of each.
    ``from a import b`` imports module a.b when there is one, else module a."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = resolve(node.module or "", package, node.level)
            targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source
                       for alias in node.names]
        for target in targets:
            while target and target not in known:  # `import clearance.a.b.c` where c is a name, not a module
                target = target.rpartition(".")[0]
            if target and target != name and target.split(".")[0] == PACKAGE:
                found.setdefault(target, node.lineno)
    return found


def import_graph(root: Path) -> dict[str, dict[str, int]]:
    """module -> {imported module: line}, for every module of the package."""
    known = modules(root)
    return {name: imports(path, name, known) for name, path in known.items()}


def find_cycle(edges: dict[str, dict[str, int]]) -> list[str] | None:
    """One cycle (a path that returns to its start), or None; iterative, so a deep graph cannot overflow."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(edges):
        if start in state:
            continue
        path, todo = [start], [iter(sorted(edges.get(start, ())))]
        state[start] = 1
        while todo:
            nxt = next(todo[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                todo.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                todo.append(iter(sorted(edges.get(nxt, ()))))
    return None


def shown(cycle: list[str], edges: dict[str, dict[str, int]]) -> str:
    """The cycle, one import per line: `a (line 12) -> b`."""
    return "\n".join(f"  {a} (line {edges[a][b]}) -> {b}" for a, b in zip(cycle, cycle[1:]))


def test_no_module_of_clearance_is_in_an_import_cycle():
    edges = import_graph(REPO)
    assert len(edges) > 50 and "clearance.core.paths" in edges["clearance.core.records"]
    cycle = find_cycle(edges)
    assert cycle is None, "import cycle between modules of clearance/:\n" + shown(cycle or [], edges)


def test_the_cycle_finder_sees_function_level_and_relative_imports(tmp_path: Path):
    (tmp_path / "clearance/sub").mkdir(parents=True)
    files = {
        "clearance/__init__.py": "",
        "clearance/sub/__init__.py": "",
        "clearance/a.py": "import os\nfrom clearance.sub import b\n",
        "clearance/sub/b.py": "def later():\n    from . import c\n",
        "clearance/sub/c.py": "from clearance.a import name\n",
        "clearance/lone.py": "import clearance.sub.b.attribute\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    edges = import_graph(tmp_path)
    assert edges["clearance.lone"] == {"clearance.sub.b": 1}
    cycle = find_cycle(edges)
    assert cycle is not None and set(cycle) == {"clearance.a", "clearance.sub.b", "clearance.sub.c"}
    assert "clearance.sub.b (line 2) -> clearance.sub.c" in shown(cycle, edges)
    (tmp_path / "clearance/sub/c.py").write_text("import os\n")
    assert find_cycle(import_graph(tmp_path)) is None
