"""The Export page's download buttons and import forms.

Downloads are built only when clicked: each button gets a function (Streamlit runs it on its
own thread at the click), so drawing the page never exports 200,000 rows. Whatever the
function needs from the session (the person's name, the secrets to scrub) is captured while
the page runs, because session state is not reachable from that thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from workbench.evals import cases
from workbench.exports import backup, csv_xlsx, finetune, personal_data, promptfoo, prompts_csv
from workbench.exports.files import ZIP_MIME
from workbench.exports.key_scrub import Scrubber, scrubber
from workbench.exports.scope import Selection
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.ui.shell import state
from workbench.ui.shell.key_lookup import lookup_key
from workbench.ui.shell.safe_markdown import safe_markdown

JSONL_MIME = "application/jsonl"


def page_scrubber(engine: Engine) -> Scrubber:
    """Secrets from the environment and from secrets.toml (read now, on the page's thread)."""
    return scrubber(engine, lookup_key)


def download(
    label: str, build: Callable[[], bytes], file_name: str, mime: str, key: str, **kwargs: Any
) -> None:
    st.download_button(
        label,
        data=build,
        file_name=file_name,
        mime=mime,
        key=key,
        on_click="ignore",
        icon=":material/download:",
        **kwargs,
    )


def personal_data_choice(engine: Engine, selection: Selection, key: str) -> bool:
    """Whether to redact personal data (on by default when a confidential or restricted project
    is in the selection; the person may switch it off), said plainly next to the buttons."""
    found = personal_data.in_export(engine, selection)
    if not found.projects:
        return True
    redact = st.checkbox(
        "Redact personal data",
        value=True,
        key=key,
        help="E-mail addresses, phone numbers, card numbers, listed names... become [EMAIL_1]-style placeholders.",
    )
    st.caption(safe_markdown(personal_data.in_export(engine, selection, redact=redact).note()))
    return redact


def table_downloads(engine: Engine, selection: Selection, scrub: Scrubber) -> None:
    actor = state.user_name()
    redact = personal_data_choice(engine, selection, "export_table_redact")
    left, right, _ = st.columns([1, 1, 2])
    for column, fmt, label in ((left, "csv", "CSV"), (right, "xlsx", "Excel")):
        with column:
            download(
                label,
                lambda fmt=fmt: (
                    csv_xlsx.export_table(  # type: ignore[misc]
                        engine, selection, fmt, actor=actor, scrub=scrub, redact_personal_data=redact
                    ).data
                ),
                f"workbench-outputs.{fmt}",
                csv_xlsx.MIME[fmt],
                f"export_{fmt}",
            )


def finetune_summary(summary: dict) -> None:
    counts = summary["counts"]
    cols = st.columns(4)
    cols[0].metric("Rated at or above", counts["rated_at_or_above"])
    cols[1].metric("Kept", counts["kept"])
    cols[2].metric("Training", counts["train"])
    cols[3].metric("Validation", counts["validation"])
    left_out = {k: counts[k] for k in ("duplicates", "too_long", "empty_after_cleaning")}
    st.caption(
        f"Left out: {left_out['duplicates']} duplicates, {left_out['too_long']} over the token limit, "
        f"{left_out['empty_after_cleaning']} empty after cleaning; {counts['changed_by_cleaning']} answers had "
        "control or replacement characters removed. Tokens are approximate (4 characters per token)."
    )
    for warning in summary.get("warnings", []):
        st.warning(warning, icon=":material/warning:")
    lengths = pd.DataFrame(summary["tokens"]).T.reset_index(names="split")
    st.dataframe(lengths, hide_index=True, width="stretch")


def finetune_downloads(
    engine: Engine, selection: Selection, options: finetune.FineTuneOptions, scrub: Scrubber
) -> None:
    actor = state.user_name()
    redact = personal_data_choice(engine, selection, "export_ft_redact")

    def made() -> finetune.FineTuneExport:
        return finetune.export_finetune(
            engine, selection, options, actor=actor, scrub=scrub, redact_personal_data=redact
        )

    cols = st.columns([1, 1, 1, 1])
    with cols[0]:
        download("train.jsonl", lambda: made().train, "train.jsonl", JSONL_MIME, "export_train")
    with cols[1]:
        download(
            "validation.jsonl", lambda: made().validation, "validation.jsonl", JSONL_MIME, "export_validation"
        )
    with cols[2]:
        download(
            "Both + summary (zip)",
            lambda: made().as_zip().data,
            "workbench-finetune.zip",
            ZIP_MIME,
            "export_ft_zip",
        )
    if cols[3].button("Show the summary", key="export_ft_preview"):
        finetune_summary(finetune.build(engine, selection, options).summary)


def promptfoo_download(engine: Engine, selection: Selection, scrub: Scrubber, single: bool) -> None:
    actor = state.user_name()
    name, mime = (
        ("promptfooconfig.yaml", promptfoo.YAML_MIME) if single else ("workbench-promptfoo.zip", ZIP_MIME)
    )
    download(
        "promptfoo configuration" + ("" if single else " (zip, one folder per prompt)"),
        lambda: promptfoo.export_promptfoo(engine, selection, actor=actor, scrub=scrub).data,
        name,
        mime,
        "export_promptfoo",
    )


def backup_download(engine: Engine, scrub: Scrubber) -> None:
    actor = state.user_name()
    download(
        "Full backup (JSON)",
        lambda: backup.export_backup(engine, actor=actor, scrub=scrub).data,
        "workbench-backup.json",
        backup.MIME,
        "export_backup",
    )


def prompts_download(engine: Engine, selection: Selection, scrub: Scrubber) -> None:
    actor = state.user_name()
    download(
        "Prompts (CSV, latest versions)",
        lambda: prompts_csv.export_prompts(engine, selection, actor=actor, scrub=scrub).data,
        "workbench-prompts.csv",
        "text/csv",
        "export_prompts_csv",
    )


def import_prompts_form(engine: Engine, allowed: set[int] | None) -> None:
    st.markdown("**Prompts** (CSV or Excel): one row per prompt or new version.")
    st.download_button(
        "Example file",
        prompts_csv.template_csv(),
        "prompts-example.csv",
        "text/csv",
        key="import_prompts_example",
        on_click="ignore",
    )
    upload = st.file_uploader("Prompts file", type=["csv", "xlsx"], key="import_prompts_file")
    if upload is not None and st.button("Import prompts", key="import_prompts_btn", type="primary"):
        with session_scope(engine) as session:
            counts = prompts_csv.import_prompts(
                session,
                upload.getvalue(),
                upload.name,
                actor=state.user_name() or "anonymous",
                allowed=allowed,
            )
        st.success(
            f"Imported {upload.name}: {counts['prompts_created']} prompts created, "
            f"{counts['versions_added']} versions added, {counts['labels_set']} labels set."
        )


def import_cases_form(engine: Engine, prompts: dict[int, str]) -> None:
    st.markdown("**Test cases** (CSV or Excel, the Bench page's format) for one prompt.")
    if not prompts:
        st.caption("No prompt to import test cases into.")
        return
    prompt_id = st.selectbox(
        "Prompt", list(prompts), format_func=lambda i: prompts[i], key="import_cases_prompt"
    )
    replace = st.checkbox("Replace its existing test cases", key="import_cases_replace")
    upload = st.file_uploader("Test cases file", type=["csv", "xlsx"], key="import_cases_file")
    if upload is not None and st.button("Import test cases", key="import_cases_btn", type="primary"):
        actor = state.user_name() or "anonymous"
        fmt = upload.name.rsplit(".", 1)[-1].lower()
        with session_scope(engine) as session:
            change = cases.import_cases(
                session, prompt_id, upload.getvalue(), upload.name, actor=actor, replace=replace
            )
            audit.record(
                session,
                actor=actor,
                action=f"import.{fmt}",
                entity_type="prompt",
                entity_id=prompt_id,
                detail=upload.name,
                after={"test_cases": change.added, "replaced": change.deleted},
            )
        st.success(f"Imported {upload.name}: {change}.")


def restore_help() -> None:
    st.markdown(
        "**Full backup**: restore it with the command line into an *empty* database "
        "(a backup never mixes into existing data):"
    )
    st.code(
        "WORKBENCH_DATABASE_URL=sqlite:///data/restored.db workbench import --backup workbench-backup.json",
        language="bash",
    )
    st.caption("Every row is checked before anything is written; one bad row refuses the whole file.")
