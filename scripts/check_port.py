"""Fail at once, naming the port, when the port ``make run`` wants is already taken.

``make run`` calls this before it installs anything: a taken port found after a six-minute
install wastes the six minutes. Standard library only (it runs with the system's Python,
before the virtual environment exists). Exit codes: 0 free, 1 taken, 2 not a usable port.

    python3 scripts/check_port.py 8501 [--host localhost]
"""

from __future__ import annotations

import argparse
import socket
import sys

SEARCH = 50  # how far above the taken port to look for a free one to suggest


def is_free(host: str, port: int) -> bool:
    """True when nothing listens on ``port`` and a server could bind it.

    Both checks are needed: a listener on another address of ``localhost`` (IPv6 ``::1``)
    does not stop a bind on ``127.0.0.1``, yet a browser opening ``localhost`` may reach it."""
    for family, kind, proto, _, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        with socket.socket(family, kind, proto) as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(address) == 0:
                return False
        with socket.socket(family, kind, proto) as server:
            # As Streamlit's server does: a port left in TIME_WAIT by a stopped server is free.
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                server.bind(address)
            except OSError:
                return False
    return True


def next_free(host: str, port: int) -> int | None:
    for candidate in range(port + 1, min(port + SEARCH, 65535) + 1):
        if is_free(host, candidate):
            return candidate
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", help="the port make run will serve on")
    parser.add_argument("--host", default="localhost")
    args = parser.parse_args(argv)
    try:
        port = int(args.port)
        if not 1 <= port <= 65535:
            raise ValueError
    except ValueError:
        print(
            f"make run: '{args.port}' is not a port number (1-65535). "
            "Set PORT (make run PORT=8502) or STREAMLIT_SERVER_PORT to one.",
            file=sys.stderr,
        )
        return 2
    if is_free(args.host, port):
        return 0
    other = next_free(args.host, port)
    suggestion = other or port + 1
    print(
        f"make run: port {port} on {args.host} is already in use (another workbench or Streamlit app?).\n"
        f"  Stop what runs there, or pick another port: make run PORT={suggestion}\n"
        f"  (or export STREAMLIT_SERVER_PORT={suggestion}). Nothing was installed or started.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
