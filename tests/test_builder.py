"""The structured builder assembles an editable template from labelled parts."""

from __future__ import annotations

import pytest

from workbench.errors import InvalidInput, TemplateError
from workbench.prompts.builder import BuilderParts, assemble
from workbench.prompts.checklist import check


def test_parts_become_system_and_user_messages() -> None:
    template = assemble(
        BuilderParts(
            role="courteous customer service agent for an online store",
            task="Reply to the customer asking about order #{{ order_id }}.",
            context="Status: {{ status }}\nExpected delivery: {{ expected_delivery }}",
            audience="customers with no technical background",
            output_format="An e-mail of at most 120 words.",
            constraints="- Apologise once\nUse only the facts above\n\n",
            examples="Dear customer, your order #123 ships tomorrow...",
        )
    )
    assert template.system == (
        "You are a courteous customer service agent for an online store. "
        "Your audience: customers with no technical background."
    )
    assert template.user.startswith("Reply to the customer asking about order #{{ order_id }}.")
    assert "Context:\nStatus: {{ status }}" in template.user
    assert "Output format:\nAn e-mail of at most 120 words." in template.user
    assert "Rules:\n- Apologise once\n- Use only the facts above" in template.user
    assert "Example of a good answer:\nDear customer" in template.user
    assert template.variables() == ["order_id", "status", "expected_delivery"]


def test_builder_output_satisfies_the_checklist() -> None:
    template = assemble(
        BuilderParts(
            role="an HR assistant",
            task="Answer the employee's question: {{ question }}",
            context="Handbook excerpt: {{ handbook }}",
            output_format="At most three sentences.",
            constraints="If the excerpt does not answer it, say so.",
        )
    )
    assert template.system == "You are an HR assistant."
    findings = check(template.system, template.user, {"question": "q", "handbook": "h"})
    assert findings == []


def test_role_phrasing_is_kept_when_already_a_sentence() -> None:
    assert assemble(BuilderParts(role="You are a copywriter.", task="Write a tagline.")).system == (
        "You are a copywriter."
    )
    assert assemble(BuilderParts(task="Write a tagline.")).system == ""


def test_task_is_required_and_broken_braces_are_reported() -> None:
    with pytest.raises(InvalidInput, match="Describe the task"):
        assemble(BuilderParts(role="editor", task="  "))
    with pytest.raises(TemplateError, match="Unbalanced braces"):
        assemble(BuilderParts(task="Reply to {{ name }"))
