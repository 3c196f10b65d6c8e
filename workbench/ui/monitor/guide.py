"""The Monitor's guides: how an application reports answers (when none arrived yet), and what
each figure means in everyday words."""

from __future__ import annotations

import streamlit as st

READING = """
- **Answers served**: how many answers applications gave with this prompt, per release and day.
- **Speed, p50 / p95 / p99**: half of the answers came faster than p50; 95 of every 100 faster
  than p95; 99 of every 100 faster than p99. p95 is what the slow end of your users lives with.
- **Cost per answer**: the average cost of an answer that worked, from the tokens used and the
  model's prices in Settings.
- **Thumbs up**: of the answers end users gave a thumb, the share that were up. **Feedback
  score**: the average of the 1-5 scores they gave.
- **Errors**: answers that failed (the model was unreachable, refused, or the data policy stopped
  the call). The application got an error instead of an answer.
- **Ranges**: "likely 84–91 %" means the true figure is very probably in that range, given how
  many answers there were. Few answers give wide ranges. When the ranges before and now do not
  overlap, the change is very unlikely to be chance; when they overlap, wait for more answers.
- **Bench pass rate**: how the release's version and model did on the bench (Evaluate page)
  before it served anyone. **Reviewers' rating**: what reviewers gave answers in use sent to Review.
- Days are UTC days. Personal data in what applications report is counted, and in confidential
  and restricted projects only the redacted text is kept.
"""


def no_answers_yet(prompt_name: str, label: str | None) -> None:
    st.info(
        "No answers reported for these days yet. Applications report every answer they serve when "
        "they call the prompt through the workbench:",
        icon=":material/info:",
    )
    st.code(
        f"""import workbench

prompt = workbench.get_prompt({prompt_name!r}, label={(label or "production")!r}, source="my-app")
answer = prompt.complete(**variables)          # calls the release's model, reports the answer
show(answer.text)
workbench.record_feedback(answer.id, thumbs="up", comment="…")   # when the end user says so
# Calling the model another way? prompt.record(variables=..., text=..., latency_ms=...)""",
        language="python",
    )


def how_to_read() -> None:
    with st.expander("How to read these figures", icon=":material/help:"):
        st.markdown(READING)
