"""The core never imports Streamlit (only workbench/ui/ may); pages never touch SQL or SDKs."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

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


def test_no_core_module_imports_streamlit() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in core_modules() if "streamlit" in _imports(p)]
    assert offenders == [], f"core modules importing streamlit: {offenders}"


def test_pages_do_not_use_sql_or_sdks_directly() -> None:
    forbidden = {"sqlalchemy", "sqlmodel", "openai", "anthropic", "httpx2", "sqlite3", "psycopg"}
    pages = [*(ROOT / "pages").glob("*.py"), ROOT / "workbench" / "ui" / "app.py"]
    offenders = {str(p.relative_to(ROOT)): sorted(_imports(p) & forbidden) for p in pages}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_workbench_does_not_load_streamlit() -> None:
    code = "import workbench, workbench.cli.entry, sys; assert 'streamlit' not in sys.modules, 'streamlit loaded'"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
