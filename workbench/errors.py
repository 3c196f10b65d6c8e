"""The workbench's error tree.

Every failure a user can cause or meet has a named class here, so pages can catch
``WorkbenchError`` and show its message, and nothing from an SDK or a driver leaks upward.
Messages are written for the person at the screen: what went wrong, then what to do.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base of every error the workbench raises on purpose; its text is safe to show."""


class ConfigError(WorkbenchError):
    """The installation is misconfigured (bad database URL, unreadable settings...)."""


class NotFound(WorkbenchError):
    """A named thing (prompt, version, label, output...) does not exist."""


class InvalidInput(WorkbenchError):
    """User-supplied data was refused; ``field`` and ``row`` point at the culprit."""

    def __init__(self, message: str, *, field: str | None = None, row: int | None = None) -> None:
        self.field = field
        self.row = row
        where = []
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field '{field}'")
        prefix = f"{', '.join(where)}: " if where else ""
        super().__init__(prefix + message)
        self.message = message


class TemplateError(WorkbenchError):
    """A template failed to parse or render; ``line`` is 1-based when known."""

    def __init__(self, message: str, *, line: int | None = None, source: str | None = None) -> None:
        self.line = line
        self.source = source
        self.message = message
        where = f"{source.capitalize()} message" if source else ""
        if line is not None:
            at = f"{where}, line {line}: " if where else f"line {line}: "
        else:
            at = f"{where}: " if where else ""
        super().__init__(at + message)


class ProviderError(WorkbenchError):
    """A model call failed. ``kind`` is a stable short name stored with the output."""

    kind = "provider_error"

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        retryable: bool = False,
        status: int | None = None,
    ) -> None:
        self.provider = provider
        self.retryable = retryable
        self.status = status
        super().__init__(message)


class AuthError(ProviderError):
    kind = "auth"


class RateLimited(ProviderError):
    kind = "rate_limited"


class ProviderUnavailable(ProviderError):
    """Connection refused, timeout or server error: the request may succeed later."""

    kind = "unavailable"


class ProviderTimeout(ProviderUnavailable):
    kind = "timeout"


class BadResponse(ProviderError):
    """The provider answered with something we cannot read (non-JSON, wrong shape)."""

    kind = "bad_response"


class UnknownModel(ProviderError):
    kind = "unknown_model"


class BadRequest(ProviderError):
    """The provider refused the request itself (bad parameter, context too long...)."""

    kind = "bad_request"


class StreamInterrupted(ProviderError):
    """The stream stopped before its end; ``partial_text`` keeps what had arrived."""

    kind = "incomplete"

    def __init__(self, message: str, *, partial_text: str = "", **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.partial_text = partial_text


class PolicyBlocked(WorkbenchError):
    """A governance rule (sensitivity level, allowed providers) refused an action."""

    kind = "policy"  # the error kind of a run's output that the policy kept from being sent


class PermissionDenied(WorkbenchError):
    """The signed-in user's role does not allow this action."""


def error_of_kind(kind: str | None, message: str) -> WorkbenchError:
    """The exception a stored failure's kind stands for, so a caller that needs to raise (the
    improver, a script) raises what the call itself would have."""
    stored: tuple[type[ProviderError] | type[PolicyBlocked], ...] = (
        AuthError,
        RateLimited,
        ProviderUnavailable,
        ProviderTimeout,
        BadResponse,
        UnknownModel,
        BadRequest,
        StreamInterrupted,
        PolicyBlocked,
    )
    classes: dict[str, type[WorkbenchError]] = {cls.kind: cls for cls in stored}
    classes["template"] = TemplateError
    return classes.get(kind or "", ProviderError if kind else ConfigError)(message)
