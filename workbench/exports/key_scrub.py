"""No secret leaves in an export: the values of the keys the workbench could use are removed.

The database never holds a key (endpoints name the variable that holds it), so exports are
clean by construction. This is the second line: a provider's error message or a pasted
prompt may still carry a key's text, so every export is scrubbed of the values of the
variables the endpoints name, the providers' default key variables, and any environment
variable whose name marks it as secret (``*_API_KEY``, ``*_TOKEN``, ``*_SECRET``,
``*_PASSWORD``). The UI passes its own lookup so keys kept in ``secrets.toml`` count too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlmodel import select

from workbench.governance import pii
from workbench.store.engine import session_scope
from workbench.store.tables import Endpoint

SECRET_SUFFIXES = ("_API_KEY", "_KEY", "_TOKEN", "_SECRET", "_PASSWORD")
# The providers' default key variables (``Provider.default_key_env``; a test keeps them in step).
# Named here so an export does not import every provider SDK just to learn two names.
DEFAULT_KEY_ENVS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")
MIN_SECRET_LENGTH = 8  # shorter values ("1", "true") would remove ordinary words
REMOVED = "[secret removed]"

Lookup = Callable[[str], str | None]


@dataclass(frozen=True)
class Scrubber:
    """Replaces every known secret value in a text; longest first so prefixes do not split one.
    With a ``redactor`` (``exports.personal_data``), personal data is replaced too, with one
    set of placeholders for the whole export."""

    secrets: tuple[str, ...] = ()
    redactor: pii.Redactor | None = field(default=None, compare=False)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REMOVED)
        return self.redactor.text(text) if self.redactor is not None else text

    def found_in(self, text: str) -> bool:
        return any(secret in text for secret in self.secrets)

    def for_json(self) -> Scrubber:
        """Also matches each secret as JSON text spells it (quotes and backslashes escaped)."""
        spelled = {json.dumps(s, ensure_ascii=ascii)[1:-1] for s in self.secrets for ascii in (True, False)}
        return Scrubber(tuple(sorted(spelled | set(self.secrets), key=len, reverse=True)), self.redactor)


def key_names(engine: Engine, environ: Mapping[str, str] | None = None) -> set[str]:
    """Names of every variable that may hold a key: endpoints', providers' defaults, and
    environment variables named like secrets."""
    env = os.environ if environ is None else environ
    names = set(DEFAULT_KEY_ENVS)
    with session_scope(engine) as session:
        names |= {name for name in session.exec(select(Endpoint.api_key_env)) if name}
    names |= {name for name in env if name.upper().endswith(SECRET_SUFFIXES)}
    return names


def scrubber(
    engine: Engine,
    lookup: Lookup | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    extra: Iterable[str] = (),
) -> Scrubber:
    """A scrubber for the secrets visible to this process (``lookup`` adds e.g. secrets.toml)."""
    env = os.environ if environ is None else environ
    values: set[str] = set(extra)
    for name in key_names(engine, env):
        for value in (env.get(name), lookup(name) if lookup else None):
            if value:
                values.add(value)
    kept = sorted((v for v in values if len(v) >= MIN_SECRET_LENGTH), key=len, reverse=True)
    return Scrubber(tuple(kept))
