"""The layout stays readable: app.py goes through one door, and gan_core has no import circles.

Both are read from the source with the ``ast`` module, function-level imports included, so an
import hidden inside a function counts as much as one at the top of a file.
"""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "gan_core"
# what app.py may import from gan_core: the public API (the package itself), the settings and
# the checkpoint store; the tabs come from apps/
APP_MAY_IMPORT = {"gan_core", "gan_core.settings", "gan_core.checkpoints"}


def module_name(path: Path) -> str:
    parts = (path.relative_to(REPO) if path.is_relative_to(REPO) else Path(path.name)).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """Every module of ``known`` that ``path`` imports, anywhere in the file, resolved to a module
    (``from . import x`` -> ``pkg.x`` when that is a module, else ``pkg``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                root = ".".join(base + ([node.module] if node.module else []))
            else:
                root = node.module
            # an imported module counts as that module; an imported name as the module defining it
            names = [f"{root}.{a.name}" if f"{root}.{a.name}" in known else root for a in node.names]
        else:
            continue
        for name in names:
            # the longest known module that the name starts with
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != me:
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    files = sorted(PACKAGE.rglob("*.py"))
    known = {module_name(f) for f in files}
    return {module_name(f): imported_modules(f, known) for f in files}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A list of modules forming an import circle, or None (iterative three-colour DFS)."""
    colour = {n: 0 for n in graph}  # 0 new, 1 on the current path, 2 done
    for start in graph:
        if colour[start]:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        colour[start] = 1
        while stack:
            node, children = stack[-1]
            child = next((c for c in children if c in graph), None)
            if child is None:
                colour[node] = 2
                stack.pop()
                path.pop()
            elif colour[child] == 1:
                return path[path.index(child):] + [child]
            elif colour[child] == 0:
                colour[child] = 1
                stack.append((child, iter(sorted(graph[child]))))
                path.append(child)
    return None


def test_gan_core_has_no_import_circles():
    graph = import_graph()
    assert len(graph) > 20 and "gan_core.checkpoints" in graph["gan_core.sampling"]
    assert find_cycle(graph) is None, f"import circle: {' -> '.join(find_cycle(graph))}"


def test_the_cycle_finder_finds_a_circle_and_a_hidden_import(tmp_path):
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
    module = tmp_path / "x.py"
    module.write_text("def f():\n    from gan_core.registry import TASKS\n    import gan_core.hub as h\n")
    known = {"gan_core", "gan_core.registry", "gan_core.hub"}
    assert imported_modules(module, known) == {"gan_core.registry", "gan_core.hub"}
    module.write_text("from gan_core import generate\nfrom gan_core import hub\n")
    assert imported_modules(module, known) == {"gan_core", "gan_core.hub"}


def test_app_goes_through_the_one_door():
    files = sorted(PACKAGE.rglob("*.py"))
    known = {module_name(f) for f in files} | {"gan_core"}
    tree = ast.parse((REPO / "app.py").read_text())
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            used |= {a.name for a in node.names if a.name.split(".")[0] == "gan_core"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "gan_core":
            used |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module
                     for a in node.names}
    assert "gan_core" in used
    assert used <= APP_MAY_IMPORT, f"app.py reaches past the public API: {sorted(used - APP_MAY_IMPORT)}"
    # and it reaches nothing through attribute chains either (gan_core.x.y(...))
    chains = {f"gan_core.{n.value.attr}" for n in ast.walk(tree)
              if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Attribute)
              and isinstance(n.value.value, ast.Name) and n.value.value.id == "gan_core"}
    assert not chains & known, f"app.py reaches into gan_core modules: {sorted(chains & known)}"


def test_the_public_api_names_exist():
    import gan_core
    assert set(gan_core.__all__) <= set(dir(gan_core))
    for name in ("generate", "latents", "decode", "encode", "elbo_terms", "classify", "super_resolve",
                 "list_tasks", "translate", "task_input"):
        assert callable(getattr(gan_core, name)), name


def test_the_registry_names_each_checkpoint_task_and_method_once():
    from gan_core import registry
    served = {c for t in registry.TASKS.values() for c in t.checkpoints.values()}
    served |= {c for c, _ in registry.SR_METHODS.values() if c} | {c for c, _ in registry.VAES.values()}
    served |= {c for c, _ in registry.GENERATORS.values()}
    assert served <= set(registry.CHECKPOINTS)
    on_disk = {p.name for p in (REPO / "checkpoints").iterdir() if (p / "config.json").exists()}
    assert on_disk <= set(registry.CHECKPOINTS), f"unregistered checkpoints: {sorted(on_disk - set(registry.CHECKPOINTS))}"
    assert set(registry.TRAIN_COMMANDS.values()) <= set(registry.CHECKPOINTS)
    # no other module spells a checkpoint name as a string literal
    served = set(registry.CHECKPOINTS)
    literal = {}
    for f in PACKAGE.rglob("*.py"):
        if f.name in ("registry.py",) or f.parent.name == "lab":
            continue
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Constant) and node.value in served:
                literal.setdefault(str(f.relative_to(REPO)), set()).add(node.value)
    tabs = {str(f.relative_to(REPO)): f for f in [*(REPO / "apps").glob("*.py"), REPO / "app.py"]}
    for name, f in tabs.items():
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Constant) and node.value in served:
                literal.setdefault(name, set()).add(node.value)
    assert not literal, f"checkpoint names written outside gan_core/registry.py: {literal}"
