"""What the Monitor shows and does: a release beside the one before it ("did the swap help?") with
its bench pass rate, answers per release and day, in-use KPIs, and answers in use sent to Review,
rated and exported for fine-tuning like any rated answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.monitor_support import app, make_prompt, point, reporting
from workbench.errors import InvalidInput
from workbench.exports import finetune
from workbench.exports.scope import Selection
from workbench.judging import review
from workbench.judging.ratings import rate_output
from workbench.models import endpoints
from workbench.monitor import figures, swap, to_review
from workbench.projects import kpis
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.tables import AssertionResult, Evaluation, Output, Run

DAY = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)  # long before the tests run


def serve(prompt, count: int, *, up_every: int, day: datetime, latency: float, start: int = 0) -> list[str]:  # type: ignore[no-untyped-def]
    """``count`` answers on ``day``; every ``up_every``-th gets thumbs up, the rest thumbs down."""
    ids = []
    for n in range(start, start + count):
        answer_id = prompt.record(
            variables={"order_id": str(n)},
            text=f"Order {n} arrives on Monday.",
            latency_ms=latency + n % 10,
            cost_usd=0.25,
            served_at=day + timedelta(minutes=n),
        )
        prompt.feedback(
            answer_id, thumbs="up" if n % up_every == 0 else "down", score=5 if n % up_every == 0 else 2
        )
        ids.append(answer_id)
    return ids


@pytest.fixture
def two_releases(engine: Engine, tmp_path: Path):  # type: ignore[no-untyped-def]
    """production on v1 served 40 answers (1 in 4 liked), then on v2 served 40 (3 in 4 liked)."""
    endpoints.ensure_builtin_endpoints(engine)
    v1, v2 = make_prompt(engine)
    with reporting(engine, tmp_path / "spool") as reporter:
        point(engine, v1, ("Echo", "echo"))
        old = app(engine)
        old_ids = serve(old, 40, up_every=4, day=DAY, latency=800.0)
        point(engine, v2, ("Echo", "echo"))
        new = app(engine)
        new_ids = [
            i for i in serve(new, 40, up_every=1, day=DAY + timedelta(days=1), latency=400.0, start=40)
        ]
        assert reporter.flush(30).complete
        yield engine, old, new, old_ids, new_ids


def test_the_swap_view_sets_a_release_beside_the_one_before(two_releases) -> None:  # type: ignore[no-untyped-def]
    engine, old, new, _old_ids, _new_ids = two_releases
    view = swap.swap_view(engine, new.prompt_id, "production")
    assert view is not None and view.previous is not None
    assert (view.current.release_id, view.previous.release_id) == (new.release_id, old.release_id)
    assert view.current.text.startswith("v2 · Echo · echo") and view.previous.text.startswith(
        "v1 · Echo · echo"
    )
    lines = {c.figure: c for c in view.comparisons}
    assert (lines["Answers served"].before, lines["Answers served"].after) == ("40", "40")
    assert (lines["Thumbs up"].before, lines["Thumbs up"].after, lines["Thumbs up"].verdict) == (
        "25% of 40",
        "100% of 40",
        "better",
    )
    assert (
        lines["Thumbs up"].meaning.startswith("Clearly better")
        and "very unlikely to be chance" in lines["Thumbs up"].meaning
    )
    assert lines["Feedback score"].verdict == "better"
    assert (
        lines["Speed, typical (p50)"].verdict == "better"
        and "faster than before" in lines["Speed, typical (p50)"].meaning
    )
    assert lines["Cost per answer"].verdict == "same" and lines["Errors"].verdict == "same"
    assert lines["Bench pass rate"].after == "not on the bench yet"
    assert swap.swap_view(engine, new.prompt_id, "gold") is None


def test_too_few_answers_are_too_early_to_tell(engine: Engine, tmp_path: Path) -> None:
    endpoints.ensure_builtin_endpoints(engine)
    v1, v2 = make_prompt(engine)
    with reporting(engine, tmp_path / "spool") as reporter:
        point(engine, v1, ("Echo", "echo"))
        serve(app(engine), 3, up_every=1, day=DAY, latency=500.0)
        point(engine, v2, ("Echo", "echo"))
        serve(app(engine), 3, up_every=3, day=DAY, latency=500.0, start=3)
        assert reporter.flush(30).complete
    view = swap.swap_view(engine, 1, "production")
    thumbs = next(c for c in view.comparisons if c.figure == "Thumbs up")  # type: ignore[union-attr]
    assert thumbs.verdict == "unclear" and thumbs.meaning.startswith("Too early to tell: 3 and 3")


def test_a_release_shows_its_bench_pass_rate(two_releases) -> None:  # type: ignore[no-untyped-def]
    engine, _old, new, _o, _n = two_releases
    with session_scope(engine) as session:
        evaluation = Evaluation(
            project_id=1, prompt_id=new.prompt_id, name="Shop bench", status="done", created_at=DAY
        )
        session.add(evaluation)
        session.flush()
        run = Run(
            project_id=1,
            prompt_version_id=new.version_id,
            evaluation_id=evaluation.id,
            kind="eval",
            status="done",
        )
        session.add(run)
        session.flush()
        for n, passed in enumerate([True, True, True, False]):
            output = Output(
                run_id=run.id,
                prompt_version_id=new.version_id,
                endpoint_name="Echo",
                model_name="echo",
                row_index=n,
                text="x",
            )  # type: ignore[arg-type]
            session.add(output)
            session.flush()
            session.add(
                AssertionResult(
                    evaluation_id=evaluation.id, output_id=output.id, assertion_type="contains", passed=passed
                )
            )  # type: ignore[arg-type]
    view = swap.swap_view(engine, new.prompt_id, "production")
    bench = next(c for c in view.comparisons if c.figure == "Bench pass rate")  # type: ignore[union-attr]
    assert (bench.before, bench.after) == (
        "not on the bench yet",
        "75% of 4 bench answers ('Shop bench', 01 Jun 2025)",
    )


def test_answers_per_release_and_day_and_in_use_kpis(two_releases) -> None:  # type: ignore[no-untyped-def]
    engine, old, new, _o, _n = two_releases
    frame = figures.served_frame(engine, prompt_id=new.prompt_id)
    table = figures.daily(frame, figures.release_names(engine, [old.release_id, new.release_id]))
    assert list(table["day"]) == ["2025-06-01", "2025-06-02"] and list(table["answers"]) == [40, 40]
    assert list(table["thumbs_up_share"]) == [0.25, 1.0] and list(table["cost_usd"]) == [10.0, 10.0]
    assert list(table["latency_p50_ms"]) == [804.0, 404.0]
    criteria = kpis.validate_criteria(
        [{"metric": "in_use_thumbs_up_rate", "op": ">=", "target": 0.8, "days": 36500}]
    )
    assert criteria[0]["label"] == "Thumbs-up share in use ≥ 80% (last 36500 days)"
    report = kpis.evaluate(engine, 1, criteria, in_use=lambda days: figures.in_use_figures(engine, 1, days))
    [result] = report.results
    assert (result.value, result.status) == (62.5 / 100, kpis.NOT_MET)
    assert result.basis == "80 answers served in the last 36500 days, 80 with thumbs, 80 with a score"
    last_week = kpis.evaluate(
        engine, 1, [{**criteria[0], "days": 7}], in_use=lambda days: figures.in_use_figures(engine, 1, days)
    )
    assert last_week.results[0].status == kpis.NO_DATA  # the answers are older than a week


def test_answers_in_use_go_to_review_and_well_rated_ones_to_fine_tuning(two_releases) -> None:  # type: ignore[no-untyped-def]
    engine, old, new, _old_ids, _new_ids = two_releases
    unhappy = to_review.pick_for_review(engine, old.prompt_id, which="unhappy", release_id=old.release_id)
    assert len(unhappy) == 30  # thumbs down on v1
    with session_scope(engine) as session:
        sent = to_review.send_to_review(session, unhappy[:5], actor="Ann")
    assert (sent.answers, sent.runs, sent.version_ids) == (5, 1, (old.version_id,))
    with session_scope(engine) as session, pytest.raises(InvalidInput, match="sent already"):
        to_review.send_to_review(session, unhappy[:5], actor="Ann")
    assert to_review.sent_count(engine, old.prompt_id) == 5
    assert len(to_review.pick_for_review(engine, old.prompt_id, which="unhappy")) == 25

    queue = review.review_queue(engine, version_id=old.version_id, rater="Rae")
    assert queue.total == 5 and queue.next is not None
    assert queue.next.model == "Echo · echo" and queue.next.variables["order_id"]
    rate_output(engine, output_id=queue.next.output_id, rater="Rae", value=5)
    exported = finetune.build(
        engine, Selection(min_score=4.0), finetune.FineTuneOptions(validation_share=0.0)
    )
    texts = [example["messages"][-1]["content"] for example in exported.train]
    assert texts == [queue.next.text]
    assert exported.train[0]["messages"][1]["content"].startswith("Order ")
    view = swap.swap_view(engine, new.prompt_id, "production")
    assert (
        next(c for c in view.comparisons if c.figure == "Reviewers' rating").before == "5.00 / 5 (1 ratings)"
    )  # type: ignore[union-attr]
    (event,) = audit.search(engine, actions=["monitor.review"])
    assert event.actor == "Ann" and event.after["answers"] == 5  # type: ignore[index]
