"""What an application reports, checked at the door: one served answer, or feedback on one.

Checks run in the application's own thread before anything is queued, so a malformed value is a
clear ``InvalidInput`` at the line that made it, and nothing partial is ever written. A report
is a plain JSON-ready dict from then on: it waits in the reporter's queue, may sit in the local
spool while the database is down, and is written to ``served_answer`` when it can be.

Personal data is handled later, on the reporter's thread (``protect``), but always before a
report is written anywhere, the spool included: the detectors count what they find in the
inputs, the answer and the comment, and in confidential and restricted projects only the
redacted text is kept.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from workbench.errors import InvalidInput
from workbench.governance import pii

ANSWER_STATUSES = ("ok", "error")
REDACTED_LEVELS = ("confidential", "restricted")  # only redacted text is stored for these
MAX_COMMENT = 4000
_UID = re.compile(r"[0-9a-f]{32}")
_THUMBS: dict[Any, int] = {"up": 1, "down": 0, "👍": 1, "👎": 0}


@dataclass(frozen=True)
class Target:
    """What an answer was served with: the release the application fetched."""

    project_id: int
    prompt_id: int
    version_id: int
    release_id: int | None
    label: str | None


@dataclass(frozen=True)
class Policy:
    """What redaction needs to know of a project: its sensitivity and the names to look for."""

    sensitivity: str
    names: tuple[str, ...] = ()

    @property
    def redacts(self) -> bool:
        return self.sensitivity in REDACTED_LEVELS


# When a report's project cannot be looked up (the database is down and it is not one this
# process has seen), it is treated as confidential: redacting too much beats storing too much.
UNKNOWN_POLICY = Policy("confidential")


def new_uid() -> str:
    """An answer's id, made by the application's process (so feedback can refer to an answer
    that is still waiting in the spool)."""
    return uuid.uuid4().hex


def now_text() -> str:
    return datetime.now(UTC).isoformat()


def check_uid(value: Any) -> str:
    if not isinstance(value, str) or not _UID.fullmatch(value.strip().lower()):
        raise InvalidInput(
            f"'{value}' is not an answer id: use the id that complete() or record() returned "
            "(32 hexadecimal characters).",
            field="answer_id",
        )
    return value.strip().lower()


def check_thumbs(value: Any) -> int | None:
    """Thumbs up or down: ``"up"``/``"down"``, ``True``/``False`` or ``1``/``0``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and value in (0, 1):
        return value
    if isinstance(value, str) and value.strip().lower() in _THUMBS:
        return _THUMBS[value.strip().lower()]
    raise InvalidInput(f"Thumbs must be 'up' or 'down' (or True/False, 1/0), not {value!r}.", field="thumbs")


def check_score(value: Any) -> int | None:
    """A score of 1 to 5, whole numbers only (how the end user's stars arrive)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"A score must be a whole number from 1 to 5, not {value!r}.", field="score")
    if float(value) != int(value) or not 1 <= int(value) <= 5:
        raise InvalidInput(f"A score must be a whole number from 1 to 5, not {value!r}.", field="score")
    return int(value)


def check_comment(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"A comment must be text, not {type(value).__name__}.", field="comment")
    if len(value) > MAX_COMMENT:
        raise InvalidInput(f"A comment may be at most {MAX_COMMENT} characters.", field="comment")
    return value.strip()


def _figure(name: str, value: Any, kind: type) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise InvalidInput(f"{name} must be a number of at least 0, not {value!r}.", field=name)
    if kind is int:
        if float(value) != int(value):
            raise InvalidInput(f"{name} must be a whole number, not {value!r}.", field=name)
        return int(value)
    return float(value)


def model_names(model: str | tuple[str, str] | None, default: tuple[str, str] = ("", "")) -> tuple[str, str]:
    """(endpoint name, model id) from ``("OpenAI", "gpt-4o-mini")``, ``"OpenAI/gpt-4o-mini"`` or a
    bare ``"gpt-4o-mini"``; ``default`` when no model is given."""
    if isinstance(model, tuple):
        return (str(model[0]), str(model[1]))
    if isinstance(model, str) and model.strip():
        endpoint, sep, name = model.partition("/")
        return (endpoint.strip(), name.strip()) if sep else ("", model.strip())
    return default


def _served_at(value: datetime | None) -> str:
    if value is None:
        return now_text()
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidInput(
            "served_at must be a datetime with its time zone, e.g. datetime.now(UTC).", field="served_at"
        )
    return value.astimezone(UTC).isoformat()


def _plain_variables(values: Mapping[str, Any] | None) -> dict[str, Any]:
    if values is None:
        return {}
    if not isinstance(values, Mapping) or not all(isinstance(k, str) for k in values):
        raise InvalidInput("variables must be a mapping of names to values.", field="variables")
    return {
        k: v if isinstance(v, str | int | float | bool) or v is None else str(v) for k, v in values.items()
    }


def answer_report(
    target: Target,
    *,
    variables: Mapping[str, Any] | None,
    text: str,
    model: tuple[str, str],
    status: str = "ok",
    error: str | None = None,
    error_kind: str | None = None,
    latency_ms: float | None = None,
    tokens_in: int | None = None,
    tokens_out: int | None = None,
    cost_usd: float | None = None,
    served_at: datetime | None = None,
    source: str = "",
    uid: str | None = None,
) -> dict[str, Any]:
    """One served answer as a report, every value checked; raises ``InvalidInput`` naming the
    first value that is wrong."""
    if not isinstance(text, str):
        raise InvalidInput(f"The answer must be text, not {type(text).__name__}.", field="text")
    if status not in ANSWER_STATUSES:
        raise InvalidInput(
            f"status must be one of {', '.join(ANSWER_STATUSES)}, not {status!r}.", field="status"
        )
    return {
        "type": "answer",
        "uid": uid or new_uid(),
        "project_id": target.project_id,
        "prompt_id": target.prompt_id,
        "version_id": target.version_id,
        "release_id": target.release_id,
        "label": target.label,
        "source": str(source or "")[:100],
        "endpoint_name": model[0][:100],
        "model_name": model[1][:200],
        "variables": _plain_variables(variables),
        "text": text,
        "status": status,
        "error_kind": (error_kind or ("app" if status == "error" else None)),
        "error_message": error if status == "error" else None,
        "latency_ms": _figure("latency_ms", latency_ms, float),
        "tokens_in": _figure("tokens_in", tokens_in, int),
        "tokens_out": _figure("tokens_out", tokens_out, int),
        "cost_usd": _figure("cost_usd", cost_usd, float),
        "served_at": _served_at(served_at),
    }


def feedback_report(
    uid: Any, *, thumbs: Any = None, score: Any = None, comment: Any = None, project_id: int | None = None
) -> dict[str, Any]:
    """The end user's feedback on answer ``uid``; only the values given are set, so thumbs now
    and a comment later both stay."""
    report: dict[str, Any] = {
        "type": "feedback",
        "uid": check_uid(uid),
        "project_id": project_id,
        "at": now_text(),
    }
    values = {"thumbs": check_thumbs(thumbs), "score": check_score(score), "comment": check_comment(comment)}
    given = {k: v for k, v in values.items() if v is not None}
    if not given:
        raise InvalidInput("Give thumbs ('up' or 'down'), a score (1-5) or a comment.", field="feedback")
    return {**report, **given}


# ---- personal data ----------------------------------------------------------------------------


def _texts(report: Mapping[str, Any]) -> Sequence[tuple[str, str | None]]:
    """(where, text) of every text in a report that may hold personal data."""
    if report["type"] == "feedback":
        return [("comment", report.get("comment"))]
    pieces: list[tuple[str, str | None]] = [(f"variables.{k}", v) for k, v in report["variables"].items()]
    return [*pieces, ("text", report["text"]), ("error_message", report.get("error_message"))]


def protect(report: dict[str, Any], policy: Policy) -> dict[str, Any]:
    """The report with personal data counted (``personal_data``: distinct values per kind) and,
    when ``policy`` redacts, replaced by placeholders consistent across the whole report."""
    redactor = pii.Redactor(names=list(policy.names))
    findings: list[pii.Finding] = []
    out = dict(report)
    out["variables"] = dict(report.get("variables") or {})
    for where, text in _texts(report):
        if not isinstance(text, str) or not text:
            continue
        found = pii.scan(text, policy.names)
        findings.extend(found)
        if found and policy.redacts:
            redacted = redactor.text(text)
            if where.startswith("variables."):
                out["variables"][where.removeprefix("variables.")] = redacted
            else:
                out[where] = redacted
    out["personal_data"] = pii.summarise(findings)
    out["redacted"] = bool(findings) and policy.redacts
    return out
