"""Settings accepts every value the core accepts (one range per endpoint setting, shared by the
checks and the inputs), and messages name variables and fixes correctly for each provider."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import sqlite_engine_for
from tests.fakes.server import FakeLLMServer
from tests.test_providers import MESSAGES, complete, config, lookup, run
from workbench.errors import BadResponse, InvalidInput
from workbench.models import endpoints
from workbench.models.providers.interface import ChatRequest, redact
from workbench.models.providers.registry import build_provider

PAGE = "pages/settings.py"


def test_the_core_and_the_page_share_one_range_per_setting(app, app_env: Path) -> None:
    engine = sqlite_engine_for(app_env)
    local = endpoints.find_endpoint(engine, "Local fake server")
    endpoints.update_endpoint(engine, local.id, actor="t", timeout_s=0.5)  # type: ignore[union-attr, arg-type]
    at = app(page=PAGE)
    assert not at.exception
    for name, key in (("max_concurrency", "conc"), ("timeout_s", "timeout"), ("max_retries", "retries")):
        bounds = endpoints.ENDPOINT_RANGES[name]
        box = at.number_input(key=f"endpoint_{key}_{local.id}")  # type: ignore[union-attr]
        assert (box.min, box.max) == (bounds.low, bounds.high)
    assert at.number_input(key=f"endpoint_timeout_{local.id}").value == 0.5  # type: ignore[union-attr]
    shown = [e.label for e in at.expander]
    assert len([e for e in endpoints.list_endpoints(engine)]) == len([s for s in shown if "·" in s])
    assert at.button(key="add_endpoint_submit")  # the add form after every endpoint
    at.button(key=f"save_endpoint_{local.id}").click().run()  # type: ignore[union-attr]
    assert not at.exception and endpoints.find_endpoint(engine, "Local fake server").timeout_s == 0.5  # type: ignore[union-attr]
    engine.dispose()


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"timeout_s": 0}, "Timeout (s) must be between 0.1 and 3600"),
        ({"max_concurrency": 0}, "Concurrency must be between 1 and 256"),
        ({"max_retries": 11}, "Retries must be between 0 and 10"),
        ({"timeout_s": "soon"}, "Timeout (s) must be a number"),
    ],
)
def test_values_outside_the_range_are_refused_by_name(engine, values: dict, words: str) -> None:  # type: ignore[no-untyped-def]
    endpoints.ensure_builtin_endpoints(engine)
    openai = endpoints.find_endpoint(engine, "OpenAI")
    with pytest.raises(InvalidInput, match=words.replace("(", r"\(").replace(")", r"\)")):
        endpoints.update_endpoint(engine, openai.id, actor="t", **values)  # type: ignore[union-attr, arg-type]


def test_a_redacted_key_never_cuts_the_name_of_its_variable() -> None:
    key = "sk-TEST_TOKEN-0123456789"
    message = f"Key refused ({key}, echoed as sk-TEST_TOKEN-01…6789): check COMPAT_TEST_TOKEN_KEY."
    shown = redact(message, key)
    assert key not in shown and "sk-TEST_TOKEN-01" not in shown
    assert "COMPAT_TEST_TOKEN_KEY" in shown


@pytest.mark.parametrize(
    ("kind", "right", "wrong"),
    [
        ("anthropic", "no /v1 at the end", "should end in /v1"),
        ("openai_compatible", "usually end in /v1", "no /v1 at the end"),
    ],
)
def test_the_base_url_hint_fits_the_provider(
    fake_server: FakeLLMServer, kind: str, right: str, wrong: str
) -> None:
    provider = build_provider(config(fake_server, kind), lookup())
    with pytest.raises(BadResponse) as info:
        run(complete(provider, ChatRequest("fake-garbage", MESSAGES)))
    assert right in str(info.value) and wrong not in str(info.value)
