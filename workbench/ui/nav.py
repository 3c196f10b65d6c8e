"""The pages of the workbench, in menu order, with the one line that explains each.

Pages live in ``app_pages/``, not ``pages/``: a folder named ``pages`` next to the main script
makes Streamlit take its legacy multipage path on a session's first run (and on every AppTest
run), which runs a deep-linked page without the router.

The router builds ``st.navigation`` from this list and the home page lists it as a guide, so
a page is added in exactly one place, and only once its capability works.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    explanation: str
    section: str = "Workbench"


PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        "app_pages/home.py",
        "Home",
        ":material/home:",
        "Your projects at a glance: the use case, its prompts and labels, and what has been run and rated.",
    ),
    PageSpec(
        "app_pages/draft.py",
        "Draft",
        ":material/edit_note:",
        "Write a prompt, fill in its variables, see the exact messages the model gets, and fix what the checklist finds.",
    ),
    PageSpec(
        "app_pages/gallery.py",
        "Gallery",
        ":material/collections_bookmark:",
        "Weak and strong prompts side by side, with why one fails and the other works; start your own from any of them.",
    ),
    PageSpec(
        "app_pages/versions.py",
        "Versions",
        ":material/history:",
        "Every saved version with who, when and why; compare two, move labels such as production, and roll back.",
    ),
)


def spec(path: str) -> PageSpec:
    return next(p for p in PAGES if p.path == path)
