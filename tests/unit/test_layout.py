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


# Every package below the modes is a rule package (core, people, catalogue, requests, counter, administration,
# adapters, jobs, and those still to come), except the model, the demo data and the modes themselves.
NOT_RULE_PACKAGES = ("models", "demo", "web")


def _rule_modules() -> list[Path]:
    packages = sorted(p for p in APP.iterdir() if (p / "__init__.py").exists() and p.name not in NOT_RULE_PACKAGES)
    return [path for package in packages for path in sorted(package.rglob("*.py"))] + [APP / "permissions.py"]


def _missing_hints(path: Path) -> list[str]:
    """`module:function` (or `module:Class.method`) for each public function lacking a return or parameter hint.

    Public: the name has no leading underscore, nor has its class (a private class's methods are private too)."""
    tree = ast.parse(path.read_text())
    functions: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef, bool]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            functions.append((node.name, node, False))
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            functions += [
                (f"{node.name}.{item.name}", item, True)
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            ]
    missing = []
    for qualname, function, is_method in functions:
        if function.name.startswith("_"):
            continue
        args = function.args
        params = args.posonlyargs + args.args + args.kwonlyargs + [a for a in (args.vararg, args.kwarg) if a]
        is_static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in function.decorator_list)
        if is_method and not is_static and args.posonlyargs + args.args:
            params = params[1:]  # self or cls
        lacking = [a.arg for a in params if a.annotation is None]
        if function.returns is None:
            lacking.append("return")
        if lacking:
            missing.append(f"{_module_name(path)}:{qualname} ({', '.join(lacking)})")
    return missing


def test_public_functions_of_the_rule_packages_have_type_hints():
    missing = [entry for path in _rule_modules() for entry in _missing_hints(path)]
    print("\n".join(missing))
    assert missing == []
