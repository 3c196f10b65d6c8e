"""The Monitor page through AppTest: two releases of the demo's "Late order reply" side by side,
the per-day table and its CSV, putting the previous release back, sending answers to Review, and
a KPI on answers in use on the Project page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.monitor_support import point, reporting
from workbench.monitor import api, to_review
from workbench.projects import kpis, project_records
from workbench.prompts import label_history, versions
from workbench.store import audit
from workbench.store.engine import session_scope

PAGE = "pages/monitor.py"
ORDER = {"order_id": "1", "order_date": "May 1", "status": "late", "expected_delivery": "May 9"}


@pytest.fixture
def served(app_db: Engine, tmp_path: Path) -> Iterator[tuple[int, list[str]]]:
    """production of "Late order reply": v1 on Echo served 12 answers (4 liked), then v2 on Echo
    at temperature 0 served 12 (10 liked), all today."""
    prompt = next(p for p in versions.list_prompts(app_db) if p.name == "Late order reply")
    v2, v1 = versions.list_versions(app_db, prompt.id)  # type: ignore[arg-type]
    ids = []
    with reporting(app_db, tmp_path / "spool") as reporter:
        for version, liked, settings in ((v1, 4, {}), (v2, 10, {"temperature": 0.0, "max_tokens": 300})):
            point(app_db, version.id, ("Echo", "echo"), **settings)  # type: ignore[arg-type]
            release = api.app_prompt(app_db, "Late order reply", source="tests")
            for n in range(12):
                answer = release.complete(**ORDER)
                release.feedback(answer.id, thumbs="up" if n < liked else "down")
                ids.append(answer.id)
        assert reporter.flush(30).complete
    yield prompt.id, ids  # type: ignore[misc]


def table_with(at, column: str):  # type: ignore[no-untyped-def]
    """The page's table that has ``column`` (AppTest does not expose a read-only table's key)."""
    [frame] = [d.value for d in at.dataframe if column in d.value.columns]
    return frame


def open_monitor(app, name: str = "Ann"):  # type: ignore[no-untyped-def]
    at = app(page=PAGE)
    at.session_state["rater_name"] = name
    at.run()
    assert not at.exception
    return at


def test_two_releases_side_by_side_with_the_day_table_and_csv(app, served) -> None:  # type: ignore[no-untyped-def]
    at = open_monitor(app)
    markdown = "\n".join(m.value for m in at.markdown)
    assert "**Before** · v1 · Echo · echo · temperature 0.7 · max 300 tokens" in markdown
    assert "**Now** · v2 · Echo · echo · temperature 0 · max 300 tokens" in markdown
    [comparison] = [t.value for t in at.table if "What it means" in t.value.columns]
    thumbs = comparison.loc["Thumbs up"]
    assert (thumbs["Before"], thumbs["Now"]) == ("33% of 12", "83% of 12")
    assert thumbs["What it means"].startswith(("Clearly better", "Could be chance"))
    per_day = table_with(at, "latency_p95_ms")
    assert list(per_day["answers"]) == [12, 12] and sorted(per_day["thumbs_up_share"]) == [4 / 12, 10 / 12]
    assert at.get("plotly_chart") and at.download_button(key="monitor_csv").label == "Download CSV"
    changes = table_with(at, "Version")
    assert list(changes["What"]) == ["moved", "rolled back", "moved", "set"]  # the demo moved it twice before


def test_putting_the_previous_release_back_shows_as_a_rollback(app, app_db: Engine, served) -> None:  # type: ignore[no-untyped-def]
    prompt_id, _ids = served
    at = open_monitor(app)
    at.button(key="monitor_roll_back").click().run()
    assert not at.exception and not at.error
    assert any("rolled back: it serves v1 · Echo · echo" in s.value for s in at.success)
    production = next(s for s in label_history.label_states(app_db, prompt_id) if s.name == "production")
    assert (production.version_number, production.settings) == (1, "temperature 0.7 · max 300 tokens")
    changes = table_with(at, "Version")
    assert (
        changes["What"].iloc[0] == "rolled back" and changes["Note"].iloc[0] == "rolled back from the Monitor"
    )
    markdown = "\n".join(m.value for m in at.markdown)
    assert "**Now** · v1 · Echo · echo" in markdown and "**Before** · v2 · Echo · echo" in markdown


def test_unhappy_answers_go_to_review(app, app_db: Engine, served) -> None:  # type: ignore[no-untyped-def]
    prompt_id, _ids = served
    at = open_monitor(app)
    at.selectbox(key="monitor_review_which").set_value("unhappy").run()
    assert at.button(key="monitor_review_send").label == "Send 10 to Review"
    at.button(key="monitor_review_send").click().run()
    assert not at.exception and any(
        "10 answers are waiting on the Review page" in s.value for s in at.success
    )
    assert to_review.sent_count(app_db, prompt_id) == 10
    assert audit.search(app_db, actions=["monitor.review"])[0].actor == "Ann"


def test_no_answers_yet_shows_how_to_report(app) -> None:  # type: ignore[no-untyped-def]
    at = open_monitor(app)
    assert any("No answers reported for these days yet" in i.value for i in at.info)
    assert "workbench.get_prompt('Late order reply', label='production'" in at.code[0].value


def test_a_kpi_on_answers_in_use_on_the_project_page(app, app_db: Engine, served) -> None:  # type: ignore[no-untyped-def]
    project = project_records.find_project(app_db, "Customer service replies")
    assert project is not None
    criteria = kpis.validate_criteria([{"metric": "in_use_thumbs_up_rate", "op": ">=", "target": 0.8}])
    with session_scope(app_db) as session:
        project_records.update_project(session, project.id, actor="Ann", success_criteria=criteria)  # type: ignore[arg-type]
    at = app(page="pages/project.py")
    assert not at.exception
    [metric] = [m for m in at.metric if m.label.startswith("Thumbs-up share in use")]
    assert metric.label == "Thumbs-up share in use ≥ 80% (last 7 days)"
    assert metric.value == "58.3%" and "Not met" in metric.delta  # 14 of 24 thumbs up


def test_the_csv_download_is_audited(app, app_db: Engine, served) -> None:  # type: ignore[no-untyped-def]
    at = open_monitor(app)
    since = datetime.now(UTC) - timedelta(minutes=5)
    at.download_button(key="monitor_csv").click().run()
    assert not at.exception
    (event,) = audit.search(app_db, actions=["export.monitor_csv"], since=since)
    assert event.after["rows"] == 2  # type: ignore[index]
