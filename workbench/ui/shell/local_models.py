"""The demo's offline models, answering inside the app: a fresh clone works with no keys.

The demo seeds an endpoint, "Local fake server", whose models (``fake-large``, ``fake-small``,
``fake-lazy``...) answer from the prompt's own context over the OpenAI wire protocol. Its server
is the one the tests use (``tests/fakes/server.py``, standard library only). When that endpoint
points at this machine and nothing listens on its port yet, the app serves it itself, in a
background thread of the Streamlit server, for as long as the server runs; so every model the
pages preselect on a first ``make run`` answers. ``WORKBENCH_LOCAL_MODELS=0`` switches this off
(the endpoint then shows as not reachable until something serves it, e.g. ``make fake``).
"""

from __future__ import annotations

import importlib
import socket
import sys
from urllib.parse import urlsplit

import streamlit as st
from sqlalchemy import Engine

from workbench.config import load_settings
from workbench.models import availability, endpoints
from workbench.ui.shell.nav import PROJECT_ROOT

DEMO_ENDPOINT = "Local fake server"
LOOPBACK = ("127.0.0.1", "localhost")
CHECKED = "local_models_checked"
# Like `make fake`: answers start after a short pause and stream word by word, as a real model's.
LATENCY_S, TOKEN_DELAY_S = 0.3, 0.03


def _free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


@st.cache_resource(show_spinner=False)
def _serve(host: str, port: int) -> object | None:
    """Start the demo models' server on ``host:port`` for the life of this process."""
    if not (PROJECT_ROOT / "tests" / "fakes" / "server.py").exists():
        return None  # an installed copy without the repository's tests/ folder
    if str(PROJECT_ROOT) not in sys.path:  # `streamlit run` from elsewhere
        sys.path.append(str(PROJECT_ROOT))
    server_module = importlib.import_module("tests.fakes.server")
    server = server_module.FakeLLMServer(host=host, port=port, latency=LATENCY_S, token_delay=TOKEN_DELAY_S)
    return server.start()


def ensure(engine: Engine) -> None:
    """Once per session: serve the demo endpoint here when it points at a free local port."""
    if st.session_state.get(CHECKED):
        return
    st.session_state[CHECKED] = True
    serve_demo_models(engine)


def serve_demo_models(engine: Engine) -> None:
    """Serve the demo endpoint here when it points at a free local port (no session needed: the
    server's warm-up calls it before it first asks the endpoints whether they answer, so the
    demo's endpoint is never reported unreachable for the moments before a first visitor)."""
    if not load_settings().local_models:
        return
    endpoint = endpoints.find_endpoint(engine, DEMO_ENDPOINT)
    if endpoint is None or not endpoint.enabled or not endpoint.base_url:
        return
    address = urlsplit(endpoint.base_url)
    if address.hostname not in LOOPBACK or address.port is None:
        return
    host = "127.0.0.1" if address.hostname == "localhost" else address.hostname
    if _free(host, address.port):
        server = _serve(host, address.port)
        if server is not None:
            availability.serving_here(endpoint.provider, endpoint.base_url, lambda: bool(server.running))  # type: ignore[attr-defined]
