"""The test-case table editor: one column per variable and per assertion type, ids hidden."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from workbench.evals.assertions import TYPES
from workbench.evals.cells import column_for


def cases_editor(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """An editable table of ``frame`` (from ``cases.cases_frame(..., with_id=True)``).

    Medium widths keep the assertion columns in view next to long questions; each assertion
    column's header help says when it passes.
    """
    config: dict[str, Any] = {column: st.column_config.TextColumn(width="medium") for column in frame.columns}
    config["id"] = None
    for name, kind in TYPES.items():
        config[column_for(name)] = st.column_config.TextColumn(
            width="medium", help=f"Passes when {kind.passes_when}."
        )
    return st.data_editor(
        frame, key=key, num_rows="dynamic", hide_index=True, column_config=config, width="stretch"
    )
