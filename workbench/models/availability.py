"""Can an endpoint answer right now? A green tick that only means "a key is set" misleads: the
server may be down, the key refused, or the address wrong.

``probe`` asks the endpoint's models API once through the gateway (no tokens spent, recorded as
a connection test), with no retries and a short timeout, and says in two words what stands in
the way ("no key", "not reachable"...) plus the sentence with the fix. Offline models (Echo)
always answer and are never probed; nor is an endpoint this process serves itself (the demo's).

``AvailabilityBoard`` keeps the latest verdict per endpoint and key, probes in background
threads so a page never waits on a slow network, and re-probes when a verdict gets old (a
refusal sooner than a success, so a server started later is seen quickly). A changed key or
connection is a new entry, so it is probed at once.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass, replace

from sqlalchemy import Engine

from workbench.governance.data_policy import is_offline
from workbench.models import catalog
from workbench.models.providers.interface import EndpointConfig, KeyLookup
from workbench.models.providers.registry import key_env_for, provider_class

PROBE_TIMEOUT_S = 5.0
FRESH_OK_S = 300.0  # a verdict of "answers" is trusted this long
FRESH_FAILED_S = 15.0  # a refusal is asked again sooner: a server may have been started since
PROBE_ACTOR = "workbench (is it answering?)"
SERVED_HERE = "Served by this workbench (the demo's models)."
# (provider, base URL) -> whether this process still serves it
_served_here: dict[tuple[str, str], Callable[[], bool]] = {}


@dataclass(frozen=True)
class Availability:
    """Whether calls to an endpoint can succeed now, and if not, why in two words and a sentence."""

    ready: bool
    problem: str = ""  # "no key", "key refused", "not reachable", "wrong address", "failed"
    message: str = ""
    checked_at: float = 0.0


_PROBLEMS = (
    ("No key", "no key"),
    ("Key refused", "key refused"),
    ("Cannot reach", "not reachable"),
    ("Not an API", "wrong address"),
    ("No models API", "wrong address"),
)


def _problem(message: str) -> str:
    return next((short for start, short in _PROBLEMS if message.startswith(start)), "failed")


def serving_here(provider: str, base_url: str, alive: Callable[[], bool]) -> None:
    """Say that this process itself serves ``provider``'s API at ``base_url`` (the demo's models,
    ``ui.shell.local_models``) for as long as ``alive()`` says so: ``probe`` then does not ask it
    over the network. Asking imported the provider's SDK for nothing: most of a first page's wait
    on a new clone (the sidebar waits a moment for its first ticks)."""
    _served_here[(provider, base_url)] = alive


def _served(config: EndpointConfig) -> bool:
    alive = _served_here.get((config.provider, config.base_url or ""))
    return alive is not None and alive()


def probe(engine: Engine, config: EndpointConfig, key: str | None) -> Availability:
    """Ask the endpoint once whether it answers with ``key`` (looked up by the caller)."""
    now = time.time()
    if is_offline(config):
        return Availability(True, checked_at=now)
    env = key_env_for(config)
    if provider_class(config.provider).requires_key(config) and not key:
        return Availability(
            False,
            "no key",
            f"No key: set {env} (Settings → API keys, the environment or .streamlit/secrets.toml).",
            now,
        )
    if _served(config):
        return Availability(True, message=SERVED_HERE, checked_at=now)
    quick = replace(config, max_retries=0, timeout_s=min(config.timeout_s, PROBE_TIMEOUT_S))

    def lookup(name: str) -> str | None:
        return key if name == env else None

    verdict = catalog.check_connection(engine, quick, lookup, actor=PROBE_ACTOR)
    if verdict.ok or verdict.message.startswith("Rate limited"):  # it answered: the key works
        return Availability(True, message=verdict.message, checked_at=now)
    return Availability(False, _problem(verdict.message), verdict.message, now)


def _fingerprint(key: str | None) -> str:
    """Which key a verdict was given for, without keeping the key."""
    return hashlib.sha256(key.encode()).hexdigest()[:16] if key else ""


Prober = Callable[[Engine, EndpointConfig, str | None], Availability]


class AvailabilityBoard:
    """The latest verdict per (endpoint connection, key); probes run in background threads."""

    def __init__(self, prober: Prober = probe, *, workers: int = 4) -> None:
        self._prober = prober
        self._lock = threading.Lock()
        self._verdicts: dict[tuple[EndpointConfig, str], Availability] = {}
        self._pending: dict[tuple[EndpointConfig, str], Future[Availability]] = {}
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="availability")

    def _fresh(self, verdict: Availability) -> bool:
        age = time.time() - verdict.checked_at
        return age < (FRESH_OK_S if verdict.ready else FRESH_FAILED_S)

    def _start(self, engine: Engine, config: EndpointConfig, key: str | None) -> Future[Availability] | None:
        """Probe unless a fresh verdict exists or a probe is under way (lock held)."""
        entry = (config, _fingerprint(key))
        verdict = self._verdicts.get(entry)
        if verdict is not None and self._fresh(verdict):
            return None
        future = self._pending.get(entry)
        if future is None:
            future = self._pool.submit(self._run, entry, engine, config, key)
            self._pending[entry] = future
        return future

    def _run(
        self, entry: tuple[EndpointConfig, str], engine: Engine, config: EndpointConfig, key: str | None
    ) -> Availability:
        try:
            verdict = self._prober(engine, config, key)
        except Exception as exc:  # a probe must never take a page down
            verdict = Availability(False, "failed", f"The check failed: {type(exc).__name__}.", time.time())
        with self._lock:
            self._verdicts[entry] = verdict
            self._pending.pop(entry, None)
        return verdict

    def verdicts(
        self, engine: Engine, configs: list[EndpointConfig], lookup: KeyLookup, *, wait_s: float = 0.0
    ) -> dict[str, Availability | None]:
        """By endpoint name: the latest verdict (``None`` while the first probe runs). Old
        verdicts are returned while their re-probe runs; ``wait_s`` waits for missing ones."""
        keys = {c.name: (lookup(env) if (env := key_env_for(c)) else None) for c in configs}
        with self._lock:
            missing = [
                future
                for c in configs
                if (future := self._start(engine, c, keys[c.name])) is not None
                and (c, _fingerprint(keys[c.name])) not in self._verdicts
            ]
        if missing and wait_s > 0:
            wait_for(missing, timeout=wait_s)
        with self._lock:
            return {c.name: self._verdicts.get((c, _fingerprint(keys[c.name]))) for c in configs}

    def forget(self) -> None:
        """Drop every verdict (after a key or a connection changed): the next look probes again."""
        with self._lock:
            self._verdicts.clear()
