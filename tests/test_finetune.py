"""Fine-tuning JSONL: every line follows the chat format rules; answers are chosen by rating,
cleaned, de-duplicated, length-limited and split with a seed, and the summary counts each step."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.ratings_support import make_bench
from workbench.demo.answers import store_outputs
from workbench.demo.seed import seed_demo
from workbench.errors import InvalidInput
from workbench.exports import finetune
from workbench.exports.finetune import FineTuneOptions
from workbench.exports.key_scrub import Scrubber
from workbench.exports.scope import Selection
from workbench.judging import ratings
from workbench.store import audit
from workbench.store.engine import session_scope

ROLES = {"system", "user", "assistant"}


def check_chat_line(line: str) -> dict[str, Any]:
    """The chat fine-tuning format: an object with only a ``messages`` list of {role, content}
    messages with known roles and string content, at least one from the assistant."""
    example = json.loads(line)
    assert isinstance(example, dict) and set(example) == {"messages"}, example
    messages = example["messages"]
    assert isinstance(messages, list) and messages
    for message in messages:
        assert isinstance(message, dict) and set(message) == {"role", "content"}, message
        assert message["role"] in ROLES
        assert isinstance(message["content"], str) and message["content"]
    assert any(m["role"] == "assistant" for m in messages)
    assert messages[-1]["role"] == "assistant"
    return example


def lines(data: bytes) -> list[dict[str, Any]]:
    text = data.decode("utf-8")
    assert text == "" or text.endswith("\n")
    return [check_chat_line(line) for line in text.splitlines()]


def answers(engine: Engine, version_id: int, items: Sequence[tuple[str, int]], **extra: Any) -> list[int]:
    """Store answers (text, stars) of one version, each with a snapshot of what was sent."""
    outputs = [
        {
            "row_index": i,
            "variables": {"question": extra.get("question", f"Question {i}?")},
            "messages": extra.get(
                "messages",
                [
                    {"role": "system", "content": "You answer HR questions."},
                    {"role": "user", "content": extra.get("question", f"Question {i}?")},
                ],
            ),
            "text": text,
            "status": extra.get("status", "ok"),
            "endpoint_name": "Local fake server",
            "model_name": "fake-large",
        }
        for i, (text, _) in enumerate(items)
    ]
    with session_scope(engine) as session:
        ids = store_outputs(session, version_id=version_id, outputs=outputs, actor="t")[1]
    for output_id, (_, stars) in zip(ids, items, strict=True):
        ratings.rate_output(engine, output_id=output_id, rater="Ana", value=stars)
    return ids


@pytest.fixture
def bench(engine: Engine):  # type: ignore[no-untyped-def]
    return make_bench(engine, versions_count=1)


def build(engine: Engine, **options: Any) -> finetune.FineTuneSet:
    return finetune.build(engine, Selection(), FineTuneOptions(**options))


def test_every_line_follows_the_chat_format_and_both_files_are_written(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    answers(engine, bench.version_ids[0], [(f"Answer number {i}.", 5) for i in range(20)])
    made = finetune.export_finetune(
        engine, Selection(), FineTuneOptions(validation_share=0.2), actor="Ann", scrub=Scrubber()
    )
    train, validation = lines(made.train), lines(made.validation)
    assert (len(train), len(validation)) == (16, 4)
    assert train[0]["messages"][0] == {"role": "system", "content": "You answer HR questions."}
    assert [m["role"] for m in train[0]["messages"]] == ["system", "user", "assistant"]
    with zipfile.ZipFile(io.BytesIO(made.as_zip().data)) as archive:
        assert sorted(archive.namelist()) == ["summary.json", "train.jsonl", "validation.jsonl"]
        assert archive.read("train.jsonl") == made.train
        assert json.loads(archive.read("summary.json"))["counts"]["kept"] == 20
    event = audit.search(engine, actions=["export.jsonl"])[0]
    assert event.actor == "Ann" and event.after["train"] == 16


def test_only_answers_rated_at_or_above_the_score_and_successful(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    vid = bench.version_ids[0]
    answers(engine, vid, [("Great answer.", 5), ("Good answer.", 4), ("Weak answer.", 3), ("Bad.", 1)])
    answers(engine, vid, [("A cut-off answ", 5)], status="incomplete")  # rated, but not a whole answer
    found = build(engine, min_score=4.0, validation_share=0.0)
    assert sorted(e["messages"][-1]["content"] for e in found.train) == ["Good answer.", "Great answer."]
    counts = found.summary["counts"]
    assert (
        counts["answers"],
        counts["rated"],
        counts["rated_at_or_above"],
        counts["below_score_or_unrated"],
    ) == (
        4,
        4,
        2,
        2,
    )
    assert len(build(engine, min_score=1.0, validation_share=0.0).train) == 4


def test_control_and_replacement_characters_are_removed(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    answers(
        engine,
        bench.version_ids[0],
        [("Hello\x00 wor\ufffdld\r\nsecond\x1b line\t ok ", 5), ("\x00\x07\ufffd", 5)],
        messages=[{"role": "user", "content": "Say hi\x0c please"}],
    )
    found = build(engine, validation_share=0.0)
    (example,) = found.train
    assert example["messages"] == [
        {"role": "user", "content": "Say hi please"},
        {"role": "assistant", "content": "Hello world\nsecond line\t ok"},
    ]
    assert found.summary["counts"]["changed_by_cleaning"] == 2
    assert found.summary["counts"]["empty_after_cleaning"] == 1


def test_duplicates_count_once_and_the_best_rated_copy_stays(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    vid = bench.version_ids[0]
    answers(engine, vid, [("The answer  is 5.", 4)], question="Same?")
    answers(engine, vid, [("the answer is 5.", 5)], question="Same?")
    answers(engine, vid, [("The answer is 5.", 5)], question="Other?")
    found = build(engine, validation_share=0.0)
    kept = sorted((e["messages"][1]["content"], e["messages"][-1]["content"]) for e in found.train)
    assert kept == [("Other?", "The answer is 5."), ("Same?", "the answer is 5.")]
    assert found.summary["counts"]["duplicates"] == 1


def test_examples_over_the_token_limit_are_left_out(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    answers(engine, bench.version_ids[0], [("short answer", 5), ("long " * 2000, 5)])
    found = build(engine, max_tokens=1000, validation_share=0.0)
    assert [e["messages"][-1]["content"] for e in found.train] == ["short answer"]
    assert found.summary["counts"]["too_long"] == 1
    tokens = found.summary["tokens"]["train"]
    assert tokens["max"] <= 1000 and tokens["max"] == finetune.approx_tokens(found.train[0]["messages"])


def test_the_split_is_seeded_and_keeps_one_prompt_on_one_side(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    vid = bench.version_ids[0]
    for round_ in range(3):  # three answers to each of 30 questions
        answers(engine, vid, [(f"Answer {i} take {round_}.", 5) for i in range(30)])
    first, again = build(engine, seed=7, validation_share=0.2), build(engine, seed=7, validation_share=0.2)
    other = build(engine, seed=8, validation_share=0.2)
    assert first.train == again.train and first.validation == again.validation
    assert first.validation != other.validation
    assert len(first.validation) == 18 and len(first.train) == 72
    asked = lambda part: {e["messages"][1]["content"] for e in part}  # noqa: E731
    assert not asked(first.train) & asked(first.validation)


def test_answers_stored_without_a_snapshot_get_the_rendered_template(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    answers(
        engine, bench.version_ids[0], [("Twenty-five days.", 5)], messages=[], question="How many PTO days?"
    )
    (example,) = build(engine, validation_share=0.0).train
    assert example["messages"] == [
        {"role": "system", "content": "Version 1."},
        {"role": "user", "content": "How many PTO days?"},
        {"role": "assistant", "content": "Twenty-five days."},
    ]


def test_summary_has_counts_and_length_statistics(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    answers(engine, bench.version_ids[0], [("x" * n, 5) for n in (40, 80, 120, 160)])
    summary = build(engine, validation_share=0.25).summary
    assert set(summary) == {"options", "counts", "tokens", "answer_characters", "warnings", "pairs"}
    assert summary["pairs"] == [] and summary["counts"]["document_pairs"] == 0
    assert summary["warnings"] and "at least 10" in summary["warnings"][0]  # 3 training examples
    assert summary["answer_characters"] == {"min": 40, "mean": 100.0, "median": 100.0, "p95": 160, "max": 160}
    assert set(summary["tokens"]["train"]) == {"min", "mean", "median", "p95", "max"}
    assert "approximate" in summary["options"]["tokens"]


def test_nothing_to_export_gives_empty_files(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    made = finetune.export_finetune(engine, Selection(), FineTuneOptions(), actor="a", scrub=Scrubber())
    assert made.train == b"" and made.validation == b"" and made.summary["counts"]["kept"] == 0


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"min_score": 6}, "min_score"),
        ({"max_tokens": 3}, "max_tokens"),
        ({"validation_share": 1.0}, "validation_share"),
    ],
)
def test_options_out_of_range_are_refused(engine: Engine, options: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        build(engine, **options)
    assert refused.value.field == field


def test_lines_are_exactly_what_json_dumps_writes(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    answers(
        engine,
        bench.version_ids[0],
        [("Zwölf Tage «frei».", 5), ('Quote " and \\ slash', 5)],
        question="Même?",
    )
    found = build(engine, validation_share=0.0)
    expected = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in found.train).encode("utf-8")
    assert finetune.to_jsonl(found.train, Scrubber()) == expected
    made = finetune.export_finetune(
        engine, Selection(), FineTuneOptions(validation_share=0.0), actor="a", scrub=Scrubber()
    )
    assert made.train == expected  # the streamed lines, from each prompt's encoded prefix


def test_reading_in_id_ranges_changes_nothing_on_each_backend(
    storage_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_demo(storage_engine)
    options = FineTuneOptions(min_score=1.0, validation_share=0.25)
    whole = finetune.export_finetune(storage_engine, Selection(), options, actor="a", scrub=Scrubber())
    monkeypatch.setattr(finetune, "CHUNK_IDS", 3)  # answers and their ratings cross range boundaries
    ranged = finetune.export_finetune(storage_engine, Selection(), options, actor="a", scrub=Scrubber())
    assert (ranged.train, ranged.validation, ranged.summary) == (whole.train, whole.validation, whole.summary)
    found = finetune.build(storage_engine, Selection(), options)
    assert whole.train == finetune.to_jsonl(found.train, Scrubber()) and found.summary["counts"]["kept"] > 2
