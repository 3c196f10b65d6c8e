"""One cell's call: the cache lookup, the slots, the stream, and every way a call can end
turned into an output row.

This is kept apart from the fan-out (``workbench.runs.runner``) because it is the part that decides
what a user later reads in a cell: the text, the timings, the cost, and for a failure a status
and a message that names the fix. The fan-out only schedules these calls, cancels them and
stores what they return.

- Retries are the SDKs' own, configured on each client from the endpoint (``max_retries``,
  ``timeout_s``); nothing here adds any, so a 429 is retried exactly ``max_retries`` times.
- A failed call is data, never an exception: its output has ``status`` error, incomplete or
  cancelled, an error kind, and a message with the key redacted, so the other cells carry on.
- Slots: the endpoint's first, then the run's overall one, so a cell queued behind a busy
  endpoint never holds an overall slot other cells could use.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from sqlalchemy import Engine

from workbench.errors import ProviderError, StreamInterrupted
from workbench.models.pricing import cost_usd
from workbench.models.providers.interface import Completion, Provider, TextDelta, redact
from workbench.runs import outputs
from workbench.runs.plan import Target
from workbench.store.tables import Output

log = logging.getLogger(__name__)


async def call_cell(
    engine: Engine,
    target: Target,
    provider: Provider,
    *,
    run_id: int,
    use_cache: bool,
    stream: bool,
    endpoint_slot: asyncio.Semaphore,
    overall_slot: asyncio.Semaphore,
    on_start: Callable[[], None],
    on_delta: Callable[[str], None],
) -> Output:
    """Ask ``provider`` for ``target``'s answer and return the (unsaved) output row.

    A cached answer is returned without taking a slot or calling anyone. ``on_start`` is called
    once the slots are held; ``on_delta`` with each piece of streamed text. Cancelling the task
    returns a ``cancelled`` output with whatever text had streamed instead of raising, so the
    caller can store it like any other.
    """
    parts: list[str] = []
    started: float | None = None
    first_token: float | None = None
    try:
        if use_cache and target.cache_key:
            hit = await asyncio.to_thread(outputs.find_cached, engine, target.cache_key)
            if hit is not None:
                return target.cached_copy(run_id, hit)
        async with endpoint_slot, overall_slot:
            on_start()
            started = time.perf_counter()
            request = target.request()
            if stream:
                final: Completion | None = None
                async for event in provider.stream(request):
                    if isinstance(event, TextDelta):
                        first_token = first_token or time.perf_counter()
                        parts.append(event.text)
                        on_delta(event.text)
                    else:
                        final = event
                assert final is not None, "a provider stream must end with a Completion"
            else:
                final = await provider.complete(request)
                first_token = None
            ended = time.perf_counter()
        return target.output(
            run_id,
            status="ok",
            text=final.text,
            latency_ms=(ended - started) * 1000,
            ttft_ms=(first_token - started) * 1000 if first_token else None,
            tokens_in=final.tokens_in,
            tokens_out=final.tokens_out,
            finish_reason=final.finish_reason,
            cost=cost_usd(final.tokens_in, final.tokens_out, target.price_in, target.price_out),
        )
    except asyncio.CancelledError:
        where = f"after {len(''.join(parts))} characters" if started else "before it started"
        return target.output(
            run_id,
            status="cancelled",
            text="".join(parts),
            error_kind="cancelled",
            error_message=f"Cancelled {where}. Run again to get this answer.",
            **_timing(started, first_token),
        )
    except StreamInterrupted as exc:
        return target.output(
            run_id,
            status="incomplete",
            text=exc.partial_text or "".join(parts),
            error=exc,
            secret=provider.api_key,
            **_timing(started, first_token),
        )
    except ProviderError as exc:
        return target.output(
            run_id,
            status="error",
            error=exc,
            secret=provider.api_key,
            **_timing(started, first_token),
        )
    except Exception as exc:  # a provider bug must not take the other cells down
        log.warning("run %s: unexpected %s in %s", run_id, type(exc).__name__, target.title)
        return target.output(
            run_id,
            status="error",
            error_kind="internal",
            error_message=redact(
                f"{target.title}: unexpected failure ({type(exc).__name__}: {exc}). Try again; "
                "if it persists, report it with this message.",
                provider.api_key,
            ),
            **_timing(started, first_token),
        )


def _timing(started: float | None, first_token: float | None) -> dict[str, float | None]:
    """Latency and time to first token of a call that ended early (none if it never started)."""
    if started is None:
        return {}
    return {
        "latency_ms": (time.perf_counter() - started) * 1000,
        "ttft_ms": (first_token - started) * 1000 if first_token else None,
    }
