"""A promptfoo configuration per prompt, so engineers can run the same bench elsewhere.

``promptfooconfig.yaml`` holds the prompt's labelled and latest versions as chat prompts
(JSON message lists: promptfoo fills ``{{ variables }}`` inside them, escaping the values),
the models it was run on as providers (keys by variable name only), and its test cases with
their assertions. Run it with ``npx promptfoo@latest eval -c promptfooconfig.yaml``.

How each assertion type carries over (``MAPPING``):

=============  =====================================  =========================================
workbench      promptfoo                              how faithful
=============  =====================================  =========================================
equals         equals                                 same; ignoring case or whitespace:
                                                      a javascript assertion with the same rule
contains       contains / -all / -any, i- when        same
               case-insensitive
not_contains   not-contains / -any / -all             same
regex          regex                                  JavaScript regex syntax (``(?P<n>`` is
                                                      rewritten to ``(?<n>``); case-insensitive:
                                                      javascript with the ``i`` flag
starts_with    starts-with                            promptfoo does not skip leading blanks;
                                                      case-insensitive: javascript
is_json        is-json, or contains-json when a        contains-json also accepts JSON inside
               ```json block counts                   prose (looser)
json_schema    is-json / contains-json with schema    as above
length         word-count (words); javascript (chars) same
similarity     rouge-n (rouge_l), similar (ratio,     approximate: other metrics, thresholds
               token_set_ratio)                       are not comparable, review them
latency        latency                                same (promptfoo's own timing)
cost           cost                                   same when promptfoo knows the price
llm_judge      llm-rubric                             promptfoo's grader, not the suite's judge
=============  =====================================  =========================================

Every type has a counterpart; the approximate ones are listed in the file's header comment.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml
from sqlalchemy import Engine
from sqlmodel import col, select

from workbench.exports.files import ZIP_MIME, ExportFile, record_export, slug, stamp, zip_bytes
from workbench.exports.key_scrub import Scrubber
from workbench.exports.scope import Selection, prompt_ids_query
from workbench.models.settings import CallSettings
from workbench.store.engine import session_scope
from workbench.store.lookup import id_of
from workbench.store.tables import (
    Endpoint,
    Label,
    ModelEntry,
    Output,
    Project,
    Prompt,
    PromptVersion,
    TestCase,
)

YAML_MIME = "application/x-yaml"
RUN = "npx promptfoo@latest eval -c promptfooconfig.yaml"
APPROXIMATE = {
    "starts_with": "starts-with does not skip leading blanks",
    "is_json": "contains-json accepts JSON inside prose",
    "json_schema": "contains-json accepts JSON inside prose",
    "similarity": "a different similarity metric; review the threshold",
    "llm_judge": "graded by promptfoo's default grader, not the suite's judge",
    "regex": "JavaScript regular expression syntax",
}


@dataclass
class Notes:
    """What the mapping could not carry over exactly, per assertion type."""

    approximate: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    def approx(self, kind: str) -> None:
        self.approximate[kind] = self.approximate.get(kind, 0) + 1

    def lines(self) -> list[str]:
        out = [
            f"approximate: {kind} x{n} ({APPROXIMATE.get(kind, 'see the README')})"
            for kind, n in self.approximate.items()
        ]
        out += [f"not exported: {kind} x{n} (no promptfoo counterpart)" for kind, n in self.skipped.items()]
        return out


def _js(expr: str) -> dict[str, Any]:
    return {"type": "javascript", "value": expr}


def _fold(ci: bool) -> str:
    return ".toLowerCase()" if ci else ""


def _values(spec: dict[str, Any]) -> list[str]:
    value = spec.get("value")
    return [value] if isinstance(value, str) else list(value or [])


def _equals(spec: dict[str, Any], expected: str | None) -> dict[str, Any] | None:
    target = spec.get("value") if spec.get("value") is not None else expected
    if target is None:
        return None
    ci, ws = not spec.get("case_sensitive", True), spec.get("normalize_whitespace", False)
    if not ci and not ws:
        return {"type": "equals", "value": target}
    norm = ".split(/\\s+/).filter(Boolean).join(' ')" if ws else ""
    return _js(f"String(output){norm}{_fold(ci)} === {json.dumps(target)}{norm}{_fold(ci)}")


def _contains(spec: dict[str, Any], negate: bool) -> dict[str, Any]:
    values = _values(spec)
    prefix = ("not-" if negate else "") + ("" if spec.get("case_sensitive", True) else "i") + "contains"
    if len(values) == 1 and isinstance(spec.get("value"), str):
        return {"type": prefix, "value": values[0]}
    match = spec.get("match", "any" if negate else "all")
    return {"type": f"{prefix}-{match}", "value": values}


def _regex(spec: dict[str, Any]) -> dict[str, Any]:
    pattern = re.sub(r"\(\?P<", "(?<", spec["pattern"])
    if spec.get("case_sensitive", True):
        return {"type": "regex", "value": pattern}
    return _js(f"new RegExp({json.dumps(pattern)}, 'i').test(output)")


def _starts_with(spec: dict[str, Any]) -> dict[str, Any]:
    if spec.get("case_sensitive", True):
        return {"type": "starts-with", "value": spec["value"]}
    return _js(f"String(output).trimStart().toLowerCase().startsWith({json.dumps(spec['value'].lower())})")


def _length(spec: dict[str, Any]) -> dict[str, Any]:
    low, high = spec.get("min"), spec.get("max")
    if spec.get("unit", "words") == "words":
        return {
            "type": "word-count",
            "value": {k: v for k, v in (("min", low), ("max", high)) if v is not None},
        }
    checks = [
        f"String(output).length >= {low}" if low is not None else "",
        f"String(output).length <= {high}" if high is not None else "",
    ]
    return _js(" && ".join(c for c in checks if c))


def _similarity(spec: dict[str, Any], expected: str | None) -> dict[str, Any] | None:
    target = spec.get("value") if spec.get("value") is not None else expected
    if target is None:
        return None
    kind = "rouge-n" if spec.get("metric", "rouge_l") == "rouge_l" else "similar"
    return {"type": kind, "value": target, "threshold": spec.get("threshold", 0.8)}


def map_assertion(spec: dict[str, Any], expected: str | None, notes: Notes) -> dict[str, Any] | None:
    """One workbench assertion as a promptfoo assertion (``None``: cannot be carried over)."""
    kind = spec.get("type", "")
    mapped: dict[str, Any] | None
    if kind == "equals":
        mapped = _equals(spec, expected)
    elif kind in ("contains", "not_contains"):
        mapped = _contains(spec, negate=kind == "not_contains")
    elif kind == "regex":
        mapped = _regex(spec)
    elif kind == "starts_with":
        mapped = _starts_with(spec)
    elif kind in ("is_json", "json_schema"):
        mapped = {"type": "contains-json" if spec.get("code_fence", True) else "is-json"}
        if kind == "json_schema":
            mapped["value"] = spec["schema"]
    elif kind == "length":
        mapped = _length(spec)
    elif kind == "similarity":
        mapped = _similarity(spec, expected)
    elif kind == "latency":
        mapped = {"type": "latency", "threshold": spec["max_ms"]}
    elif kind == "cost":
        mapped = {"type": "cost", "threshold": spec["max_usd"]}
    elif kind == "llm_judge":
        mapped = {"type": "llm-rubric", "value": spec["rubric"]}
        if spec.get("threshold") is not None:
            mapped["threshold"] = spec["threshold"]
    else:
        mapped = None
    if mapped is None:
        notes.skipped[kind] = notes.skipped.get(kind, 0) + 1
        return None
    approximate = (
        kind in ("similarity", "llm_judge")
        or (kind in ("starts_with", "regex") and mapped["type"] != "javascript")
        or (kind in ("is_json", "json_schema") and mapped["type"] == "contains-json")
    )
    if approximate:
        notes.approx(kind)
    return mapped


def _provider(endpoint: Endpoint | None, endpoint_name: str, model: str) -> dict[str, Any]:
    label = f"{endpoint_name} · {model}" if endpoint_name else model
    kind = endpoint.provider if endpoint else "openai"
    if kind == "echo":
        return {"id": "echo", "label": label}
    config: dict[str, Any] = {}
    if endpoint and endpoint.base_url:
        config["apiBaseUrl"] = endpoint.base_url
    if kind == "anthropic":
        pid = f"anthropic:messages:{model}"
    else:
        pid = f"openai:chat:{model}"
        if endpoint and endpoint.api_key_env and endpoint.api_key_env != "OPENAI_API_KEY":
            config["apiKeyEnvar"] = endpoint.api_key_env
        if kind == "openai_compatible" and not (endpoint and endpoint.api_key_env):
            config["apiKeyRequired"] = False
    return {"id": pid, "label": label, **({"config": config} if config else {})}


def _provider_config(settings: CallSettings) -> dict[str, Any]:
    """A version's call settings as promptfoo's provider ``config`` (OpenAI's names)."""
    config: dict[str, Any] = {
        k: v for k, v in settings.to_dict().items() if k not in ("system_override", "response_format")
    }
    if settings.response_format == "json":
        config["response_format"] = {"type": "json_object"}
    return config


def _chat(version: PromptVersion) -> str:
    messages = (
        [{"role": "system", "content": version.system_template}] if version.system_template.strip() else []
    )
    messages.append({"role": "user", "content": version.user_template})
    return json.dumps(messages, ensure_ascii=False)


def prompt_config(engine: Engine, prompt_id: int) -> tuple[dict[str, Any], Notes, str]:
    """(config, notes, "Project / Prompt") for one prompt."""
    notes = Notes()
    with session_scope(engine) as session:
        prompt = session.get(Prompt, prompt_id)
        assert prompt is not None
        project = session.get(Project, prompt.project_id)
        versions = list(
            session.exec(
                select(PromptVersion)
                .where(PromptVersion.prompt_id == prompt_id)
                .order_by(col(PromptVersion.number))
            )
        )
        labels: dict[int, list[str]] = {}
        for name, version_id in session.exec(
            select(Label.name, Label.version_id).where(Label.prompt_id == prompt_id)
        ):
            labels.setdefault(version_id, []).append(name)
        used = session.exec(
            select(Output.endpoint_name, Output.model_name)
            .join(PromptVersion, col(PromptVersion.id) == Output.prompt_version_id)
            .where(PromptVersion.prompt_id == prompt_id, col(Output.model_name) != "")
            .distinct()
        ).all()
        endpoints = {e.name: e for e in session.exec(select(Endpoint))}
        if not used:  # never run yet: offer every enabled model
            by_id = {e.id: e for e in endpoints.values() if e.enabled}
            enabled = session.exec(select(ModelEntry).where(col(ModelEntry.enabled).is_(True)))
            used = [(by_id[m.endpoint_id].name, m.model) for m in enabled if m.endpoint_id in by_id]
        cases = list(
            session.exec(
                select(TestCase)
                .where(TestCase.prompt_id == prompt_id)
                .order_by(col(TestCase.position), col(TestCase.id))
            )
        )
    title = f"{project.name if project else ''} / {prompt.name}"
    chosen = [v for v in versions if v.id in labels]
    if versions and versions[-1] not in chosen:
        chosen.append(versions[-1])
    prompts = []
    for version in sorted(chosen, key=lambda v: v.number):
        tags = sorted(labels.get(id_of(version), [])) + (["latest"] if version is versions[-1] else [])
        entry: dict[str, Any] = {
            "label": f"{prompt.name} v{version.number} ({', '.join(tags)})",
            "raw": _chat(version),
        }
        params = _provider_config(CallSettings.from_dict(version.params))
        if params:
            entry["config"] = params
        prompts.append(entry)
    tests = []
    for position, case in enumerate(cases, start=1):
        asserts = [
            a for a in (map_assertion(dict(s), case.expected, notes) for s in case.assertions or []) if a
        ]
        test: dict[str, Any] = {
            "description": case.name or f"case {position}",
            "vars": dict(case.variables or {}),
        }
        if asserts:
            test["assert"] = asserts
        tests.append(test)
    config = {
        "description": title,
        "prompts": prompts,
        "providers": [_provider(endpoints.get(e), e, m) for e, m in sorted(set(used))],
        "tests": tests,
    }
    return config, notes, title


def to_yaml(config: dict[str, Any], notes: Notes, title: str) -> str:
    header = [
        f"promptfoo configuration for {title}, exported by Prompt Workbench on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        f"Run: {RUN}",
        "Templates are Jinja2; promptfoo reads them as Nunjucks (same {{ variable }}, if and for syntax).",
        "Keys are read from the environment variables the providers name; none is in this file.",
        *notes.lines(),
    ]
    body = yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=110)
    return "".join(f"# {line}\n" for line in header) + body


def export_promptfoo(engine: Engine, selection: Selection, *, actor: str, scrub: Scrubber) -> ExportFile:
    """One prompt: its ``promptfooconfig.yaml``; several: a zip with one folder per prompt."""
    with session_scope(engine) as session:
        ids = list(
            session.exec(
                select(Prompt.id)
                .where(col(Prompt.id).in_(prompt_ids_query(selection)), col(Prompt.archived).is_(False))
                .where(col(Prompt.id).in_(select(PromptVersion.prompt_id)))
                .order_by(col(Prompt.project_id), col(Prompt.name))
            )
        )
    files: dict[str, bytes] = {}
    approximate = tests = 0
    for prompt_id in ids:
        config, notes, title = prompt_config(engine, prompt_id)  # type: ignore[arg-type]
        folder = "/".join(slug(part) for part in title.split(" / "))
        files[f"{folder}/promptfooconfig.yaml"] = scrub(to_yaml(config, notes, title)).encode("utf-8")
        approximate += sum(notes.approximate.values())
        tests += len(config["tests"])
    counts = {"prompts": len(ids), "tests": tests, "approximate_assertions": approximate}
    record_export(engine, actor=actor, fmt="promptfoo", selection=selection, counts=counts)
    if len(files) == 1:
        return ExportFile("promptfooconfig.yaml", YAML_MIME, next(iter(files.values())), counts)
    return ExportFile(f"workbench-promptfoo-{stamp()}.zip", ZIP_MIME, zip_bytes(files), counts)
