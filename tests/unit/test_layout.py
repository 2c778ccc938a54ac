"""The layout rules of STYLE.md hold: no import cycle among app modules, core knows no domain, permissions.py
imports only the model, nothing below web/ imports a blueprint. Imports inside functions count too: a lazy
import is how a cycle hides."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(APP.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in APP.rglob("*.py")}


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The app modules a file imports (a name imported from a package counts as its submodule when one exists)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.split(".")[0] == "app":
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "app"}
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        # A blueprint's routes import `bp` from their own package: that edge is the Flask pattern, not a cycle.
        graph[name] = {m for m in _imports(path, modules) if m != name and not name.startswith(m + ".")}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, result, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return result


def test_no_import_cycle_among_app_modules():
    assert _cycles(_graph()) == []


def test_core_knows_no_domain():
    allowed = ("app.core", "app.extensions", "app.config")
    offending = {
        name: sorted(m for m in deps if not m.startswith(allowed))
        for name, deps in _graph().items()
        if name.startswith("app.core")
    }
    assert {name: deps for name, deps in offending.items() if deps} == {}


def test_permissions_imports_only_the_model():
    deps = _graph()["app.permissions"]
    assert sorted(m for m in deps if not m.startswith(("app.models", "app.extensions"))) == []


def test_nothing_below_web_imports_a_blueprint():
    offending = {
        name: sorted(m for m in deps if m.startswith("app.web"))
        for name, deps in _graph().items()
        if not name.startswith("app.web") and name != "app"  # create_app registers the blueprints
    }
    assert {name: deps for name, deps in offending.items() if deps} == {}
