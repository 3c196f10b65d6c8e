"""Context for prompts: "fill ``context`` with the top k passages for the variable ``question``".

A version's retrieval settings live in its parameters (``PromptVersion.params["retrieval"]``),
so they are as immutable as the version and travel with it to Compare, Evaluate, the CLI and
exports. Before a cell is sent, the runner asks ``retrieve`` for the passages matching the
query variable's value and fills the context variable with them (numbered, each with its
source); the answer keeps the passages it was given (``Output.passages``).

The token ceiling bounds what is added: passages are taken best first while they fit, so the
context never crowds the prompt out of a model's window (tokens approximated as 4 characters).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from workbench.documents.chunking import approx_tokens
from workbench.documents.search import Hit, search
from workbench.errors import InvalidInput

PARAMS_KEY = "retrieval"
MAX_K = 20
MAX_TOKENS = 16000
NO_PASSAGES = "(No passage of the project's documents matches this question.)"


@dataclass(frozen=True)
class RetrievalSettings:
    """Which variable is the query, which one gets the context, how many passages, how big."""

    query_variable: str
    context_variable: str = "context"
    k: int = 4
    max_tokens: int = 1200
    tags: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not self.query_variable.strip() or not self.context_variable.strip():
            raise InvalidInput("Name the question variable and the context variable.", field="retrieval")
        if self.query_variable == self.context_variable:
            raise InvalidInput(
                "The question and the context must be two different variables.", field="retrieval"
            )
        if not 1 <= self.k <= MAX_K:
            raise InvalidInput(f"The number of passages is between 1 and {MAX_K}.", field="retrieval")
        if not 50 <= self.max_tokens <= MAX_TOKENS:
            raise InvalidInput(
                f"The context's token ceiling is between 50 and {MAX_TOKENS}.", field="retrieval"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "query_variable": self.query_variable,
            "context_variable": self.context_variable,
            "k": self.k,
            "max_tokens": self.max_tokens,
            "tags": list(self.tags),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RetrievalSettings:
        try:
            return cls(
                query_variable=str(data.get("query_variable", "")),
                context_variable=str(data.get("context_variable", "context")),
                k=int(data.get("k", 4)),
                max_tokens=int(data.get("max_tokens", 1200)),
                tags=tuple(str(t) for t in data.get("tags") or ()),
            )
        except (TypeError, ValueError):
            raise InvalidInput(
                "The retrieval settings are not numbers where numbers belong.", field="retrieval"
            ) from None

    def summary(self) -> str:
        only = f" from documents tagged {', '.join(self.tags)}" if self.tags else ""
        return (
            f"{{{{ {self.context_variable} }}}} = top {self.k} passages{only} for {{{{ {self.query_variable} }}}}, "
            f"at most {self.max_tokens} tokens"
        )


def settings_of(params: Mapping[str, Any] | None) -> RetrievalSettings | None:
    """The retrieval settings stored in a version's parameters, or ``None``."""
    raw = (params or {}).get(PARAMS_KEY)
    return RetrievalSettings.from_dict(raw) if isinstance(raw, Mapping) and raw else None


def with_settings(params: Mapping[str, Any], settings: RetrievalSettings | None) -> dict[str, Any]:
    """Version parameters with these retrieval settings (or none)."""
    out = {k: v for k, v in params.items() if k != PARAMS_KEY}
    if settings is not None:
        out[PARAMS_KEY] = settings.to_dict()
    return out


def filled_variables(params: Mapping[str, Any] | None) -> set[str]:
    """Variables the workbench fills itself (the context), so nobody is asked for them."""
    settings = settings_of(params)
    return {settings.context_variable} if settings else set()


@dataclass(frozen=True)
class Retrieved:
    """The passages picked for one row of values, and the context text made of them."""

    hits: tuple[Hit, ...]
    text: str

    def traces(self) -> list[dict[str, object]]:
        return [h.trace() for h in self.hits]


def render_context(hits: Sequence[Hit], max_tokens: int) -> tuple[tuple[Hit, ...], str]:
    """The passages that fit under ``max_tokens``, best first, numbered with their source."""
    used: list[Hit] = []
    blocks: list[str] = []
    total = 0
    for hit in hits:
        where = hit.title + (f" › {hit.heading}" if hit.heading and hit.heading != hit.title else "")
        block = f"[{len(used) + 1}] {where}\n{hit.text}"
        size = approx_tokens(block)
        if used and total + size > max_tokens:
            break
        if not used and size > max_tokens:  # the best passage alone is too big: keep its start
            block = block[: max_tokens * 4].rsplit(" ", 1)[0] + " …"
            size = max_tokens
        used.append(hit)
        blocks.append(block)
        total += size
    return tuple(used), "\n\n".join(blocks) if blocks else NO_PASSAGES


def retrieve(
    session: Session, project_id: int, settings: RetrievalSettings, variables: Mapping[str, Any]
) -> Retrieved:
    """The passages for this row's question and the context they make."""
    query = str(variables.get(settings.query_variable) or "")
    hits = search(session, project_id, query, k=settings.k, tags=settings.tags)
    used, text = render_context(hits, settings.max_tokens)
    return Retrieved(used, text)
