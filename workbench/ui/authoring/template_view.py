"""How templates, their errors, their rendered messages and checklist findings look on screen."""

from __future__ import annotations

import streamlit as st

from workbench.errors import TemplateError
from workbench.prompts.checklist import Finding
from workbench.prompts.drafts import line_of
from workbench.prompts.templates import Message
from workbench.ui.shell.page import literal

ROLE_TITLES = {"system": "System message", "user": "User message"}


def template_error_text(error: TemplateError, system: str, user: str) -> str:
    """ "User message, line 2: <plain English>" plus the offending line quoted."""
    where = ROLE_TITLES.get(error.source or "", "Template")
    if error.line is not None:
        where += f", line {error.line}"
    quoted = line_of(system, user, error).strip()
    text = f"**{where}:** {literal(error.message)}"
    if quoted:
        text += f"\n\n`{quoted}`"
    return text


def show_template_error(error: TemplateError, system: str, user: str) -> None:
    st.error(template_error_text(error, system, user), icon=":material/error:")


def show_messages(messages: list[Message]) -> None:
    """The rendered chat messages, as the model will receive them."""
    for message in messages:
        st.markdown(f"**{ROLE_TITLES.get(message['role'], message['role'])}**")
        st.code(message["content"], language=None, wrap_lines=True)


def show_findings(findings: list[Finding]) -> None:
    if not findings:
        st.success(
            "No weaknesses found. Preview the messages and save a version.", icon=":material/task_alt:"
        )
        return
    st.caption(f"{len(findings)} thing{'s' if len(findings) > 1 else ''} to improve:")
    for finding in findings:
        with st.container(border=True):
            st.markdown(f":orange[:material/lightbulb:] **{finding.title}**")
            st.markdown(finding.why)
            st.markdown(f"**Fix:** {finding.fix}")


def template_text(system: str, user: str) -> str:
    """Both messages as one readable block (for gallery cards)."""
    if system.strip():
        return f"[System]\n{system}\n\n[User]\n{user}"
    return user
