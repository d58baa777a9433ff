"""The package layout (issue 10): stage subpackages, dependencies pointing one way, honest __all__.

Read from the source with ast, not by importing, so a function-level import counts as much as a
module-level one.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import randsup

ROOT = Path(randsup.__file__).parent

# The pipeline's order; a module may import from its own tier or any earlier one, never a later one.
TIERS: dict[str, int] = {
    "version": 0, "_runtime": 0, "errors": 0, "io": 0, "model": 0, "spec": 0, "i18n": 0,
    "inputs": 1, "draw": 1, "demo": 2, "assign": 3, "plan": 4, "publish": 5, "history": 6,
    "verify": 7, "bench": 8, "cli": 9, "__main__": 10, "__init__": 10,
}
STAGES = ("inputs", "draw", "assign", "publish", "history", "bench", "demo")


def _modules() -> dict[str, Path]:
    out = {}
    for p in sorted(ROOT.rglob("*.py")):
        parts = p.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1]) if parts[-1] == "__init__" and len(parts) > 1 else ".".join(parts)
        out[name] = p
    return out


def _imports(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """(imported module inside randsup, names) for every relative or randsup import in the file."""
    pkg = name.split(".") if path.name == "__init__.py" and name != "__init__" else name.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[: len(pkg) - (node.level - 1)] if node.level > 1 else pkg
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            elif node.module and node.module.split(".")[0] == "randsup":
                target = ".".join(node.module.split(".")[1:])
            else:
                continue
            found.append((target, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(".".join(a.name.split(".")[1:]), []) for a in node.names if a.name.startswith("randsup.")]
    return found


def _tier(module: str) -> int:
    return TIERS[module.split(".")[0]] if module else 10


def test_the_package_is_split_into_stage_subpackages() -> None:
    for stage in STAGES:
        assert (ROOT / stage / "__init__.py").is_file(), stage
    flat = sorted(p.stem for p in ROOT.glob("*.py"))
    assert len(flat) <= 12, flat


def test_dependencies_point_one_way() -> None:
    mods = _modules()
    upward = []
    for name, path in mods.items():
        if name == "__init__":
            continue
        for target, _ in _imports(name, path):
            if _tier(target) > _tier(name):
                upward.append(f"{name} imports {target}")
    assert upward == []


def test_no_import_cycles() -> None:
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        deps = set()
        for target, names in _imports(name, path):
            deps |= {f"{target}.{n}" for n in names if f"{target}.{n}" in mods} or ({target} & set(mods))
        graph[name] = deps - {name}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(n: str, stack: list[str]) -> None:
        state[n] = 1
        for d in sorted(graph.get(n, ())):
            if d in {"__init__", ""} or cycle:
                continue
            if state.get(d) == 1:
                cycle.extend([*stack[stack.index(d):], d] if d in stack else [n, d])
            elif d not in state:
                visit(d, [*stack, d])
        state[n] = 2

    for n in sorted(graph):
        if n not in state and n != "__init__":
            visit(n, [n])
    assert cycle == []


def test_cross_module_imports_use_the_exported_names() -> None:
    """A name imported from another randsup module is in that module's __all__ (or is a submodule)."""
    mods = _modules()
    exported: dict[str, set[str]] = {}
    for name, path in mods.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
                exported[name] = set(ast.literal_eval(node.value))
    private = []
    for name, path in mods.items():
        for target, names in _imports(name, path):
            if target not in mods:
                continue
            for n in names:
                if f"{target}.{n}" in mods or (target.split(".")[0] == name.split(".")[0] and target != ""):
                    continue  # a submodule, or an import within one stage package
                if n not in exported.get(target, set()):
                    private.append(f"{name} imports {n} from {target}")
    assert private == []


def test_every_module_lists_only_names_it_has() -> None:
    import importlib

    for name in _modules():
        if name in {"__init__", "__main__"}:
            continue
        module = importlib.import_module(f"randsup.{name}")
        missing = [n for n in getattr(module, "__all__", []) if not hasattr(module, n)]
        assert missing == [], name


def test_the_package_exports_what_it_imports() -> None:
    """Both directions: every public name randsup/__init__ binds is in __all__, and vice versa."""
    tree = ast.parse((ROOT / "__init__.py").read_text(encoding="utf-8"))
    bound = {a.asname or a.name for node in tree.body if isinstance(node, ast.ImportFrom)
             for a in node.names if not (a.asname or a.name).startswith("_")}
    lazy = set(randsup._LAZY)
    assert bound | lazy | {"__version__"} == set(randsup.__all__)


def test_import_loads_no_benchmark_and_no_plotting() -> None:
    code = "import sys, randsup; print('\\n'.join(sorted(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                            check=True)
    modules = set(loaded.stdout.split())
    heavy = sorted(m for m in modules if m.split(".")[0] in {"matplotlib", "scipy"} or m.startswith("randsup.bench"))
    assert heavy == []
    timed = [line.split("|")[-1].strip() for line in loaded.stderr.splitlines() if "|" in line]
    assert not [m for m in timed if m.startswith(("randsup.bench", "matplotlib", "scipy"))]


def test_fairness_names_load_on_first_use() -> None:
    code = ("import sys, randsup; assert 'randsup.bench.fairness' not in sys.modules; "
            "f = randsup.run_fairness; assert 'randsup.bench.fairness' in sys.modules; print(f.__module__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "randsup.bench.fairness"
