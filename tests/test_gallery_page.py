"""The Gallery page through AppTest: pairs with reasons, filters, one click to a new draft."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.conftest import page_path
from workbench.prompts import versions
from workbench.prompts.gallery import load_gallery

PAGE = "pages/gallery.py"


def texts(elements) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(e.value) for e in elements)


def test_gallery_lists_every_pair_with_reasons(app) -> None:
    at = app(page=PAGE)
    assert not at.exception and not at.error
    gallery = load_gallery()
    labels = [e.label for e in at.expander]
    assert labels == [f"**{p.title}** · {p.task}" for p in gallery.pairs]
    shown = texts(at.markdown)
    assert "**Why it is weak**" in shown and "**Why it works**" in shown
    assert "Vague: it does not say which order" in shown
    assert "Explain why a customer's order is late." in texts(at.code)
    assert "The checklist finds 5 weaknesses in it." in texts(at.caption)
    assert "The checklist finds nothing to fix." in texts(at.caption)


def test_task_filter_narrows_the_list(app) -> None:
    at = app(page=PAGE)
    at.selectbox(key="gallery_task").set_value("Classification").run()
    assert [e.label for e in at.expander] == [
        "**Route a support ticket** · Classification",
        "**Sentiment and topic of a review** · Classification",
    ]
    assert [b.key for b in at.button if b.key.startswith("starter_")] == ["starter_starter-classify"]


def test_one_click_starts_a_new_prompt_in_the_draft_page(app, app_db: Engine) -> None:
    at = app(page=PAGE)
    at.button(key="good_meeting-summary").click().run()
    assert not at.exception
    assert at.title[0].value == "Draft"
    assert "'Summarise a meeting' is in the editor as a new prompt" in texts(at.success)
    assert at.text_input(key="w_draft_new_name").value == "Summarise a meeting"
    assert at.text_area(key="w_draft_user").value.startswith("Summarise the meeting transcript below")
    assert at.text_input(key="w_var_transcript").value.startswith("Ana: We go with supplier B")
    assert (
        at.text_input(key="w_draft_note").value
        == "Started from the gallery's strong example 'Summarise a meeting'."
    )
    assert at.selectbox(key="w_draft_prompt").value == -1
    # AppTest stays on the page it was sent to and drops widget values on a scripted page switch;
    # a browser follows the switch and keeps them (see the e2e test).
    at.switch_page(page_path("pages/draft.py"))
    at.sidebar.text_input(key="rater_name").input("Ann")
    at.button(key="draft_save").click().run()
    assert not at.error, at.error[0].value
    assert "Saved as version 1." in texts(at.success)
    prompt = next(p for p in versions.list_prompts(app_db) if p.name == "Summarise a meeting")
    [v1] = versions.list_versions(app_db, prompt.id)
    assert v1.author == "Ann" and v1.sample_variables["transcript"].startswith("Ana:")


def test_weak_examples_and_starters_start_drafts_too(app) -> None:
    at = app(page=PAGE)
    at.button(key="bad_late-order-reply").click().run()
    assert at.text_area(key="w_draft_user").value == "Explain why a customer's order is late."
    assert "The task is very short" in texts(at.markdown)
    assert at.text_input(key="w_draft_new_name").value == "Late order reply (2)"  # the demo has one
    at.switch_page(page_path(PAGE)).run()
    starter = load_gallery().starters[0]
    at.button(key=f"starter_{starter.id}").click().run()
    assert at.text_area(key="w_draft_user").value == starter.template.user
    assert at.text_input(key="w_draft_new_name").value == starter.title
