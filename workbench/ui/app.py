"""Prompt Workbench router: opens (and migrates) the database, builds the menu, runs the page.

This is the script ``streamlit run`` is given (``make run``). It lives inside the package, not
beside ``pages/``: see ``workbench.ui.shell.nav`` for why.
"""

import streamlit as st

from workbench.errors import WorkbenchError
from workbench.ui.shell import auth, identity, kept, local_models, sidebar
from workbench.ui.shell.nav import PAGES
from workbench.ui.shell.resources import FIRST_PAGE_DRAWN, get_engine

st.set_page_config(page_title="Prompt Workbench", page_icon=":material/science:", layout="wide")


def route() -> None:
    """Open the database, gate, build the menu and sidebar, run the chosen page."""
    try:
        engine = get_engine()
    except WorkbenchError as exc:
        st.error(f"The workbench could not start: {exc}", icon="⚠️")
        st.stop()

    auth.gate(engine)  # with sign-in switched on, a visitor who has not signed in sees only the sign-in
    local_models.ensure(engine)  # the demo's offline models answer with no keys and nothing else running
    sections: dict[str, list] = {}
    for page in PAGES:
        sections.setdefault(page.section, []).append(
            st.Page(page.script, title=page.title, icon=page.icon, default=page.path == PAGES[0].path)
        )
    navigation = st.navigation(
        sections if len(sections) > 1 else next(iter(sections.values())), expanded=True
    )  # every page in view: a business user should not have to find "View more"
    identity.restore_name()  # the name this browser typed last time, before the sidebar draws its box
    kept.restore_workspace()  # after a reload: the project and prompt this person had open
    sidebar.render(engine)
    identity.remember()
    try:
        navigation.run()
    finally:  # also when the page stops or reruns itself
        kept.keep_workspace()


# However the run ends (a page drawn, the sign-in gate's stop, an error shown), the launcher's
# warm-up may now go on with the imports it held back for the first page.
try:
    route()
finally:
    FIRST_PAGE_DRAWN.set()
