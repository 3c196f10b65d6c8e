"""promptfoo configuration: the YAML parses with prompts, providers and tests; each assertion
type maps to promptfoo's counterpart, and the approximate ones are listed in the file."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import yaml
from sqlalchemy import Engine

from tests.library_support import demo
from workbench.evals import cases
from workbench.exports import promptfoo
from workbench.exports.key_scrub import Scrubber
from workbench.exports.promptfoo import Notes, map_assertion
from workbench.exports.scope import Selection
from workbench.models import endpoints
from workbench.prompts import versions
from workbench.store.engine import session_scope

PROMPTFOO_TYPES = {
    "equals", "contains", "icontains", "contains-all", "contains-any", "icontains-all", "icontains-any",
    "not-contains", "not-icontains", "not-contains-any", "not-contains-all", "not-icontains-any",
    "not-icontains-all", "regex", "starts-with", "is-json", "contains-json", "word-count", "javascript",
    "rouge-n", "similar", "latency", "cost", "llm-rubric",
}  # fmt: skip


def config_of(engine: Engine, prompt_id: int) -> tuple[dict, str]:
    made = promptfoo.export_promptfoo(engine, Selection(prompt_ids=(prompt_id,)), actor="a", scrub=Scrubber())
    assert made.filename == "promptfooconfig.yaml"
    text = made.data.decode("utf-8")
    return yaml.safe_load(text), text


def test_the_yaml_has_prompts_providers_and_tests(seeded_engine: Engine) -> None:
    config, text = config_of(seeded_engine, demo(seeded_engine).hr)
    assert list(config) == ["description", "prompts", "providers", "tests"]
    assert config["description"] == "HR handbook assistant / HR policy answer"
    (prompt,) = config["prompts"]  # v2 carries the production label and is the latest
    assert prompt["label"] == "HR policy answer v2 (production, latest)"
    messages = json.loads(prompt["raw"])
    assert [m["role"] for m in messages] == ["system", "user"] and "{{ question }}" in messages[1]["content"]
    assert prompt["config"] == {"temperature": 0.0, "max_tokens": 200}
    assert [p["id"] for p in config["providers"]] == [
        f"openai:chat:fake-{m}" for m in ("large", "lazy", "small")
    ]
    assert config["providers"][0]["config"]["apiBaseUrl"].endswith("/v1")
    assert len(config["tests"]) == 10
    first = config["tests"][0]
    assert first["description"] == "PTO days" and set(first["vars"]) == {"question"}
    assert first["assert"] == [
        {"type": "contains", "value": "25 days"},
        {"type": "not-contains", "value": "365"},
    ]
    assert all(a["type"] in PROMPTFOO_TYPES for t in config["tests"] for a in t.get("assert", []))
    assert text.startswith("# promptfoo configuration for HR handbook assistant / HR policy answer")
    assert "npx promptfoo@latest eval -c promptfooconfig.yaml" in text


def test_labelled_and_latest_versions_become_separate_prompts(seeded_engine: Engine) -> None:
    ids = demo(seeded_engine)
    with session_scope(seeded_engine) as session:
        versions.save_version(
            session,
            prompt_id=ids.late_order,
            system_template="",
            user_template="Late: {{ order_id }}",
            author="t",
        )
    config, _ = config_of(seeded_engine, ids.late_order)
    assert [p["label"] for p in config["prompts"]] == [
        "Late order reply v2 (production, staging)",
        "Late order reply v3 (latest)",
    ]
    assert json.loads(config["prompts"][1]["raw"]) == [{"role": "user", "content": "Late: {{ order_id }}"}]


def test_providers_name_key_variables_never_keys(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-never-in-the-file-123")
    ids = demo(seeded_engine)
    endpoints.add_endpoint(seeded_engine, actor="t", name="Router", provider="openai_compatible",
                           base_url="https://router.example/v1", api_key_env="ROUTER_KEY")  # fmt: skip
    router = endpoints.find_endpoint(seeded_engine, "Router")
    endpoints.add_model(seeded_engine, actor="t", endpoint_id=router.id, model="mixtral")  # type: ignore[union-attr]
    config, text = config_of(seeded_engine, ids.late_order)  # never run: every enabled model is offered
    by_label = {p["label"]: p for p in config["providers"]}
    assert by_label["Router · mixtral"] == {
        "id": "openai:chat:mixtral",
        "label": "Router · mixtral",
        "config": {"apiBaseUrl": "https://router.example/v1", "apiKeyEnvar": "ROUTER_KEY"},
    }
    assert by_label["OpenAI · gpt-4o-mini"]["id"] == "openai:chat:gpt-4o-mini"
    assert by_label["Anthropic · claude-haiku-4-5"]["id"] == "anthropic:messages:claude-haiku-4-5"
    assert by_label["Echo · echo"] == {"id": "echo", "label": "Echo · echo"}
    assert "sk-never-in-the-file" not in text


@pytest.mark.parametrize(
    ("spec", "expected", "mapped"),
    [
        ({"type": "equals"}, "Yes.", {"type": "equals", "value": "Yes."}),
        ({"type": "contains", "value": "25 days", "case_sensitive": False}, None, {"type": "icontains", "value": "25 days"}),
        ({"type": "contains", "value": ["a", "b"]}, None, {"type": "contains-all", "value": ["a", "b"]}),
        ({"type": "contains", "value": ["a", "b"], "match": "any", "case_sensitive": False}, None,
         {"type": "icontains-any", "value": ["a", "b"]}),
        ({"type": "not_contains", "value": "365"}, None, {"type": "not-contains", "value": "365"}),
        ({"type": "not_contains", "value": ["x", "y"]}, None, {"type": "not-contains-any", "value": ["x", "y"]}),
        ({"type": "not_contains", "value": ["x", "y"], "match": "all"}, None,
         {"type": "not-contains-all", "value": ["x", "y"]}),
        ({"type": "regex", "pattern": r"(?P<n>\d+) days"}, None, {"type": "regex", "value": r"(?<n>\d+) days"}),
        ({"type": "starts_with", "value": "Yes"}, None, {"type": "starts-with", "value": "Yes"}),
        ({"type": "is_json", "code_fence": False}, None, {"type": "is-json"}),
        ({"type": "is_json"}, None, {"type": "contains-json"}),
        ({"type": "json_schema", "schema": {"type": "object"}, "code_fence": False}, None,
         {"type": "is-json", "value": {"type": "object"}}),
        ({"type": "length", "max": 80}, None, {"type": "word-count", "value": {"max": 80}}),
        ({"type": "length", "min": 10, "max": 200, "unit": "chars"}, None,
         {"type": "javascript", "value": "String(output).length >= 10 && String(output).length <= 200"}),
        ({"type": "similarity", "threshold": 0.7}, "Ref", {"type": "rouge-n", "value": "Ref", "threshold": 0.7}),
        ({"type": "similarity", "metric": "ratio", "value": "R"}, None, {"type": "similar", "value": "R", "threshold": 0.8}),
        ({"type": "latency", "max_ms": 1500}, None, {"type": "latency", "threshold": 1500}),
        ({"type": "cost", "max_usd": 0.01}, None, {"type": "cost", "threshold": 0.01}),
        ({"type": "llm_judge", "rubric": "Polite", "threshold": 0.7}, None,
         {"type": "llm-rubric", "value": "Polite", "threshold": 0.7}),
    ],
)  # fmt: skip
def test_each_assertion_type_maps_to_promptfoo(spec: dict, expected: str | None, mapped: dict) -> None:
    assert map_assertion(spec, expected, Notes()) == mapped


def test_rules_promptfoo_lacks_become_javascript_with_the_same_rule() -> None:
    notes = Notes()
    equals = map_assertion(
        {"type": "equals", "value": "Yes", "case_sensitive": False, "normalize_whitespace": True}, None, notes
    )
    assert equals == {
        "type": "javascript",
        "value": "String(output).split(/\\s+/).filter(Boolean).join(' ').toLowerCase() === "
        "\"Yes\".split(/\\s+/).filter(Boolean).join(' ').toLowerCase()",
    }
    regex = map_assertion({"type": "regex", "pattern": "^yes", "case_sensitive": False}, None, notes)
    assert regex == {"type": "javascript", "value": "new RegExp(\"^yes\", 'i').test(output)"}
    assert notes.approximate == {}  # same rule: nothing approximate


def test_approximations_and_skips_are_listed() -> None:
    notes = Notes()
    map_assertion({"type": "similarity", "value": "x"}, None, notes)
    map_assertion({"type": "llm_judge", "rubric": "r"}, None, notes)
    map_assertion({"type": "is_json"}, None, notes)
    assert map_assertion({"type": "equals"}, None, notes) is None  # nothing to compare with
    assert map_assertion({"type": "telepathy"}, None, notes) is None
    assert notes.lines() == [
        "approximate: similarity x1 (a different similarity metric; review the threshold)",
        "approximate: llm_judge x1 (graded by promptfoo's default grader, not the suite's judge)",
        "approximate: is_json x1 (contains-json accepts JSON inside prose)",
        "not exported: equals x1 (no promptfoo counterpart)",
        "not exported: telepathy x1 (no promptfoo counterpart)",
    ]


def test_the_file_header_lists_what_is_approximate(seeded_engine: Engine) -> None:
    ids = demo(seeded_engine)
    with session_scope(seeded_engine) as session:
        cases.add_case(session, prompt_id=ids.hr, actor="t", variables={"question": "Q?"}, expected="A",
                       assertions=[{"type": "similarity", "threshold": 0.5}])  # fmt: skip
    config, text = config_of(seeded_engine, ids.hr)
    assert "# approximate: similarity x1" in text
    assert config["tests"][-1]["assert"] == [{"type": "rouge-n", "value": "A", "threshold": 0.5}]


def test_several_prompts_make_a_zip_with_one_folder_each(seeded_engine: Engine) -> None:
    made = promptfoo.export_promptfoo(seeded_engine, Selection(), actor="a", scrub=Scrubber())
    assert made.filename.endswith(".zip") and made.counts["prompts"] == 3
    with zipfile.ZipFile(io.BytesIO(made.data)) as archive:
        names = sorted(archive.namelist())
        assert names == [
            "customer-service-replies/late-order-reply/promptfooconfig.yaml",
            "hr-handbook-assistant/hr-policy-answer-from-documents/promptfooconfig.yaml",
            "hr-handbook-assistant/hr-policy-answer/promptfooconfig.yaml",
        ]
        late = yaml.safe_load(archive.read(names[0]))
    assert late["tests"][0]["description"] == "Order in processing" and late["prompts"]
