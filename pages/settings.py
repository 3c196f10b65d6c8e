"""Settings: provider keys (masked, pasted from the browser), endpoints, their models and prices,
and connection tests."""

import streamlit as st

from workbench.models import endpoints
from workbench.store.lookup import id_of
from workbench.ui.admin.endpoint_editor import add_endpoint_form, endpoint_editor, flash
from workbench.ui.admin.key_panel import key_table, paste_form
from workbench.ui.shell import model_menu
from workbench.ui.shell.nav import spec
from workbench.ui.shell.page import header, shows_errors
from workbench.ui.shell.resources import get_engine

header("Settings", spec("pages/settings.py").explanation)
engine = get_engine()
flash()

with shows_errors():
    st.subheader("API keys")
    st.caption(
        "Keys come from a key pasted here, environment variables or `.streamlit/secrets.toml`, and are "
        "read only when a call is made. The workbench never stores them in its database, logs or exports; "
        "here they are shown masked. 'Answers' says whether the endpoint replied when last asked."
    )
    st.dataframe(key_table(engine), hide_index=True, width="stretch")
    paste_form(engine)

    st.subheader("Endpoints and models")
    st.caption(
        "Where models are reached. Open an endpoint to change its connection, test it, fetch its model "
        "list and edit the prices used for the cost figures (US dollars per million tokens)."
    )
    verdicts = model_menu.endpoint_verdicts(engine)
    for endpoint in endpoints.list_endpoints(engine):
        endpoint_editor(engine, endpoint, verdicts.get(id_of(endpoint), (endpoint.name, None))[1])

    st.subheader("Add an endpoint")
    st.caption(
        "Any OpenAI-compatible server (Ollama, vLLM, LM Studio, OpenRouter…) by its base URL, or another "
        "OpenAI or Anthropic account. Give the *name* of the variable that holds the key, never the key."
    )
    add_endpoint_form(engine)
