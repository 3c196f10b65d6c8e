"""What an evaluation shows: headline figures, the version × model heatmap, the per-case grid
with the failing checks and their reasons, regressions, what it used, and two side by side."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from workbench.evals import scoring
from workbench.evals.assertions import describe
from workbench.evals.evaluations import EvaluationReport
from workbench.evals.past_runs import Comparison
from workbench.ui.shell.meanings import PASS_RATE, explain
from workbench.ui.shell.safe_markdown import safe_markdown

GREEN, RED = "#d9f2e3", "#f9dede"


def heatmap(matrix: pd.DataFrame, title: str, *, change: bool = False) -> None:
    """Versions down, models across, the percentage written in each cell."""
    if matrix.empty:
        st.caption("No answers to chart.")
        return
    values = [[None if pd.isna(v) else float(v) for v in row] for row in matrix.to_numpy(dtype=float)]
    if change:
        text = [[f"{v * 100:+.0f} pts" if v is not None else "" for v in row] for row in values]
        scale = dict(colorscale="RdYlGn", zmin=-1, zmax=1, zmid=0)
    else:
        text = [[f"{v:.0%}" if v is not None else "" for v in row] for row in values]
        scale = dict(colorscale="RdYlGn", zmin=0, zmax=1)
    figure = go.Figure(
        go.Heatmap(
            z=values,
            x=list(matrix.columns),
            y=list(matrix.index),
            text=text,
            texttemplate="%{text}",
            textfont={"size": 18},
            hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
            showscale=False,
            xgap=3,
            ygap=3,
            **scale,
        )
    )
    figure.update_layout(
        title={"text": title, "font": {"size": 15}, "y": 1, "yanchor": "top", "pad": {"t": 6}},
        height=150 + 70 * len(matrix.index),
        margin={"l": 0, "r": 0, "t": 85, "b": 0},
        xaxis={"side": "top", "tickfont": {"size": 13}},
        yaxis={"autorange": "reversed", "tickfont": {"size": 14}, "type": "category"},
    )
    st.plotly_chart(figure, width="stretch", config={"displayModeBar": False})


def figures(report: EvaluationReport) -> None:
    summary = report.summary
    if report.evaluation.status == "cancelled" and not summary.get("answered", summary["total"]):
        st.warning(
            "Cancelled before any answer came back, so nothing was checked. This evaluation has no "
            "pass rate and is left out of the Library and Insights; run it again to get one. The Cases "
            "tab says what happened to each call.",
            icon=":material/cancel:",
        )
        return
    if summary["total"] and not summary.get("answered", summary["total"]):
        st.error(
            f"Failed: none of the {summary['total']} calls returned an answer, so nothing was checked. "
            "This evaluation has no pass rate and is left out of the Library and Insights. The Cases "
            "tab says why each call failed.",
            icon=":material/error:",
        )
        return
    target = report.config.min_pass_rate
    cells = summary["cells"]
    best = max(cells, key=lambda c: c["pass_rate"]) if cells else None
    a, b, c, d = st.columns(4)
    rate = summary["pass_rate"]
    a.metric(
        "Pass rate",
        f"{rate:.0%}" if rate is not None else "—",
        help="Share of all answers that pass every check.",
    )
    b.metric("Answers passing", f"{summary['passed']} of {summary['total']}")
    c.metric(
        "Regressions", summary["regressions"], help="Cases that pass in one version and fail in the next."
    )
    if best is not None:
        d.metric("Best", f"{best['pass_rate']:.0%}", help=f"{best['version']} · {best['model']}")
        d.caption(safe_markdown(f"{best['version']} · {best['model']}"))
    if target is not None and cells:
        reached = [f"{x['version']} · {x['model']}" for x in cells if x["pass_rate"] >= target]
        verdict = ", ".join(reached) if reached else "none"
        st.caption(f"Target {target:.0%}: reached by {verdict}.")
    explain([PASS_RATE, "**Regressions**: cases that pass in one version and fail in the next one."])


def _colour(value: object) -> str:
    text = str(value)
    if text.startswith(scoring.PASS):
        return f"background-color: {GREEN}"
    if text.startswith(scoring.FAIL):
        return f"background-color: {RED}"
    return ""


def case_grid(report: EvaluationReport) -> None:
    grid = report.grid
    if grid.empty:
        st.caption("No answers yet.")
        return
    st.dataframe(grid.style.map(_colour), width="stretch", height=min(38 + 35 * len(grid), 600))
    failing = report.frame[~report.frame.passed]
    if failing.empty:
        st.success("Every case passed on every version and model.", icon=":material/check_circle:")
        return
    st.markdown(f"**Failing checks and why** ({len(failing)} answers)")
    columns = ["case", "version", "model", "failures"]
    if "context" in failing and failing["context"].astype(bool).any():
        columns.append("context")  # the passages retrieved for the answer
    shown = failing[columns].rename(
        columns={"failures": "failing checks and reasons", "context": "context given (documents)"}
    )
    st.table(shown.set_index("case"))  # a plain table: long reasons wrap instead of being cut


def regressions(report: EvaluationReport) -> None:
    if len(report.config.versions) < 2:
        st.caption("Pick two or more versions to see cases that pass in one version and fail in the next.")
        return
    found = report.regressions
    changes = scoring.changes(report.frame)
    fixes = changes[changes.change == "fix"]
    if found.empty:
        st.success("No regressions: no case passes in one version and fails in the next.")
    else:
        st.warning(f"{len(found)} regression(s): these cases passed in one version and fail in the next.")
        st.dataframe(
            found.rename(
                columns={"from_version": "passes in", "to_version": "fails in", "reason": "why it fails"}
            ),
            hide_index=True,
            width="stretch",
        )
    if not fixes.empty:
        st.caption(f"{len(fixes)} fix(es): cases that failed in one version pass in the next.")


def settings_used(report: EvaluationReport) -> None:
    """Exactly what the evaluation ran with: its snapshot, not today's data."""
    config = report.config
    evaluation = report.evaluation
    when = evaluation.created_at.strftime("%Y-%m-%d %H:%M") if evaluation.created_at else "?"
    judge = f"{config.judge.endpoint} · {config.judge.model}" if config.judge else "none"
    st.caption(
        f"Run on {when} by {evaluation.created_by or 'someone'} · status {evaluation.status} · "
        f"{config.concurrency} calls at once · judge: {judge}"
    )
    rows = [
        {"version": v.label, "model": m.label, "settings": config.call_settings(v, m).summary()}
        for v in config.versions
        for m in config.models
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    cases = [
        {
            "case": c.name,
            **{f"{k}": str(v) for k, v in c.variables.items()},
            "expected": c.expected or "",
            "checks": "; ".join(describe(a) for a in c.assertions),
        }
        for c in config.cases
    ]
    st.dataframe(pd.DataFrame(cases), hide_index=True, width="stretch")


def comparison(found: Comparison) -> None:
    before, after = found.before.evaluation.id, found.after.evaluation.id
    heatmap(found.delta_matrix(), f"Pass-rate change from #{before} to #{after}", change=True)
    rates = found.rates()
    if rates.empty:
        st.info("These two evaluations share no version × model to compare.")
        return
    shown = rates.assign(
        before=[f"{v:.0%}" for v in rates.before],
        after=[f"{v:.0%}" for v in rates.after],
        change=[f"{v * 100:+.0f} pts" for v in rates.change],
    )
    st.dataframe(
        shown.rename(columns={"before": f"#{before}", "after": f"#{after}"}), hide_index=True, width="stretch"
    )
    changed = found.case_changes()
    if changed.empty:
        st.caption("Every case that both ran has the same verdict in both.")
    else:
        st.markdown(f"**Cases whose verdict changed** ({len(changed)})")
        st.dataframe(
            changed.rename(
                columns={"before": f"#{before}", "after": f"#{after}", "reason": f"why it fails in #{after}"}
            ),
            hide_index=True,
            width="stretch",
        )
