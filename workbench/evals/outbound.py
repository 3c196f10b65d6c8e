"""What an evaluation would send, and to whom: the input to the data policy before it starts.

An evaluation sends every version × case to each chosen model's endpoint, and (when cases have
rubric checks) the question and the expected answer to the judge's endpoint. The policy
(``workbench.governance.data_policy``) decides per endpoint on exactly those requests.

When a person chooses to redact, the evaluation is redacted at the source: the cases' variable
values get ``[EMAIL_1]``-style placeholders (one set of placeholders for the whole suite), so
the runner renders and sends the redacted text and the evaluation's snapshot records what was
really sent; a rerun never resends the original values. Personal data written into a version's
template or a case's expected answer cannot be redacted that way; it is named instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Engine

from workbench.documents.context import retrieve, settings_of
from workbench.errors import InvalidInput, NotFound
from workbench.evals.snapshot import EvaluationConfig
from workbench.governance import data_policy, pii
from workbench.governance.pii import Message
from workbench.models.endpoints import find_endpoint
from workbench.projects import project_records
from workbench.prompts.templates import PromptTemplate
from workbench.prompts.versions import get_prompt_row
from workbench.store.engine import session_scope


@dataclass(frozen=True)
class Destination:
    """An endpoint as the policy sees it (``data_policy.Recipient``)."""

    name: str
    provider: str


def _values(
    engine: Engine, config: EvaluationConfig, params: dict[str, Any], variables: dict[str, Any]
) -> dict[str, Any]:
    """A case's values with the context a version retrieves from the project's documents filled
    in, exactly as the run will fill it (the documents' text is checked like everything sent)."""
    settings = settings_of(params)
    if settings is None:
        return variables
    with session_scope(engine) as session:
        found = retrieve(session, project_of(engine, config), settings, variables)
    return {**variables, settings.context_variable: found.text}


def _rendered(engine: Engine, config: EvaluationConfig) -> list[tuple[str, str, list[Message]]]:
    """(version label, case name, messages) for every version × case."""
    out = []
    for version in config.versions:
        template = PromptTemplate(version.system_template, version.user_template)
        for i, case in enumerate(config.cases):
            values = _values(engine, config, version.params, case.variables)
            out.append((version.label, case.name or f"case {i + 1}", template.render(values)))
    return out


def _judged(engine: Engine, config: EvaluationConfig) -> list[list[Message]]:
    """What the judge sees besides the answers: each judged case's question and expected answer."""
    requests = []
    judged = {c.id for c in config.cases if any(a.get("type") == "llm_judge" for a in c.assertions)}
    by_id = {c.id: c for c in config.cases}
    for version in config.versions:
        template = PromptTemplate(version.system_template, version.user_template)
        for case_id in judged:
            case = by_id[case_id]
            values = _values(engine, config, version.params, case.variables)
            messages = [m for m in template.render(values) if m["role"] == "user"]
            if case.expected:
                messages.append({"role": "user", "content": case.expected})
            requests.append(messages)
    return requests


def requests_by_destination(
    engine: Engine, config: EvaluationConfig
) -> dict[Destination, list[list[Message]]]:
    """Every endpoint the evaluation would call, with the requests it would send there."""
    sent = [messages for _, _, messages in _rendered(engine, config)]
    out: dict[Destination, list[list[Message]]] = {}
    for model in config.models:
        out.setdefault(Destination(model.endpoint, model.provider), sent)
    if config.judge is not None:
        endpoint = find_endpoint(engine, config.judge.endpoint)
        if endpoint is None:
            raise NotFound(f"The judge's endpoint '{config.judge.endpoint}' does not exist.")
        judge = Destination(endpoint.name, endpoint.provider)
        out[judge] = [*out.get(judge, []), *_judged(engine, config)]
    return out


def decisions(engine: Engine, config: EvaluationConfig) -> dict[Destination, data_policy.Decision]:
    """The policy's verdict per endpoint (for callers without a person to ask: the CLI)."""
    project = project_records.get_project(engine, project_of(engine, config))
    return {
        target: data_policy.check_outbound(project, target, requests)
        for target, requests in requests_by_destination(engine, config).items()
    }


def project_of(engine: Engine, config: EvaluationConfig) -> int:
    return get_prompt_row(engine, config.prompt_id).project_id


def redacted(engine: Engine, config: EvaluationConfig) -> EvaluationConfig:
    """The evaluation with personal data in the cases' values replaced by placeholders; refuses,
    saying where, when personal data remains in what would be sent (a template, an expected
    answer)."""
    project = project_records.get_project(engine, project_of(engine, config))
    redactor = pii.Redactor(names=list(project.pii_names or []))
    cases = tuple(
        replace(case, variables={k: pii.redact_value(redactor, v) for k, v in case.variables.items()})
        for case in config.cases
    )
    clean = replace(config, cases=cases)
    names = list(project.pii_names or [])
    for version, case_name, messages in _rendered(engine, clean):
        if pii.scan_messages(messages, names):
            raise InvalidInput(
                f"Personal data remains in version {version.removeprefix('v')}'s template (case '{case_name}') "
                "after redacting the cases' values: remove it from the template in Draft, then run again.",
                field="versions",
            )
    for case in clean.cases:
        if case.expected and pii.scan(case.expected, names):
            raise InvalidInput(
                f"Case '{case.name}' has personal data in its expected answer, which the judge would see: "
                "remove it on the Bench page, then run again.",
                field="cases",
            )
    return clean
