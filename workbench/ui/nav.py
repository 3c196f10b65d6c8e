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
        "The project chosen in the sidebar at a glance: its use case, its prompts and labels, and what has been run and rated.",
        section="Start",
    ),
    PageSpec(
        "app_pages/project.py",
        "Project",
        ":material/flag:",
        "Frame the use case (user story, five P's), set measurable KPIs and see them met or not, and set the data rules.",
        section="Start",
    ),
    PageSpec(
        "app_pages/draft.py",
        "Draft",
        ":material/edit_note:",
        "Write a prompt, fill in its variables, see the exact messages the model gets, and fix what the checklist finds.",
        section="Write",
    ),
    PageSpec(
        "app_pages/gallery.py",
        "Gallery",
        ":material/collections_bookmark:",
        "Weak and strong prompts side by side, with why one fails and the other works; start your own from any of them.",
        section="Write",
    ),
    PageSpec(
        "app_pages/versions.py",
        "Versions",
        ":material/history:",
        "Every saved version with who, when, why and how it was rated; compare two, move labels such as production, roll back.",
        section="Write",
    ),
    PageSpec(
        "app_pages/compare.py",
        "Compare",
        ":material/view_column:",
        "Run a prompt version on several models at once, compare answers, speed, tokens and cost side by side, and rate them.",
        section="Run and rate",
    ),
    PageSpec(
        "app_pages/review.py",
        "Review",
        ":material/rate_review:",
        "Rate the answers of one prompt version one by one, with stars or thumbs, tags and a comment, until all are rated.",
        section="Run and rate",
    ),
    PageSpec(
        "app_pages/leaderboard.py",
        "Leaderboard",
        ":material/leaderboard:",
        "Pick the better of two answers to the same input, without seeing the models; the leaderboard ranks models and versions by those votes.",
        section="Run and rate",
    ),
    PageSpec(
        "app_pages/feedback.py",
        "Feedback",
        ":material/insights:",
        "What raters said: average score, tags and comments per version and model, and whether the raters agree.",
        section="Run and rate",
    ),
    PageSpec(
        "app_pages/bench.py",
        "Bench",
        ":material/fact_check:",
        "Test cases with known answers: the questions, what a right answer contains, and how it is checked.",
        section="Test",
    ),
    PageSpec(
        "app_pages/evaluate.py",
        "Evaluate",
        ":material/grid_on:",
        "Run the bench on prompt versions × models, see which pass, what fails and why, and what got worse from one version to the next.",
        section="Test",
    ),
    PageSpec(
        "app_pages/library.py",
        "Library",
        ":material/library_books:",
        "Every prompt with its versions, labels, ratings, pass rate and activity: search, filter, and open one in Draft.",
        section="Library",
    ),
    PageSpec(
        "app_pages/insights.py",
        "Insights",
        ":material/monitoring:",
        "Charts over the whole library: ratings by version over time, pass rate, latency and cost per model, tags, rater agreement.",
        section="Library",
    ),
    PageSpec(
        "app_pages/export.py",
        "Export",
        ":material/download:",
        "The rated library out as CSV, Excel, fine-tuning JSONL, promptfoo or a full backup; prompts and test cases in.",
        section="Library",
    ),
    PageSpec(
        "app_pages/team.py",
        "Team",
        ":material/group:",
        "Optional sign-in for teams: switch it on, and give people a role per project (viewer, editor, admin).",
        section="Admin",
    ),
    PageSpec(
        "app_pages/audit.py",
        "Audit",
        ":material/policy:",
        "Who changed what, and when: filter the append-only audit log and export it as CSV.",
        section="Admin",
    ),
    PageSpec(
        "app_pages/settings.py",
        "Settings",
        ":material/settings:",
        "Provider keys, the endpoints and models you can call, their prices, and a connection test for each.",
        section="Admin",
    ),
)


def spec(path: str) -> PageSpec:
    return next(p for p in PAGES if p.path == path)
