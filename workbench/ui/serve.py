"""Start the workbench's server with the database ready and the heavy imports warm.

``streamlit run`` runs the router only when a visitor connects, so on a plain start the first
visitor pays for everything: migrating and seeding the database, and importing SQLModel, pandas,
plotly and every page's widgets (most of the first page's seconds). This launcher starts the same
server (``streamlit run workbench/ui/app.py`` with any options given) and, as soon as it answers,
does that work in a background thread, in the order the first page needs it: the engine is built
through the very cache the router uses (so the first visitor waits for it instead of doing it
twice), the endpoints are asked whether they answer, and the first page's own imports are loaded.
The rest (the SDKs of the endpoints that answer, every other page's modules) waits until the
first visitor's page has been drawn and the browser has fetched its elements' code: this process
runs one Python thread at a time, so warming pages nobody opened yet would only slow the one
being drawn. ``make run`` and ``workbench ui`` use it::

    python -m workbench.ui.serve --server.port 8501
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import pkgutil
import socket
import sys
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger(__name__)

# What the first page (the router, the sidebar and Home) imports beyond the engine's modules. It
# needs neither pandas nor Arrow (Home's table is Markdown): 0.5 s less on the first page's path.
FIRST_PAGE_MODULES = ("workbench.projects.overview", "workbench.ui.shell.page")
# Imported by the other pages and their widgets, once the first page is drawn.
WARM_MODULES = ("pandas", "pyarrow", "streamlit.dataframe_util", "plotly.graph_objects", "plotly.express")
# The rest of the warm-up waits this long at most for the first visitor's page.
FIRST_PAGE_WAIT_S = 20.0
# And this long after the router's run: the browser is then still fetching from this server the
# code of the page's elements (metrics, tables, page links), whose placeholders stay grey while
# the warm-up's imports hold the interpreter (measured: the second start's first page drawn 1 s
# later without this pause).
AFTER_FIRST_PAGE_S = 3.0
SKIP = ("workbench.store.migrations", "workbench.__main__", "workbench.ui.serve", "workbench.ui.app")


def _port(argv: list[str]) -> int:
    for i, arg in enumerate(argv):
        if arg.startswith("--server.port="):
            return int(arg.split("=", 1)[1])
        if arg == "--server.port" and i + 1 < len(argv):
            return int(argv[i + 1])
    return int(os.environ.get("STREAMLIT_SERVER_PORT") or 8501)


def _wait_listening(port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)


def _import_all(names: Sequence[str]) -> None:
    """Import each module; one that fails is logged and skipped (its page reports it itself)."""
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:
            log.warning("warming %s failed", name, exc_info=True)


def warm_sdks(engine: Engine) -> None:
    """Import the SDK of every endpoint that answers, so the first call to one (a Compare run)
    does not wait for it: no check imported it where the endpoint is served by this process."""
    from workbench.models import endpoints
    from workbench.models.providers.registry import provider_class
    from workbench.ui.shell import model_menu

    ready = {
        name for name, verdict in model_menu.endpoint_verdicts(engine).values() if verdict and verdict.ready
    }
    for endpoint in endpoints.list_endpoints(engine, include_disabled=False):
        if endpoint.name in ready:
            provider_class(endpoint.provider).load_sdk()


def warm(port: int) -> None:
    """Once the server answers: the engine (migrated, seeded) into the router's cache, the first
    look at every endpoint (each is asked whether it answers, as the sidebar asks), the first
    page's imports; once the first page is drawn (or after ``FIRST_PAGE_WAIT_S``), the SDKs of
    the endpoints that answer and the modules the other pages use. Failures are logged, never
    raised: the router reports them itself."""
    _wait_listening(port)
    # Outside a session, Streamlit's cache says "missing ScriptRunContext": expected here.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    from workbench.ui.shell import local_models, model_menu
    from workbench.ui.shell.resources import get_engine

    try:
        engine = get_engine()
    except Exception:  # the router shows the same problem to the first visitor, with its fix
        log.warning("warming the database failed", exc_info=True)
    else:
        try:
            # Ask every endpoint whether it answers now (the probes run on their own threads and
            # import the SDKs there), so the first visitor's sidebar has its ticks instead of
            # waiting for them and rerunning the whole page when they come. The demo's offline
            # models are served first, or their endpoint would be found unreachable for now;
            # served here, it is not asked over the network (``availability.serving_here``).
            local_models.serve_demo_models(engine)
        except Exception:
            log.warning("serving the demo's offline models failed", exc_info=True)
        try:
            model_menu.endpoint_verdicts(engine)
        except Exception:
            log.warning("starting the endpoint checks failed", exc_info=True)
    _import_all(FIRST_PAGE_MODULES)
    import workbench
    from workbench.ui.shell.resources import FIRST_PAGE_DRAWN

    FIRST_PAGE_DRAWN.wait(FIRST_PAGE_WAIT_S)
    time.sleep(AFTER_FIRST_PAGE_S)
    try:
        warm_sdks(get_engine())
    except Exception:
        log.warning("importing the providers' SDKs failed", exc_info=True)
    _import_all(
        [
            *WARM_MODULES,
            *(
                m.name
                for m in pkgutil.walk_packages(workbench.__path__, "workbench.")
                if not m.name.startswith(SKIP)
            ),
        ]
    )
    # What is loaded now stays for the server's life: out of the garbage collector's scans, whose
    # full passes would otherwise walk every module object again (tens of milliseconds each, on
    # the thread that sends a run's results).
    gc.freeze()


def secrets_files(app_script: str) -> list[str]:
    """Streamlit's own secrets files (the user's, the project's, the app folder's), less those that
    do not exist, except the project's (Settings may create it while the server runs).

    Once one secrets file exists, Streamlit puts a watcher on every file in the list before the
    server listens, and for a missing one it retries five times with 0.1 s pauses: with the
    project's file alone present, health answered 1.5 s after start instead of 0.65 s (measured).
    Whatever is missing now was neither read nor watched anyway.
    """
    from streamlit import file_util

    project = file_util.get_project_streamlit_file_path("secrets.toml")
    candidates = [
        file_util.get_streamlit_file_path("secrets.toml"),
        project,
        file_util.get_main_script_streamlit_file_path(app_script, "secrets.toml"),
    ]
    return [path for path in dict.fromkeys(candidates) if path == project or os.path.exists(path)]


def secrets_files_chosen(app_script: str) -> bool:
    """Whether the secrets files were chosen elsewhere (``STREAMLIT_SECRETS_FILES`` or ``files``
    under ``[secrets]`` in a ``config.toml``): the launcher's list would override that choice."""
    import tomllib

    from streamlit import file_util

    if os.environ.get("STREAMLIT_SECRETS_FILES"):
        return True
    for path in (
        file_util.get_streamlit_file_path("config.toml"),
        file_util.get_project_streamlit_file_path("config.toml"),
        file_util.get_main_script_streamlit_file_path(app_script, "config.toml"),
    ):
        try:
            with open(path, "rb") as file:
                if "files" in tomllib.load(file).get("secrets", {}):
                    return True
        except (OSError, tomllib.TOMLDecodeError):  # absent, or Streamlit reports it itself
            continue
    return False


def main(argv: list[str] | None = None) -> None:
    from streamlit.web import cli

    from workbench.ui.shell.nav import APP_SCRIPT

    options = list(sys.argv[1:] if argv is None else argv)
    given = any(option.startswith("--secrets.files") for option in options)
    if not given and not secrets_files_chosen(str(APP_SCRIPT)):
        options += [flag for path in secrets_files(str(APP_SCRIPT)) for flag in ("--secrets.files", path)]
    threading.Thread(target=warm, args=(_port(options),), name="workbench-warm", daemon=True).start()
    sys.argv = ["streamlit", "run", str(APP_SCRIPT), *options]
    cli.main()


if __name__ == "__main__":
    main()
