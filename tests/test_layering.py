"""The layer order holds (no upward import, no import circle), the core never imports Streamlit
(only workbench/ui/ may), and pages never touch SQL or SDKs."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from scripts import check_layers

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "workbench"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def core_modules() -> list[Path]:
    return [p for p in CORE.rglob("*.py") if "ui" not in p.relative_to(CORE).parts]


def test_core_modules_exist_to_check() -> None:
    assert len(core_modules()) > 10


def test_every_package_is_in_the_layer_list() -> None:
    packages = {p.name for p in CORE.iterdir() if (p / "__init__.py").exists()}
    modules = {p.stem for p in CORE.glob("*.py") if not p.name.startswith("__")}
    assert packages | modules == set(check_layers.RANK)


def test_no_package_imports_a_layer_above_it() -> None:
    assert check_layers.upward_imports(check_layers.graph()) == []


def test_no_import_circle() -> None:
    assert check_layers.circles(check_layers.graph()) == []


def test_the_checker_catches_an_upward_import_and_a_circle() -> None:
    edges = {
        "workbench.store.tables": {"workbench.runs.runner"},
        "workbench.runs.runner": {"workbench.runs.plan"},
        "workbench.runs.plan": {"workbench.runs.runner"},
    }
    assert check_layers.upward_imports(edges) == [
        "workbench.store.tables (store) imports workbench.runs.runner (runs), a layer above it"
    ]
    assert check_layers.circles(edges) == [["workbench.runs.plan", "workbench.runs.runner"]]


def test_the_command_prints_the_layers_in_order() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/check_layers.py"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    order = [line.split()[1] for line in result.stdout.splitlines() if line[:3].strip().rstrip(".").isdigit()]
    assert order == [name for name, _ in check_layers.LAYERS]


def test_no_core_module_imports_streamlit() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in core_modules() if "streamlit" in _imports(p)]
    assert offenders == [], f"core modules importing streamlit: {offenders}"


def test_pages_do_not_use_sql_or_sdks_directly() -> None:
    forbidden = {"sqlalchemy", "sqlmodel", "openai", "anthropic", "httpx2", "sqlite3", "psycopg"}
    pages = [*(ROOT / "pages").glob("*.py"), ROOT / "workbench" / "ui" / "app.py"]
    offenders = {str(p.relative_to(ROOT)): sorted(_imports(p) & forbidden) for p in pages}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_pages_folder_beside_the_main_script() -> None:
    """Streamlit's legacy multipage path starts when ``pages/`` sits next to the main script."""
    assert not (ROOT / "workbench" / "ui" / "pages").exists()
    assert (ROOT / "pages").is_dir()


def test_importing_workbench_does_not_load_streamlit() -> None:
    code = "import workbench, workbench.cli, sys; assert 'streamlit' not in sys.modules, 'streamlit loaded'"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_no_module_name_is_used_twice() -> None:
    """A newcomer who finds ``records`` or ``review`` in a traceback knows which file it is.
    (Migrations are numbered scripts, not modules anyone imports by name.)"""
    seen: dict[str, list[str]] = {}
    for path in CORE.rglob("*.py"):
        if path.name == "__init__.py" or "migrations" in path.parts:
            continue
        seen.setdefault(path.stem, []).append(str(path.relative_to(CORE)))
    assert {name: paths for name, paths in seen.items() if len(paths) > 1} == {}
