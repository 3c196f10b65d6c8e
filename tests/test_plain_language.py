"""Plain language: every statistic has its everyday meaning beside it, and the Leaderboard and
Feedback pages say which prompt and version their figures come from."""

from __future__ import annotations

from sqlalchemy import Engine

from workbench.projects import project_records
from workbench.ui.shell import meanings


def captions(at) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(c.value) for c in at.caption)


def on_hr(app, app_db: Engine, page: str):  # type: ignore[no-untyped-def]
    """``page`` on the demo's HR project, whose answers are rated and voted on."""
    at = app(page=page)
    hr = project_records.find_project(app_db, "HR handbook assistant")
    at.selectbox(key="sidebar_project").set_value(hr.id).run()  # type: ignore[union-attr]
    assert not at.exception
    return at


def test_the_leaderboard_names_its_prompt_versions_and_explains_its_figures(app, app_db: Engine) -> None:  # type: ignore[no-untyped-def]
    at = on_hr(app, app_db, "pages/leaderboard.py")
    shown = captions(at)
    assert "votes on: HR policy answer · v2 (5)" in shown  # what the model ranking rests on
    assert "ratings of: HR policy answer · v" in shown
    for meaning in (meanings.BRADLEY_TERRY, meanings.WIN_RATE, meanings.INTERVAL, meanings.AVERAGE_SCORE):
        assert meaning in shown


def test_feedback_names_its_prompt_and_versions_and_explains_agreement(app, app_db: Engine) -> None:  # type: ignore[no-untyped-def]
    at = on_hr(app, app_db, "pages/feedback.py")
    shown = captions(at)
    assert "Showing **HR policy answer**, versions v1" in shown
    for meaning in (meanings.ALPHA, meanings.KAPPA, meanings.INTERVAL):
        assert meaning in shown
    assert any(m.help == meanings.ALPHA for m in at.metric if "α" in m.label)
    assert any(s.value.startswith("Low-rated answers of v") for s in at.subheader)


def test_the_library_explains_its_pass_rate(app) -> None:  # type: ignore[no-untyped-def]
    at = app(page="pages/library.py")
    assert not at.exception
    assert meanings.PASS_RATE in captions(at)
