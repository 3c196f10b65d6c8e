"""Whether an endpoint answers: asked over the network, except where this process serves it."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from sqlalchemy import Engine

from workbench.models import availability
from workbench.models.providers.interface import EndpointConfig


def closed_url() -> str:
    """An OpenAI-style address on a loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


@pytest.fixture(autouse=True)
def _nothing_served_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(availability, "_served_here", {})


def test_an_endpoint_this_process_serves_answers_without_being_asked(engine: Engine) -> None:
    served, elsewhere = closed_url(), closed_url()
    running = [True]
    availability.serving_here("openai_compatible", served, lambda: running[0])
    here = availability.probe(engine, EndpointConfig("Demo", "openai_compatible", served), None)
    assert here.ready and here.message == availability.SERVED_HERE
    away = availability.probe(engine, EndpointConfig("Other", "openai_compatible", elsewhere), None)
    assert not away.ready and away.problem == "not reachable"  # the same address kind, really asked
    other_api = availability.probe(engine, EndpointConfig("Anthropic here?", "anthropic", served), "sk-ant-x")
    assert not other_api.ready  # the address is served here, but not that provider's API
    running[0] = False  # the server stopped: asked again, like any other
    stopped = availability.probe(engine, EndpointConfig("Demo", "openai_compatible", served), None)
    assert not stopped.ready and stopped.problem == "not reachable"


def test_the_verdict_on_a_served_endpoint_needs_no_sdk() -> None:
    """Its SDK is what the check used to cost (most of a new clone's first page)."""
    code = (
        "import sys\n"
        "from workbench.models import availability\n"
        "from workbench.models.providers.interface import EndpointConfig\n"
        "availability.serving_here('openai_compatible', 'http://127.0.0.1:9/v1', lambda: True)\n"
        "v = availability.probe(None, EndpointConfig('Demo', 'openai_compatible', 'http://127.0.0.1:9/v1'), None)\n"
        "print(v.ready, 'openai' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "False"]
