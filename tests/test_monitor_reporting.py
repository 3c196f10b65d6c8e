"""Reporting answers in use: many threads at once, every row present and every figure exact;
feedback later by id; bad input refused at once with nothing written; personal data protected."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlmodel import select

from tests.monitor_support import PROMPT, app, make_prompt, point, reporting
from workbench.errors import InvalidInput, NotFound
from workbench.models import endpoints
from workbench.monitor import api, figures
from workbench.projects.kpis import percentile
from workbench.store.engine import session_scope
from workbench.store.release_tables import ServedAnswer

THREADS, PER_THREAD = 8, 1250


def figures_of(n: int) -> dict[str, object]:
    """What answer ``n`` reports: values whose sums are exact in binary floating point."""
    return {
        "latency_ms": float(100 + (n * 37) % 1000),
        "tokens_in": 20 + n % 50,
        "tokens_out": 5 + n % 70,
        "cost_usd": (n % 8) / 1024,
        "status": "error" if n % 97 == 0 else "ok",
    }


def feedback_of(n: int) -> dict[str, object]:
    given: dict[str, object] = {}
    if n % 3 != 2:
        given["thumbs"] = "up" if n % 3 == 0 else "down"
    if n % 2 == 0:
        given["score"] = 1 + n % 5
    if n % 10 == 0:
        given["comment"] = f"comment {n}"
    return given


@pytest.fixture
def served(storage_engine: Engine, tmp_path: Path):  # type: ignore[no-untyped-def]
    endpoints.ensure_builtin_endpoints(storage_engine)
    _v1, v2 = make_prompt(storage_engine)
    point(storage_engine, v2, ("Echo", "echo"))
    with reporting(storage_engine, tmp_path / "spool") as reporter:
        yield app(storage_engine), reporter


def test_ten_thousand_answers_from_eight_threads_are_all_written_with_exact_figures(served) -> None:  # type: ignore[no-untyped-def]
    prompt, reporter = served
    ids: dict[int, str] = {}
    errors: list[BaseException] = []

    def serve(thread: int) -> None:
        try:
            for i in range(PER_THREAD):
                n = thread * PER_THREAD + i
                shown = figures_of(n)
                ids[n] = prompt.record(
                    variables={"order_id": str(n)},
                    text=f"answer {n}",
                    error="timeout" if shown["status"] == "error" else None,
                    **shown,
                )
                if feedback_of(n):
                    prompt.feedback(ids[n], **feedback_of(n))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=serve, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = reporter.flush(timeout=300)
    assert report.complete and report.rejected == [] and report.dropped == 0

    frame = figures.served_frame(reporter.engine, prompt_id=prompt.prompt_id)
    total = THREADS * PER_THREAD
    assert len(frame) == total and set(frame["uid"]) == set(ids.values())
    by_uid = frame.set_index("uid")
    for n in (0, 1, 2, 97, 5003, total - 1):
        row = by_uid.loc[ids[n]]
        assert row["latency_ms"] == figures_of(n)["latency_ms"] and row["status"] == figures_of(n)["status"]
        wanted = feedback_of(n)
        thumbs = None if pd.isna(row["thumbs"]) else int(row["thumbs"])
        assert thumbs == {"up": 1, "down": 0}.get(str(wanted.get("thumbs")))

    ok = [n for n in range(total) if figures_of(n)["status"] == "ok"]
    latencies = [figures_of(n)["latency_ms"] for n in ok]
    thumbs = [feedback_of(n)["thumbs"] for n in range(total) if "thumbs" in feedback_of(n)]
    scores = [feedback_of(n)["score"] for n in range(total) if "score" in feedback_of(n)]
    got = figures.summarise_answers(frame)
    assert got.answers == total and got.errors == total - len(ok)
    assert got.tokens_in == sum(figures_of(n)["tokens_in"] for n in range(total))  # type: ignore[misc]
    assert got.tokens_out == sum(figures_of(n)["tokens_out"] for n in range(total))  # type: ignore[misc]
    assert got.cost_usd == sum(figures_of(n)["cost_usd"] for n in range(total))  # type: ignore[misc]
    assert got.cost_per_answer == sum(figures_of(n)["cost_usd"] for n in ok) / len(ok)  # type: ignore[misc]
    assert (got.latency_p50_ms, got.latency_p95_ms, got.latency_p99_ms) == tuple(
        percentile(latencies, share)
        for share in (0.5, 0.95, 0.99)  # type: ignore[arg-type]
    )
    assert (got.thumbs, got.thumbs_up) == (len(thumbs), thumbs.count("up"))
    assert (got.scores, got.score_total) == (len(scores), sum(scores))  # type: ignore[arg-type]
    assert got.comments == total // 10
    day = figures.daily(frame, figures.release_names(reporter.engine, [prompt.release_id]))
    assert day["answers"].sum() == total
    assert set(day["release"]) == {"v2 · Echo · echo · temperature 0.2 · max 200 tokens"}


def test_feedback_arrives_later_and_only_sets_what_it_gives(served) -> None:  # type: ignore[no-untyped-def]
    prompt, reporter = served
    answer_id = prompt.record(variables={"order_id": "7"}, text="It arrives Monday.", latency_ms=420.0)
    prompt.feedback(answer_id, thumbs="up")
    assert reporter.flush(30).complete
    api.record_feedback(
        answer_id,
        comment="Clear, thanks",
        database_url=str(reporter.engine.url.render_as_string(hide_password=False)),
    )
    prompt.feedback(answer_id, score=4)
    assert reporter.flush(30).complete
    with session_scope(reporter.engine) as session:
        row = session.exec(select(ServedAnswer).where(ServedAnswer.uid == answer_id)).one()
    assert (row.thumbs, row.score, row.comment) == (1, 4, "Clear, thanks")
    assert row.feedback_at is not None and row.served_at <= row.feedback_at


def test_bad_input_is_refused_at_once_and_nothing_is_written(served) -> None:  # type: ignore[no-untyped-def]
    prompt, reporter = served
    url = reporter.engine.url.render_as_string(hide_password=False)
    good = prompt.record(variables={"order_id": "1"}, text="fine")
    assert reporter.flush(30).complete
    refused = [
        (lambda: prompt.feedback(good, thumbs="sideways"), "Thumbs must be 'up' or 'down'"),
        (lambda: prompt.feedback(good, score=6), "whole number from 1 to 5"),
        (lambda: prompt.feedback(good, score=3.5), "whole number from 1 to 5"),
        (lambda: prompt.feedback(good, comment=42), "A comment must be text"),
        (lambda: prompt.feedback(good), "Give thumbs"),
        (lambda: prompt.feedback("not-an-id", thumbs="up"), "is not an answer id"),
        (
            lambda: prompt.record(variables={}, text="x", latency_ms=-3),
            "latency_ms must be a number of at least 0",
        ),
        (lambda: prompt.record(variables={}, text="x", tokens_in=2.5), "tokens_in must be a whole number"),
        (lambda: prompt.record(variables={}, text="x", status="meh"), "status must be one of ok, error"),
        (lambda: prompt.record(variables={}, text=None), "The answer must be text"),  # type: ignore[arg-type]
        (lambda: prompt.record(variables={}, text="x", served_at=datetime(2026, 1, 1)), "time zone"),
    ]
    for call, message in refused:
        with pytest.raises(InvalidInput, match=message):
            call()
    with pytest.raises(NotFound, match=r"No answer has the id 0{32}"):
        api.record_feedback("0" * 32, thumbs="up", database_url=url)
    with pytest.raises(NotFound, match="No prompt named 'Nope'"):
        api.record_answer("Nope", text="x", database_url=url)
    with pytest.raises(NotFound, match=f"Prompt '{PROMPT}' has no label 'gold'"):
        api.record_answer(PROMPT, label="gold", text="x", database_url=url)
    assert reporter.flush(30).rejected == []
    with session_scope(reporter.engine) as session:
        rows = list(session.exec(select(ServedAnswer)))
    assert [(r.uid, r.thumbs, r.score, r.comment) for r in rows] == [(good, None, None, "")]


def test_an_answer_reported_by_prompt_name_and_one_served_in_the_past(served) -> None:  # type: ignore[no-untyped-def]
    prompt, reporter = served
    url = reporter.engine.url.render_as_string(hide_password=False)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    named = api.record_answer(
        PROMPT,
        text="By name",
        variables={"order_id": "3"},
        model="Echo/echo",
        served_at=yesterday,
        database_url=url,
    )
    assert reporter.flush(30).complete
    frame = figures.served_frame(reporter.engine, prompt_id=prompt.prompt_id)
    row = frame.set_index("uid").loc[named]
    assert (row["release_id"], row["endpoint_name"], row["model_name"]) == (prompt.release_id, "Echo", "echo")
    assert row["served_at"].to_pydatetime() == yesterday


def test_personal_data_is_counted_and_redacted_in_confidential_projects(
    storage_engine: Engine, tmp_path: Path
) -> None:
    endpoints.ensure_builtin_endpoints(storage_engine)
    _v1, v2 = make_prompt(storage_engine, sensitivity="confidential", allowed=["Echo"])
    point(storage_engine, v2, ("Echo", "echo"))
    with reporting(storage_engine, tmp_path / "spool") as reporter:
        prompt = app(storage_engine)
        answer_id = prompt.record(
            variables={"order_id": "9", "customer": "Write to dana.smith@example.com"},
            text="We e-mailed dana.smith@example.com and called +44 20 7946 0958.",
        )
        prompt.feedback(answer_id, comment="Call me on +44 20 7946 0958")
        assert reporter.flush(30).complete
    with session_scope(storage_engine) as session:
        row = session.exec(select(ServedAnswer)).one()
    assert row.variables == {"order_id": "9", "customer": "Write to [EMAIL_1]"}
    assert row.text == "We e-mailed [EMAIL_1] and called [PHONE_1]."
    assert row.comment == "Call me on [PHONE_1]"
    assert row.redacted and row.personal_data == {"e-mail address": 1, "phone number": 1}
    assert not list(tmp_path.rglob("*.jsonl"))  # nothing waited on disk


def test_personal_data_is_counted_but_kept_in_internal_projects(served) -> None:  # type: ignore[no-untyped-def]
    prompt, reporter = served
    prompt.record(variables={"customer": "dana.smith@example.com"}, text="Done.")
    assert reporter.flush(30).complete
    with session_scope(reporter.engine) as session:
        row = session.exec(select(ServedAnswer)).one()
    assert row.variables == {"customer": "dana.smith@example.com"}
    assert (row.redacted, row.personal_data) == (False, {"e-mail address": 1})
