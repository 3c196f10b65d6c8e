"""The pages of the workbench, in menu order, with the one line that explains each.

Pages live in ``pages/``, not ``pages/``: a folder named ``pages`` next to the main script
makes Streamlit take its legacy multipage path on a session's first run (and on every AppTest
run), which runs a deep-linked page without the router.

The router builds ``st.navigation`` from this list and the home page lists it as a guide, so
a page is added in exactly one place, and only once its capability works.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[3]
PAGES_DIR = PROJECT_ROOT / "pages"
APP_SCRIPT = Path(__file__).resolve().parents[1] / "app.py"  # what `streamlit run` is given


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    explanation: str
    section: str = "Workbench"

    @property
    def script(self) -> Path:
        """The page's file, absolute: ``st.Page`` resolves relative paths against the main
        script's folder, which is not the project root."""
        return PROJECT_ROOT / self.path


PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        "pages/home.py",
        "Home",
        ":material/home:",
        "The project chosen in the sidebar at a glance: its use case, its prompts and labels, and what has been run and rated.",
        section="Start",
    ),
    PageSpec(
        "pages/project.py",
        "Project",
        ":material/flag:",
        "Frame the use case (user story, five P's), set measurable KPIs and see them met or not, and set the data rules.",
        section="Start",
    ),
    PageSpec(
        "pages/draft.py",
        "Draft",
        ":material/edit_note:",
        "Write a prompt, fill in its variables, see the exact messages the model gets, and fix what the checklist finds.",
        section="Write",
    ),
    PageSpec(
        "pages/documents.py",
        "Documents",
        ":material/description:",
        "Your own documents (PDF, Word, HTML, text): cleaned and searchable, as context for prompts, and as the source of test cases and fine-tuning pairs.",
        section="Write",
    ),
    PageSpec(
        "pages/gallery.py",
        "Gallery",
        ":material/collections_bookmark:",
        "Weak and strong prompts side by side, with why one fails and the other works; start your own from any of them.",
        section="Write",
    ),
    PageSpec(
        "pages/versions.py",
        "Versions",
        ":material/history:",
        "Every saved version with who, when, why and how it was rated; compare two, move labels such as production, roll back.",
        section="Write",
    ),
    PageSpec(
        "pages/compare.py",
        "Compare",
        ":material/view_column:",
        "Run a prompt version on several models at once, compare answers, speed, tokens and cost side by side, and rate them.",
        section="Run and rate",
    ),
    PageSpec(
        "pages/review.py",
        "Review",
        ":material/rate_review:",
        "Rate the answers of one prompt version one by one, with stars or thumbs, tags and a comment, until all are rated.",
        section="Run and rate",
    ),
    PageSpec(
        "pages/leaderboard.py",
        "Leaderboard",
        ":material/leaderboard:",
        "Pick the better of two answers to the same input, without seeing the models; the leaderboard ranks models and versions by those votes.",
        section="Run and rate",
    ),
    PageSpec(
        "pages/feedback.py",
        "Feedback",
        ":material/insights:",
        "What raters said: average score, tags and comments per version and model, and whether the raters agree.",
        section="Run and rate",
    ),
    PageSpec(
        "pages/bench.py",
        "Bench",
        ":material/fact_check:",
        "Test cases with known answers: the questions, what a right answer contains, and how it is checked.",
        section="Test",
    ),
    PageSpec(
        "pages/evaluate.py",
        "Evaluate",
        ":material/grid_on:",
        "Run the bench on prompt versions × models, see which pass, what fails and why, and what got worse from one version to the next.",
        section="Test",
    ),
    PageSpec(
        "pages/optimize.py",
        "Improve on the bench",
        ":material/auto_fix_high:",
        "A model proposes edits to a prompt, each is tested on the bench, and only a version that scores better on cases it never saw is kept, labelled candidate.",
        section="Test",
    ),
    PageSpec(
        "pages/monitor.py",
        "Monitor",
        ":material/speed:",
        "The prompt in use: answers served, speed, cost and what end users thought, per release and day; did the last swap help, and roll it back if not.",
        section="Test",
    ),
    PageSpec(
        "pages/library.py",
        "Library",
        ":material/library_books:",
        "Every prompt with its versions, labels, ratings, pass rate and activity: search, filter, and open one in Draft.",
        section="Library",
    ),
    PageSpec(
        "pages/insights.py",
        "Insights",
        ":material/monitoring:",
        "Charts over the whole library: ratings by version over time, pass rate, latency and cost per model, tags, rater agreement.",
        section="Library",
    ),
    PageSpec(
        "pages/export.py",
        "Export",
        ":material/download:",
        "The rated library out as CSV, Excel, fine-tuning JSONL, promptfoo or a full backup; prompts and test cases in.",
        section="Library",
    ),
    PageSpec(
        "pages/team.py",
        "Team",
        ":material/group:",
        "Optional sign-in for teams: switch it on, and give people a role per project (viewer, editor, admin).",
        section="Admin",
    ),
    PageSpec(
        "pages/audit.py",
        "Audit",
        ":material/policy:",
        "Who changed what, and when: filter the append-only audit log and export it as CSV.",
        section="Admin",
    ),
    PageSpec(
        "pages/settings.py",
        "Settings",
        ":material/settings:",
        "Provider keys, the endpoints and models you can call, their prices, and a connection test for each.",
        section="Admin",
    ),
)


def spec(path: str) -> PageSpec:
    return next(p for p in PAGES if p.path == path)


def page_script(path: str) -> str:
    """The file ``st.switch_page`` and ``st.page_link`` need for the page at ``path``
    (``"pages/draft.py"``): absolute, since they resolve relative paths from the main script."""
    return str(spec(path).script)
