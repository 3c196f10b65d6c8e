"""The "Check before sending" panel: try the data policy on pasted text or a rendered version.

It runs the same ``send_gate`` that Compare and Evaluate call before a run, so a person can see
ahead of time what their project's sensitivity level lets through, and what redaction does.
"""

from __future__ import annotations

import json

import streamlit as st
from sqlalchemy import Engine

from workbench.errors import InvalidInput
from workbench.governance.pii import Message
from workbench.models import endpoints
from workbench.prompts import versions
from workbench.prompts.templates import PromptTemplate
from workbench.store.lookup import id_of
from workbench.store.tables import Project
from workbench.ui.admin.policy_check import send_gate

PASTE, VERSION = "Paste text", "A prompt version"
PENDING = "send_check:pending"


def _pasted() -> list[Message]:
    text = st.text_area(
        "Text to send",
        key="send_check:text",
        height=140,
        placeholder="e.g. Customer dana@example.com (phone +44 20 7946 0958) asks where order 12345 is.",
    )
    return [{"role": "user", "content": text}] if text.strip() else []


def _rendered(engine: Engine, project: Project) -> list[Message]:
    prompts = versions.list_prompts(engine, id_of(project))
    if not prompts:
        st.info("This project has no prompts yet: paste text instead.")
        return []
    names = {id_of(p): p.name for p in prompts}
    prompt_id = st.selectbox("Prompt", list(names), format_func=lambda i: names[i], key="send_check:prompt")
    numbered = {v.id: v for v in versions.list_versions(engine, prompt_id)}
    version_id = st.selectbox(
        "Version", list(numbered), format_func=lambda i: f"v{numbered[i].number}", key="send_check:version"
    )
    version = numbered[version_id]
    raw = st.text_area(
        "Sample variables (JSON)",
        value=json.dumps(version.sample_variables, indent=1, ensure_ascii=False),
        key=f"send_check:vars:{version_id}",
        height=120,
    )
    try:
        variables = json.loads(raw or "{}")
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"The sample variables are not valid JSON ({exc.msg}, line {exc.lineno})."
        ) from None
    template = PromptTemplate(system=version.system_template, user=version.user_template)
    return template.render({**dict.fromkeys(template.variables(), ""), **variables})


def check_panel(engine: Engine, project: Project) -> None:
    source = st.radio("What to check", [PASTE, VERSION], horizontal=True, key="send_check:source")
    messages = _pasted() if source == PASTE else _rendered(engine, project)
    targets = {e.name: e for e in endpoints.list_endpoints(engine, include_disabled=False)}
    name = st.selectbox("Send to", list(targets), key="send_check:endpoint")
    if st.button("Check before sending", key="send_check:go", icon=":material/policy:"):
        st.session_state[PENDING] = True
    if not st.session_state.get(PENDING) or not messages or name is None:
        return
    ready = send_gate(
        engine, project_id=id_of(project), endpoint=targets[name], requests=[messages], key="send_check"
    )
    if ready is None:
        return
    st.success(f"Ready to send to {name}:", icon=":material/check_circle:")
    for message in ready[0]:
        st.caption(message["role"])
        st.code(message["content"], language=None, wrap_lines=True)
