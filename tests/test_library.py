"""The library query: one row per prompt with versions, labels, ratings, pass rate, runs and
activity; every filter; and a constant number of queries however many prompts there are."""

from __future__ import annotations

from sqlalchemy import Engine, event

from tests.factories import rate_outputs
from tests.library_support import add_evaluation, demo, runs_of
from workbench.insights import library
from workbench.insights.library import LibraryFilter
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.store.engine import session_scope


def test_every_prompt_with_versions_labels_ratings_pass_rate_and_runs(seeded_engine: Engine) -> None:
    ids = demo(seeded_engine)
    add_evaluation(seeded_engine, ids.hr)
    frame = library.library_frame(seeded_engine).set_index("prompt")
    assert list(frame.index) == [
        "Late order reply",
        "HR policy answer",
        "HR policy answer from documents",
    ]  # by project name, then prompt
    late, hr = frame.loc["Late order reply"], frame.loc["HR policy answer"]
    assert (late["versions"], late["latest_version"]) == (2, 2)
    assert late["labels"] == "production → v2 · staging → v2"
    assert hr["labels"] == "production → v2"
    assert hr["ratings"] == 30 and 1.0 <= hr["average_rating"] <= 5.0
    assert hr["pass_rate"] == 0.6667  # fake-lazy's answers fail: one model of three
    assert hr["runs"] == runs_of(seeded_engine, ids.hr) == 2
    assert (
        late["ratings"] == 0
        and late["average_rating"] is library.pd.NA
        and late["pass_rate"] is library.pd.NA
    )
    assert hr["last_activity"] >= hr["last_activity"].normalize()


def test_text_search_reads_names_descriptions_and_every_version(seeded_engine: Engine) -> None:
    ids = demo(seeded_engine)
    with session_scope(seeded_engine) as session:
        versions.save_version(
            session,
            prompt_id=ids.late_order,
            system_template="",
            user_template="Mention the ZEBRA_50% code.",
            author="t",
        )
    search = lambda text: list(library.library_frame(seeded_engine, LibraryFilter(text=text))["prompt"])  # noqa: E731
    assert search("late ORDER") == ["Late order reply"]  # name, any case
    assert search("handbook") == [
        "HR policy answer",
        "HR policy answer from documents",
    ]  # description / template
    assert search("zebra_50%") == ["Late order reply"]  # a template of any version, % and _ taken literally
    assert search("zebra_5x") == [] and search("100%") == []


def test_filters_by_project_label_tag_model_and_rating(seeded_engine: Engine) -> None:
    ids = demo(seeded_engine)
    names = lambda **f: list(library.library_frame(seeded_engine, LibraryFilter(**f))["prompt"])  # noqa: E731
    assert names(project_ids=(ids.customer_project,)) == ["Late order reply"]
    assert names(labels=("staging",)) == ["Late order reply"]
    assert names(labels=("production",)) == [
        "Late order reply",
        "HR policy answer",
        "HR policy answer from documents",
    ]
    assert names(tags=("off-topic",)) == ["HR policy answer"]
    assert names(tags=("no such tag",)) == []
    assert names(models=("Local fake server · fake-lazy",)) == ["HR policy answer"]
    assert names(models=("OpenAI · gpt-4o",)) == []
    late_v2 = versions.latest_version(seeded_engine, ids.late_order)
    rate_outputs(seeded_engine, late_v2.id, [(5.0, "", (), "a"), (4.0, "", (), "b")])  # type: ignore[union-attr]
    assert names(rating=(4.0, 5.0)) == ["Late order reply"]  # 4.5; HR averages 2.4
    assert names(rating=(1.0, 3.0)) == ["HR policy answer"]
    assert names() == [
        "Late order reply",
        "HR policy answer",
        "HR policy answer from documents",
    ]  # full range keeps unrated prompts too


def test_unrated_prompts_leave_only_when_the_rating_range_is_narrowed(seeded_engine: Engine) -> None:
    names = lambda **f: list(library.library_frame(seeded_engine, LibraryFilter(**f))["prompt"])  # noqa: E731
    assert "Late order reply" in names(rating=(1.0, 5.0))
    assert "Late order reply" not in names(rating=(1.0, 4.5))


def test_only_visible_projects_are_listed(seeded_engine: Engine) -> None:
    ids = demo(seeded_engine)
    frame = library.library_frame(
        seeded_engine, LibraryFilter(visible_project_ids=frozenset({ids.hr_project}))
    )
    assert list(frame["prompt"]) == ["HR policy answer", "HR policy answer from documents"]
    choices = library.filter_choices(seeded_engine, frozenset({ids.customer_project}))
    assert choices.labels == ["production", "staging"] and choices.tags == [] and choices.models == []


def test_filter_choices_list_labels_tags_and_models(seeded_engine: Engine) -> None:
    choices = library.filter_choices(seeded_engine)
    assert choices.labels == ["production", "staging"]
    assert {"off-topic", "accurate"} <= set(choices.tags)
    assert choices.models == [f"Local fake server · {m}" for m in ("fake-large", "fake-lazy", "fake-small")]


def test_query_count_does_not_grow_with_the_number_of_prompts(engine: Engine) -> None:
    def statements(prompt_count: int) -> int:
        with session_scope(engine) as session:
            project = project_records.create_project(session, actor="t", name=f"P{prompt_count}")
        for n in range(prompt_count):
            with session_scope(engine) as session:
                prompt = versions.create_prompt(session, project_id=project.id, name=f"p{n}", actor="t")  # type: ignore[arg-type]
                versions.save_version(
                    session, prompt_id=prompt.id, system_template="", user_template="Hi", author="t"
                )  # type: ignore[arg-type]
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            frame = library.library_frame(engine, LibraryFilter(project_ids=(project.id,)))  # type: ignore[arg-type]
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert len(frame) == prompt_count
        return len(seen)

    assert statements(2) == statements(25)


def test_describe_filter_says_what_is_active() -> None:
    text = library.describe_filter(
        LibraryFilter(project_ids=(1,), text=" refund ", labels=("production",), rating=(3.0, 5.0)), {1: "CS"}
    )
    assert text == "project CS · text 'refund' · label production · average rating 3-5"
    assert library.describe_filter(LibraryFilter()) == "no filter"
