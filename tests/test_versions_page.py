"""The Versions page through AppTest: history with ratings, diff of two versions, labels moved
with their history, rollback, and opening a version in the editor."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.factories import rate_outputs
from workbench.prompts import label_history, versions
from workbench.store.engine import session_scope

PAGE = "pages/versions.py"


def late_order(engine: Engine):  # type: ignore[no-untyped-def]
    prompt = next(p for p in versions.list_prompts(engine) if p.name == "Late order reply")
    return prompt.id, versions.list_versions(engine, prompt.id)


def add_v3(engine: Engine, prompt_id: int):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return versions.save_version(
            session,
            prompt_id=prompt_id,
            system_template="Be warm.",
            user_template="Reply about {{ order_id }}.",
            author="Cy",
            change_note="shorter",
        )


def page(app, name: str = "Ann"):  # type: ignore[no-untyped-def]
    at = app(page=PAGE)
    at.session_state["rater_name"] = name
    return at.run()


def test_history_lists_versions_with_who_note_labels_and_ratings(app, app_db: Engine) -> None:
    _prompt_id, (v2, v1) = late_order(app_db)
    rate_outputs(app_db, v2.id, [(5.0, "", (), "a"), (4.0, "", (), "b")])
    rate_outputs(app_db, v1.id, [(1.0, "", (), "c")])
    at = page(app)
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table["Version"]) == ["v2", "v1"]
    assert list(table["Saved by"]) == ["demo", "demo"]
    assert list(table["Labels"]) == ["production, staging", ""]
    assert list(table["Average rating"]) == ["4.5 ★", "1.0 ★"] and list(table["Ratings"]) == [2, 1]
    assert table["Change note"][1].startswith("First draft")
    assert at.get("plotly_chart")


def test_diff_of_two_versions_side_by_side(app, app_db: Engine) -> None:
    prompt_id, _ = late_order(app_db)
    v3 = add_v3(app_db, prompt_id)
    at = page(app)
    assert at.selectbox(key="versions_left").value != at.selectbox(key="versions_right").value
    at.selectbox(key="versions_left").set_value(late_order(app_db)[1][2].id).run()
    at.selectbox(key="versions_right").set_value(v3.id).run()
    html = "".join(h.proto.body for h in at.get("html"))
    assert '<th colspan="2">v1</th>' in html and '<th colspan="2">v3</th>' in html
    assert "Explain" in html and "order_id" in html and 'class="del"' in html and 'class="ins"' in html
    assert "Model settings: temperature 0.7 → None" not in "\n".join(c.value for c in at.caption)


def test_move_a_label_and_roll_it_back(app, app_db: Engine) -> None:
    prompt_id, (v2, _v1) = late_order(app_db)
    v3 = add_v3(app_db, prompt_id)
    at = page(app)
    at.selectbox(key="versions_move_label").set_value("production").run()
    at.selectbox(key="versions_move_target").set_value(v3.id).run()
    model = at.selectbox(key="versions_move_model_production")
    model.select_index(model.options.index("Local fake server · fake-large")).run()
    at.text_input(key="versions_move_note").input("ship the short one").run()
    at.button(key="versions_move").click().run()
    assert not at.exception and not at.error
    prod = next(s for s in label_history.label_states(app_db, prompt_id) if s.name == "production")
    assert (prod.version_number, prod.model) == (3, "Local fake server · fake-large")
    assert any(
        "`production` → **v3** · Local fake server · fake-large ·" in m.value and "moved by Ann" in m.value
        for m in at.markdown
    )
    assert any("'production' now points at" in s.value for s in at.success)
    assert at.text_input(key="versions_move_note").value == ""  # the reason was for that move only
    at.selectbox(key="versions_back_label").set_value("production").run()
    back_to = next(s for s in at.selectbox if s.label == "Back to")
    assert back_to.value == prod.previous_release_id  # the release it served before the last move
    assert back_to.options[0].startswith("v2 · the caller chooses")
    at.button(key="versions_back").click().run()
    assert not at.exception and not at.error
    prod = next(s for s in label_history.label_states(app_db, prompt_id) if s.name == "production")
    assert (prod.version_id, prod.model) == (v2.id, "the caller chooses")
    assert any("'production' rolled back to" in s.value for s in at.success)
    moves = at.dataframe[1].value
    assert list(moves["Change"])[:2] == ["v3 → v2", "v2 → v3"]
    assert list(moves["Model"])[:2] == [
        "Local fake server · fake-large → the caller chooses",
        "the caller chooses → Local fake server · fake-large",
    ]
    assert list(moves["What"])[:2] == ["rolled back", "moved"] and list(moves["By"])[:2] == ["Ann", "Ann"]
    assert versions.get_version(app_db, v3.id).user_template == "Reply about {{ order_id }}."


def test_new_label_and_name_required(app, app_db: Engine) -> None:
    prompt_id, (_v2, _v1) = late_order(app_db)
    at = page(app, name="")
    at.selectbox(key="versions_move_label").set_value("New label…").run()
    at.text_input(key="versions_new_label").input("canary").run()
    at.button(key="versions_move").click().run()
    assert "Type your name in the sidebar" in at.error[0].value
    assert {s.name for s in label_history.label_states(app_db, prompt_id)} == {"production", "staging"}
    at.session_state["rater_name"] = "Ann"
    at.button(key="versions_move").click().run()
    assert {s.name for s in label_history.label_states(app_db, prompt_id)} == {
        "canary",
        "production",
        "staging",
    }


def test_open_a_version_in_the_editor(app, app_db: Engine) -> None:
    _prompt_id, (_v2, v1) = late_order(app_db)
    at = page(app)
    at.selectbox(key="versions_open").set_value(v1.id).run()
    at.button(key="versions_open_btn").click().run()
    assert at.title[0].value == "Draft"
    assert at.text_area(key="w_draft_user").value == "Explain why a customer's order is late."
    assert "Editing from version 1" in "\n".join(c.value for c in at.caption)


def test_history_shows_tags_and_scores_per_version_and_per_model(app, app_db: Engine) -> None:
    _prompt_id, (v2, v1) = late_order(app_db)
    rate_outputs(app_db, v2.id, [(5.0, "", ("accurate",), "a"), (3.0, "", ("too long", "accurate"), "b")])
    rate_outputs(app_db, v1.id, [(1.0, "vague", ("off-topic",), "c")])
    at = page(app)
    assert not at.exception
    history_table, per_model = at.dataframe[0].value, at.dataframe[1].value
    assert list(history_table["Tags given"]) == ["accurate ×2, too long ×1", "off-topic ×1"]
    assert list(per_model["version"]) == ["Late order reply · v2", "Late order reply · v1"]
    assert list(per_model["ratings"]) == [2, 1] and list(per_model["mean_score"]) == [4.0, 1.0]
    assert list(per_model["tags"]) == ["accurate ×2, too long ×1", "off-topic ×1"]
    assert "model" in per_model.columns


def test_per_model_figures_add_up_to_the_version_figures(app, app_db: Engine) -> None:
    from workbench.projects import project_records

    at = page(app)
    at.sidebar.selectbox(key="sidebar_project").set_value(
        project_records.find_project(app_db, "HR handbook assistant").id
    ).run()  # type: ignore[union-attr]
    assert not at.exception
    history_table, per_model = at.dataframe[0].value, at.dataframe[1].value
    assert per_model["model"].nunique() >= 2  # the demo's HR answers come from several models
    for version, count in zip(history_table["Version"], history_table["Ratings"], strict=True):
        mine = per_model[per_model["version"].str.endswith(f"· {version}")]
        assert int(mine["ratings"].sum()) == count
    assert history_table["Ratings"].sum() > 0
