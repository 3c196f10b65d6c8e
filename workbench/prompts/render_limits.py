"""Ceilings on one template render: time, the size of every value it makes, and its output.

Jinja2's sandbox keeps templates away from Python internals, but not from the arithmetic and
string operations Python does in C: ``{{ 7**99999999 }}`` or ``{{ 'a' * 100000000 }}`` never
return to the interpreter until they are done, and a render running in a server thread cannot
be killed. So the sizes are checked *before* computing, where the template asks for the work:

- ``**`` and ``*`` on numbers: a result with more digits than ``max_digits`` is refused (Python
  cannot even print an integer past 4,300 digits);
- ``*``, ``+`` and ``~`` on text and lists, the padding and joining filters and text methods
  (``center``, ``indent``, ``format``, ``replace``, ``join``, ``ljust``...): a result longer
  than ``max_chars`` is refused; every filter's and call's result is checked too;
- every ``for`` loop counts against the clock, so nested ``range(100000)`` loops stop at the
  time ceiling even when they print nothing;
- the output is counted as it is produced and stops at ``max_chars``.

Refusals raise ``RenderLimitExceeded``; ``workbench.prompts.templates`` turns them into a
``TemplateError`` naming the line. The ceilings come from the environment
(``WORKBENCH_TEMPLATE_SECONDS``, default 2; ``WORKBENCH_TEMPLATE_MAX_CHARS``, default 1,000,000),
and every render (Draft's preview, a save, a run, an evaluation) uses the same ones.
"""

from __future__ import annotations

import functools
import math
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.sandbox import SandboxedEnvironment

DEFAULT_SECONDS = 2.0
DEFAULT_MAX_CHARS = 1_000_000


class RenderLimitExceeded(Exception):
    """A render asked for more than its ceilings allow; the message says which and how to fix."""


@dataclass(frozen=True)
class RenderLimits:
    seconds: float = DEFAULT_SECONDS
    max_chars: int = DEFAULT_MAX_CHARS
    max_digits: int = 4300

    @classmethod
    def configured(cls) -> RenderLimits:
        """The ceilings set in the environment (or the defaults)."""

        def number(name: str, default: float) -> float:
            try:
                value = float(os.environ.get(name) or default)
            except ValueError:
                return default
            return value if value > 0 else default

        return cls(
            seconds=number("WORKBENCH_TEMPLATE_SECONDS", DEFAULT_SECONDS),
            max_chars=int(number("WORKBENCH_TEMPLATE_MAX_CHARS", DEFAULT_MAX_CHARS)),
            max_digits=sys.get_int_max_str_digits() or 4300,
        )


class RenderBudget:
    """One render's clock and output count."""

    def __init__(self, limits: RenderLimits) -> None:
        self.limits = limits
        self.deadline = time.perf_counter() + limits.seconds
        self.written = 0

    def tick(self) -> None:
        if time.perf_counter() > self.deadline:
            raise RenderLimitExceeded(
                f"The template took longer than {self.limits.seconds:g} s to fill in and was stopped. "
                "Look for loops inside loops or very large ranges."
            )

    def size(self, length: int, what: str = "a value") -> None:
        if length > self.limits.max_chars:
            raise RenderLimitExceeded(
                f"The template would make {what} of {length:,} characters; at most "
                f"{self.limits.max_chars:,} are allowed. Repeat or pad less."
            )

    def digits(self, count: float, expression: str) -> None:
        if count > self.limits.max_digits:
            raise RenderLimitExceeded(
                f"{expression} would be a number of about {int(count):,} digits; templates compute "
                f"numbers of up to {self.limits.max_digits:,} digits. Use a smaller number."
            )

    def wrote(self, text: str) -> None:
        self.written += len(text)
        self.size(self.written, "an output")
        self.tick()


_BUDGET: ContextVar[RenderBudget | None] = ContextVar("workbench_render_budget", default=None)


def _budget() -> RenderBudget:
    return _BUDGET.get() or RenderBudget(RenderLimits.configured())


def _length(value: Any) -> int | None:
    return len(value) if isinstance(value, str | list | tuple | dict) else None


def _checked(value: Any) -> Any:
    length = _length(value)
    if length is not None:
        _budget().size(length)
    return value


def _number_digits(value: int) -> float:
    return max(abs(value).bit_length(), 1) * math.log10(2)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_binop(operator: str, left: Any, right: Any) -> None:
    budget = _budget()
    budget.tick()
    if operator == "**" and _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
        budget.digits(right * math.log10(abs(left)), f"{left}**{right}")
    elif operator == "*":
        if _is_int(left) and _is_int(right):
            budget.digits(_number_digits(left) + _number_digits(right), "This product")
        elif _is_int(right) and _length(left) is not None:
            budget.size(_length(left) * max(right, 0), "a repeated value")
        elif _is_int(left) and _length(right) is not None:
            budget.size(_length(right) * max(left, 0), "a repeated value")
    elif operator == "+" and _length(left) is not None and _length(right) is not None:
        budget.size(_length(left) + _length(right), "a joined value")  # type: ignore[operator]
    elif operator == "%" and isinstance(left, str):
        _check_format(left, right if isinstance(right, tuple) else (right,))


# Widths and counts in printf-style (%10s, %.5f) and format-style ({:>10}) specifications.
_PRINTF_WIDTH = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\d*)(?:\.(\d*))?[a-zA-Z]")
_FORMAT_WIDTH = re.compile(r"\{[^{}]*?:[^{}]*?(\d+)(?:\.(\d+))?[^{}]*\}")


def _check_format(spec: Any, args: Iterable[Any] = ()) -> None:
    if not isinstance(spec, str):
        return
    widths = [
        int(n)
        for m in (*_PRINTF_WIDTH.finditer(spec), *_FORMAT_WIDTH.finditer(spec))
        for n in m.groups()
        if n
    ]
    budget = _budget()
    budget.size(max(widths, default=0) + len(spec), "a formatted value")
    for arg in args:  # "%*d" takes its width from the arguments
        if _is_int(arg) and "*" in spec:
            budget.size(abs(arg), "a formatted value")


def _estimate_join(separator: Any, items: Any) -> tuple[Any, list[Any]]:
    listed = list(items)
    size = sum(len(x) for x in listed if isinstance(x, str)) + len(str(separator)) * max(len(listed) - 1, 0)
    _budget().size(size, "a joined value")
    return separator, listed


def _estimate_replace(text: Any, old: Any, new: Any, count: Any = -1) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        hits = len(text) + 1 if old == "" else text.count(old)
        if _is_int(count) and count >= 0:
            hits = min(hits, count)
        _budget().size(len(text) + hits * (len(new) - len(old)), "a replaced value")


def _check_indent(text: str, width: Any) -> None:
    pad = width if _is_int(width) else len(str(width))
    _budget().size(len(text) + (text.count("\n") + 1) * max(pad, 0), "an indented value")


def _width_at(position: int, name: str) -> Callable[..., None]:
    def check(*args: Any, **kwargs: Any) -> None:
        width = kwargs.get(name, args[position] if len(args) > position else 0)
        if _is_int(width):
            _budget().size(width, "a padded value")

    return check


# Checks made before a text method runs: method name -> check(*args, **kwargs) (self excluded).
_METHOD_CHECKS: dict[str, Callable[..., None]] = {
    "center": _width_at(0, "width"),
    "ljust": _width_at(0, "width"),
    "rjust": _width_at(0, "width"),
    "zfill": _width_at(0, "width"),
    "expandtabs": _width_at(0, "tabsize"),
}
# The same for filters: filter name -> check(value, *args, **kwargs).
_FILTER_CHECKS: dict[str, Callable[..., None]] = {
    "center": lambda value, *a, **k: _width_at(0, "width")(*a, **k),
    "indent": lambda value, *a, **k: _check_indent(str(value), a[0] if a else k.get("width", 4)),
    "format": lambda value, *a, **k: _check_format(value, a),
    "replace": lambda value, *a, **k: _estimate_replace(str(value), *a[:3]),
}


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    check = _FILTER_CHECKS.get(name)
    passes_first = getattr(func, "jinja_pass_arg", None) is not None

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _budget().tick()
        if check is not None:
            value_and_args = args[1:] if passes_first else args
            if value_and_args:
                check(*value_and_args, **kwargs)
        if name == "join" and len(args) > (1 if passes_first else 0):
            head = 2 if passes_first else 1
            items = list(args[head - 1])
            separator = args[head] if len(args) > head else kwargs.get("d", "")
            _estimate_join(separator, items)
            args = (*args[: head - 1], items, *args[head:])
        return _checked(func(*args, **kwargs))

    return guarded


class _BoundedCodeGenerator(CodeGenerator):
    """Compiles ``a ~ b`` through ``environment.bounded_concat`` so its size is checked."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class BoundedEnvironment(SandboxedEnvironment):
    """The sandbox with the ceilings above (used for every prompt template)."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"**", "*", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters = {name: _guard_filter(name, f) for name, f in self.filters.items()}

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Parse, then route every ``for`` loop's iterable through ``loop_guard``."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Call(
                nodes.EnvironmentAttribute("loop_guard", lineno=loop.lineno),
                [loop.iter],
                [],
                None,
                None,
                lineno=loop.lineno,
            )
        return tree

    def loop_guard(self, iterable: Any) -> Iterator[Any]:
        """Yield the loop's items, checking the clock before each."""
        budget = _budget()
        for item in iterable:
            budget.tick()
            yield item

    def bounded_concat(self, parts: Iterable[Any]) -> str:
        texts = [str(p) for p in parts]
        _budget().size(sum(len(t) for t in texts), "a joined value")
        return "".join(texts)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return _checked(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.tick()
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            name = getattr(__obj, "__name__", "")
            if name in _METHOD_CHECKS:
                _METHOD_CHECKS[name](*args, **kwargs)
            elif name == "replace":
                _estimate_replace(owner, *args[:3])
            elif name == "join" and args:
                _, listed = _estimate_join(owner, args[0])
                args = (listed, *args[1:])
        return _checked(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format`` as the sandbox wraps it, with its widths checked first."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        spec = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            _check_format(spec)
            return wrapped(*args, **kwargs)

        return functools.update_wrapper(checked, value)


def bounded_render(template: Any, variables: dict[str, Any], limits: RenderLimits | None = None) -> str:
    """Render ``template`` (a compiled Jinja template) within ``limits`` (the configured ones by
    default), counting the output as it is produced."""
    budget = RenderBudget(limits or RenderLimits.configured())
    token = _BUDGET.set(budget)
    try:
        pieces = []
        for piece in template.root_render_func(template.new_context(variables)):
            budget.wrote(piece)
            pieces.append(piece)
        return "".join(pieces)
    except Exception:
        template.environment.handle_exception()  # re-raises with the template's own line numbers
        raise
    finally:
        _BUDGET.reset(token)
