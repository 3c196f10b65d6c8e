"""CSV and Excel exports, read back by their real consumers (pandas, openpyxl): one row per
answer with ratings, tags, comments and assertion results; formula-like text stays text."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import Engine, update
from sqlmodel import select

from tests.library_support import add_evaluation, demo
from workbench.demo.seed import seed_demo
from workbench.errors import InvalidInput
from workbench.exports import csv_xlsx
from workbench.exports.key_scrub import Scrubber
from workbench.exports.scope import Selection, resolve
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.tables import Output

NO_SECRETS = Scrubber()


def read_csv(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)


def test_csv_has_one_row_per_answer_with_everything_said_about_it(seeded_engine: Engine) -> None:
    add_evaluation(seeded_engine, demo(seeded_engine).hr)
    made = csv_xlsx.export_table(seeded_engine, Selection(), "csv", actor="Ann", scrub=NO_SECRETS)
    assert made.data.startswith(b"\xef\xbb\xbf") and made.filename.endswith(".csv")
    frame = read_csv(made.data)
    assert list(frame.columns) == csv_xlsx.COLUMNS
    assert len(frame) == 24 == made.counts["outputs"]
    row = frame[frame["ratings"].str.contains(";")].iloc[0]  # an answer both demo raters rated
    assert row["project"] == "HR handbook assistant" and row["prompt"] == "HR policy answer"
    assert row["version"] in {"1", "2"} and row["model"].startswith("Local fake server · fake-")
    assert row["variables"].startswith('{"question": ')
    assert row["rating_count"] == "2" and 1 <= float(row["average_score"]) <= 5
    assert row["created_at"].endswith("Z") and row["status"] == "ok"
    lazy = frame[frame["model"].str.endswith("fake-lazy")].iloc[0]
    assert lazy["assertion_results"] == "contains: pass; length: fail (too long: 95 words > 80)"
    assert lazy["assertions_passed"] == "no"
    assert set(frame["assertions_passed"]) == {"yes", "no"}
    tagged = frame[frame["tags"] != ""]
    assert len(tagged) and tagged["tags"].str.contains(r"^[a-z ×0-9,-]+$").all()
    assert (frame["comments"] != "").any()


def test_excel_reads_back_with_text_never_formulas(seeded_engine: Engine) -> None:
    with session_scope(seeded_engine) as session:
        session.execute(update(Output).where(Output.id == 1).values(text='=HYPERLINK("http://x")\x07 bell'))
        session.execute(update(Output).where(Output.id == 2).values(text="ünïcode ✓ " + "x" * 40_000))
    made = csv_xlsx.export_table(seeded_engine, Selection(), "xlsx", actor="Ann", scrub=NO_SECRETS)
    book = openpyxl.load_workbook(io.BytesIO(made.data))
    assert book.sheetnames == ["Outputs", "About"]
    sheet = book["Outputs"]
    header = [c.value for c in sheet[1]]
    assert header == csv_xlsx.COLUMNS
    cells = {row[header.index("output_id")].value: row for row in sheet.iter_rows(min_row=2)}
    formula_like = cells[1][header.index("output")]
    assert formula_like.data_type == "s" and formula_like.value == '=HYPERLINK("http://x") bell'
    long_text = cells[2][header.index("output")].value
    assert long_text.startswith("ünïcode ✓") and len(long_text) == csv_xlsx.EXCEL_CELL_LIMIT
    assert sheet.max_row == 25
    frame = pd.read_excel(io.BytesIO(made.data), sheet_name="Outputs")
    assert len(frame) == 24 and frame["rating_count"].sum() == 30
    assert pd.api.types.is_datetime64_any_dtype(frame["created_at"])


def test_selection_by_project_prompt_and_rating(seeded_engine: Engine) -> None:
    ids = demo(seeded_engine)

    def only(selection: Selection) -> pd.DataFrame:
        return read_csv(
            csv_xlsx.export_table(seeded_engine, selection, "csv", actor="a", scrub=NO_SECRETS).data
        )

    assert only(Selection(project_ids=(ids.customer_project,))).empty  # no answers there yet
    assert len(only(Selection(prompt_ids=(ids.hr,)))) == 24
    assert only(Selection(allowed_project_ids=frozenset({ids.customer_project}))).empty
    rated = only(Selection(min_score=4.0))
    assert len(rated) and (rated["average_score"].astype(float) >= 4.0).all()
    assert len(rated) < 24
    assert resolve(seeded_engine, prompts=["HR handbook assistant/HR policy answer"]).prompt_ids == (ids.hr,)


def test_empty_selection_still_has_the_header(seeded_engine: Engine) -> None:
    ids = demo(seeded_engine)
    made = csv_xlsx.export_table(
        seeded_engine, Selection(project_ids=(ids.customer_project,)), "xlsx", actor="a", scrub=NO_SECRETS
    )
    assert [c.value for c in openpyxl.load_workbook(io.BytesIO(made.data))["Outputs"][1]] == csv_xlsx.COLUMNS


def test_exports_are_audited(seeded_engine: Engine) -> None:
    csv_xlsx.export_table(seeded_engine, Selection(min_score=3.0), "csv", actor="Ann", scrub=NO_SECRETS)
    event = audit.search(seeded_engine, actions=["export.csv"])[0]
    assert event.actor == "Ann" and event.after["min_score"] == 3.0 and event.after["outputs"] > 0


def test_unknown_table_format_is_refused(seeded_engine: Engine) -> None:
    with pytest.raises(InvalidInput, match="csv or xlsx"):
        csv_xlsx.export_table(seeded_engine, Selection(), "ods", actor="a", scrub=NO_SECRETS)


TRICKY = [
    "a, b and c",
    'she said "hi"',
    "two\nlines",
    "carriage\rreturn",
    "windows\r\nline",
    "ünïcode ✓ · «»",
    "",
    "  spaced  ",
    '",\n',
]


def reference_csv(engine: Engine, selection: Selection) -> bytes:
    """What ``csv.writer`` makes of the typed rows (the export's definition)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(csv_xlsx.COLUMNS)
    writer.writerows(csv_xlsx.output_rows(engine, selection))
    return buffer.getvalue().encode("utf-8-sig")


def test_csv_is_byte_for_byte_what_csv_writer_writes_on_each_backend(
    storage_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_demo(storage_engine)
    with session_scope(storage_engine) as session:
        ids = list(session.exec(select(Output.id).order_by(Output.id)))  # type: ignore[call-overload]
        for n, output_id in enumerate(ids):
            session.execute(
                update(Output)
                .where(Output.id == output_id)
                .values(
                    text=TRICKY[n % len(TRICKY)] + f" #{n}",
                    variables={"question": TRICKY[(n + 3) % len(TRICKY)], "n": n},
                    error_message=None if n % 2 else TRICKY[(n + 1) % len(TRICKY)],
                    latency_ms=None if n % 5 == 0 else 1000 / (n + 3),
                    cost_usd=None if n % 7 == 0 else 5e-05 * n,
                    tokens_in=None if n % 4 == 0 else n,
                    created_at=datetime(2026, 5, 1, 12, 0, n % 60, 1234 * n, tzinfo=UTC),
                )
            )
    for selection in (Selection(), Selection(min_score=3.0), Selection(prompt_ids=(ids[0],))):
        expected = reference_csv(storage_engine, selection)
        made = csv_xlsx.export_table(storage_engine, selection, "csv", actor="a", scrub=NO_SECRETS)
        assert made.data == expected
        monkeypatch.setattr(csv_xlsx, "CHUNK_IDS", 5)  # many ranges: ids cross range boundaries
        assert (
            csv_xlsx.export_table(storage_engine, selection, "csv", actor="a", scrub=NO_SECRETS).data
            == expected
        )
        monkeypatch.undo()
    frame = read_csv(
        csv_xlsx.export_table(storage_engine, Selection(), "csv", actor="a", scrub=NO_SECRETS).data
    )
    assert list(frame["output_id"].astype(int)) == ids  # every output once, oldest first
    assert frame["output"].str.startswith(tuple(t.strip() for t in TRICKY if t.strip())).any()
    assert (frame["variables"].str.contains("ünïcode")).any()  # stored escaped, shown as itself


def test_a_column_of_texts_and_gaps_is_quoted_as_csv_writer_quotes_it() -> None:
    column = ("plain", None, 'say "hi"', "a,b", "two\nlines", "cr\r", "", None, "ok")
    buffer = io.StringIO()
    csv.writer(buffer).writerow(column)
    assert ",".join(csv_xlsx._csv_column(column)) + "\r\n" == buffer.getvalue()
