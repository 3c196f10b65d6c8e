"""The launcher's warm-up asks every endpoint whether it answers before the first visitor comes,
so the first page finds the sidebar's ticks instead of waiting for them (and rerunning the whole
page when they arrive)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from workbench.models import endpoints
from workbench.ui import serve
from workbench.ui.shell import model_menu
from workbench.ui.shell.resources import get_engine


def test_warming_starts_a_probe_for_every_enabled_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", f"sqlite:///{tmp_path / 'workbench.db'}")
    monkeypatch.setattr(serve, "WARM_MODULES", ())
    monkeypatch.setattr(serve.pkgutil, "walk_packages", lambda *args, **kwargs: [])
    monkeypatch.setattr(serve.gc, "freeze", lambda: None)  # not this test process's objects
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
    monkeypatch.setattr(serve, "WARM_MODULES", ())
    monkeypatch.setattr(serve.pkgutil, "walk_packages", lambda *args, **kwargs: [])
    monkeypatch.setattr(serve.gc, "freeze", lambda: None)
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
    finally:
        served = local_models._serve("127.0.0.1", port)
        if served is not None:
            served.stop()  # type: ignore[attr-defined]
        local_models._serve.clear()
