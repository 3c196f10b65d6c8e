"""Settings: provider keys (masked), endpoints, their models and prices, and connection tests."""

import streamlit as st

from workbench.models import endpoints
from workbench.ui.admin.endpoint_editor import (
    KEY_COLUMNS,
    add_endpoint_form,
    endpoint_editor,
    flash,
    key_table,
)
from workbench.ui.shell.nav import spec
from workbench.ui.shell.page import header, shows_errors
from workbench.ui.shell.resources import get_engine

header("Settings", spec("pages/settings.py").explanation)
engine = get_engine()
flash()

with shows_errors():
    st.subheader("API keys")
    st.caption(
        "Keys come from environment variables or `.streamlit/secrets.toml` and are read only when a call "
        "is made. The workbench never stores them; here they are shown masked."
    )
    st.dataframe(key_table(engine), hide_index=True, width="stretch", column_config=KEY_COLUMNS)

    st.subheader("Endpoints and models")
    st.caption(
        "Where models are reached. Open an endpoint to change its connection, test it, fetch its model "
        "list and edit the prices used for the cost figures (US dollars per million tokens)."
    )
    for endpoint in endpoints.list_endpoints(engine):
        endpoint_editor(engine, endpoint)

    st.subheader("Add an endpoint")
    st.caption(
        "Any OpenAI-compatible server (Ollama, vLLM, LM Studio, OpenRouter…) by its base URL, or another "
        "OpenAI or Anthropic account. Give the *name* of the variable that holds the key, never the key."
    )
    add_endpoint_form(engine)
