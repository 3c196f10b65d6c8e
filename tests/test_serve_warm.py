"""The launcher's warm-up asks every endpoint whether it answers before the first visitor comes,
so the first page finds the sidebar's ticks instead of waiting for them (and rerunning the whole
page when they arrive)."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.conftest import ROOT
from workbench.models import availability, endpoints
from workbench.ui import serve
from workbench.ui.shell import model_menu, resources
from workbench.ui.shell.resources import get_engine


def _no_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    """The warm-up's imports are this test process's already; the first page is not awaited."""
    monkeypatch.setattr(serve, "_import_all", lambda names: None)
    monkeypatch.setattr(serve, "FIRST_PAGE_WAIT_S", 0.0)
    monkeypatch.setattr(serve, "AFTER_FIRST_PAGE_S", 0.0)
    monkeypatch.setattr(serve.gc, "freeze", lambda: None)  # not this test process's objects


def test_warming_starts_a_probe_for_every_enabled_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", f"sqlite:///{tmp_path / 'workbench.db'}")
    _no_imports(monkeypatch)
    model_menu.board.clear()
    with socket.socket() as listener:  # the server "answers"
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        serve.warm(listener.getsockname()[1])
    engine = get_engine()
    enabled = {e.name for e in endpoints.list_endpoints(engine, include_disabled=False)}
    asked = {config.name for config, _ in [*model_menu.board()._pending, *model_menu.board()._verdicts]}
    assert enabled and asked == enabled


def test_the_demo_models_are_served_before_the_endpoints_are_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new user's first page said the demo's endpoint was not reachable (and ticked it seconds
    later): the warm-up asked it before its models were served."""
    from workbench.ui.shell import local_models

    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", f"sqlite:///{tmp_path / 'workbench.db'}")
    monkeypatch.setenv("WORKBENCH_LOCAL_MODELS", "1")
    _no_imports(monkeypatch)
    engine = get_engine()  # migrated and seeded, as the warm-up finds it
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    demo = endpoints.find_endpoint(engine, local_models.DEMO_ENDPOINT)
    assert demo is not None
    endpoints.update_endpoint(engine, demo.id, actor="test", base_url=f"http://127.0.0.1:{port}/v1")  # type: ignore[arg-type]
    model_menu.board.clear()
    try:
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            serve.warm(listener.getsockname()[1])
        _, verdict = model_menu.endpoint_verdicts(engine, wait_s=30)[demo.id]  # type: ignore[index]
        assert verdict is not None and verdict.ready, verdict
        assert verdict.message == availability.SERVED_HERE  # known, not asked over the network
    finally:
        served = local_models._serve("127.0.0.1", port)
        if served is not None:
            served.stop()  # type: ignore[attr-defined]
        local_models._serve.clear()


class _RecordedEvent:
    """Stands for ``FIRST_PAGE_DRAWN``: notes in ``steps`` when the warm-up waits on it."""

    def __init__(self, steps: list[str]) -> None:
        self.steps = steps

    def wait(self, timeout: float | None = None) -> bool:
        self.steps.append("wait for the first page")
        return True


def test_the_other_pages_modules_wait_until_the_first_page_is_drawn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One Python thread runs at a time: warming every page's modules while the first visitor's
    page was being drawn made that page seconds later. The first page's imports come first; the
    SDKs and the rest only after waiting for the router to say its first run ended."""
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", f"sqlite:///{tmp_path / 'workbench.db'}")
    monkeypatch.setenv("WORKBENCH_LOCAL_MODELS", "0")
    monkeypatch.setattr(serve.gc, "freeze", lambda: None)
    monkeypatch.setattr(serve, "AFTER_FIRST_PAGE_S", 0.0)
    steps: list[str] = []
    monkeypatch.setattr(resources, "FIRST_PAGE_DRAWN", _RecordedEvent(steps))
    batches: list[list[str]] = []

    def record(names: Sequence[str]) -> None:
        steps.append(f"import batch {len(batches) + 1}")
        batches.append(list(names))

    monkeypatch.setattr(serve, "_import_all", record)
    monkeypatch.setattr(serve, "warm_sdks", lambda engine: steps.append("SDKs"))
    model_menu.board.clear()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        serve.warm(listener.getsockname()[1])
    assert steps == ["import batch 1", "wait for the first page", "SDKs", "import batch 2"]
    assert batches[0] == list(serve.FIRST_PAGE_MODULES)
    assert "plotly.express" in batches[1] and "workbench.exports.backup" in batches[1]


def test_the_router_says_when_its_first_run_ended(app, monkeypatch: pytest.MonkeyPatch) -> None:
    """The warm-up's wait ends when the router's run does, also when that run only showed the
    sign-in screen or an error."""
    drawn = threading.Event()
    monkeypatch.setattr(resources, "FIRST_PAGE_DRAWN", drawn)
    at = app()
    assert not at.exception
    assert drawn.is_set()


def test_only_secrets_files_that_exist_are_watched_besides_the_projects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Streamlit retries a missing secrets file five times, 0.1 s apart, before the server listens;
    the project's file is kept either way (Settings writes keys there)."""
    home, project = tmp_path / "home", tmp_path / "project"
    (home / ".streamlit").mkdir(parents=True)
    (project / "app").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(project)
    script = str(project / "app" / "app.py")
    assert serve.secrets_files(script) == [str(project / ".streamlit" / "secrets.toml")]
    (home / ".streamlit" / "secrets.toml").write_text("")
    (project / "app" / ".streamlit").mkdir()
    (project / "app" / ".streamlit" / "secrets.toml").write_text("")
    assert serve.secrets_files(script) == [
        str(home / ".streamlit" / "secrets.toml"),
        str(project / ".streamlit" / "secrets.toml"),
        str(project / "app" / ".streamlit" / "secrets.toml"),
    ]


def test_secrets_files_chosen_elsewhere_are_left_as_chosen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The launcher's list would override ``STREAMLIT_SECRETS_FILES`` or a config.toml's choice."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STREAMLIT_SECRETS_FILES", raising=False)
    script = str(tmp_path / "app" / "app.py")
    assert not serve.secrets_files_chosen(script)
    monkeypatch.setenv("STREAMLIT_SECRETS_FILES", str(tmp_path / "mine.toml"))
    assert serve.secrets_files_chosen(script)
    monkeypatch.delenv("STREAMLIT_SECRETS_FILES")
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "config.toml").write_text('[secrets]\nfiles = ["/etc/mine.toml"]\n')
    assert serve.secrets_files_chosen(script)


def test_the_first_page_needs_neither_pandas_nor_numpy_nor_plotly_express(tmp_path: Path) -> None:
    """The router's first run (the sidebar and Home, on a fresh data folder, seeding included)
    leaves out the heavy analysis libraries, so a first visitor does not wait for them (they
    load once the first page is drawn). A fresh interpreter, since this one has them all."""
    import subprocess
    import sys

    from workbench.ui.shell.nav import APP_SCRIPT

    code = (
        "import sys\nfrom streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(APP_SCRIPT)!r}, default_timeout=120)\nat.run()\n"
        "assert not at.exception, at.exception\nassert any(m.value.startswith('| Prompt |') for m in at.markdown)\n"
        "print(sorted(m for m in ('pandas', 'numpy', 'pyarrow', 'plotly.express') if m in sys.modules))"
    )
    env = {
        **os.environ,
        "WORKBENCH_HOME": str(tmp_path),
        "WORKBENCH_DATABASE_URL": f"sqlite:///{tmp_path / 'workbench.db'}",
        "WORKBENCH_LOCAL_MODELS": "0",
    }
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_after_the_first_page_the_sdks_of_the_endpoints_that_answer_are_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """So the first call to one (a Compare run) does not wait for its SDK; an endpoint that
    cannot answer (no key) costs no import."""
    from workbench.models.availability import Availability
    from workbench.models.providers import registry

    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", f"sqlite:///{tmp_path / 'workbench.db'}")
    engine = get_engine()
    enabled = endpoints.list_endpoints(engine, include_disabled=False)
    answering = {e.name for e in enabled if e.provider in ("echo", "openai_compatible")}
    verdicts = {
        e.id: (e.name, Availability(e.name in answering, "" if e.name in answering else "no key"))
        for e in enabled
    }
    monkeypatch.setattr(model_menu, "endpoint_verdicts", lambda engine: verdicts)
    loaded: list[str] = []
    real = registry.provider_class

    def recording(name: str) -> type:
        cls = real(name)
        return type("Recording", (cls,), {"load_sdk": classmethod(lambda c: loaded.append(name))})

    monkeypatch.setattr(registry, "provider_class", recording)
    serve.warm_sdks(engine)
    assert sorted(loaded) == sorted(e.provider for e in enabled if e.name in answering)
    assert "anthropic" not in loaded and "openai_compatible" in loaded
