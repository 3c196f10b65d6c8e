"""'Did the swap help?': the release a label serves now beside the one it served before, the
figures in a table with what each change means, the label's changes, and a button that puts the
previous release back (a rollback, admins only when sign-in is on)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from workbench.monitor import swap
from workbench.monitor.figures import Figures
from workbench.monitor.swap import ReleaseInUse, SwapView
from workbench.prompts import label_history
from workbench.store.engine import session_scope
from workbench.ui.shell import auth, state

FLASH = "monitor_flash"
VERDICTS = {
    "better": "✓ better",
    "worse": "✗ worse",
    "same": "≈ no clear change",
    "unclear": "… too early",
    "none": "",
}


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _card(title: str, release: ReleaseInUse, key: str) -> None:
    f: Figures = release.figures
    with st.container(border=True, key=key):
        st.markdown(f"**{title}** · {release.text}")
        since = f"serving since {release.since:%d %b %Y, %H:%M} UTC" if release.since else ""
        st.caption(" · ".join(bit for bit in (since, release.bench.text if release.bench else "") if bit))
        top = st.columns(3)
        top[0].metric("Answers served", f"{f.answers:,}")
        top[1].metric(
            "Thumbs up", _share(f.thumbs_up_share), help=f"{f.thumbs_up} of {f.thumbs} answers with a thumb"
        )
        top[2].metric("Feedback score", "—" if f.feedback_score is None else f"{f.feedback_score:.2f} / 5")
        low = st.columns(3)
        low[0].metric("Speed p95", "—" if f.latency_p95_ms is None else f"{f.latency_p95_ms:,.0f} ms")
        per_thousand = None if f.cost_per_answer is None else f.cost_per_answer * 1000
        low[1].metric(
            "Cost per 1,000 answers", swap.usd(per_thousand), help=f"{swap.usd(f.cost_per_answer)} per answer"
        )
        low[2].metric("Errors", _share(f.error_share), help=f"{f.errors} of {f.answers} answers failed")


def _comparison_table(view: SwapView) -> None:
    """A plain table (it wraps, so every sentence reads in full)."""
    st.table(
        pd.DataFrame(
            {
                "Before": [c.before for c in view.comparisons],
                "Now": [c.after for c in view.comparisons],
                "Change": [VERDICTS[c.verdict] for c in view.comparisons],
                "What it means": [c.meaning for c in view.comparisons],
            },
            index=pd.Index([c.figure for c in view.comparisons], name="Figure"),
        )
    )


def _changes(view: SwapView) -> None:
    st.markdown(f"**Changes to '{view.label}'**")
    st.dataframe(
        pd.DataFrame(
            {
                "When": [m.moved_at for m in view.moves],
                "What": [m.kind for m in view.moves],
                "Version": [
                    f"{'—' if m.from_number is None else f'v{m.from_number}'} → v{m.to_number}"
                    for m in view.moves
                ],
                "Model": [m.model_change for m in view.moves],
                "By": [m.moved_by for m in view.moves],
                "Note": [m.note for m in view.moves],
            }
        ),
        hide_index=True,
        width="stretch",
        key="monitor_changes",
        column_config={"When": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm")},
    )


def _put_back(engine: Engine, project_id: int, prompt_id: int, view: SwapView) -> None:
    previous = view.previous
    if previous is None:
        return
    if st.button(
        f"Put the previous release back ({previous.text})",
        key="monitor_roll_back",
        icon=":material/undo:",
        help="Rolls the label back: applications get the previous version, model and settings on their "
        "next get_prompt. Nothing is deleted; you can move it forward again on the Versions page.",
    ) and auth.allowed("label.move", project_id):
        with session_scope(engine) as session:
            label_history.roll_back(
                session,
                prompt_id=prompt_id,
                name=view.label,
                to_release_id=previous.release_id,
                actor=state.user_name(),
                note="rolled back from the Monitor",
            )
        st.session_state[FLASH] = f"'{view.label}' rolled back: it serves {previous.text} again."
        st.rerun()


def show(
    engine: Engine, project_id: int, prompt_id: int, label: str, since: datetime, until: datetime
) -> None:
    """The swap view of ``label`` over the chosen days."""
    flash = st.session_state.pop(FLASH, None)
    if flash:
        st.success(flash, icon=":material/check_circle:")
    view = swap.swap_view(engine, prompt_id, label, since=since, until=until)
    if view is None:
        return
    st.subheader("Did the swap help?")
    last = view.moves[0]
    st.markdown(
        f"Last change to '{label}': **{last.kind}** on {last.moved_at:%d %b %Y, %H:%M} UTC by "
        f"{last.moved_by or '—'} · {last.model_change}" + (f" · {last.note}" if last.note else "")
    )
    if view.previous is None:
        st.caption(f"'{label}' has served one release so far. When it moves, the two are compared here.")
        _card("Now", view.current, "monitor_now")
    else:
        st.caption(
            f"What '{label}' serves now beside what it served before, over the chosen days. "
            "Ranges are 95 % ranges: where they do not overlap, the change is very unlikely to be chance."
        )
        before, now = st.columns(2)
        with before:
            _card("Before", view.previous, "monitor_before")
        with now:
            _card("Now", view.current, "monitor_now")
        _comparison_table(view)
        _put_back(engine, project_id, prompt_id, view)
    _changes(view)
