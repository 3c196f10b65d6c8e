"""Prompt templates: a system and a user message with ``{{ variable }}`` placeholders.

Rendering goes through Jinja2's ``SandboxedEnvironment`` with ``StrictUndefined``: a template
typed by a business user can neither reach Python internals (``{{ ''.__class__ }}``) nor
silently drop a variable it forgot to fill. Variable *values* are passed as data and never
parsed as templates, so a customer message containing ``{{ }}`` is just text.

Every render is bounded in time, in the size of every value it computes and in the size of its
output (``workbench.prompts.render_limits``), so no template can tie up the server.

Every failure becomes a ``TemplateError`` naming the message (system/user), the line, and a
sentence a non-programmer can act on.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import (
    BaseLoader,
    Environment,
    StrictUndefined,
    TemplateAssertionError,
    TemplateSyntaxError,
    UndefinedError,
    meta,
    nodes,
)
from jinja2.exceptions import SecurityError

from workbench.errors import TemplateError
from workbench.prompts.render_limits import (
    BoundedEnvironment,
    RenderLimitExceeded,
    RenderLimits,
    bounded_render,
)

Message = dict[str, str]
PARTS = ("system", "user")

_SYNTAX_HINTS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"unexpected end of template.*expected 'end of print statement'", re.S),
        "A '{{' is not closed. Close every placeholder with '}}', e.g. {{ customer_name }}.",
    ),
    (
        re.compile(r"unexpected '}'"),
        "Unbalanced braces: a placeholder needs two braces on each side, e.g. {{ customer_name }}.",
    ),
    (
        re.compile(r"unexpected end of template"),
        "The template ends inside a tag. Close every '{{' with '}}' and every '{%' block with its end tag.",
    ),
    (
        re.compile(r"expected token 'end of print statement', got '(.+?)'"),
        "A placeholder holds more than one name. Use one variable name per {{ }}, "
        "with underscores instead of spaces (e.g. {{ order_id }}).",
    ),
    (
        re.compile(r"No filter named '(.+?)'"),
        "Unknown filter '{0}'. Remove it, or use a known filter such as upper, lower, trim or default.",
    ),
    (
        re.compile(r"No test named '(.+?)'"),
        "Unknown test '{0}' in an if-block.",
    ),
    (
        re.compile(r"Encountered unknown tag '(.+?)'"),
        "Unknown tag '{% {0} %}'. Only if/for/set blocks are supported; check the spelling.",
    ),
]


class _PartLoader(BaseLoader):
    """Loads "system"/"user" with the part's name as file name, so tracebacks carry lines."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self.sources = dict(sources)

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        return self.sources[template], template, lambda: True


def _environment(sources: Mapping[str, str]) -> BoundedEnvironment:
    # keep_trailing_newline keeps what the user typed; autoescape is off because we produce
    # chat text, not HTML.
    return BoundedEnvironment(
        loader=_PartLoader(sources),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def _plain_syntax_message(raw: str) -> str:
    for pattern, text in _SYNTAX_HINTS:
        match = pattern.search(raw)
        if match:
            for group in match.groups():
                text = text.replace("{0}", group)
            return text
    return f"The template could not be read: {raw}"


def _line_in(exc: BaseException, part: str) -> int | None:
    """Line of ``part``'s template where ``exc`` happened, from Jinja's rewritten traceback."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == part:
            line = frame.lineno
    return line


def _ordered_variables(ast: nodes.Template) -> list[str]:
    undeclared = meta.find_undeclared_variables(ast)
    seen: list[str] = []
    for node in ast.find_all(nodes.Name):
        if node.name in undeclared and node.name not in seen:
            seen.append(node.name)
    # find_all walks depth-first, which can differ from reading order; sort by line then.
    first_line: dict[str, int] = {}
    for node in ast.find_all(nodes.Name):
        if node.name in undeclared:
            first_line.setdefault(node.name, node.lineno)
    return sorted(seen, key=lambda name: (first_line[name], seen.index(name)))


@dataclass(frozen=True)
class PromptTemplate:
    """A system and a user template; cheap to build, validated on demand."""

    system: str = ""
    user: str = ""

    def _sources(self) -> dict[str, str]:
        return {"system": self.system, "user": self.user}

    def _parse(self, part: str) -> nodes.Template:
        env = _environment(self._sources())
        source = self._sources()[part]
        try:
            ast = env.parse(source, name=part)
            # Compiling catches unknown filters and tests, which parsing alone lets through.
            env.compile(ast, name=part, filename=part)
            return ast
        except (TemplateSyntaxError, TemplateAssertionError) as exc:
            raise TemplateError(
                _plain_syntax_message(exc.message or str(exc)), line=exc.lineno, source=part
            ) from None
        except (ValueError, OverflowError, MemoryError, RecursionError) as exc:  # a 5,000-digit literal...
            raise TemplateError(
                f"The template could not be read: {type(exc).__name__}: {str(exc)[:200]}.", source=part
            ) from None

    def validate(self) -> None:
        """Raise ``TemplateError`` for the first message that does not parse."""
        for part in PARTS:
            self._parse(part)

    def variables(self) -> list[str]:
        """Variables in order of first appearance, system message first, without duplicates."""
        found: list[str] = []
        for part in PARTS:
            for name in _ordered_variables(self._parse(part)):
                if name not in found:
                    found.append(name)
        return found

    def render(self, variables: Mapping[str, Any], limits: RenderLimits | None = None) -> list[Message]:
        """Chat messages for ``variables``; an empty system message is left out."""
        return self.renderer(limits)(variables)

    def renderer(self, limits: RenderLimits | None = None) -> Callable[[Mapping[str, Any]], list[Message]]:
        """Compile once and render many rows: a run renders one version for every row of values.
        Each render has the ``limits`` (the configured ceilings by default)."""
        self.validate()
        env = _environment(self._sources())
        parts = [
            (part, env.get_template(part))
            for part in PARTS
            if not (part == "system" and not self._sources()[part].strip())
        ]

        def render(variables: Mapping[str, Any]) -> list[Message]:
            messages: list[Message] = []
            for part, template in parts:
                try:
                    text = bounded_render(template, dict(variables), limits)
                except RenderLimitExceeded as exc:
                    raise TemplateError(str(exc), line=_line_in(exc, part), source=part) from None
                except SecurityError as exc:
                    raise TemplateError(
                        f"Blocked for safety: {str(exc).rstrip('.')}. Templates may only use variables, "
                        "filters and if/for blocks, not Python internals.",
                        line=_line_in(exc, part),
                        source=part,
                    ) from None
                except UndefinedError as exc:
                    raise TemplateError(
                        _undefined_message(str(exc)), line=_line_in(exc, part), source=part
                    ) from None
                except TemplateError:
                    raise
                except Exception as exc:  # a filter fed the wrong type, a division by zero...
                    raise TemplateError(
                        f"The template failed while filling in values: {type(exc).__name__}: {exc}.",
                        line=_line_in(exc, part),
                        source=part,
                    ) from None
                messages.append({"role": part, "content": text})
            return messages

        return render


def _undefined_message(raw: str) -> str:
    match = re.match(r"'(.+?)' is undefined", raw)
    if match:
        name = match.group(1)
        return f"Variable '{name}' has no value. Fill it in, or remove {{{{ {name} }}}} from the template."
    if "unsafe" in raw:
        return f"Blocked for safety: {raw.rstrip('.')}."
    return f"A value is missing: {raw}. Check the variable names and fill every one."


def missing_variables(template: PromptTemplate, variables: Mapping[str, Any]) -> list[str]:
    """Variables the template needs that ``variables`` does not provide (or leaves blank)."""
    return [name for name in template.variables() if name not in variables or variables[name] in (None, "")]


def render_messages(system: str, user: str, variables: Mapping[str, Any]) -> list[Message]:
    return PromptTemplate(system=system, user=user).render(variables)
