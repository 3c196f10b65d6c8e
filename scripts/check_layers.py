"""Print the core's packages in layer order and fail on an upward import or an import circle.

The layers are the life of a prompt, bottom to top: a package may import its own modules and
any package below it, never one above. ``workbench/ui/`` and the pages sit on top of everything
(and are the only code that may import Streamlit). Run it as a command
(``.venv/bin/python scripts/check_layers.py``) or through ``tests/test_layering.py``.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "workbench"

# Bottom to top. A name is a package (workbench/<name>/) or a foundation module (<name>.py).
LAYERS: tuple[tuple[str, str], ...] = (
    ("errors", "the error tree every layer raises"),
    ("config", "settings from the environment"),
    ("aio", "run a coroutine from synchronous code"),
    ("store", "engine, sessions, tables, migrations, audit log, lookups"),
    ("projects", "use cases: user story, five P's, KPIs, figures at a glance"),
    ("governance", "personal data, the outbound data policy, roles"),
    ("models", "providers, endpoints, prices, call settings, the one call path"),
    ("documents", "a project's documents: conversion, cleaning, passages, full-text search, context"),
    ("prompts", "templates, versions and labels, drafts, diffs, gallery, checklist, builder"),
    ("runs", "plan, one cell's call, the concurrent runner, live progress, outputs"),
    ("judging", "ratings, blind, pairwise, review queue, agreement, ranking, feedback"),
    ("evals", "test cases, assertions, the LLM judge, evaluations, CI gate"),
    ("generate", "test cases and fine-tuning pairs generated from documents, and their review"),
    ("monitor", "releases in use: complete and report from applications, figures per release and day"),
    ("improve", "rewriting a prompt with a model's help; improving it on its bench"),
    ("exports", "the library out (CSV, XLSX, JSONL, promptfoo, backup) and back in"),
    ("insights", "library table, Insights frames, a prompt's rated history"),
    ("demo", "demo content seeded on first start"),
    ("cli", "the workbench command"),
    ("ui", "Streamlit widgets, state and the router (pages/ sit on top of it)"),
)
RANK = {name: i for i, (name, _) in enumerate(LAYERS)}


def unit_of(module: str) -> str | None:
    """The layer unit of a dotted module name (``workbench.runs.plan`` -> ``runs``)."""
    parts = module.split(".")
    if parts[0] != "workbench" or len(parts) < 2:
        return None
    return parts[1]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every workbench module ``path`` imports, at module level or inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("workbench"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("workbench"):
                continue
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                is_module = (ROOT / Path(*candidate.split("."))).with_suffix(".py").exists() or (
                    ROOT / Path(*candidate.split(".")) / "__init__.py"
                ).exists()
                found.add(candidate if is_module else node.module)
    return found


def core_files() -> list[Path]:
    return sorted(p for p in CORE.rglob("*.py") if "migrations" not in p.parts)


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in core_files()}


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    problems = []
    for source, targets in sorted(edges.items()):
        here = unit_of(source)
        if here is None or here == "__main__":
            continue
        if here not in RANK:
            problems.append(f"{source}: '{here}' is not in the layer list (add it to LAYERS)")
            continue
        for target in sorted(targets):
            there = unit_of(target)
            if there is None or there == here:
                continue
            if there not in RANK:
                problems.append(f"{source} imports {target}: '{there}' is not in the layer list")
            elif RANK[there] > RANK[here]:
                problems.append(f"{source} ({here}) imports {target} ({there}), a layer above it")
    return problems


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Import circles between modules (Tarjan's strongly connected components). A package's
    ``__init__`` importing its own modules is not a circle unless a module imports it back."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in edges:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def report() -> str:
    edges = graph()
    by_unit: dict[str, set[str]] = defaultdict(set)
    for source, targets in edges.items():
        here = unit_of(source)
        for target in targets:
            there = unit_of(target)
            if here and there and there != here:
                by_unit[here].add(there)
    lines = ["Layers, bottom to top (each may import only those listed before it):"]
    for i, (name, what) in enumerate(LAYERS, 1):
        uses = ", ".join(sorted(by_unit.get(name, ()), key=lambda u: RANK.get(u, 99))) or "-"
        lines.append(f"{i:2}. {name:<11} {what}\n               uses: {uses}")
    return "\n".join(lines)


def main() -> int:
    edges = graph()
    print(report())
    problems = upward_imports(edges) + [" -> ".join(c) for c in circles(edges)]
    if problems:
        print("\nProblems:")
        print("\n".join(f"- {p}" for p in problems))
        return 1
    print("\nNo upward import and no import circle.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
