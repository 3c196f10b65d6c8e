"""What an "Improve on the bench" run shows: the verdict, before and after on each share with what
the figures mean, the cases it fixed and broke, the diff, every candidate with its scores, the
steps it took, and what it used; and the way to promote a saved candidate."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from workbench.improve.optimization_report import SHARE_NAMES, OptimizationReport
from workbench.models.pricing import money
from workbench.ui.authoring import label_panels
from workbench.ui.authoring.diff_view import show_template_diff
from workbench.ui.shell.nav import page_script
from workbench.ui.shell.page import literal

PERCENT = st.column_config.NumberColumn(format="percent")
SCORE = st.column_config.NumberColumn(format="%.2f")


def verdict(report: OptimizationReport) -> None:
    """The run's verdict in its own words; a saved candidate comes with the way to promote it."""
    run = report.optimization
    text = literal(run.message or "Still running: the figures below grow as candidates are tested.")
    if run.outcome == "improved":
        st.success(text, icon=":material/check_circle:")
        number = report.saved_number
        if st.button(
            f"Promote v{number} on the Versions page…",
            icon=":material/label:",
            key=f"optimize_promote_{run.id}",
            help="Opens Versions with 'production' set to point at this version; you press Move label there.",
        ):
            label_panels.ask_to_move(run.prompt_id, run.saved_version_id, "production")  # type: ignore[arg-type]
            st.switch_page(page_script("pages/versions.py"))
    elif run.outcome == "failed":
        st.error(text, icon=":material/error:")
    elif run.outcome == "cancelled":
        st.warning(text, icon=":material/stop:")
    else:
        st.info(text, icon=":material/info:")


def _delta(before: float | None, after: float | None, unit: str) -> str | None:
    if before is None or after is None:
        return None
    return f"{(after - before) * 100:+.0f} pts" if unit == "pts" else f"{after - before:+.2f}"


def headline(report: OptimizationReport) -> None:
    """Before → after on each share, then calls and cost."""
    columns = st.columns(4)
    for column, row in zip(columns, report.shares(), strict=False):
        after = row.after
        name = SHARE_NAMES[row.share].capitalize()
        column.metric(
            f"{name} pass rate ({row.cases} cases)",
            f"{after.pass_rate:.0%}" if after and after.pass_rate is not None else "not tested",
            delta=_delta(row.before.pass_rate, after.pass_rate if after else None, "pts"),
            help=f"Before: {row.before.text()}. After: {after.text() if after else 'not tested'}.",
        )
    run = report.optimization
    columns[2].metric("Calls", f"{run.calls_used} of {run.max_calls}", help="Calls that reached a model.")
    columns[3].metric("Cost", money(run.cost_usd), help="At the prices in Settings.")


def before_after(report: OptimizationReport) -> None:
    title = "After" if report.confirmed else "Best candidate"
    rows = [
        {
            "Cases": f"{SHARE_NAMES[row.share]} ({row.cases})",
            "Pass rate before": row.before.pass_rate,
            f"Pass rate {title.lower()}": row.after.pass_rate if row.after else None,
            "Mean check score before": row.before.score,
            f"Mean check score {title.lower()}": row.after.score if row.after else None,
        }
        for row in report.shares()
    ]
    frame = pd.DataFrame(rows)
    config = {c: (PERCENT if "Pass" in c else SCORE) for c in frame.columns if c != "Cases"}
    st.dataframe(frame, hide_index=True, width="stretch", column_config=config)
    with st.expander("What these figures mean"):
        st.markdown("\n".join(f"- {line}" for line in report.meanings()))


def case_changes(report: OptimizationReport) -> None:
    found = report.case_changes()
    if not found:
        st.caption("No candidate was tested on the same cases as the starting version yet.")
        return
    counts = pd.Series([c.change for _, _, c in found]).value_counts()
    st.caption(
        f"Fixed {counts.get('fixed', 0)}, broken {counts.get('broken', 0)}, "
        f"{counts.get('still passes', 0)} still pass, {counts.get('still fails', 0)} still fail."
    )
    frame = pd.DataFrame(
        {
            "Cases": [SHARE_NAMES[share] for share, _, _ in found],
            "Case": [name for _, name, _ in found],
            "Change": [c.change for _, _, c in found],
            "Before": [c.before.failures or "passes" if c.before else "" for _, _, c in found],
            "After": [c.after.failures or "passes" if c.after else "" for _, _, c in found],
        }
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={"After": st.column_config.TextColumn(width="large")},
    )


def diff(report: OptimizationReport) -> None:
    found = report.diff()
    if found is None:
        st.caption("No candidate to compare yet.")
        return
    number = report.plan.version.number
    right = f"v{report.saved_number} (saved)" if report.saved_number else "best candidate"
    show_template_diff(found, f"v{number} (started from)", right)


def candidates(report: OptimizationReport) -> None:
    table = report.candidate_table()
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "Training pass rate": PERCENT,
            "Held-out pass rate": PERCENT,
            "Training score": SCORE,
            "Reason": st.column_config.TextColumn(width="large"),
        },
    )
    by_id = {f"#{c.id}": c for c in report.candidates}
    shown = st.selectbox(
        "Read a candidate's prompt", list(by_id), key=f"optimize_read_{report.optimization.id}"
    )
    chosen = by_id[shown]
    st.caption("System message")
    st.code(chosen.system_template or "(none)", language=None, wrap_lines=True)
    st.caption("User message")
    st.code(chosen.user_template, language=None, wrap_lines=True)


def settings_used(report: OptimizationReport) -> None:
    plan = report.plan
    names = {i: c.name or f"Case {i + 1}" for i, c in enumerate(plan.bench.cases)}
    rows = {
        "Version": f"v{plan.version.number}",
        "Model the prompt runs on": plan.model.label,
        "Model that proposed edits": plan.proposer.label,
        "Judge": f"{plan.bench.judge.endpoint} · {plan.bench.judge.model}" if plan.bench.judge else "—",
        "Rounds × candidates": f"{plan.search.rounds} × {plan.search.per_round}",
        "Cases to learn from": ", ".join(names[i] for i in plan.train),
        "Held-out cases": ", ".join(names[i] for i in plan.heldout),
        "Split seed": str(plan.search.seed),
        "Ceiling": f"{plan.max_calls} calls (the full search: {plan.estimate.calls})",
    }
    st.dataframe(
        pd.DataFrame({"Setting": list(rows), "Value": list(rows.values())}), hide_index=True, width="stretch"
    )
    log = report.optimization.summary.get("log", [])
    if log:
        st.markdown("**Steps**\n" + "\n".join(f"- {literal(line)}" for line in log))


def show(report: OptimizationReport) -> None:
    verdict(report)
    headline(report)
    before_after(report)
    changes, diff_tab, tried, used = st.tabs(
        ["Cases fixed and broken", "Diff", "Candidates", "Settings used"]
    )
    with changes:
        case_changes(report)
    with diff_tab:
        diff(report)
    with tried:
        candidates(report)
    with used:
        settings_used(report)
