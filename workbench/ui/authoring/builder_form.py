"""The structured builder's form: labelled parts in, a template in the editor out."""

from __future__ import annotations

import streamlit as st

from workbench.prompts.builder import BuilderParts, assemble
from workbench.ui.authoring import draft_state
from workbench.ui.shell.page import shows_errors

FIELDS = (
    ("role", "Role: who should the model be?", "a courteous customer service agent for an online store"),
    (
        "task",
        "Task: what should it produce?",
        "Reply to a customer asking why order #{{ order_id }} is late.",
    ),
    (
        "context",
        "Context: the facts it needs (type {{ variables }} for facts that change)",
        "Status: {{ status }}\nExpected delivery: {{ expected_delivery }}",
    ),
    ("audience", "Audience: who reads the answer?", "customers with no technical background"),
    (
        "output_format",
        "Output format and length",
        "An e-mail of at most 120 words, ending with one next step.",
    ),
    ("constraints", "Rules, one per line", "Use only the facts above\nApologise once"),
    ("examples", "Example of a good answer (optional)", ""),
)


def render() -> None:
    st.caption(
        "Fill in the parts you know; the builder assembles a prompt and puts it in the editor, "
        "where you can edit it. It replaces what the editor holds now."
    )
    with st.form("builder", border=False):
        parts = {}
        for name, label, example in FIELDS:
            placeholder = f"e.g. {example}" if example else ""
            if name in {"context", "constraints", "examples"}:
                parts[name] = st.text_area(label, key=f"builder_{name}", placeholder=placeholder, height=90)
            else:
                parts[name] = st.text_input(label, key=f"builder_{name}", placeholder=placeholder)
        submitted = st.form_submit_button("Put it in the editor", icon=":material/construction:")
    if submitted:
        with shows_errors():
            template = assemble(BuilderParts(**parts))
            draft_state.replace_texts(template.system, template.user, "Rebuilt with the structured builder.")
            draft_state.flash("The builder's prompt is in the editor. Fill the variables, check, and save.")
            st.rerun()
