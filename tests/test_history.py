"""Version history with ratings, side-by-side diffs, label moves with history, and rollback."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.factories import rate_outputs
from workbench.errors import InvalidInput, NotFound
from workbench.insights import version_history as history
from workbench.projects import project_records
from workbench.prompts import diffs, label_history, versions
from workbench.prompts.templates import PromptTemplate
from workbench.store.engine import session_scope


@pytest.fixture
def three_versions(engine: Engine) -> list:
    with session_scope(engine) as session:
        project = project_records.create_project(session, actor="ann", name="Service")
        pid = versions.create_prompt(session, project_id=project.id, name="Reply", actor="ann").id
    texts = [
        ("", "Explain why the order is late."),
        ("You are a service agent.", "Explain why order {{ id }} is late.\nBe brief."),
        ("You are a courteous service agent.", "Explain why order {{ id }} is late.\nAt most 80 words."),
    ]
    out = []
    for i, (system, user) in enumerate(texts):
        with session_scope(engine) as session:
            out.append(
                versions.save_version(
                    session,
                    prompt_id=pid,
                    system_template=system,
                    user_template=user,
                    author=["ann", "bob", "cy"][i],
                    change_note=f"note {i + 1}",
                    params={"temperature": 0.1 * (i + 1)},
                )
            )
    return out


def test_side_by_side_pairs_lines_and_marks_changed_words() -> None:
    rows = diffs.side_by_side("a\nkeep\nold words here\ngone", "a\nkeep\nnew words here\nadded\nmore")
    assert [r.kind for r in rows] == ["equal", "equal", "replace", "replace", "insert"]
    changed = rows[2]
    assert (changed.left_no, changed.right_no) == (3, 3)
    assert ("old", True) in changed.left and (" words here", False) in changed.left
    assert ("new", True) in changed.right
    assert rows[3].left_text == "gone" and rows[3].right_text == "added"
    assert rows[4].left_no is None and rows[4].right_text == "more"
    assert not diffs.changed(diffs.side_by_side("same", "same"))
    assert [r.kind for r in diffs.side_by_side("x\ny", "x")] == ["equal", "delete"]


def test_diff_two_versions(engine: Engine, three_versions: list) -> None:
    v1, _v2, v3 = three_versions
    result = diffs.diff_versions(engine, v1.id, v3.id)
    assert (result.left_number, result.right_number) == (1, 3)
    assert result.templates.changed
    assert result.templates.system[0].kind == "insert"
    assert result.templates.user[0].kind == "replace"
    assert result.params == [("temperature", 0.1, pytest.approx(0.3))]
    assert (result.left_note, result.right_note) == ("note 1", "note 3")
    same = diffs.diff_templates(PromptTemplate("s", "u"), PromptTemplate("s", "u"))
    assert not same.changed


def test_diff_refuses_versions_of_different_prompts(engine: Engine, three_versions: list) -> None:
    with session_scope(engine) as session:
        other = versions.create_prompt(session, project_id=1, name="Other", actor="ann")
        foreign = versions.save_version(
            session, prompt_id=other.id, system_template="", user_template="x", author="a"
        )
    with pytest.raises(InvalidInput, match="same prompt"):
        diffs.diff_versions(engine, three_versions[0].id, foreign.id)


def test_history_shows_who_when_note_labels_and_average_rating(engine: Engine, three_versions: list) -> None:
    v1, v2, _v3 = three_versions
    rate_outputs(engine, v2.id, [(4.0, "", (), "a"), (5.0, "", (), "b"), (3.0, "", (), "c")])
    rate_outputs(engine, v1.id, [(1.0, "generic", (), "x")])
    with session_scope(engine) as session:
        versions.set_label(session, version_id=v2.id, name="production", actor="ann")
    rows = history.version_history(engine, v1.prompt_id)
    assert [(r.number, r.author, r.change_note) for r in rows] == [
        (3, "cy", "note 3"),
        (2, "bob", "note 2"),
        (1, "ann", "note 1"),
    ]
    assert (rows[1].average_rating, rows[1].ratings, rows[1].labels) == (4.0, 3, ("production",))
    assert (rows[0].average_rating, rows[0].ratings) == (None, 0)
    assert rows[2].average_rating == 1.0 and rows[0].created_at is not None


def test_labels_move_keep_history_and_roll_back_without_rewriting(
    engine: Engine, three_versions: list
) -> None:
    v1, v2, v3 = three_versions
    pid = v1.prompt_id
    with session_scope(engine) as session:
        label_history.move_label(
            session, version_id=v1.id, name="production", actor="ann", note="first release"
        )
        label_history.move_label(session, version_id=v3.id, name="production", actor="bob", note="better")
        label_history.move_label(session, version_id=v2.id, name="staging", actor="bob")
    [prod, staging] = label_history.label_states(engine, pid)
    assert (prod.name, prod.version_number, prod.previous_version_id) == ("production", 3, v1.id)
    assert (staging.version_number, staging.previous_version_id) == (2, None)
    with session_scope(engine) as session:
        label_history.roll_back(session, prompt_id=pid, name="production", to_version_id=v1.id, actor="cy")
    moves = label_history.label_moves(engine, pid)
    assert [(m.label, m.from_number, m.to_number, m.kind, m.moved_by) for m in moves] == [
        ("production", 3, 1, "rolled back", "cy"),
        ("staging", None, 2, "set", "bob"),
        ("production", 1, 3, "moved", "bob"),
        ("production", None, 1, "set", "ann"),
    ]
    assert moves[0].note == "rollback" and moves[2].note == "better"
    assert [v.user_template for v in versions.list_versions(engine, pid)] == [
        v3.user_template,
        v2.user_template,
        v1.user_template,
    ]


def test_roll_back_rules(engine: Engine, three_versions: list) -> None:
    v1, v2, v3 = three_versions
    pid = v1.prompt_id
    with session_scope(engine) as session:
        label_history.move_label(session, version_id=v2.id, name="production", actor="ann")
    with pytest.raises(InvalidInput, match="older than v2"), session_scope(engine) as session:
        label_history.roll_back(session, prompt_id=pid, name="production", to_version_id=v3.id, actor="ann")
    with pytest.raises(NotFound, match="no label 'gold'"), session_scope(engine) as session:
        label_history.roll_back(session, prompt_id=pid, name="gold", to_version_id=v1.id, actor="ann")
    with pytest.raises(InvalidInput, match="Type your name"), session_scope(engine) as session:
        label_history.roll_back(session, prompt_id=pid, name="production", to_version_id=v1.id, actor=" ")
    with pytest.raises(InvalidInput, match="Type your name"), session_scope(engine) as session:
        label_history.move_label(session, version_id=v1.id, name="production", actor="")
    assert len(label_history.label_moves(engine, pid)) == 1
