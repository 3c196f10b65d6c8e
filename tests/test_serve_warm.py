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
