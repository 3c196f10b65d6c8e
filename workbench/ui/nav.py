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
        "app_pages/compare.py",
        "Compare",
        ":material/view_column:",
        "Run a prompt version on several models at once and compare their answers, speed, tokens and cost side by side.",
    ),
    PageSpec(
        "app_pages/settings.py",
        "Settings",
        ":material/settings:",
        "Provider keys, the endpoints and models you can call, their prices, and a connection test for each.",
    ),
)


def spec(path: str) -> PageSpec:
    return next(p for p in PAGES if p.path == path)
