"""What ``workbench.get_prompt`` gives an application: the release, ready to call and report on.

::

    prompt = workbench.get_prompt("Late order reply", label="production")
    answer = prompt.complete(order_id="12345", order_date="May 1", ...)   # the release's model
    reply(answer.text)
    ...
    prompt.feedback(answer.id, thumbs="up", comment="Clear, thanks")     # later, by the id

``complete`` calls the release's model through the workbench's one call path
(``models.gateway.Gateway``, shared by the process's calls: ``monitor.caller``): the project's
data policy is checked on the exact messages, the SDK retries as configured for the endpoint,
and latency, tokens and cost are measured. Its purpose is ``app``, and what it stores is the
served answer itself (``ServedAnswer``), through the reporter, so the Monitor page sees every
call. An application that calls its model some other
way reports each answer with ``record(...)``.

A release without a model leaves the choice to the caller: ``prompt.with_model("OpenAI/gpt-4o-mini")``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from workbench.errors import ConfigError, InvalidInput
from workbench.evals.naming import model_ids
from workbench.models.endpoints import find_endpoint, target_named, target_of_model
from workbench.models.gateway import CallRequest, CallResult, ModelTarget, messages_tuple
from workbench.models.providers.interface import KeyLookup
from workbench.models.providers.registry import env_lookup, provider_class
from workbench.monitor import caller
from workbench.monitor.report_checks import Policy, Target, answer_report, feedback_report, model_names
from workbench.monitor.reporter import Reporter
from workbench.prompts.releases import PromptRelease, ReleaseModel

DEFAULT_POLICY = Policy("internal")  # the projects' default sensitivity


@dataclass(frozen=True)
class AppAnswer:
    """One answer served through ``complete``; ``id`` is what feedback refers to later."""

    id: str
    text: str
    model: str
    latency_ms: float | None
    tokens_in: int | None
    tokens_out: int | None
    cost_usd: float | None
    finish_reason: str | None = None


@dataclass(frozen=True)
class AppPrompt(PromptRelease):
    """A ``PromptRelease`` (templates, ``render``, ``model``, ``settings``) that can call its model
    and report what it served. Immutable: ``with_model`` and ``with_settings`` make variants."""

    engine: Engine | None = None
    reporter: Reporter | None = None
    policy: Policy = DEFAULT_POLICY
    source: str = ""
    lookup: KeyLookup = env_lookup

    # ---- variants ------------------------------------------------------------------------------

    def with_model(self, name: str) -> AppPrompt:
        """The same release on another model, named ``ENDPOINT/MODEL`` as in Settings
        (``"Local fake server/fake-large"``) or by a model id only one endpoint lists."""
        [entry_id] = model_ids(self._engine, [name])
        target, _ = target_of_model(self._engine, entry_id)
        return replace(self, model=ReleaseModel(target.endpoint.name, target.model))

    def with_settings(self, **changes: Any) -> AppPrompt:
        """The same release with some settings changed (``temperature=0``, ``max_tokens=200``)."""
        return replace(self, params=self.settings.merged(changes).to_dict())

    # ---- calling the model ---------------------------------------------------------------------

    def complete(self, **variables: Any) -> AppAnswer:
        """Render the release with ``variables``, call its model and report the answer. Raises
        what the call ended in (``PolicyBlocked``, ``RateLimited``, ``ProviderUnavailable``...)
        after reporting it as an error, and ``TemplateError`` for a missing variable."""
        request = self._request(variables)
        return self._answer(caller.call(self._engine, self.lookup, request, self._reporting(variables)))

    async def acomplete(self, **variables: Any) -> AppAnswer:
        """``complete`` for asyncio applications."""
        request = self._request(variables)
        return self._answer(
            await caller.call_async(self._engine, self.lookup, request, self._reporting(variables))
        )

    def _request(self, variables: Mapping[str, Any]) -> CallRequest:
        messages = self.render(**variables)
        target = self._target()
        provider_class(target.endpoint.provider).load_sdk()  # not part of the first answer's latency
        return CallRequest(
            target=target,
            messages=messages_tuple(messages),
            settings=self.settings,
            purpose="app",
            project_id=self.project_id,
            actor=self.source or "application",
        )

    def _target(self) -> ModelTarget:
        if self.model is None:
            raise InvalidInput(
                f"The release '{self.label or f'v{self.version}'}' of '{self.name}' leaves the model to the "
                "caller: choose one with prompt.with_model('ENDPOINT/MODEL').",
                field="model",
            )
        endpoint = find_endpoint(self._engine, self.model.endpoint_name)
        if endpoint is not None and not endpoint.enabled:
            raise ConfigError(
                f"The endpoint '{endpoint.name}' is switched off in Settings; switch it on or move the label."
            )
        return target_named(self._engine, self.model.endpoint_name, self.model.model_name)

    def _reporting(self, variables: Mapping[str, Any]) -> Callable[[CallRequest, CallResult], AppAnswer]:
        """What the gateway's recorder does with this call: report it as a served answer."""
        kept = dict(variables)

        def report(request: CallRequest, result: CallResult) -> AppAnswer:
            served = answer_report(
                self.target,
                variables=kept,
                text=result.text,
                model=(request.target.endpoint.name, request.target.model),
                status="ok" if result.ok else "error",
                error=result.error_message,
                error_kind=result.error_kind,
                latency_ms=result.latency_ms,
                tokens_in=result.tokens_in,
                tokens_out=result.tokens_out,
                cost_usd=result.cost_usd,
                source=self.source,
            )
            self._reporter.submit(served)
            return AppAnswer(
                id=served["uid"],
                text=result.text,
                model=request.target.label,
                latency_ms=result.latency_ms,
                tokens_in=result.tokens_in,
                tokens_out=result.tokens_out,
                cost_usd=result.cost_usd,
                finish_reason=result.finish_reason,
            )

        return report

    @staticmethod
    def _answer(result: CallResult) -> AppAnswer:
        result.raise_for_failure()
        answer: AppAnswer = result.record
        return answer

    # ---- reporting -----------------------------------------------------------------------------

    @property
    def target(self) -> Target:
        return Target(self.project_id, self.prompt_id, self.version_id, self.release_id, self.label)

    def record(
        self,
        *,
        variables: Mapping[str, Any] | None,
        text: str,
        model: str | tuple[str, str] | None = None,
        status: str = "ok",
        error: str | None = None,
        latency_ms: float | None = None,
        tokens_in: int | None = None,
        tokens_out: int | None = None,
        cost_usd: float | None = None,
        served_at: datetime | None = None,
    ) -> str:
        """Report an answer the application served with this release (and got from its model
        its own way); returns the answer's id for feedback. A wrong value raises
        ``InvalidInput`` at once; a database fault never raises (the report is spooled)."""
        report = answer_report(
            self.target,
            variables=variables,
            text=text,
            model=self._model_names(model),
            status=status,
            error=error,
            latency_ms=latency_ms,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=cost_usd,
            served_at=served_at,
            source=self.source,
        )
        self._reporter.submit(report)
        return str(report["uid"])

    def feedback(self, answer_id: str, *, thumbs: Any = None, score: Any = None, comment: Any = None) -> None:
        """The end user's thumbs (``"up"``/``"down"``), score (1-5) and/or comment on an answer."""
        report = feedback_report(answer_id, thumbs=thumbs, score=score, comment=comment)
        report["project_id"] = self._reporter.project_of(report["uid"])
        self._reporter.submit(report)

    def _model_names(self, model: str | tuple[str, str] | None) -> tuple[str, str]:
        default = (self.model.endpoint_name, self.model.model_name) if self.model else ("", "")
        return model_names(model, default)

    @property
    def _engine(self) -> Engine:
        if self.engine is None:
            raise ConfigError("This prompt was not fetched with workbench.get_prompt, so it has no database.")
        return self.engine

    @property
    def _reporter(self) -> Reporter:
        if self.reporter is None:
            raise ConfigError("This prompt was not fetched with workbench.get_prompt, so it cannot report.")
        return self.reporter
