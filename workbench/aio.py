"""Run a coroutine to completion from synchronous code, wherever that code happens to run.

Streamlit scripts, the CLI and tests call the async runner from plain functions. When the
calling thread already has a running event loop (Playwright's sync API, Jupyter), a nested
``asyncio.run`` is refused, so the coroutine runs on a fresh loop in a worker thread instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="workbench-aio") as pool:
        return pool.submit(asyncio.run, coro).result()
