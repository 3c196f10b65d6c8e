"""What the Monitor looks at: a label of the prompt and a range of (UTC) days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import streamlit as st
from sqlalchemy import Engine

from workbench.prompts import label_history

DEFAULT_DAYS = 14
LABEL_KEY = "monitor_label"
DAYS_KEY = "monitor_days"


def choose(engine: Engine, prompt_id: int) -> tuple[str | None, datetime, datetime, tuple[date, date]]:
    """(label or ``None`` when the prompt has none, since, until, the days as chosen)."""
    labels = [s.name for s in label_history.label_states(engine, prompt_id)]
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    label = None
    if labels:
        if st.session_state.get(LABEL_KEY) not in labels:
            st.session_state[LABEL_KEY] = "production" if "production" in labels else labels[0]
        label = left.selectbox(
            "Label", labels, key=LABEL_KEY, help="The label applications fetch, e.g. production."
        )
    today = datetime.now(UTC).date()
    chosen = right.date_input(
        "Days (UTC)",
        value=(today - timedelta(days=DEFAULT_DAYS - 1), today),
        max_value=today,
        key=DAYS_KEY,
        help="Answers served on these days, first to last included.",
    )
    first, last = (chosen[0], chosen[-1]) if isinstance(chosen, tuple | list) and chosen else (today, today)
    since = datetime.combine(first, time.min, tzinfo=UTC)
    until = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
    return label, since, until, (first, last)
